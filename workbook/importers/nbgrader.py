"""An nbgrader source notebook -> question files, and a report of what could not be converted.

nbgrader marks cells in `metadata.nbgrader`: solution cells (`solution: true`, the code
between `### BEGIN SOLUTION` and `### END SOLUTION` is the answer), autograder test cells
(`grade: true`, worth `points`, with hidden tests between `### BEGIN HIDDEN TESTS` and
`### END HIDDEN TESTS`), manually graded answers (both) and tasks. A question is the
markdown and solution cells up to the test cells that follow them:

- reference: the solution cells with the markers removed; starter: the same cells with
  each solution region replaced by `raise NotImplementedError(...)`, as nbgrader releases;
- public checks: the test cells' visible lines, as the student saw them;
- one hidden check per test cell, worth its points: the whole cell (visible and hidden
  tests, since hidden tests build on the visible ones), with each `assert` turned into an
  observation judged in the grader (the engine's rule): `assert a == b` observes `a`,
  any other `assert x` observes `x`. A cell passes when every observation equals the
  reference's, as it passes in nbgrader when every assert holds. One difference, on
  purpose: observations compare by exact type, so `6.0` where the reference gives `6`
  fails here and passes in nbgrader.

Fields nbgrader has no notion of (level, section, competencies, rubric, minutes) get
defaults the report tells the author to review; there are no decoys, so `bank check`
proves such a question with its reference and starter only, and says so.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.errors import NotebookError

BEGIN_SOLUTION = re.compile(r"^\s*#+\s*BEGIN SOLUTION\s*$")
END_SOLUTION = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
BEGIN_HIDDEN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
END_HIDDEN = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")
OBSERVED = "_nbgrader_observed"
DEFAULTS = {"section": "coding-challenges", "level": "junior", "minutes": "10 per question",
            "competencies": "problem_solving 2, code_quality 1", "rubric": "generic"}


@dataclass
class _Test:
    name: str
    points: int
    code: str
    cell: int


@dataclass
class _Draft:
    prompt: list[str] = field(default_factory=list)
    solutions: list[tuple[int, str, str]] = field(default_factory=list)  # cell, grade_id, code
    setup: list[str] = field(default_factory=list)
    tests: list[_Test] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ImportReport:
    written: tuple[Path, ...]
    #: what could not be converted, and why: one line each, naming the cell
    problems: tuple[str, ...]
    #: what the author should review in every written file
    review: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "question"


def _lines(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def split_solution(code: str) -> tuple[str, str]:
    """(reference, starter) of a solution cell: markers removed, or regions stubbed out."""
    reference, starter = [], []
    inside = False
    marked = False
    for line in code.splitlines():
        if BEGIN_SOLUTION.match(line):
            inside, marked = True, True
            indent = line[:len(line) - len(line.lstrip())]
            starter += [f"{indent}# YOUR CODE HERE",
                        f'{indent}raise NotImplementedError("write your answer here")']
        elif END_SOLUTION.match(line):
            inside = False
        else:
            reference.append(line)
            if not inside:
                starter.append(line)
    if not marked:  # a whole cell is the solution: nbgrader releases it as a stub alone
        starter = ["# YOUR CODE HERE", 'raise NotImplementedError("write your answer here")']
    return "\n".join(reference).strip("\n") + "\n", "\n".join(starter).strip("\n") + "\n"


def split_tests(code: str) -> tuple[str, str]:
    """(visible, whole) of a test cell: the lines a student sees, and every test."""
    visible, whole = [], []
    hidden = False
    for line in code.splitlines():
        if BEGIN_HIDDEN.match(line):
            hidden = True
        elif END_HIDDEN.match(line):
            hidden = False
        else:
            whole.append(line)
            if not hidden:
                visible.append(line)
    return "\n".join(visible).strip("\n"), "\n".join(whole).strip("\n")


class _Observe(ast.NodeTransformer):
    """Every `assert` becomes `_nbgrader_observed.append(<what it compares>)`."""

    def __init__(self, *, observe: bool = True) -> None:
        self.count = 0
        self.observe = observe

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        self.count += 1
        test = node.test
        observed = (test.left if isinstance(test, ast.Compare) and len(test.ops) == 1
                    and isinstance(test.ops[0], ast.Eq) else test)
        if not self.observe:  # an earlier cell replayed: evaluated for its effects only
            return ast.copy_location(ast.Expr(observed), node)
        call = ast.Expr(ast.Call(ast.Attribute(ast.Name(OBSERVED, ast.Load()), "append",
                                               ast.Load()), [observed], []))
        return ast.copy_location(call, node)


def _rewritten(code: str, *, observe: bool) -> tuple[str, int]:
    rewriter = _Observe(observe=observe)
    tree = ast.fix_missing_locations(rewriter.visit(ast.parse(code)))
    return ast.unparse(tree), rewriter.count


def observing(code: str, earlier: tuple[str, ...] = ()) -> tuple[str, int]:
    """`code` with its asserts turned into observations, and how many there were. The
    `earlier` test cells of the question run first, their asserts evaluated but not
    observed: each check runs in its own copy of the answer's namespace, and a later test
    cell may use names an earlier one defined, as nbgrader's single kernel allows.
    Raises SyntaxError when a cell is not Python."""
    replayed = [_rewritten(cell, observe=False)[0] for cell in earlier]
    body, count = _rewritten(code, observe=True)
    return "\n".join([f"{OBSERVED} = []", *replayed, body, OBSERVED]) + "\n", count


def _drafts(cells: list[Any], problems: list[str]) -> list[_Draft]:
    drafts: list[_Draft] = []
    current = _Draft()
    for number, cell in enumerate(cells, start=1):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        source = _lines(cell.get("source", ""))
        grade_id = str(meta.get("grade_id") or f"cell-{number}")
        where = f"cell {number} ({grade_id})"
        if cell.get("cell_type") == "markdown":
            if meta.get("solution") or meta.get("task"):
                problems.append(f"{where}: a written answer or task graded by a person is not "
                                f"converted; write it as a discussion question")
            elif current.tests:
                drafts.append(current)
                current = _Draft(prompt=[source])
            else:
                current.prompt.append(source)
        elif cell.get("cell_type") != "code":
            continue
        elif meta.get("solution") and meta.get("grade"):
            problems.append(f"{where}: code graded by a person ({meta.get('points', 0)} "
                            f"points) is not converted; grade it in an interview instead")
        elif meta.get("solution"):
            if current.tests:
                drafts.append(current)
                current = _Draft()
            current.solutions.append((number, grade_id, source))
        elif meta.get("grade"):
            points = meta.get("points", 0)
            if isinstance(points, bool) or not isinstance(points, int | float) \
                    or points != int(points) or points < 1:
                problems.append(f"{where}: {points!r} points is not a whole number of at "
                                f"least 1; this test cell is not converted")
                continue
            if not current.solutions:
                problems.append(f"{where}: a test cell with no solution cell before it is not "
                                f"converted")
                continue
            current.tests.append(_Test(name=_slug(grade_id), points=int(points), code=source,
                                       cell=number))
        elif source.strip():
            # ordinary code (imports, helpers) belongs with the answer it comes with
            current.setup.append(source)
            problems.append(f"{where}: an ordinary code cell, kept at the top of the "
                            f"question's starter and reference")
    if current.solutions or current.tests:
        drafts.append(current)
    return drafts


def _title(prompt: str, fallback: str) -> str:
    """The last heading before the question: a notebook's own title comes first."""
    headings = []
    fenced = False
    for line in prompt.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.lstrip().startswith("#"):
            headings.append(line.lstrip("# ").strip())
    return next((h for h in reversed(headings) if h), fallback)


