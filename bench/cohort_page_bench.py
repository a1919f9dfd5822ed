"""The cohort page at 100, 1,000 and 10,000 candidates: its size, how long it takes to build, and
how fast it opens and answers in headless Chromium, as ratios against the 100 page.
Building is timed after a warm-up build (imports, chart frames), as in `workbook grade`.

    .venv/bin/python bench/cohort_page_bench.py [--sizes 100,1000,10000] [--rounds R]

The pages are built straight from generated candidate reports (tests/report/
generated_cohort.py: five questions, now and then a refusal, an error, a conflict), no
grading, through `write_cohort` as `workbook grade` writes them (timed: the cohort stage,
statistics, CSV, JSON and page; then the page alone again). Each page is then opened
R times (default 5, medians) in a fresh Chromium context, and the page's own clock gives:

- DOMContentLoaded: the document parsed and the ranking's script run; the first page of
  rows is HTML, so it is on screen by then;
- first paint with content;
- the first page turn: clicking "next" until the next rows are laid out, which includes
  parsing every row's JSON (the page parses it on first use, not on opening);
- a sort of every row by percent, after that.

A last row writes the largest cohort with every row as HTML, as the page was before it
was paged: what paging saves. The first figure of each is the base (100 candidates); the
rest are ratios to it, measured in the same run. The machine's load average is printed:
only the ratios mean anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.report.generated_cohort import generated_reports  # noqa: E402
from workbook.report.cohort import cohort_report  # noqa: E402
from workbook.report.cohort_page import PAGE, write_cohort, write_cohort_page  # noqa: E402
from workbook.report.cohort_ranking import PAGE_ROWS  # noqa: E402
from workbook.report.naming import report_stem  # noqa: E402

CHROMIUM = os.environ.get("WORKBOOK_CHROMIUM", "/usr/bin/chromium")

# run in the page once it has loaded: the navigation's own timings, in ms from its start
_LOAD_TIMES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByType('paint')
    .find(p => p.name === 'first-contentful-paint');
  return {dcl: nav.domContentLoadedEventEnd, paint: paint ? paint.startTime : null,
          rows: document.querySelectorAll('#ranking tbody tr').length};
}"""

# a click's handler runs to its end before click() returns; reading a row's box then
# makes the browser lay the new rows out, so the time covers parse, render and layout
_CLICK_TIME = """(selector) => {
  const start = performance.now();
  document.querySelector(selector).click();
  document.querySelector('#ranking tbody tr:last-child').getBoundingClientRect();
  return performance.now() - start;
}"""


def build(count: int, folder: Path, *, html_rows: int = PAGE_ROWS
          ) -> tuple[Path, float, float]:
    """The cohort page of `count` generated candidates; the seconds the cohort stage took
    (statistics, CSV, JSON and page), and the page alone took (`html_rows` of it as HTML)."""
    reports = list(generated_reports(count))
    links = {r.key: f"graded/{report_stem(r.candidate)}.html" for r in reports}
    start = time.perf_counter()
    cohort = cohort_report(reports)
    write_cohort(cohort, folder, title=f"Cohort of {count}", report_date="2030-01-02",
                 copies=links)
    stage = time.perf_counter() - start
    start = time.perf_counter()
    with (folder / PAGE).open("w", encoding="utf-8") as handle:
        write_cohort_page(handle, cohort.overview, iter(cohort.candidates),
                          title=f"Cohort of {count}", report_date="2030-01-02", copies=links,
                          html_rows=html_rows)
    return folder / PAGE, stage, time.perf_counter() - start


def measure(browser: Any, page_path: Path) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        # the whole-table page of 10,000 rows takes tens of seconds on a loaded machine
        page.set_default_timeout(600_000)
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_selector("#ranking-tools", state="visible")
        loaded = page.evaluate(_LOAD_TIMES)
        if loaded["rows"] < 1:
            raise SystemExit(f"{page_path}: no ranking rows on the page")
        turn = page.evaluate(_CLICK_TIME, "[data-go=next]")
        sort = page.evaluate(_CLICK_TIME, "#ranking th:nth-child(6)")
        return {"dcl": loaded["dcl"], "paint": loaded["paint"] or float("nan"),
                "turn": turn, "sort": sort}
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="candidate counts, the first one the base (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="loads per page (median)")
    parser.add_argument("--no-whole-table", action="store_true",
                        help="skip the largest cohort with every row as HTML")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: apt-get install chromium (or set WORKBOOK_CHROMIUM)",
              file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{args.rounds} loads per page, medians")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--disable-gpu"])
        try:
            # imports and chart frames are loaded once per process: not the base's cost
            build(sizes[0], Path(tmp) / "warm-up")
            whole = [] if args.no_whole_table else [(sizes[-1], sizes[-1])]
            for count, html_rows in [(n, PAGE_ROWS) for n in sizes] + whole:
                page_path, stage, page_only = build(count, Path(tmp) / f"{count}-{html_rows}",
                                                    html_rows=html_rows)
                runs = [measure(browser, page_path) for _ in range(args.rounds)]
                times = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                rows.append((count, html_rows, page_path.stat().st_size,
                             {"stage": stage, "page": page_only, **times}))
        finally:
            browser.close()
    base = rows[0][3]
    keys = ("stage", "page", "dcl", "paint", "turn", "sort")
    print(f"\n{'candidates':>10} {'HTML rows':>9} {'size KB':>8} {'stage s':>8} {'page s':>7} "
          f"{'DCL ms':>7} {'paint ms':>8} {'turn ms':>8} {'sort ms':>8}   "
          f"ratios to {rows[0][0]}: size " + " ".join(keys))
    for count, html_rows, size, times in rows:
        ratios = [size / rows[0][2], *(times[k] / base[k] for k in keys)]
        print(f"{count:>10} {min(count, html_rows):>9} {size / 1024:>8.0f} "
              f"{times['stage']:>8.2f} {times['page']:>7.2f} {times['dcl']:>7.0f} "
              f"{times['paint']:>8.0f} {times['turn']:>8.1f} {times['sort']:>8.1f}   "
              + " ".join(f"{r:.2f}x" for r in ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
