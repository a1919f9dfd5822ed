"""Grade a batch of notebook files: resumable, parallel, each verdict recorded as it lands.

The loop, top to bottom:

1. read every file (`grading.submission`) and let the caller's `prepare` pick its tasks
   and match its answers, or refuse it;
2. skip each submission the gradebook has already settled (graded or refused), unless
   `force`; this is what makes a killed batch resume where it stopped;
3. record refusals at once (they need no kernel);
4. grade the rest with one `Grader` per distinct task set, `jobs` submissions at a time
   (or on a Dask cluster, `grading.distributed`), writing each submission to the
   gradebook in its own transaction the moment it finishes.

A result's `seconds` run from the moment the engine takes the submission (it takes a
few ahead of its free kernels) until its verdict; the total wall time is in the report.

Containment. Whatever goes wrong with one submission (reading it, matching it, its
kernel's messages, judging, recording it) ends as that submission's own status ERROR with a
one-line reason; the batch goes on, and the next run retries it. Every text that reaches
the gradebook is made storable first (`grading.text`): a file name that is not UTF-8 or
a candidate id of a megabyte cannot stop the recording. An infrastructure failure while
grading (no kernel can start for anyone) marks the submissions it left ungraded as FAILED,
which the next run retries too. The report lists one result per file, in input order, with
the skipped ones read back from the gradebook, so a resumed run reports the whole batch.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from grading.assignment import AssignmentState
from grading.claims import DEFAULT_LEASE, Claims
from grading.config import GradingConfig
from grading.errors import GradebookError, GradingError, SubmissionError
from grading.gradebook import Gradebook
from grading.results import (
    CheckResult,
    Event,
    EventKind,
    SubmissionResult,
    SubmissionStatus,
    TaskResult,
)
from grading.submission import NotebookFile, Refusal, read_notebook, submission_hash
from grading.tasks import Answer, Task
from grading.text import bounded_name, one_line, storable


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A submission ready to grade: the tasks it is graded against and its answer to each."""

    notebook: NotebookFile
    tasks: tuple[Task, ...]
    answers: tuple[Answer, ...]
    #: integrity notes from matching (and anything else the caller wants on record)
    notes: tuple[Event, ...] = ()
    #: whether `tasks` are those of an issued assignment (`grading.assignment`)
    assignment: AssignmentState = AssignmentState.NOT_VERIFIED
    assignment_id: str | None = None


#: the caller's part: which tasks a notebook is graded against, and its matched answers
Prepare = Callable[[NotebookFile], Prepared | Refusal]


@dataclass(frozen=True, kw_only=True)
class BatchReport:
    """What a batch did: one result per input file, and how each came about."""

    results: tuple[SubmissionResult, ...]
    graded: int
    skipped: int
    seconds: float

    def count(self, status: SubmissionStatus) -> int:
        return sum(1 for result in self.results if result.status is status)

    @property
    def all_graded(self) -> bool:
        return all(result.status is SubmissionStatus.GRADED for result in self.results)


def grade_batch(paths: Sequence[Path], *, prepare: Prepare, gradebook: Gradebook,
                config: GradingConfig, jobs: int, force: bool = False,
                progress: bool | None = None, scheduler: str | None = None,
                lease: timedelta = DEFAULT_LEASE) -> BatchReport:
    """Grade every notebook in `paths` (see the module docstring); `progress=None` shows a
    bar only on a terminal; `scheduler` (a Dask scheduler address) grades on that cluster
    instead of `jobs` local kernels; `lease`: how long a claim outlives a dead grader."""
    started = time.monotonic()
    since = datetime.now(UTC)
    results: dict[str, SubmissionResult] = {}
    order: dict[str, None] = {}  # an ordered set of hashes
    waiting: list[Prepared] = []
    elsewhere: dict[str, SubmissionResult] = {}  # refusals another grader holds
    skipped = 0
    with Claims(gradebook, lease=lease, force=force) as claims:
        for path in paths:
            item = _read(path, prepare, known=(lambda _key: False) if force
                         else gradebook.is_graded)
            key = (item.notebook.content_hash if isinstance(item, Prepared)
                   else item.content_hash)
            if key in order:
                continue  # the same file given twice
            order[key] = None
            if not force and gradebook.is_graded(key):
                previous = gradebook.submission(key)
                if previous is not None:
                    results[key] = previous
                    skipped += 1
                    continue
            if isinstance(item, NotebookFile):  # known, yet nothing recorded: grade it
                item = _read_in_full(path, prepare)
            if isinstance(item, Prepared):
                waiting.append(item)
            elif claims.take(key):
                result = item if isinstance(item, SubmissionResult) else item.as_result()
                results[key] = _record(gradebook, result, {})
                claims.release(key)
            else:
                elsewhere[key] = (item if isinstance(item, SubmissionResult)
                                  else item.as_result())

        graded = 0
        with _progress_bar(len(waiting), progress) as bar:
            while waiting:
                held: set[str] = set()
                for group in _by_task_set(waiting):
                    for result, meta in _grade_group(group, config=config, jobs=jobs,
                                                     scheduler=scheduler, claim=claims.take,
                                                     held=held.add):
                        result = _record(gradebook, result, meta)
                        claims.release(result.content_hash)
                        results[result.content_hash] = result
                        graded += result.status is SubmissionStatus.GRADED
                        bar.update(1)
                waiting = [p for p in waiting if p.notebook.content_hash in held]
                waiting = _await_others(waiting, gradebook, claims, since, results, bar)
        for key, fallback in elsewhere.items():  # refusals another grader recorded
            results[key] = gradebook.recorded_since(key, since) or fallback
    return BatchReport(results=tuple(results[key] for key in order if key in results),
                       graded=graded, skipped=skipped, seconds=time.monotonic() - started)


