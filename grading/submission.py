"""Read a returned notebook file and find each task's answer in it, noting any tampering.

Reading (`read_notebook`) turns a file into plain cells, or into a `Refusal` naming the
file and why nothing in it can be graded: unreadable, empty, invalid JSON, JSON that is not
a notebook, a notebook format that cannot be converted, or a notebook with neither the
`metadata.workbook` block that every generated workbook carries nor a cell tagged with a
question. A notebook whose own `metadata.workbook` was stripped (by a tool that cleans
notebook metadata) while its cells kept their tags is read, with a note.

Matching (`match_answers`) finds the answer cell of each task, in this order:

1. cells tagged `metadata.workbook = {"question": <task id>, "role": "answer"}`; when there
   are several (a duplicated cell), the last one, as a notebook run top to bottom keeps it;
2. the cell whose id is the task's answer cell id (its metadata was edited away);
3. the last cell that defines every name the task's starter defines (cell re-identified);
4. none: the task's starter is graded instead, so the question scores what the starter does.

Everything unusual becomes an integrity note (an `Event` of kind INTEGRITY), never a
refusal: reordered answers, edited public-check cells (the tasks' own public checks are
used), and extra code cells, which the grader does not run. Only matched answer cells run.

This module knows cells, tasks and the `metadata.workbook` tags, not interviews: the caller
decides which tasks a notebook is graded against and passes them in.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grading.results import Event, EventKind, SubmissionResult, SubmissionStatus
from grading.tasks import Answer, Task
from grading.text import shown_name

#: the notebook and cell metadata key under which generated workbooks tag themselves
METADATA_KEY = "workbook"
ROLE_ANSWER = "answer"
ROLE_PUBLIC_CHECK = "public-check"
#: the nbformat major version cells are read as; others are converted
NBFORMAT = 4
#: how many cell ids an integrity note lists before it says "and N more"
_IDS_SHOWN = 5


@dataclass(frozen=True, kw_only=True)
class Cell:
    """One notebook cell, reduced to what matching needs."""

    index: int
    id: str | None
    cell_type: str
    source: str
    #: from the cell's metadata.workbook, when tagged
    question: str | None = None
    role: str | None = None

    @property
    def label(self) -> str:
        return f"cell {self.id}" if self.id else f"cell #{self.index + 1}"


@dataclass(frozen=True, kw_only=True)
class NotebookFile:
    """A notebook file that can be graded: its identity, its `metadata.workbook`, its cells."""

    source: str
    content_hash: str
    candidate: str
    metadata: Mapping[str, Any]
    cells: tuple[Cell, ...]
    #: notes made while reading (a converted nbformat version)
    notes: tuple[Event, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """A file nothing can be graded from, and the one-line reason, which names the file."""

    source: str
    content_hash: str
    candidate: str
    reason: str

    def as_result(self) -> SubmissionResult:
        return SubmissionResult(candidate=self.candidate, source=self.source,
                                content_hash=self.content_hash,
                                status=SubmissionStatus.REFUSED,
                                events=(Event(kind=EventKind.INTEGRITY, detail=self.reason),))


@dataclass(frozen=True, kw_only=True)
class MatchedAnswers:
    """One answer per task, in task order, and the integrity notes of the match."""

    answers: tuple[Answer, ...]
    notes: tuple[Event, ...]


def submission_hash(candidate: str, content: bytes) -> str:
    """The identity of a submission: who it is from and the exact bytes of the file.

    The candidate is part of it so that two candidates returning byte-identical notebooks
    (both untouched, say) are still two submissions.
    """
    # surrogatepass: a candidate id from a file name that is not UTF-8, or a JSON escape of a
    # lone surrogate, is still an id
    digest = hashlib.sha256(candidate.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(content)
    return digest.hexdigest()


def read_notebook(path: Path, *, known: Callable[[str], bool] | None = None
                  ) -> NotebookFile | Refusal:
    """Read one returned notebook, or say in one line why it cannot be graded.

    `known` (whether a content hash is recorded already) lets a rerun skip converting an
    old nbformat: a file whose bytes and candidate hash to a known submission is returned
    with its identity only (no cells), since the same bytes were read into that record.
    """
    try:
        content = path.read_bytes()
    except OSError as exc:
        return _refusal(path, b"", f"cannot be read ({exc.strerror})")
    if not content.strip():
        return _refusal(path, content, "is empty")
    try:
        data = json.loads(content)
    except UnicodeDecodeError:
        return _refusal(path, content, "is not text (not UTF-8): not a notebook")
    except RecursionError:
        return _refusal(path, content, "is JSON nested too deeply to be a notebook")
    except json.JSONDecodeError as exc:
        return _refusal(path, content, f"is not valid JSON ({exc.msg}: line {exc.lineno}, "
                                       f"column {exc.colno}): the file is damaged or not a "
                                       f"notebook")
    if not isinstance(data, dict) or "nbformat" not in data:
        return _refusal(path, content, "is JSON but not a Jupyter notebook (no 'nbformat' "
                                       "field)")
    notes: list[Event] = []
    major = data.get("nbformat")
    if major != NBFORMAT:
        # converting imports nbformat and its JSON Schema validators, most of a rerun's
        # time (bench/rerun_bench.py); a file the gradebook holds needs only its identity
        if known is not None and (identity := _identity(data, path, content, known)):
            return identity
        converted = _convert(content)
        if converted is None:
            return _refusal(path, content, f"is in nbformat {major!r}, which cannot be "
                                           f"converted to nbformat {NBFORMAT}")
        data = converted
        notes.append(Event(kind=EventKind.INTEGRITY,
                           detail=f"notebook was saved in nbformat {major}; converted to "
                                  f"nbformat {NBFORMAT} before grading"))
    metadata = data.get("metadata")
    workbook = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    candidate = _candidate(workbook if isinstance(workbook, dict) else {}, path)
    raw_cells = data.get("cells")
    if not isinstance(raw_cells, list):
        return _refusal(path, content, "has no list of cells: not a valid notebook",
                        candidate=candidate)
    cells = []
    for index, raw in enumerate(raw_cells):
        cell = _cell(index, raw)
        if cell is None:
            return _refusal(path, content, f"cell #{index + 1} is not a notebook cell "
                                           f"(no cell_type or source)", candidate=candidate)
        cells.append(cell)
    if not isinstance(workbook, dict):
        if not any(cell.question for cell in cells):
            return _refusal(path, content, f"was not built by workbook (no metadata."
                                           f"{METADATA_KEY}), and no cell is tagged with a "
                                           f"question; only generated workbooks can be "
                                           f"graded")
        # a tool (a notebook cleaner, an export) dropped the notebook's own metadata but
        # kept the cells': their tags still say which answer is which
        workbook = {}
        notes.append(Event(kind=EventKind.INTEGRITY,
                           detail=f"the notebook-level metadata.{METADATA_KEY} was stripped "
                                  f"(cell tags intact); graded from the cells' tags"))
    return NotebookFile(source=str(path), content_hash=submission_hash(candidate, content),
                        candidate=candidate, metadata=workbook, cells=tuple(cells),
                        notes=tuple(notes))


def match_answers(notebook: NotebookFile, tasks: Sequence[Task], *,
                  answer_cell_id: Callable[[str], str]) -> MatchedAnswers:
    """Each task's answer in `notebook` (see the module docstring for the rules).

    `answer_cell_id(task_id)` is the id the notebook builder gave that task's answer cell.
    """
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    claimed: set[int] = set()
    found: dict[str, Cell] = {}
    notes: list[Event] = []

    def note(detail: str, task_id: str | None = None) -> None:
        notes.append(Event(kind=EventKind.INTEGRITY, detail=detail, task_id=task_id))

    for task in tasks:
        tagged = [c for c in code_cells if c.question == task.id and c.role == ROLE_ANSWER]
        claimed.update(cell.index for cell in tagged)
        if tagged:
            found[task.id] = tagged[-1]
        if len(tagged) > 1:
            note(f"{len(tagged)} answer cells for {task.id} (duplicated); graded the last one, "
                 f"{tagged[-1].label}", task.id)
    for task in tasks:
        if task.id in found:
            continue
        by_id = [c for c in code_cells
                 if c.id == answer_cell_id(task.id) and c.index not in claimed]
        if by_id:
            found[task.id] = by_id[-1]
            claimed.add(by_id[-1].index)
            note(f"answer cell for {task.id} lost its metadata tag; found it by cell id "
                 f"{by_id[-1].id}", task.id)
    for task in tasks:
        if task.id in found:
            continue
        cell = _cell_defining_starter_names(task, code_cells, claimed)
        if cell is not None:
            found[task.id] = cell
            claimed.add(cell.index)
            note(f"answer cell for {task.id} was re-identified (metadata and id changed); "
                 f"found it by content in {cell.label}", task.id)

    answers = []
    for task in tasks:
        cell = found.get(task.id)
        if cell is None:
            note(f"answer cell for {task.id} is missing (deleted); restored the starter code, "
                 f"which was graded instead", task.id)
            answers.append(Answer(task_id=task.id, code=task.starter))
        else:
            answers.append(Answer(task_id=task.id, code=cell.source, cell_id=cell.id))

    positions = [found[task.id].index for task in tasks if task.id in found]
    if positions != sorted(positions):
        note("answer cells are not in the order the notebook was built with; each was graded "
             "against its own question")
    notes.extend(_public_check_notes(notebook, tasks))
    extra = [c for c in code_cells
             if c.index not in claimed and c.role is None and c.source.strip()]
    if extra:
        note(f"{len(extra)} extra code cell(s) ({_labels(extra)}) were not run: the grader "
             f"runs only answer cells, so code defined outside them is missing")
    return MatchedAnswers(answers=tuple(answers), notes=tuple(notes))


def _public_check_notes(notebook: NotebookFile, tasks: Sequence[Task]) -> list[Event]:
    notes = []
    for task in tasks:
        if not task.public_checks.strip():
            continue
        cells = [c for c in notebook.cells
                 if c.question == task.id and c.role == ROLE_PUBLIC_CHECK]
        expected = _normalised(task.public_checks)
        if not cells:
            detail = (f"public-check cell for {task.id} was removed; the question's own public "
                      f"checks were used")
        elif any(expected not in _normalised(cell.source) for cell in cells):
            detail = (f"public-check cell for {task.id} was edited; ignored it and used the "
                      f"question's own public checks")
        else:
            continue
        notes.append(Event(kind=EventKind.INTEGRITY, detail=detail, task_id=task.id))
    return notes


def _cell_defining_starter_names(task: Task, code_cells: Sequence[Cell],
                                 claimed: set[int]) -> Cell | None:
    wanted = _defined_names(task.starter)
    if not wanted:
        return None
    matches = [c for c in code_cells
               if c.index not in claimed and c.role != ROLE_PUBLIC_CHECK
               and wanted <= _defined_names(c.source)]
    return matches[-1] if matches else None


def _defined_names(source: str) -> frozenset[str]:
    """Top-level functions and classes a piece of code defines (none if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # MemoryError and RecursionError: the parser's own stack, on code nested absurdly
        # deep (a hundred thousand unary minuses), not this process running out
        return frozenset()
    return frozenset(node.name for node in tree.body
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef))


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _labels(cells: Sequence[Cell]) -> str:
    shown = ", ".join(cell.label for cell in cells[:_IDS_SHOWN])
    more = len(cells) - _IDS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _identity(data: Mapping[str, Any], path: Path, content: bytes,
              known: Callable[[str], bool]) -> NotebookFile | None:
    """The submission `content` was recorded as, when its candidate can be read without
    converting (old formats keep the notebook's metadata as it is) and the hash is known."""
    metadata = data.get("metadata")
    workbook = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    candidate = _candidate(workbook if isinstance(workbook, dict) else {}, path)
    content_hash = submission_hash(candidate, content)
    if not known(content_hash):
        return None
    return NotebookFile(source=str(path), content_hash=content_hash, candidate=candidate,
                        metadata={}, cells=())


