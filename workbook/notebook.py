"""Build workbook notebooks from questions: pure functions from questions to nbformat nodes.

Every generated cell carries `metadata.workbook = {"question": id, "role": role}` and a
deterministic cell id, so a returned notebook can be matched back to its questions.
The candidate copy is built only from candidate-visible fields; nothing hidden is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbook import __version__
from workbook.model import COMPETENCIES, SECTIONS, Bank, Level, Question

if TYPE_CHECKING:
    from nbformat import NotebookNode

CANDIDATE = "candidate"
INTERVIEWER = "interviewer"
COPIES = (CANDIDATE, INTERVIEWER)

#: roles a cell can play; the grader and the panel look cells up by these
ROLE_INTRO = "intro"
ROLE_SECTION = "section"
ROLE_PROMPT = "prompt"
ROLE_ANSWER = "answer"
ROLE_PUBLIC_CHECK = "public-check"
ROLE_RUBRIC = "rubric"
ROLE_PANEL = "panel"
ROLE_SUMMARY = "summary"


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    level: Level
    copy: str = CANDIDATE
    seed: int = 0
    solutions: bool = False
    #: the id of the assignment this workbook is issued under (`workbook.issue`), if any
    assignment: str | None = None
    #: who it is issued to, when named
    candidate: str | None = None


def cell_id(*parts: str) -> str:
    """A stable nbformat cell id (1-64 chars of [a-zA-Z0-9-_])."""
    text = "-".join(parts)
    if len(text) <= 64:
        return text
    return text[:53] + "-" + hashlib.sha256(text.encode()).hexdigest()[:10]


def _meta(question: str | None, role: str, **extra: Any) -> dict[str, Any]:
    workbook: dict[str, Any] = {"role": role, **extra}
    if question is not None:
        workbook["question"] = question
    return {"workbook": workbook}


def _intro(options: BuildOptions, questions: Sequence[Question]) -> str:
    total_minutes = sum(q.minutes for q in questions)
    total_points = sum(q.points for q in questions)
    lines = [f"# Python interview: {options.level.value} level", ""]
    if options.copy == INTERVIEWER:
        lines += ["**Interviewer's copy: do not share.** It holds the rubric and the scoring "
                  "panels.", ""]
    lines += [
        f"{len(questions)} questions, about {total_minutes} minutes, {total_points} points.",
        "",
        "For each coding question, write your answer in the code cell under the prompt, "
        "then run the check cell below it. The checks shown here are a start; your answer is "
        "also graded on cases you cannot see, so think about edge cases. Use only the "
        "standard library. Discussion questions are answered in words: write notes in the "
        "text cell if this is a take-home.",
    ]
    return "\n".join(lines)


def _prompt(question: Question) -> str:
    kind = "coding" if question.is_coding else "discussion"
    return (f"## {question.title}\n\n*{kind} · {question.points} points · about "
            f"{question.minutes} minutes*\n\n{question.prompt}")


def _public_check_source(question: Question) -> str:
    return (f"# Public checks for '{question.title}': run this cell to test your answer.\n"
            f"{question.public_checks.rstrip()}\n"
            f"print(\"All public checks passed for '{question.title}'.\")\n")


def rubric_markdown(question: Question) -> str:
    """The rubric as Markdown, for the interviewer's copy and graded copies."""
    rubric = question.rubric
    weights = ", ".join(f"{COMPETENCIES[name][0]} {weight:g}"
                        for name, weight in question.competencies.items())
    parts = [f"### Rubric: {question.title}", "", f"*Competencies: {weights}*", "",
             "**Strong signals**", *[f"- {item}" for item in rubric.strong_signals], "",
             "**Red flags**", *[f"- {item}" for item in rubric.red_flags], "",
             "**Follow-up probes**", *[f"- {item}" for item in rubric.follow_ups], "",
             "**Scores**", *[f"- **{score}**: {text}" for score, text in
                             sorted(rubric.scores.items())]]
    return "\n".join(parts)


