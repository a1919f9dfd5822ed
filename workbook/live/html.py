"""HTML fragments the panels show: pure functions from plain values to escaped markup.

Every piece of markup a panel shows is built here; the widgets only put it in place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import PurePath

from grading.judge import counterexample
from grading.results import CheckResult, TaskResult
from workbook.live.answers import SavedAnswer
from workbook.live.history import AnswerVersion, LastRun
from workbook.live.scorecard import MAX_SCORE, Scorecard
from workbook.live.state import LiveVerdict, QuestionState, Recommendation
from workbook.model import COMPETENCIES, Question

PASS_COLOUR = "#1a7f37"
FAIL_COLOUR = "#cf222e"
MUTED_COLOUR = "#57606a"

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_EMPH = re.compile(r"(?<![\w*])\*([^*]+)\*(?![\w*])")


def inline(text: str) -> str:
    """Rubric text (inline Markdown: `code`, **bold**, *emphasis*) as safe HTML."""
    html = escape(text)
    html = _CODE.sub(r"<code>\1</code>", html)
    html = _BOLD.sub(r"<b>\1</b>", html)
    return _EMPH.sub(r"<i>\1</i>", html)


def clock(seconds: float) -> str:
    """Seconds as m:ss (or h:mm:ss past an hour)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def heading(text: str, colour: str = "#24292f") -> str:
    return (f"<div style='font-weight:600;color:{colour};margin:8px 0 2px 0;"
            f"font-size:13px;text-transform:uppercase;letter-spacing:.03em'>{escape(text)}</div>")


def panel_title(question: Question, candidate: str) -> str:
    kind = "coding" if question.is_coding else "discussion"
    competencies = ", ".join(f"{COMPETENCIES[name][0]} ×{weight:g}"
                             for name, weight in question.competencies.items())
    return (f"<div style='font-size:16px;font-weight:600'>Scoring: {escape(question.title)}"
            f"<span style='font-weight:400;color:{MUTED_COLOUR}'> · candidate "
            f"{escape(candidate)}</span></div><div style='color:{MUTED_COLOUR}'>{kind} · "
            f"{question.minutes} min budget · {question.points} points · assesses "
            f"{escape(competencies)}</div>")


def save_hint(session: str, candidate: str, bound: bool) -> str:
    """The footer before the first change: where clicks go."""
    where = (f"session {escape(session)}, candidate {escape(candidate)}" if bound else
             f"session {escape(session)} (this notebook is not bound to a `workbook interview` "
             "session, so scores go to gradebook.sqlite beside it)")
    return (f"<div style='color:{MUTED_COLOUR};font-size:12px;margin-top:6px'>Every change is "
            f"saved to the gradebook at once: {where}.</div>")


def follow_ups(items: Sequence[str]) -> str:
    if not items:
        return f"<div style='color:{MUTED_COLOUR}'>No follow-up probes for this question.</div>"
    rows = "".join(f"<li style='margin:2px 0'>{inline(item)}</li>" for item in items)
    return f"<ol style='margin:2px 0 2px 0;padding-left:22px'>{rows}</ol>"


def score_scale(scores: dict[int, str], selected: int | None) -> str:
    """The selected score named in full (ticked, bold, filled), every score's meaning a
    click away; before any choice, the whole scale, to read before choosing."""
    rows = []
    for score, meaning in sorted(scores.items()):
        chosen = score == selected
        style = ("background:#ddf4ff;border-left:3px solid #0969da;font-weight:600"
                 if chosen else f"color:{MUTED_COLOUR};border-left:3px solid transparent")
        rows.append(f"<div class='workbook-score-meaning' data-score='{score}' "
                    f"style='padding:1px 6px;{style}'><b>{score}</b> · {inline(meaning)}</div>")
    if selected is None:
        return ("<div class='workbook-selected-score' style='color:#9a6700;font-weight:600'>"
                "Not scored yet: pick 0 to 4 when you have seen enough.</div>" + "".join(rows))
    meaning = scores.get(selected, "")
    return (f"<div class='workbook-selected-score' data-score='{selected}' style='background:"
            f"#0969da;color:#fff;font-weight:700;padding:3px 8px;border-radius:3px'>✓ Score "
            f"{selected} selected · {inline(meaning)}</div><details style='font-size:12px'>"
            f"<summary style='color:{MUTED_COLOUR};cursor:pointer'>all scores</summary>"
            f"{''.join(rows)}</details>")


