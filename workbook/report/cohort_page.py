"""The cohort report's files: one self-contained HTML page, a CSV of the ranking, and JSON.

The page has no external resource at all (charts are embedded PNG, the few lines of
script that sort, search and page the ranking are inline), so it opens from a laptop on a
train. The ranking is written by `cohort_ranking` (compact JSON shown a page at a time, the
first page also as HTML), so 10,000 candidates open as fast as a few hundred; the page is
written to its file as the ranking's rows stream past. Candidate ids and check messages
are escaped. bench/cohort_page_bench.py measures size and load time at 100..10,000.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from grading.results import SubmissionStatus
from grading.spreadsheet import csv_rows, csv_text
from workbook.model import COMPETENCIES
from workbook.report.charts import HISTOGRAM_EDGES, histogram, horizontal_bars
from workbook.report.cohort import (
    CheckStats,
    Cohort,
    CohortOverview,
    QuestionStats,
    RankedCandidate,
)
from workbook.report.cohort_ranking import PAGE_ROWS, conflict_text, escaped, write_ranking

PAGE, RANKING_CSV, COHORT_JSON = "cohort.html", "cohort.csv", "cohort.json"
#: a report's `key` -> its graded copy's HTML, relative to the report folder
Copies = Mapping[tuple[str, str], str]


def ranking_header(overview: CohortOverview) -> list[str]:
    """The ranking's columns: what the CSV holds and the page's table shows."""
    return ["rank", "candidate", "status", "assignment", "conflict", "points", "max_points",
            "percent", "weighted_percent",
            *(f"{c.competency}_percent" for c in overview.competencies),
            *(f"{q.question_id}_points" for q in overview.questions), "integrity_notes",
            "recommendation"]


def ranking_row(ranked: RankedCandidate, overview: CohortOverview) -> list[Any]:
    """One candidate's row under `ranking_header`."""
    report = ranked.report
    by_question = {q.question_id: q.points for q in report.questions}
    by_competency = {c.competency: c.percent for c in report.competencies}
    notes = len(report.events) + sum(len(q.events) for q in report.questions)
    return [ranked.rank if ranked.rank is not None else "", report.candidate,
            str(report.status), str(report.assignment), conflict_text(report),
            round(report.points, 2), round(report.max_points, 2), round(report.percent, 2),
            "" if report.weighted_percent is None else round(report.weighted_percent, 2),
            *("" if by_competency.get(c.competency) is None
              else round(by_competency[c.competency] or 0.0, 2)
              for c in overview.competencies),
            *("" if by_question.get(q.question_id) is None
              else round(by_question[q.question_id] or 0.0, 2) for q in overview.questions),
            notes, report.recommendation.label if report.recommendation else ""]


def ranking_rows(cohort: Cohort) -> tuple[list[str], Iterator[list[Any]]]:
    """The ranking as a header and its rows, read from `cohort` as they are asked for."""
    overview = cohort.overview
    return (ranking_header(overview),
            (ranking_row(ranked, overview) for ranked in cohort.candidates))


def ranking_csv(cohort: Cohort) -> str:
    """cohort.csv: the ranking, every cell safe to open in a spreadsheet."""
    header, rows = ranking_rows(cohort)
    return csv_text(header, rows)


def _statistics_json(overview: CohortOverview) -> dict[str, Any]:
    return {
        "questions": [{"question": q.question_id, "title": q.title, "kind": q.kind,
                       "max_points": q.max_points, "scored": q.scored, "passed": q.passed,
                       "pass_rate": q.pass_rate, "mean_points": q.mean_points,
                       "distribution": [{"points": p, "candidates": n}
                                        for p, n in q.distribution]}
                      for q in overview.questions],
        "checks": [{"question": c.question_id, "check": c.check, "hidden": c.hidden,
                    "max_points": c.max_points, "attempts": c.attempts,
                    "failures": c.failures, "failure_rate": c.failure_rate,
                    "discrimination": c.discrimination} for c in overview.checks],
        "competencies": [{"competency": c.competency, "title": c.title, "weight": c.weight,
                          "candidates": c.candidates, "mean_percent": c.mean_percent}
                         for c in overview.competencies],
    }


def cohort_json(cohort: Cohort) -> dict[str, Any]:
    """cohort.json as one value (`write_cohort` writes the same a candidate at a time)."""
    header, rows = ranking_rows(cohort)
    return {"candidates": [dict(zip(header, row, strict=True)) for row in rows],
            **_statistics_json(cohort.overview)}