def _question_cells(question: Question, options: BuildOptions) -> list[NotebookNode]:
    from nbformat import v4

    qid = question.id
    cells = [v4.new_markdown_cell(_prompt(question), id=cell_id(qid, ROLE_PROMPT),
                                  metadata={**_meta(qid, ROLE_PROMPT), "editable": False,
                                            "deletable": False})]
    if question.is_coding:
        source = question.reference if options.solutions else question.starter
        cells.append(v4.new_code_cell(source.rstrip("\n"), id=cell_id(qid, ROLE_ANSWER),
                                      metadata={**_meta(qid, ROLE_ANSWER), "deletable": False}))
        cells.append(v4.new_code_cell(_public_check_source(question).rstrip("\n"),
                                      id=cell_id(qid, ROLE_PUBLIC_CHECK),
                                      metadata={**_meta(qid, ROLE_PUBLIC_CHECK),
                                                "editable": False, "deletable": False,
                                                # the interviewer's "Run all" must reach the
                                                # panels even while an answer fails its checks
                                                **({"tags": ["raises-exception"]}
                                                   if options.copy == INTERVIEWER else {})}))
    else:
        cells.append(v4.new_markdown_cell("*Your notes (optional):*",
                                          id=cell_id(qid, ROLE_ANSWER),
                                          metadata={**_meta(qid, ROLE_ANSWER),
                                                    "deletable": False}))
    if options.copy == INTERVIEWER:
        cells.append(v4.new_markdown_cell(rubric_markdown(question), id=cell_id(qid, ROLE_RUBRIC),
                                          metadata=_meta(qid, ROLE_RUBRIC)))
        cells.append(v4.new_code_cell(f"scoring_panel({qid!r})", id=cell_id(qid, ROLE_PANEL),
                                      metadata={**_meta(qid, ROLE_PANEL), "editable": False,
                                                "jupyter": {"source_hidden": True}}))
    return cells


def build_notebook(bank: Bank, questions: Sequence[Question],
                   options: BuildOptions) -> NotebookNode:
    """The workbook for `questions`, as an nbformat 4.5 notebook node."""
    from nbformat import v4

    nb: NotebookNode = v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["workbook"] = {
        "format": 1,
        "generator": f"interview-workbook {__version__}",
        "bank": bank.name,
        "bank_version": bank.version,
        "seed": options.seed,
        "level": options.level.value,
        "copy": options.copy,
        "solutions": options.solutions,
        "questions": [q.id for q in questions],
    }
    # only the id: what was assigned is recorded, and signed, on the grading side
    if options.assignment is not None:
        nb.metadata["workbook"]["assignment"] = options.assignment
    if options.candidate is not None:
        nb.metadata["workbook"]["candidate"] = options.candidate
    cells = [v4.new_markdown_cell(_intro(options, questions), id=cell_id(ROLE_INTRO),
                                  metadata={**_meta(None, ROLE_INTRO), "editable": False})]
    if options.copy == INTERVIEWER:
        cells.append(v4.new_code_cell("from workbook.panel import scoring_panel, summary_panel",
                                      id=cell_id("setup"),
                                      metadata={**_meta(None, "setup"), "editable": False}))
    current_section = None
    for question in questions:
        if question.section != current_section:
            current_section = question.section
            cells.append(v4.new_markdown_cell(f"# {SECTIONS[current_section]}",
                                              id=cell_id(ROLE_SECTION, current_section),
                                              metadata={**_meta(None, ROLE_SECTION),
                                                        "editable": False}))
        cells.extend(_question_cells(question, options))
    if options.copy == INTERVIEWER:
        cells.append(v4.new_code_cell("summary_panel()", id=cell_id(ROLE_SUMMARY),
                                      metadata={**_meta(None, ROLE_SUMMARY), "editable": False}))
    nb.cells = cells
    return nb