def timer_text(seconds: float, budget_minutes: int, running: bool) -> str:
    budget = budget_minutes * 60
    over = seconds > budget
    colour = FAIL_COLOUR if over else ("#9a6700" if seconds > 0.8 * budget else "#24292f")
    state = "running" if running else ("paused" if seconds else "not started")
    note = f" · {clock(seconds - budget)} over budget" if over else ""
    return (f"<span class='workbook-timer' style='font-family:monospace;font-size:15px;"
            f"color:{colour}'>{clock(seconds)}</span> <span style='color:{MUTED_COLOUR}'>of "
            f"{clock(budget)} · {state}{escape(note)}</span>")


def verdict_html(verdict: LiveVerdict | None) -> str:
    if verdict is None:
        return (f"<div style='color:{MUTED_COLOUR}'>Not run yet. Runs the public and hidden "
                "checks on the candidate's current answer, in a separate confined kernel."
                "</div>")
    result = verdict.result
    all_passed = result.points == result.max_points and all(
        c.passed for c in result.public_checks)
    colour = PASS_COLOUR if all_passed else FAIL_COLOUR
    summary = (f"<div class='workbook-verdict' style='font-weight:600;color:{colour}'>"
               f"{'All checks pass' if all_passed else 'Some checks fail'}: "
               f"{result.points}/{result.max_points} hidden points</div>")
    checks = (*result.public_checks, *result.checks)
    # passing checks share one line, so the failures (what to talk about) stay in view
    passed = [check for check in checks if check.passed]
    lines = [_passed_line(passed)] if passed else []
    lines += [_check_line(check) for check in checks if not check.passed]
    lines += [f"<li style='color:{FAIL_COLOUR}'>⚠ {escape(str(e.kind))}: {escape(e.detail)}"
              "</li>" for e in result.events]
    lines += [f"<li class='workbook-probe'>Follow-up probe: {_probe(call)}</li>"
              for call in counterexample_probes(result)]
    source = (f"<div class='workbook-verdict-source' style='color:{MUTED_COLOUR};"
              f"font-size:12px' title='{escape(verdict.answer_source)}'>checked at "
              f"{_time_of(verdict.ran_at)} this code, as saved at "
              f"{_time_of(verdict.answer_saved_at)} in "
              f"{escape(PurePath(verdict.answer_source).name)}:</div>"
              f"{code_excerpt(result.answer, VERDICT_CODE_LINES, 'workbook-verdict-code')}")
    return (summary + source + f"<ul style='list-style:none;padding-left:4px;margin:2px 0'>"
            f"{''.join(lines)}</ul>")


def counterexample_probes(result: TaskResult) -> list[str]:
    """The smallest generated input each failed property names: a ready question for the
    candidate ("what does this call return?")."""
    calls = (counterexample(check.message) for check in result.checks if not check.passed)
    return list(dict.fromkeys(call for call in calls if call))


def _probe(case: str) -> str:
    """A question to ask about one failing input: a call, or inputs named by a property."""
    if re.match(r"^[A-Za-z_]\w* = ", case):
        return f"ask what their code does when <code>{escape(case)}</code>, and why."
    return f"ask what <code>{escape(case)}</code> returns, and why."


#: how many first lines of the graded code a verdict shows
VERDICT_CODE_LINES = 3


def code_excerpt(code: str, lines: int, css_class: str) -> str:
    """The first `lines` non-blank lines of `code`, and how many more there are."""
    kept = [line for line in code.splitlines() if line.strip()]
    shown = "\n".join(kept[:lines]) or "(empty)"
    more = (f"<div style='color:{MUTED_COLOUR};font-size:11px'>… {len(kept) - lines} more "
            f"line{'s' if len(kept) - lines != 1 else ''}</div>" if len(kept) > lines else "")
    return f"<pre class='{css_class}'>{escape(shown)}</pre>{more}"


