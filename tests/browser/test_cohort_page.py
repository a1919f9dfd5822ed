"""The cohort page of a few hundred candidates in headless Chromium: it pages, sorts, searches,
links each candidate to their graded copy, and shows hostile ids as text."""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.report.generated_cohort import generated_reports
from workbook.report.cohort import cohort_report
from workbook.report.cohort_page import write_cohort
from workbook.report.cohort_ranking import shown
from workbook.report.naming import report_stem
from workbook.report.records import CandidateReport

pytestmark = pytest.mark.browser

CANDIDATES = 300
HOSTILE = ("<img src=x onerror=\"window.owned='img'\">",
           "</script><script>window.owned='script'</script>",
           "\"'><svg onload=window.owned='svg'>", "<!--<script>", "O'Brien & \"Sons\"\ud800")


@dataclass(frozen=True)
class CohortPage:
    url: str
    folder: Path
    reports: tuple[CandidateReport, ...]
    links: dict[tuple[str, str], str]


@pytest.fixture(scope="module")
def cohort_page(tmp_path_factory: pytest.TempPathFactory) -> CohortPage:
    """300 generated candidates (a few of them hostile ids), each linked to a graded copy."""
    folder = tmp_path_factory.mktemp("cohort")
    reports = list(generated_reports(CANDIDATES))
    for i, name in enumerate(HOSTILE):
        reports[37 * i + 5] = replace(reports[37 * i + 5], candidate=name)
    links = {r.key: f"graded/{report_stem(r.candidate)}.html" for r in reports}
    (folder / "graded").mkdir()
    for report in reports:  # stands in for the copy: says whose it is
        (folder / links[report.key]).write_text(
            f'<!DOCTYPE html><h1 id="who">{html.escape(shown(report.candidate))}</h1>',
            encoding="utf-8")
    write_cohort(cohort_report(reports), folder, title="Cohort", report_date="2030-01-02",
                 copies=links)
    return CohortPage(url=(folder / "cohort.html").as_uri(), folder=folder,
                      reports=tuple(reports), links=links)


def _open(page: Any, cohort: CohortPage) -> Any:
    page.goto(cohort.url)
    expect(page.locator("#ranking-tools")).to_be_visible()  # the script has run
    return page


def _column(page: Any, index: int) -> list[str]:
    return [str(t) for t in page.locator(f"#ranking tbody tr td:nth-child({index})")
            .all_inner_texts()]


def test_the_ranking_turns_pages_fifty_rows_at_a_time(page: Any,
                                                       cohort_page: CohortPage) -> None:
    _open(page, cohort_page)
    where, rows = page.locator("#ranking-where"), page.locator("#ranking tbody tr")
    expect(where).to_have_text(f"rows 1–50 of {CANDIDATES}")
    expect(rows).to_have_count(50)
    expect(page.locator("[data-go=previous]")).to_be_disabled()

    page.click("[data-go=next]")
    expect(where).to_have_text(f"rows 51–100 of {CANDIDATES}")
    expect(rows.first.locator("td").first).to_have_text("51")
    page.click("[data-go=last]")
    expect(where).to_have_text(f"rows 251–300 of {CANDIDATES}")
    expect(page.locator("[data-go=next]")).to_be_disabled()
    page.click("[data-go=previous]")
    expect(where).to_have_text(f"rows 201–250 of {CANDIDATES}")
    page.select_option("#ranking-size", "250")
    expect(where).to_have_text(f"rows 1–250 of {CANDIDATES}")
    expect(rows).to_have_count(250)


def test_the_script_draws_the_first_page_exactly_as_the_html_wrote_it(
        page: Any, cohort_page: CohortPage) -> None:
    _open(page, cohort_page)
    written = page.inner_html("#ranking tbody")

    page.click("[data-go=next]")
    expect(page.locator("#ranking-where")).to_have_text(f"rows 51–100 of {CANDIDATES}")
    page.click("[data-go=first]")
    expect(page.locator("#ranking-where")).to_have_text(f"rows 1–50 of {CANDIDATES}")

    assert page.inner_html("#ranking tbody") == written


