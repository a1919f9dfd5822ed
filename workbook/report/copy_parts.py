"""The graded copy's parts (header, scorecard, questions) as notebook outputs.

Each part is a list of nbformat `display_data` outputs with an HTML and a plain-text
form of the same content. Text that came from a candidate is bounded here too (an answer
`MAX_ANSWER`, a check message or note `MAX_MESSAGE`), the outputs already are
(`submitted`), so neither the copy nor its HTML grows with what a candidate sends; what is
cut is said in place. Every string that came from a candidate, a check message or an
interviewer's notes is escaped, so the copy shows it and never interprets it. Whether
the outputs are computed in the reporting process or by the template's kernel, they come
from these functions, so both ways give the same copy.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from grading.judge import shared_causes
from grading.results import CheckResult, Event
from workbook.issue import assignment_label
from workbook.live.history import QuestionTimeline
from workbook.report.assemble import MAX_SCORE
from workbook.report.charts import horizontal_bars
from workbook.report.records import (
    CandidateReport,
    CellOutput,
    InterviewScore,
    NotebookHistory,
    QuestionReport,
)

Output = dict[str, Any]

PASS, FAIL = "pass", "FAIL"
#: characters of a submitted answer shown in the copy
MAX_ANSWER = 20_000
#: characters of one check message, integrity note or interviewer's note shown
MAX_MESSAGE = 2_000


def cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a line saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... (cut: {len(text) - limit:,} more characters not shown)"
_STYLE = ("<style>.wb-report table{border-collapse:collapse;margin:.4em 0}"
          ".wb-report td,.wb-report th{border:1px solid #ccd;padding:2px 8px;text-align:left;"
          "vertical-align:top}.wb-report .fail{color:#a40000;font-weight:bold}"
          ".wb-report .pass{color:#1d6b1d}.wb-report pre{white-space:pre-wrap;margin:.2em 0}"
          ".wb-report .out{background:#f6f6f6;border-left:3px solid #ccd;padding:2px 6px}"
          "</style>")


def points_text(points: float | None, max_points: float) -> str:
    if points is None:
        return f"not scored (of {max_points:g})"
    return f"{points:g} / {max_points:g}"


def _display(html_body: str, text: str) -> Output:
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": f'<div class="wb-report">{_STYLE}{html_body}</div>',
                     "text/plain": text}}


def _png_output(png: str, text: str) -> Output:
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": png, "text/plain": text}}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>"
                               for k, v in pairs) + "</table>"


def _event_line(event: Event) -> str:
    return cut(f"{event.kind}: {event.detail}", MAX_MESSAGE)


def similar_block(similar: tuple[str, ...]) -> tuple[str, str]:
    """The header's "Similar answers" block, as HTML and as the text it adds (each line
    after a newline); empty when nothing is similar."""
    if not similar:
        return "", ""
    body = ("<h3>Similar answers</h3><p>For a person to look at (see similarity.html); "
            "similar is not a verdict.</p><ul>"
            + "".join(f"<li>{_e(line)}</li>" for line in similar) + "</ul>")
    lines = ["Similar answers (for a person to look at):", *(f"- {line}" for line in similar)]
    return body, "".join(f"\n{line}" for line in lines)


def header(report: CandidateReport, *, date: str) -> list[Output]:
    """Who, which workbook, when, and the total."""
    return header_with(report, date=date, similar=similar_block(report.similar))


def header_with(report: CandidateReport, *, date: str, similar: tuple[str, str]
                ) -> list[Output]:
    """The header with `similar` (HTML, text) in place of the report's own similar block:
    a copy drafted before the cohort's similar answers are known holds a mark there
    (`drafts.py`)."""
    weighted = report.weighted_percent
    pairs = [("Candidate", report.candidate), ("Workbook", report.workbook),
             ("Date", date), ("Status", str(report.status)),
             ("Assignment", assignment_label(report.assignment)),
             ("Total", f"{report.points:g} / {report.max_points:g} points "
                       f"({report.percent:.1f}%)"),
             ("Weighted scorecard", "no evidence" if weighted is None else f"{weighted:.1f}%")]
    unscored = [q.title for q in report.unscored]
    if unscored:
        pairs.append(("Not scored", ", ".join(unscored)))
    if report.recommendation is not None:
        pairs.append(("Interviewer's recommendation",
                      f"{report.recommendation.label}: {report.recommendation.reason}"))
    lines = [f"{k}: {v}" for k, v in pairs]
    body = f"<h1>Graded copy: {_e(report.candidate)}</h1>{_rows(pairs)}"
    if report.events:
        body += "<h3>Submission notes</h3><ul>" + "".join(
            f"<li>{_e(_event_line(e))}</li>" for e in report.events) + "</ul>"
        lines += ["Submission notes:", *(f"- {_event_line(e)}" for e in report.events)]
    body += similar[0]
    text = "\n".join(lines) + similar[1]
    if report.notes:
        body += "<p><em>" + "<br>".join(_e(n) for n in report.notes) + "</em></p>"
        text += "".join(f"\nNote: {n}" for n in report.notes)
    return [_display(body, text)]


def scorecard(report: CandidateReport, *, date: str) -> list[Output]:
    """The competency scorecard as a table and a bar chart."""
    del date
    head = "<tr><th>Competency</th><th>Weight</th><th>Points</th><th>Percent</th></tr>"
    rows, lines = [], ["Competency scorecard:"]
    for c in report.competencies:
        percent = "no evidence" if c.percent is None else f"{c.percent:.1f}%"
        rows.append(f"<tr><td>{_e(c.title)}</td><td>{c.weight}%</td>"
                    f"<td>{c.points:.2f} / {c.max_points:.2f}</td><td>{percent}</td></tr>")
        lines.append(f"- {c.title} (weight {c.weight}%): {c.points:.2f} / "
                     f"{c.max_points:.2f}, {percent}")
    body = f"<h2>Competency scorecard</h2><table>{head}{''.join(rows)}</table>"
    chart = horizontal_bars([f"{c.title} ({c.weight}%)" for c in report.competencies],
                            [c.percent for c in report.competencies],
                            title="Competency scorecard (percent of points)")
    return [_display(body, "\n".join(lines)),
            _png_output(chart, "bar chart of the competency percentages above")]


def questions(report: CandidateReport, *, date: str) -> list[Output]:
    """One output per question: answer, outputs, checks, events, interviewer's score."""
    del date
    return [_question(number, q) for number, q in enumerate(report.questions, start=1)]