def _prompt_text(prompt: str) -> str:
    """The prompt with its headings in bold: the question format keeps '#' headings for its
    own sections. Lines inside code fences are left as they are."""
    kept = []
    fenced = False
    for line in prompt.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.lstrip().startswith("#"):
            line = f"**{line.lstrip('# ').strip()}**" if line.strip("# ") else ""
        kept.append(line)
    return "\n".join(kept).strip() or "Write the code the tests below expect."


def _block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def _question_file(draft: _Draft, question_id: str, problems: list[str]) -> str | None:
    where = f"question {question_id} (cell {draft.solutions[0][0]})"
    if not draft.tests:
        problems.append(f"{where}: no autograder test cell follows it; not converted")
        return None
    parts = [_lines(code) for _n, _g, code in draft.solutions]
    pairs = [split_solution(code) for code in parts]
    setup = "\n\n".join(s.strip() for s in draft.setup if s.strip())
    reference = "\n\n".join(([setup] if setup else []) + [r.strip() for r, _s in pairs])
    starter = "\n\n".join(([setup] if setup else []) + [s.strip() for _r, s in pairs])
    visible: list[str] = []
    checks: list[str] = []
    earlier: list[str] = []
    for test in draft.tests:
        shown, whole = split_tests(test.code)
        if shown.strip():
            visible.append(shown)
        try:
            code, asserts = observing(whole, tuple(earlier))
            earlier.append(whole)
        except SyntaxError as error:
            problems.append(f"{where}: test cell {test.cell} ({test.name}) is not Python "
                            f"(line {error.lineno}: {error.msg}); the question is not "
                            f"converted")
            return None
        if not asserts:
            problems.append(f"{where}: test cell {test.cell} ({test.name}) has no assert; "
                            f"kept, and it passes whenever it runs without an error")
        checks.append(f"### {test.name} ({test.points} point{'s' if test.points > 1 else ''})"
                      f"\nnbgrader test cell {test.name}: its visible and hidden tests, worth "
                      f"{test.points} point{'s' if test.points > 1 else ''}.\n\n{_block(code)}\n")
    prompt = "\n\n".join(draft.prompt)
    points = sum(t.points for t in draft.tests)
    title = json.dumps(_title(prompt, question_id), ensure_ascii=False)  # a TOML string
    sources = [*parts, *draft.setup, *(test.code for test in draft.tests)]
    if any(line.lstrip().startswith("```") for code in sources for line in code.splitlines()):
        problems.append(f"{where}: its code holds a line starting with ``` , which would end "
                        f"a code block in the question file; not converted")
        return None
    public = "\n\n".join(visible) or "# every test of this question is hidden"
    return f'''+++
id = "{question_id}"
title = {title}
section = "coding-challenges"   # imported from nbgrader: review
level = "junior"                # imported from nbgrader: review
kind = "coding"
points = {points}
minutes = 10                    # imported from nbgrader: review
imported = "nbgrader"

[competencies]                  # imported from nbgrader: review
problem_solving = 2
code_quality = 1
+++

## Prompt

{_prompt_text(prompt)}

## Starter

{_block(starter)}

## Reference

{_block(reference)}

## Public checks

{_block(public)}

## Hidden checks

{chr(10).join(checks)}

## Rubric

### Strong signals
- Every test passes, with code a colleague could read without the tests.

### Red flags
- Code shaped around the visible tests rather than the task.

### Follow-up probes
- Which input would break this answer, and how would you test for it?

### Scores
- 0: Nothing that runs.
- 1: Runs, passes few tests.
- 2: Passes about half the tests.
- 3: Passes most tests; readable.
- 4: Passes every test; clear and idiomatic.
'''


