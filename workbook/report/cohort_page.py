"""The cohort report's files: one self-contained HTML page, a CSV of the ranking, and JSON.

The page has no external resource at all (charts are embedded PNG, the few lines of
script that sort and filter the ranking are inline), so it opens from a laptop on a train.
Candidate ids and check messages are escaped. For a large cohort the page stays one
table with a sticky header and a filter box; it is built by joining strings, which takes
a fraction of a second for a thousand candidates.
"""

from __future__ import annotations

import html
import json
import statistics
from pathlib import Path
from typing import Any

from grading.assignment import AssignmentState
from grading.results import SubmissionStatus
from grading.spreadsheet import csv_text
from workbook.report.charts import histogram, horizontal_bars
from workbook.report.cohort import CheckStats, CohortReport, QuestionStats, RankedCandidate
from workbook.report.records import CandidateReport

PAGE, RANKING_CSV, COHORT_JSON = "cohort.html", "cohort.csv", "cohort.json"
#: a report's `key` -> its graded copy's HTML, relative to the report folder
Copies = dict[tuple[str, str], str]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def ranking_rows(cohort: CohortReport) -> tuple[list[str], list[list[Any]]]:
    """The ranking as a header and rows: what the CSV holds and the page's table shows."""
    question_ids = [q.question_id for q in cohort.questions]
    competencies = cohort.competencies
    header = ["rank", "candidate", "status", "assignment", "conflict", "points", "max_points",
              "percent",
              "weighted_percent", *(f"{c.competency}_percent" for c in competencies),
              *(f"{q}_points" for q in question_ids), "integrity_notes", "recommendation"]
    rows = []
    for ranked in cohort.candidates:
        report = ranked.report
        by_question = {q.question_id: q.points for q in report.questions}
        by_competency = {c.competency: c.percent for c in report.competencies}
        notes = len(report.events) + sum(len(q.events) for q in report.questions)
        rows.append([ranked.rank if ranked.rank is not None else "", report.candidate,
                     str(report.status), str(report.assignment), conflict_text(report),
                     round(report.points, 2),
                     round(report.max_points, 2),
                     round(report.percent, 2),
                     "" if report.weighted_percent is None
                     else round(report.weighted_percent, 2),
                     *("" if by_competency.get(c.competency) is None
                       else round(by_competency[c.competency] or 0.0, 2)
                       for c in competencies),
                     *("" if by_question.get(q) is None else round(by_question[q] or 0.0, 2)
                       for q in question_ids), notes,
                     report.recommendation.label if report.recommendation else ""])
    return header, rows


def ranking_csv(cohort: CohortReport) -> str:
    """cohort.csv: the ranking, every cell safe to open in a spreadsheet."""
    header, rows = ranking_rows(cohort)
    return csv_text(header, rows)


def cohort_json(cohort: CohortReport) -> dict[str, Any]:
    header, rows = ranking_rows(cohort)
    return {
        "candidates": [dict(zip(header, row, strict=True)) for row in rows],
        "questions": [{"question": q.question_id, "title": q.title, "kind": q.kind,
                       "max_points": q.max_points, "scored": q.scored, "passed": q.passed,
                       "pass_rate": q.pass_rate, "mean_points": q.mean_points,
                       "distribution": [{"points": p, "candidates": n}
                                        for p, n in q.distribution]}
                      for q in cohort.questions],
        "checks": [{"question": c.question_id, "check": c.check, "hidden": c.hidden,
                    "max_points": c.max_points, "attempts": c.attempts,
                    "failures": c.failures, "failure_rate": c.failure_rate,
                    "discrimination": c.discrimination} for c in cohort.checks],
        "competencies": [{"competency": c.competency, "title": c.title, "weight": c.weight,
                          "candidates": c.candidates, "mean_percent": c.mean_percent}
                         for c in cohort.competencies],
    }