def _question(number: int, q: QuestionReport) -> Output:
    title = f"Question {number}: {q.title}"
    summary = f"{q.kind} question {q.question_id}, points {points_text(q.points, q.max_points)}"
    body = [f"<h2>{_e(title)}</h2><p><em>{_e(summary)}</em></p>"]
    lines = [title, summary]
    if q.answer:
        label = "Answer as submitted" if q.kind == "coding" else "Candidate's notes"
        answer = cut(q.answer, MAX_ANSWER)
        body.append(f"<h3>{label}</h3>{_code_html(answer, python=q.kind == 'coding')}")
        lines += [f"{label}:", answer]
    for label, outputs in (("Outputs of the answer cell", q.answer_outputs),
                           ("Outputs of the public-check cell", q.public_check_outputs)):
        if outputs:
            body.append(f"<h3>{label}</h3>" + "".join(_output_html(o) for o in outputs))
            lines += [f"{label}:", *(o.text if o.kind == "text" else "[image]"
                                     for o in outputs)]
    checks = [*q.checks, *q.public_checks]
    if checks:
        body.append(_checks_html(checks))
        lines += ["Checks:", *(_check_line(c) for c in checks)]
    causes = shared_causes([(c.name, c.message) for c in q.checks if not c.passed])
    if causes:
        notes = [f"One mistake fails {len(names)} checks ({', '.join(names)}): the answer "
                 f"{cause}." for cause, names in causes]
        body.append("<ul>" + "".join(f"<li>{_e(note)}</li>" for note in notes) + "</ul>")
        lines += notes
    if q.events:
        body.append("<h3>Integrity notes and events</h3><ul>"
                    + "".join(f"<li>{_e(_event_line(e))}</li>" for e in q.events) + "</ul>")
        lines += ["Events:", *(f"- {_event_line(e)}" for e in q.events)]
    if q.interview is not None:
        html_part, text_part = _interview(q.interview, q)
        body.append(html_part)
        lines += text_part
    if q.timeline is not None:
        process = _timeline_lines(q.timeline)
        body.append("<h3>How the answer came about (recorded by the candidate's server)</h3>"
                    "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in process) + "</ul>")
        lines += ["How the answer came about (recorded by the candidate's server):",
                  *(f"- {line}" for line in process)]
    elif q.notebook_history is not None:
        reported = _notebook_lines(q.notebook_history)
        body.append("<h3>Reported by the candidate's notebook</h3><p><em>The notebook is "
                    "the only record of a take-home, and the candidate could edit it."
                    "</em></p><ul>" + "".join(f"<li>{_e(line)}</li>" for line in reported)
                    + "</ul>")
        lines += ["Reported by the candidate's notebook:", *(f"- {line}" for line in reported)]
    return _display("".join(body), "\n".join(lines))


def _clock(moment: datetime | None) -> str:
    return "never" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _timeline_lines(line: QuestionTimeline) -> list[str]:
    errors = ", ".join(f"{name} at {_clock(at)}" for at, name in line.errors)
    checks = (f"checks run {line.checks_runs} time{'s' if line.checks_runs != 1 else ''}, "
              f"first passed: {_clock(line.checks_first_passed)}" if line.checks_runs
              else "checks never run")
    return [f"first attempt: {_clock(line.first_attempt)}",
            f"{line.runs} run{'s' if line.runs != 1 else ''} of the answer, "
            f"{len(line.errors)} ending in an error" + (f" ({errors})" if errors else ""),
            f"{line.saves} save{'s' if line.saves != 1 else ''}", checks,
            f"last activity: {_clock(line.last_activity)}"]


def _notebook_lines(history: NotebookHistory) -> list[str]:
    lines = [("answer cell execution count: "
              f"[{history.execution_count}]" if history.execution_count is not None
              else "answer cell never run (no execution count)")]
    if history.started:
        lines.append(f"last run started: {history.started}")
    if history.finished:
        lines.append(f"last run finished: {history.finished}")
    return lines


def _check_line(check: CheckResult) -> str:
    verdict = PASS if check.passed else FAIL
    where = "hidden" if check.hidden else "public"
    points = f"{check.points}/{check.max_points} points" if check.hidden else "no points"
    message = (f": {cut(check.message, MAX_MESSAGE)}" if check.message and not check.passed
               else "")
    return f"- [{verdict}] {check.name} ({where}, {points}){message}"


def _checks_html(checks: list[CheckResult]) -> str:
    rows = []
    for c in checks:
        verdict = f'<span class="{"pass" if c.passed else "fail"}">' \
                  f'{PASS if c.passed else FAIL}</span>'
        points = f"{c.points} / {c.max_points}" if c.hidden else "public, no points"
        message = "" if c.passed else _e(cut(c.message, MAX_MESSAGE))
        rows.append(f"<tr><td>{_e(c.name)}</td><td>{verdict}</td><td>{points}</td>"
                    f"<td><pre>{message}</pre></td></tr>")
    return ("<h3>Checks</h3><table><tr><th>Check</th><th>Verdict</th><th>Points</th>"
            "<th>Failure message</th></tr>" + "".join(rows) + "</table>")


def _interview(interview: InterviewScore, q: QuestionReport) -> tuple[str, list[str]]:
    score = "no score given" if interview.score is None else f"{interview.score} / {MAX_SCORE}"
    lines = [f"Interviewer (session {interview.session}): rubric score {score}"]
    body = [f"<h3>Interviewer</h3><p>Session {_e(interview.session)}: rubric score "
            f"<strong>{_e(score)}</strong>"]
    if q.kind == "discussion" and interview.score is not None:
        body.append(f" ({_e(points_text(q.points, q.max_points))} points)")
    body.append("</p>")
    for label, items in (("Strong signals seen", interview.signals),
                         ("Red flags seen", interview.red_flags)):
        if items:
            body.append(f"<p>{label}:</p><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items)
                        + "</ul>")
            lines += [f"{label}:", *(f"- {i}" for i in items)]
    if interview.notes:
        body.append(f"<p>Notes:</p><pre>{_e(interview.notes)}</pre>")
        lines += ["Notes:", interview.notes]
    return "".join(body), lines


def _output_html(output: CellOutput) -> str:
    if output.kind == "png":
        # submitted.py kept only strict base64 text, so it cannot leave the attribute
        return f'<img alt="candidate output" src="data:image/png;base64,{output.text}">'
    return f'<pre class="out">{_e(output.text)}</pre>'


def _code_html(code: str, *, python: bool) -> str:
    if not python:
        return f"<pre>{_e(code)}</pre>"
    return _highlighted(code)


@lru_cache(maxsize=512)
def _highlighted(code: str) -> str:
    """Python code as HTML with inline colours; kept by text, since many candidates
    return a question's starter or the same short answer unchanged."""
    from pygments import highlight

    lexer, formatter = _pygments()
    return str(highlight(code, lexer, formatter))


@cache
def _pygments() -> tuple[Any, Any]:
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    # inline styles: the copy carries no stylesheet of pygments' classes
    return PythonLexer(), HtmlFormatter(noclasses=True)


#: part name -> renderer; a template cell names its part in metadata.workbook.part
PARTS: dict[str, Callable[..., list[Output]]] = {
    "header": header, "scorecard": scorecard, "questions": questions,
}