def _await_others(waiting: list[Prepared], gradebook: Gradebook, claims: Claims,
                  since: datetime, results: dict[str, SubmissionResult], bar: Any
                  ) -> list[Prepared]:
    """Wait while other graders hold the submissions in `waiting`: each one they record is
    taken as theirs; what is left when some claim lapses (its grader died) is returned,
    for this grader to claim and grade."""
    while waiting:
        still = []
        for prepared in waiting:
            key = prepared.notebook.content_hash
            theirs = gradebook.recorded_since(key, since)
            if theirs is not None and not claims.held_elsewhere(key):
                results[key] = theirs
                bar.update(1)
            else:
                still.append(prepared)
        waiting = still
        if any(not claims.held_elsewhere(p.notebook.content_hash) for p in waiting):
            return waiting
        if waiting:
            time.sleep(claims.poll_seconds)
    return waiting


def _read(path: Path, prepare: Prepare, known: Callable[[str], bool] = lambda _key: False
          ) -> Prepared | Refusal | SubmissionResult | NotebookFile:
    """The file read and matched, refused, or (when reading or matching it failed in a way
    nobody foresaw) an ERROR result of its own; a file whose content hash is `known` (the
    gradebook holds it) is only read as far as its identity, not matched: a rerun skips
    it anyway."""
    try:
        notebook = read_notebook(path, known=known)
        if isinstance(notebook, Refusal) or known(notebook.content_hash):
            return notebook
        return _prepared(notebook, prepare)
    except Exception as error:
        return _unreadable(path, error)


def _read_in_full(path: Path, prepare: Prepare) -> Prepared | Refusal | SubmissionResult:
    """`_read` of a file, every cell read and matched whatever the gradebook holds."""
    try:
        notebook = read_notebook(path)
        return notebook if isinstance(notebook, Refusal) else _prepared(notebook, prepare)
    except Exception as error:
        return _unreadable(path, error)


def _prepared(notebook: NotebookFile, prepare: Prepare) -> Prepared | Refusal:
    prepared = prepare(notebook)
    if isinstance(prepared, Prepared):
        # a waiting submission keeps its answers, not its every cell: the batch's
        # memory then grows by answers (bench/scale_bench.py)
        return replace(prepared, notebook=replace(prepared.notebook, cells=()))
    return prepared


def _unreadable(path: Path, error: Exception) -> SubmissionResult:
    try:
        content = path.read_bytes()
    except OSError:
        content = b""
    candidate = bounded_name(path.stem)
    reason = SubmissionError.caused_by(error)
    return SubmissionResult(candidate=candidate, source=storable(str(path)),
                            content_hash=submission_hash(candidate, content),
                            status=SubmissionStatus.ERROR,
                            events=(Event(kind=EventKind.ERROR, detail=one_line(
                                f"{path}: could not be read or matched: {reason}", 500)),))


def _record(gradebook: Gradebook, result: SubmissionResult, meta: dict[str, Any]
            ) -> SubmissionResult:
    """Record `result` (its text made storable first); if the gradebook refuses this one
    submission, record it as ERROR with the reason instead. What was recorded."""
    result = storable_result(result)
    try:
        gradebook.record_submission(result, workbook_meta=meta)
        return result
    except GradebookError as error:
        failure = Event(kind=EventKind.ERROR, detail=one_line(
            f"{result.source}: could not be recorded ({error}); it is retried on the next "
            f"run", 500))
        fallback = SubmissionResult(candidate=result.candidate, source=result.source,
                                    content_hash=result.content_hash,
                                    status=SubmissionStatus.ERROR, events=(failure,),
                                    seconds=result.seconds)
        # a gradebook that refuses this too is broken for everyone: that error stands
        gradebook.record_submission(fallback, workbook_meta={})
        return fallback