def write_cohort(cohort: CohortReport, outdir: Path, *, title: str, report_date: str,
                 copies: Copies | None = None, sections: tuple[str, ...] = ()) -> list[Path]:
    """Write cohort.html, cohort.csv and cohort.json into `outdir`; returns their paths.

    `copies` maps a report's `key` to its graded copy's HTML path, relative to `outdir`.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    ranking = outdir / RANKING_CSV
    ranking.write_text(ranking_csv(cohort), encoding="utf-8", newline="")
    data = outdir / COHORT_JSON
    data.write_text(json.dumps(cohort_json(cohort), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    page = outdir / PAGE
    page.write_text(cohort_html(cohort, title=title, report_date=report_date,
                                copies=copies or {}, sections=sections), encoding="utf-8")
    return [page, ranking, data]


_CSS = """
body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}
table{border-collapse:collapse;font-size:90%}
th,td{border:1px solid #ccd;padding:2px 6px;text-align:right;white-space:nowrap}
td.name,th.name{text-align:left}
thead th{position:sticky;top:0;background:#eef;cursor:pointer}
tr.unranked{color:#888}
.flag{color:#a40000}
.charts img{max-width:48%;margin:0 1% 1em 0}
.scroll{max-height:70vh;overflow:auto}
"""

# sorts a table by the clicked column (numbers as numbers) and filters rows by candidate
_SCRIPT = """
function sortTable(th){const t=th.closest('table'),i=[...th.parentNode.children].indexOf(th),
b=t.tBodies[0],up=th.dataset.dir!=='up';th.dataset.dir=up?'up':'down';
const v=r=>{const s=r.children[i].textContent,n=parseFloat(s);return isNaN(n)?s:n};
[...b.rows].sort((x,y)=>{const p=v(x),q=v(y);return (p>q?1:p<q?-1:0)*(up?1:-1)})
.forEach(r=>b.appendChild(r))}
function filterRows(box){const w=box.value.toLowerCase();
document.querySelectorAll('#ranking tbody tr').forEach(r=>{
r.style.display=r.children[1].textContent.toLowerCase().includes(w)?'':'none'})}
"""


def _table(table_id: str, header: list[str], rows: list[str]) -> str:
    heads = "".join(f'<th class="{"name" if i < 2 else ""}" onclick="sortTable(this)">'
                    f'{_e(h)}</th>' for i, h in enumerate(header))
    return (f'<div class="scroll"><table id="{table_id}"><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _ranking_row(ranked: RankedCandidate, question_ids: list[str],
                 copies: Copies) -> str:
    report = ranked.report
    name = _e(report.candidate)
    link = copies.get(report.key)
    if link:
        name = f'<a href="{_e(link)}">{name}</a>'
    if report.conflicts:
        name += f'<br><strong class="flag">{_e(conflict_text(report))}</strong>'
    points = {q.question_id: q.points for q in report.questions}
    cells = [str(ranked.rank or ""), name, _e(report.status), _assignment_cell(report),
             f"{report.points:g} / {report.max_points:g}", f"{report.percent:.1f}",
             _pct(report.weighted_percent), *(_pct(c.percent) for c in report.competencies),
             *(_num(points.get(q)) for q in question_ids), _recommendation(report)]
    css = "" if ranked.rank else ' class="unranked"'
    return (f"<tr{css}>" + "".join(f'<td class="{"name" if i < 3 else ""}">{c}</td>'
                                   for i, c in enumerate(cells)) + "</tr>")


def _recommendation(report: CandidateReport) -> str:
    """The interviewer's call, its reason on hover; empty without a live interview."""
    chosen = report.recommendation
    if chosen is None:
        return ""
    return f'<span title="{_e(chosen.reason)}">{_e(chosen.label)}</span>'


def _not_graded(cohort: CohortReport) -> str:
    """Each candidate who was not graded, with the one-line reason (refusal or error)."""
    items = [f'<li><span class="name">{_e(c.report.candidate)}</span>: {_e(c.report.status)}'
             f" ({_e(c.report.events[-1].detail if c.report.events else 'no reason recorded')})"
             f"</li>" for c in cohort.candidates
             if c.report.status is not SubmissionStatus.GRADED]
    return f"<h2>Not graded</h2><ul>{''.join(items)}</ul>" if items else ""


def conflict_text(report: CandidateReport) -> str:
    """Empty, or which other files claim the same candidate (a person must resolve it)."""
    if not report.conflicts:
        return ""
    return (f"CONFLICT: {len(report.conflicts) + 1} files claim this candidate; this is "
            f"{report.source}, also {', '.join(report.conflicts)}")


def _assignment_cell(report: CandidateReport) -> str:
    state = report.assignment
    if state is AssignmentState.VERIFIED:
        return "verified"
    return f'<strong class="flag">{_e(state)}</strong>'


def _question_row(q: QuestionStats) -> str:
    rate = "" if q.pass_rate is None else f"{100 * q.pass_rate:.1f}%"
    mean = "" if q.mean_points is None else f"{q.mean_points:.2f}"
    spread = ", ".join(f"{points:g}: {count}" for points, count in q.distribution)
    return (f'<tr><td class="name">{_e(q.title)}</td><td class="name">{q.kind}</td>'
            f"<td>{q.max_points:g}</td><td>{q.scored}</td><td>{rate}</td><td>{mean}</td>"
            f'<td class="name">{_e(spread)}</td></tr>')


def _check_row(c: CheckStats, titles: dict[str, str]) -> str:
    power = "" if c.discrimination is None else f"{c.discrimination:+.2f}"
    return (f'<tr><td class="name">{_e(titles.get(c.question_id, c.question_id))}</td>'
            f'<td class="name">{_e(c.check)}</td>'
            f'<td class="name">{"hidden" if c.hidden else "public"}</td>'
            f"<td>{c.failures} / {c.attempts}</td><td>{100 * c.failure_rate:.1f}%</td>"
            f"<td>{power}</td></tr>")


def cohort_html(cohort: CohortReport, *, title: str, report_date: str,
                copies: Copies, sections: tuple[str, ...] = ()) -> str:
    """The page; `sections` are further parts, already HTML (the similarity section)."""
    graded = cohort.graded
    percents = [r.percent for r in graded]
    summary = (f"{len(cohort.candidates)} candidates: {len(graded)} graded, "
               f"{cohort.count(SubmissionStatus.REFUSED)} refused, "
               f"{cohort.count(SubmissionStatus.FAILED)} failed to grade, "
               f"{cohort.count(SubmissionStatus.ERROR)} not graded because of an error "
               f"(failed and errors are retried on the next run).")
    if percents:
        summary += (f" Mean {statistics.fmean(percents):.1f}%, median "
                    f"{statistics.median(percents):.1f}%.")
    charts = []
    if percents:
        charts.append(histogram(percents, bins=[i * 10 for i in range(11)],
                                title="Distribution of totals", xlabel="percent"))
    if cohort.questions:
        charts.append(horizontal_bars(
            [q.title[:40] for q in cohort.questions],
            [None if q.pass_rate is None else 100 * q.pass_rate for q in cohort.questions],
            title="Pass rate per question"))
    charts.append(horizontal_bars([f"{c.title} ({c.weight}%)" for c in cohort.competencies],
                                  [c.mean_percent for c in cohort.competencies],
                                  title="Mean competency score"))
    question_ids = [q.question_id for q in cohort.questions]
    ranking = _table("ranking", ["rank", "candidate", "status", "assignment", "total",
                                 "percent",
                                 "weighted", *(c.title for c in cohort.competencies),
                                 *(f"{q.title} (/{q.max_points:g})" for q in cohort.questions),
                                 "recommendation"],
                     [_ranking_row(c, question_ids, copies) for c in cohort.candidates])
    questions = _table("questions", ["question", "kind", "max", "scored", "pass rate",
                                     "mean points", "distribution (points: candidates)"],
                       [_question_row(q) for q in cohort.questions])
    titles = {q.question_id: q.title for q in cohort.questions}
    by_power = sorted(cohort.checks, key=lambda c: (-(c.discrimination or -2), c.check))
    checks = _table("checks", ["question", "check", "kind", "failures", "failure rate",
                               "discrimination"],
                    [_check_row(c, titles) for c in by_power])
    images = "".join(f'<img alt="chart" src="data:image/png;base64,{png}">' for png in charts)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}'
            f"</title><style>{_CSS}</style><script>{_SCRIPT}</script></head><body>"
            f"<h1>{_e(title)}</h1><p>Report of {_e(report_date)}. {_e(summary)}</p>"
            f'<div class="charts">{images}</div>'
            f"<h2>Candidates, ranked</h2><p>Click a column to sort. "
            f'<input placeholder="filter by candidate" oninput="filterRows(this)"></p>'
            f"{ranking}{_not_graded(cohort)}<h2>Questions</h2>{questions}"
            f"<h2>Checks</h2><p>Discrimination is the pass rate in the top third of the "
            f"ranking minus that in the bottom third: near +1 separates strong candidates "
            f"from weak ones, near 0 tells them apart on nothing.</p>{checks}"
            f"{''.join(sections)}</body></html>")