def test_sorting_orders_every_row_not_only_the_page_shown(page: Any,
                                                          cohort_page: CohortPage) -> None:
    _open(page, cohort_page)
    names = sorted(shown(r.candidate) for r in cohort_page.reports)
    weighted = sorted(round(r.weighted_percent, 1) for r in cohort_page.reports
                      if r.weighted_percent is not None)
    first_name = page.locator("#ranking tbody tr").first.locator("td").nth(1)

    page.click("#ranking th:has-text('candidate')")
    expect(first_name).to_have_text(names[0])
    page.click("#ranking th:has-text('candidate')")
    expect(first_name).to_have_text(names[-1])
    expect(page.locator("#ranking th:has-text('candidate')")).to_have_attribute(
        "aria-sort", "descending")

    page.locator("#ranking th:has-text('weighted')").press("Enter")  # by keyboard too
    expect(page.locator("#ranking th:has-text('weighted')")).to_have_attribute(
        "aria-sort", "ascending")
    shown_first = [float(v) for v in _column(page, 7)]
    assert shown_first == [float(f"{w:.1f}") for w in weighted[:50]]
    page.click("[data-go=last]")
    expect(page.locator("#ranking-where")).to_have_text(f"rows 251–300 of {CANDIDATES}")
    last = _column(page, 7)
    assert last[-1] == ""  # candidates without a weighted figure come last, either way


def test_searching_finds_a_candidate_anywhere_in_the_ranking(
        page: Any, cohort_page: CohortPage) -> None:
    _open(page, cohort_page)
    rows = page.locator("#ranking tbody tr")

    page.fill("#ranking-search", "00277")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("candidate-00277")
    expect(page.locator("#ranking-where")).to_have_text(
        f"rows 1–1 of 1 (filtered from {CANDIDATES})")

    page.fill("#ranking-search", "")
    page.select_option("#ranking-status", "not graded")
    not_graded = [r for r in cohort_page.reports if r.status != "graded"]
    expect(rows).to_have_count(len(not_graded))
    statuses = _column(page, 3)
    assert {s.split("\n")[0] for s in statuses} == {str(r.status) for r in not_graded}
    # each with its one-line reason
    assert sorted(s.split("\n")[1] for s in statuses) == sorted(
        r.events[-1].detail for r in not_graded)


def test_a_candidate_on_a_later_page_links_to_their_own_graded_copy(
        page: Any, cohort_page: CohortPage) -> None:
    _open(page, cohort_page)
    page.click("[data-go=next]")
    page.click("[data-go=next]")
    expect(page.locator("#ranking-where")).to_have_text(f"rows 101–150 of {CANDIDATES}")
    link = page.locator("#ranking tbody tr").nth(7).locator("td").nth(1).locator("a")
    name = link.inner_text()
    report = next(r for r in cohort_page.reports if shown(r.candidate) == name)

    link.click()

    expect(page.locator("#who")).to_have_text(name)
    assert page.url == (cohort_page.folder / cohort_page.links[report.key]).as_uri()


def test_hostile_ids_are_shown_as_text_and_run_nothing(page: Any,
                                                       cohort_page: CohortPage) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _open(page, cohort_page)
    rows = page.locator("#ranking tbody tr")

    for name in HOSTILE:
        page.fill("#ranking-search", shown(name))
        expect(rows).to_have_count(1)
        expect(rows.first.locator("td").nth(1)).to_have_text(shown(name))
    page.fill("#ranking-search", "")
    page.select_option("#ranking-size", "1000")
    expect(rows).to_have_count(CANDIDATES)

    assert page.evaluate("() => window.owned") is None
    assert page.locator("#ranking img, #ranking svg").count() == 0
    assert page.locator("script").count() == 3  # the page's own: small tables, data, ranking
    assert dialogs == []


def test_without_scripts_the_first_page_shows_and_says_where_the_rest_is(
        browser: Any, cohort_page: CohortPage) -> None:
    expect.set_options(timeout=60_000)  # as the `page` fixture: a loaded machine is slow
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(60_000)
    try:
        page = context.new_page()
        page.goto(cohort_page.url)

        expect(page.locator("#ranking tbody tr")).to_have_count(50)
        expect(page.locator("#ranking-where")).to_have_text(f"rows 1–50 of {CANDIDATES}")
        expect(page.locator("#ranking-tools")).to_be_hidden()  # no control that cannot work
        # Chromium parses <noscript> as if scripts ran even here; a reader without them
        # sees this line
        assert "cohort.csv holds the whole ranking" in page.locator("noscript").inner_html()
    finally:
        context.close()