def storable_result(result: SubmissionResult) -> SubmissionResult:
    """`result` with every text made storable and names bounded (see grading.text)."""
    def event(item: Event) -> Event:
        return replace(item, detail=storable(item.detail),
                       task_id=None if item.task_id is None else storable(item.task_id))

    def check(item: CheckResult) -> CheckResult:
        return replace(item, name=storable(item.name), message=storable(item.message))

    def task(item: TaskResult) -> TaskResult:
        return replace(item, task_id=storable(item.task_id), answer=storable(item.answer),
                       checks=tuple(map(check, item.checks)),
                       public_checks=tuple(map(check, item.public_checks)),
                       events=tuple(map(event, item.events)))

    return replace(result, candidate=bounded_name(result.candidate),
                   source=storable(result.source), tasks=tuple(map(task, result.tasks)),
                   events=tuple(map(event, result.events)))


def _by_task_set(waiting: Sequence[Prepared]) -> list[list[Prepared]]:
    groups: dict[tuple[str, ...], list[Prepared]] = {}
    for prepared in waiting:
        groups.setdefault(tuple(task.id for task in prepared.tasks), []).append(prepared)
    return list(groups.values())


def _grade_group(group: Sequence[Prepared], *, config: GradingConfig, jobs: int,
                 scheduler: str | None = None, claim: Callable[[str], bool] = lambda _: True,
                 held: Callable[[str], None] = lambda _: None
                 ) -> Iterator[tuple[SubmissionResult, dict[str, Any]]]:
    """Grade submissions that share one task set; yield each result as it finishes. Each
    is claimed (`claim`) as the engine takes it; one another grader holds goes to `held`."""
    by_key = {prepared.notebook.content_hash: prepared for prepared in group}
    tasks = list(group[0].tasks)
    if not tasks:  # nothing to run: a notebook of discussion questions only
        for key, prepared in by_key.items():
            if claim(key):
                yield _result(prepared, (), 0.0), dict(prepared.notebook.metadata)
            else:
                held(key)
        return
    from grading.engine import Grader

    handed_out: dict[str, float] = {}

    def items() -> Iterator[tuple[str, Sequence[Answer]]]:
        for key, prepared in by_key.items():
            # the engine pulls items as workers free up: claimed only when about to run
            if not claim(key):
                held(key)
                continue
            handed_out[key] = time.monotonic()
            yield key, prepared.answers

    done: set[str] = set()
    try:
        with ExitStack() as stack:
            if scheduler:
                from grading.distributed import grade_many_on_cluster

                graded = grade_many_on_cluster(scheduler, tasks, config, items())
            else:
                grader = stack.enter_context(Grader(tasks, config=config))
                graded = grader.grade_many(items(), jobs=jobs)
            for key, outcome in graded:
                done.add(key)
                prepared = by_key[key]
                seconds = time.monotonic() - handed_out.get(key, time.monotonic())
                if isinstance(outcome, SubmissionError):
                    yield _errored(prepared, outcome, seconds), dict(prepared.notebook.metadata)
                else:
                    yield _result(prepared, outcome, seconds), dict(prepared.notebook.metadata)
    except GradingError as exc:
        for key, prepared in by_key.items():
            if (key in handed_out and key not in done) or (key not in done and claim(key)):
                yield _failed(prepared, exc), dict(prepared.notebook.metadata)


def _result(prepared: Prepared, task_results: Sequence[Any], seconds: float
            ) -> SubmissionResult:
    notebook = prepared.notebook
    return SubmissionResult(candidate=notebook.candidate, source=notebook.source,
                            content_hash=notebook.content_hash,
                            status=SubmissionStatus.GRADED, tasks=tuple(task_results),
                            events=(*notebook.notes, *prepared.notes), seconds=seconds,
                            assignment=prepared.assignment,
                            assignment_id=prepared.assignment_id)


def _errored(prepared: Prepared, error: SubmissionError, seconds: float) -> SubmissionResult:
    failure = Event(kind=EventKind.ERROR, detail=one_line(
        f"{prepared.notebook.source}: not graded: {error}; it is retried on the next run", 500))
    result = _result(prepared, (), seconds)
    return replace(result, status=SubmissionStatus.ERROR, events=(*result.events, failure))


def _failed(prepared: Prepared, error: GradingError) -> SubmissionResult:
    failure = Event(kind=EventKind.ERROR, detail=f"{prepared.notebook.source}: grading failed "
                    f"({error}); it is retried on the next run")
    result = _result(prepared, (), 0.0)
    return replace(result, status=SubmissionStatus.FAILED, events=(*result.events, failure))


@contextmanager
def _progress_bar(total: int, show: bool | None) -> Iterator[Any]:
    """A tqdm bar with an ETA on stderr: on a terminal by default, always or never if asked."""
    from tqdm import tqdm

    with tqdm(total=total, unit="notebook", desc="grading", file=sys.stderr,
              disable=(None if show is None else not show) if total else True,
              dynamic_ncols=True) as bar:
        yield bar