def _write_json(out: TextIO, cohort: Cohort) -> None:
    """cohort.json, written as `json.dumps(cohort_json(cohort), indent=1)` would write it,
    a candidate at a time."""
    header, rows = ranking_rows(cohort)
    out.write('{\n "candidates": [')
    written = False
    for row in rows:
        item = json.dumps(dict(zip(header, row, strict=True)), indent=1, ensure_ascii=False)
        out.write(("," if written else "") + "\n" + textwrap.indent(item, "  "))
        written = True
    out.write("\n ]," if written else "],")
    rest = json.dumps(_statistics_json(cohort.overview), indent=1, ensure_ascii=False)
    out.write(rest[1:] + "\n")  # its opening brace is the one written above


def write_cohort(cohort: Cohort, outdir: Path, *, title: str, report_date: str,
                 copies: Copies | None = None, sections: tuple[str, ...] = ()) -> list[Path]:
    """Write cohort.html, cohort.csv and cohort.json into `outdir`; returns their paths.
    Each reads the ranking once as it streams past, so a cohort read from disk is never
    held in memory.

    `copies` maps a report's `key` to its graded copy's HTML path, relative to `outdir`.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    # an id that was not UTF-8 (a lone surrogate) is written as its backslash escape
    ranking = outdir / RANKING_CSV
    with ranking.open("w", encoding="utf-8", errors="backslashreplace", newline="") as out:
        header, rows = ranking_rows(cohort)
        out.write(csv_rows([header]))
        for chunk in iter(lambda: list(islice(rows, 256)), []):
            out.write(csv_rows(chunk))
    data = outdir / COHORT_JSON
    with data.open("w", encoding="utf-8", errors="backslashreplace") as out:
        _write_json(out, cohort)
    page = outdir / PAGE
    with page.open("w", encoding="utf-8") as handle:
        write_cohort_page(handle, cohort.overview, cohort.candidates, title=title,
                          report_date=report_date, copies=copies or {}, sections=sections)
    return [page, ranking, data]


_CSS = """
body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}
table{border-collapse:collapse;font-size:90%}
th,td{border:1px solid #ccd;padding:2px 6px;text-align:right;white-space:nowrap}
td.name,th.name{text-align:left}
td small{color:#555}
td br+small,td br+strong{display:inline-block;white-space:normal;min-width:16em;
max-width:30em}
thead th{position:sticky;top:0;background:#eef;cursor:pointer}
th[aria-sort=ascending]::after{content:" ▲"}
th[aria-sort=descending]::after{content:" ▼"}
tr.unranked{color:#888}
.flag{color:#a40000}
.charts img{max-width:48%;margin:0 1% 1em 0}
.scroll{max-height:70vh;overflow:auto}
.controls{margin:.5em 0}
"""

# sorts a small table (questions, checks) by the clicked column, numbers as numbers
_SCRIPT = """
function sortTable(th){const t=th.closest('table'),i=[...th.parentNode.children].indexOf(th),
b=t.tBodies[0],up=th.dataset.dir!=='up';th.dataset.dir=up?'up':'down';
const v=r=>{const s=r.children[i].textContent,n=parseFloat(s);return isNaN(n)?s:n};
[...b.rows].sort((x,y)=>{const p=v(x),q=v(y);return (p>q?1:p<q?-1:0)*(up?1:-1)})
.forEach(r=>b.appendChild(r))}
"""


def _table(table_id: str, header: list[str], rows: list[str]) -> str:
    heads = "".join(f'<th class="{"name" if i < 2 else ""}" onclick="sortTable(this)">'
                    f'{escaped(h)}</th>' for i, h in enumerate(header))
    return (f'<div class="scroll"><table id="{table_id}"><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _question_row(q: QuestionStats) -> str:
    rate = "" if q.pass_rate is None else f"{100 * q.pass_rate:.1f}%"
    mean = "" if q.mean_points is None else f"{q.mean_points:.2f}"
    spread = ", ".join(f"{points:g}: {count}" for points, count in q.distribution)
    return (f'<tr><td class="name">{escaped(q.title)}</td><td class="name">{q.kind}</td>'
            f"<td>{q.max_points:g}</td><td>{q.scored}</td><td>{rate}</td><td>{mean}</td>"
            f'<td class="name">{escaped(spread)}</td></tr>')


def _check_row(c: CheckStats, titles: dict[str, str]) -> str:
    power = "" if c.discrimination is None else f"{c.discrimination:+.2f}"
    return (f'<tr><td class="name">{escaped(titles.get(c.question_id, c.question_id))}</td>'
            f'<td class="name">{escaped(c.check)}</td>'
            f'<td class="name">{"hidden" if c.hidden else "public"}</td>'
            f"<td>{c.failures} / {c.attempts}</td><td>{100 * c.failure_rate:.1f}%</td>"
            f"<td>{power}</td></tr>")


def cohort_html(cohort: Cohort, *, title: str, report_date: str,
                copies: Copies, sections: tuple[str, ...] = ()) -> str:
    """The page as one string (`write_cohort_page` writes it as it goes)."""
    buffer = io.StringIO()
    write_cohort_page(buffer, cohort.overview, cohort.candidates, title=title,
                      report_date=report_date, copies=copies, sections=sections)
    return buffer.getvalue()


def _summary(overview: CohortOverview) -> str:
    counts = overview.counts
    summary = (f"{overview.candidates} candidates: {counts.get(SubmissionStatus.GRADED, 0)} "
               f"graded, {counts.get(SubmissionStatus.REFUSED, 0)} refused, "
               f"{counts.get(SubmissionStatus.FAILED, 0)} failed to grade, "
               f"{counts.get(SubmissionStatus.ERROR, 0)} not graded because of an error "
               f"(failed and errors are retried on the next run).")
    if overview.mean_percent is not None and overview.median_percent is not None:
        summary += (f" Mean {overview.mean_percent:.1f}%, median "
                    f"{overview.median_percent:.1f}%.")
    return summary


_HISTOGRAM = "Distribution of totals"
_PASS_RATES = "Pass rate per question"
_COMPETENCIES = "Mean competency score"


def _question_labels(titles: Iterable[str]) -> list[str]:
    return [title[:40] for title in titles]


def _competency_labels(competencies: Iterable[tuple[str, int]]) -> list[str]:
    return [f"{title} ({weight}%)" for title, weight in competencies]


def _charts(overview: CohortOverview) -> str:
    charts = []
    if overview.graded:
        charts.append(histogram(overview.histogram, title=_HISTOGRAM))
    if overview.questions:
        charts.append(horizontal_bars(
            _question_labels(q.title for q in overview.questions),
            [None if q.pass_rate is None else 100 * q.pass_rate for q in overview.questions],
            title=_PASS_RATES))
    charts.append(horizontal_bars(
        _competency_labels((c.title, c.weight) for c in overview.competencies),
        [c.mean_percent for c in overview.competencies], title=_COMPETENCIES))
    return "".join(f'<img alt="chart" src="data:image/png;base64,{png}">' for png in charts)


def draw_chart_frames(question_titles: Sequence[str] = ()) -> None:
    """Draw the frames of the page's charts now, as the page will ask for them (the
    competencies', the histogram's, and the pass rates' for questions with these titles,
    in this order): the reports worker does it while grading runs, so the page costs
    only its bars once grading ends. A frame the page then asks for differently is only
    drawn then."""
    histogram([0] * (len(HISTOGRAM_EDGES) - 1), title=_HISTOGRAM)
    labels = _competency_labels(COMPETENCIES.values())
    horizontal_bars(labels, [None] * len(labels), title=_COMPETENCIES)
    if question_titles:
        labels = _question_labels(question_titles)
        horizontal_bars(labels, [None] * len(labels), title=_PASS_RATES)


def write_cohort_page(out: TextIO, overview: CohortOverview, rows: Iterable[RankedCandidate],
                      *, title: str, report_date: str, copies: Copies,
                      sections: tuple[str, ...] = (), html_rows: int = PAGE_ROWS) -> None:
    """Write the page to `out`, reading `rows` (the ranking, in order) once as they come;
    `sections` are further parts, already HTML (the similarity section); `html_rows` as
    `write_ranking` says."""
    out.write(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escaped(title)}'
              f"</title><style>{_CSS}</style><script>{_SCRIPT}</script></head><body>"
              f"<h1>{escaped(title)}</h1><p>Report of {escaped(report_date)}. "
              f"{escaped(_summary(overview))}</p>"
              f'<div class="charts">{_charts(overview)}</div>'
              f"<h2>Candidates, ranked</h2><p>Click a column to sort; search by candidate, "
              f"filter by status, turn pages. Each candidate links to their graded copy.</p>")
    not_graded = write_ranking(out, overview, rows, copies, html_rows=html_rows)
    questions = _table("questions", ["question", "kind", "max", "scored", "pass rate",
                                     "mean points", "distribution (points: candidates)"],
                       [_question_row(q) for q in overview.questions])
    titles = {q.question_id: q.title for q in overview.questions}
    by_power = sorted(overview.checks, key=lambda c: (-(c.discrimination or -2), c.check))
    checks = _table("checks", ["question", "check", "kind", "failures", "failure rate",
                               "discrimination"],
                    [_check_row(c, titles) for c in by_power])
    out.write(f"{not_graded.html()}<h2>Questions</h2>{questions}"
              f"<h2>Checks</h2><p>Discrimination is the pass rate in the top third of the "
              f"ranking minus that in the bottom third: near +1 separates strong candidates "
              f"from weak ones, near 0 tells them apart on nothing.</p>{checks}"
              f"{''.join(sections)}</body></html>")