def _time_of(iso: str) -> str:
    """The local wall-clock time of an ISO timestamp (the date is the interview's own)."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return escape(iso)


def _passed_line(passed: Sequence[CheckResult]) -> str:
    names = ", ".join(f"<code>{escape(check.name)}</code>" for check in passed)
    return (f"<li class='workbook-checks-passed'><span style='color:{PASS_COLOUR};"
            f"font-weight:600'>✓ {len(passed)} pass:</span> {names}</li>")


def _check_line(check: CheckResult) -> str:
    mark, colour = ("✓", PASS_COLOUR) if check.passed else ("✗", FAIL_COLOUR)
    kind = "hidden" if check.hidden else "public"
    points = f" · {check.points}/{check.max_points} pt" if check.hidden else ""
    message = (f"<div style='color:{MUTED_COLOUR};margin-left:18px;white-space:pre-wrap'>"
               f"{escape(check.message)}</div>" if check.message and not check.passed else "")
    return (f"<li class='workbook-check' data-passed='{str(check.passed).lower()}'>"
            f"<span style='color:{colour};font-weight:600'>{mark}</span> "
            f"<code>{escape(check.name)}</code> <span style='color:{MUTED_COLOUR}'>({kind}"
            f"{points})</span>{message}</li>")


def scorecard_html(card: Scorecard) -> str:
    rows = []
    for line in card.lines:
        if line.score is None:
            score_cell, bar = f"<span style='color:{MUTED_COLOUR}'>not assessed</span>", ""
        else:
            score_cell = f"{line.score:.1f} / {MAX_SCORE}"
            width = int(100 * line.score / MAX_SCORE)
            bar = (f"<div style='background:#eaeef2;width:120px;height:8px'><div style='"
                   f"background:#0969da;width:{width}%;height:8px'></div></div>")
        rows.append(f"<tr><td style='padding:2px 10px 2px 0'>{escape(line.title)}</td>"
                    f"<td style='text-align:right;padding-right:10px'>{line.weight}%</td>"
                    f"<td style='padding-right:10px'>{score_cell}</td><td>{bar}</td>"
                    f"<td style='color:{MUTED_COLOUR};padding-left:10px'>{line.evidence} "
                    f"question{'s' if line.evidence != 1 else ''}</td></tr>")
    if card.overall is None:
        overall = "Overall: nothing scored yet."
    else:
        overall = (f"Overall: <b class='workbook-overall'>{card.overall:.2f} / {MAX_SCORE}</b>"
                   f" ({card.overall_percent:.0f}%) over the competencies assessed so far")
    return (f"<div style='font-size:16px;font-weight:600'>Competency scorecard</div>"
            f"<div style='color:{MUTED_COLOUR}'>{card.scored} of {card.total} questions "
            f"scored · updates as you score</div>"
            f"<table style='margin-top:6px;border-collapse:collapse'><tr style='color:"
            f"{MUTED_COLOUR};text-align:left'><th style='padding-right:10px'>Competency</th>"
            f"<th style='padding-right:10px'>Weight</th><th>Score</th><th></th><th></th></tr>"
            f"{''.join(rows)}</table>"
            f"<div style='margin-top:6px;font-size:14px'>{overall}</div>")


def questions_html(questions: Sequence[Question], states: dict[str, QuestionState],
                   now: float) -> str:
    """One line per question: what has been scored, seen, checked and timed so far."""
    rows = []
    for question in questions:
        state = states.get(question.id, QuestionState())
        score = (f"<b>{state.score}</b> / {MAX_SCORE}" if state.score is not None else
                 "<span style='color:#9a6700'>not scored</span>")
        flags = len(state.red_flags)
        flag_cell = (f"<span style='color:{FAIL_COLOUR}'>{flags} red flag"
                     f"{'s' if flags != 1 else ''}</span>" if flags else "no red flags")
        if not question.is_coding:
            checks = f"<span style='color:{MUTED_COLOUR}'>discussion</span>"
        elif state.verdict is None:
            checks = f"<span style='color:{MUTED_COLOUR}'>not run</span>"
        else:
            result = state.verdict.result
            colour = PASS_COLOUR if result.points == result.max_points else FAIL_COLOUR
            checks = (f"<span style='color:{colour}'>checks {result.points}/"
                      f"{result.max_points}</span>")
        used = state.timer.seconds(now)
        time_colour = FAIL_COLOUR if used > question.minutes * 60 else MUTED_COLOUR
        rows.append(
            f"<tr><td style='padding:2px 12px 2px 0'>{escape(question.title)}</td>"
            f"<td style='padding-right:12px'>{score}</td>"
            f"<td style='padding-right:12px'>{len(state.signals)}/"
            f"{len(question.rubric.strong_signals)} signals</td>"
            f"<td style='padding-right:12px'>{flag_cell}</td>"
            f"<td style='padding-right:12px'>{checks}</td>"
            f"<td style='color:{time_colour}'>{clock(used)} of {clock(question.minutes * 60)}"
            f"</td></tr>")
    return (f"<div style='font-size:14px;font-weight:600;margin-top:10px'>Questions</div>"
            f"<table style='border-collapse:collapse'>{''.join(rows)}</table>")


def saved_line(session: str, candidate: str, when: datetime) -> str:
    return (f"<div style='color:{MUTED_COLOUR};font-size:12px;margin-top:4px'>Saved "
            f"{when:%H:%M:%S} · session {escape(session)} · candidate {escape(candidate)}</div>")


def not_saved(field: str, problem: str) -> str:
    return (f"<div style='color:{FAIL_COLOUR};font-weight:600'>NOT SAVED ({escape(field)}): "
            f"{escape(problem)}</div>")


def check_status(message: str, *, failed: bool) -> str:
    colour = FAIL_COLOUR if failed else MUTED_COLOUR
    return f"<span class='workbook-check-status' style='color:{colour}'>{escape(message)}</span>"


def discussion_note() -> str:
    return (f"<div style='color:{MUTED_COLOUR};margin-top:4px'>Discussion question: no "
            "automated checks.</div>")


def problem_box(message: str) -> str:
    return (f"<div style='color:{FAIL_COLOUR};font-weight:600;border:1px solid {FAIL_COLOUR};"
            f"padding:6px 10px'>Scoring panel unavailable: {escape(message)}</div>")


def answer_pane(*, answer: SavedAnswer | None, problem: str, last: LastRun | None,
                version: AnswerVersion | None, index: int, count: int) -> str:
    """The candidate's answer, read-only: live (as last saved, with its last run) or one
    earlier version from the record."""
    if version is not None:
        head = (f"<b>Version {index + 1} of {count}</b> · {escape(version.seen_as)} at "
                f"{version.at.astimezone():%H:%M:%S}")
        code = version.code
    elif answer is not None:
        run = (f"last run {last.at.astimezone():%H:%M:%S} ({escape(last.outcome)})"
               if last is not None else "not run yet")
        count_note = (f" · [{answer.execution_count}]" if answer.execution_count is not None
                      else "")
        head = (f"<b style='color:{PASS_COLOUR}'>● Live</b> · saved "
                f"{answer.saved_at:%H:%M:%S} · {run}{count_note}")
        code = answer.code
    else:
        return (f"<div class='workbook-answer'><div style='color:{FAIL_COLOUR}'>"
                f"{escape(problem or 'no answer yet')}</div></div>")
    return (f"<div class='workbook-answer'><div style='font-size:12px;color:{MUTED_COLOUR};"
            f"margin-bottom:2px'>{head}</div><pre>{escape(code) or '(empty)'}</pre></div>")


def interview_clock(seconds: float, budget_seconds: float, running: bool) -> str:
    over = seconds > budget_seconds
    colour = FAIL_COLOUR if over else "#24292f"
    state = "running" if running else ("paused" if seconds else "not started")
    return (f"<span class='workbook-interview-clock' style='font-size:13px;color:"
            f"{MUTED_COLOUR}'>Interview <span style='font-family:monospace;font-size:14px;"
            f"color:{colour};font-weight:600'>{clock(seconds)}</span> of "
            f"{clock(budget_seconds)} · {state}</span>")


def liveness(beat: int) -> str:
    """The heartbeat cover of a panel (see `styles`): rewritten each second while the kernel
    lives; "Reconnect" restarts the kernel and runs the notebook's panels again."""
    command = ("(function(b){var a=window.jupyterapp;if(!a){b.textContent='Use Kernel ▸ "
               "Restart Kernel and Run All Cells';return;}a.commands.execute("
               "'notebook:restart-run-all');})(this)")
    return (f"<div class='workbook-dead' data-beat='{beat}'><b>This panel's kernel has "
            "stopped: nothing clicked here is saved.</b><span>Your scores are safe in the "
            "gradebook; reconnecting restarts the kernel and restores every panel.</span>"
            f"<button class='workbook-reconnect jupyter-button mod-primary' "
            f"onclick=\"{command}\">Reconnect</button></div>")


def recommendation_status(recommendation: Recommendation | None) -> str:
    if recommendation is None:
        return ("<div class='workbook-recommendation' style='color:#9a6700'>No overall "
                "recommendation recorded yet.</div>")
    when = f" at {_time_of(recommendation.at)}" if recommendation.at else ""
    return (f"<div class='workbook-recommendation'>Recorded{when}: <b>"
            f"{escape(recommendation.label)}</b> · {escape(recommendation.reason)}</div>")


def recommendation_refused(problem: str) -> str:
    return (f"<div class='workbook-recommendation-refused' style='color:{FAIL_COLOUR};"
            f"font-weight:600'>Not recorded: {escape(problem)}</div>")