def import_notebook(source: Path, bankdir: Path) -> ImportReport:
    """Write one question file per question of the nbgrader notebook `source` to `bankdir`."""
    import nbformat

    try:
        notebook = nbformat.read(source, as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{source}: no such file") from None
    except Exception as error:
        raise NotebookError(f"{source}: not a notebook nbformat can read "
                            f"({type(error).__name__}); pass an nbgrader source .ipynb") from None
    problems: list[str] = []
    drafts = _drafts(list(notebook.cells), problems)
    if not any(d.solutions for d in drafts):
        raise NotebookError(f"{source}: no nbgrader solution cell (metadata.nbgrader.solution)"
                            f"; is this the source version of the assignment?")
    bankdir.mkdir(parents=True, exist_ok=True)
    written = []
    stem = _slug(source.stem)
    for draft in drafts:
        if not draft.solutions:
            continue
        question_id = f"{stem}-{_slug(draft.solutions[0][1])}"
        text = _question_file(draft, question_id, problems)
        if text is None:
            continue
        path = bankdir / f"{question_id}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    defaults = ", ".join(f"{k} ({v})" for k, v in DEFAULTS.items())
    review = (f"defaults to review in each file: {defaults}",
              "no decoys: 'workbook bank check' proves these with reference and starter only; "
              "add '## Decoys' (known-wrong answers) to prove the checks catch mistakes")
    return ImportReport(written=tuple(written), problems=tuple(problems), review=review)