def _candidate(workbook: Mapping[str, Any], path: Path) -> str:
    named = workbook.get("candidate")
    return named.strip() if isinstance(named, str) and named.strip() else path.stem


def _refusal(path: Path, content: bytes, problem: str, *, candidate: str | None = None
             ) -> Refusal:
    who = candidate or path.stem
    return Refusal(source=str(path), content_hash=submission_hash(who, content),
                   candidate=who, reason=f"{shown_name(str(path))}: {problem}")


def _convert(content: bytes) -> dict[str, Any] | None:
    """The notebook converted to nbformat 4, or None when nbformat cannot convert it."""
    import nbformat
    from nbformat.reader import reads as read_any_version

    try:
        # the reader joins the line lists of old formats, which `convert` expects
        original = read_any_version(content.decode("utf-8"))  # type: ignore[no-untyped-call, unused-ignore]
        converted = nbformat.convert(original, NBFORMAT)  # type: ignore[no-untyped-call, unused-ignore]
    except Exception:  # nbformat raises assorted errors on versions it cannot convert
        return None
    result = json.loads(json.dumps(converted))
    return result if isinstance(result, dict) and result.get("nbformat") == NBFORMAT else None


def _cell(index: int, raw: Any) -> Cell | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("cell_type"), str):
        return None
    source = raw.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    if not isinstance(source, str):
        return None
    metadata = raw.get("metadata")
    tags = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    tags = tags if isinstance(tags, dict) else {}
    cell_id = raw.get("id")
    return Cell(index=index, id=cell_id if isinstance(cell_id, str) else None,
                cell_type=raw["cell_type"], source=source,
                question=_text(tags.get("question")), role=_text(tags.get("role")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
