"""Grade a batch of notebook files: resumable, parallel, each verdict recorded as it lands.

The batch is streamed: a file is read, matched and graded when the engine is ready for
it, and its result leaves through the caller's sink (`on_result`) the moment it is
recorded; the batch holds the submissions in flight, not the batch (bench/scale_bench.py
measures the grader's peak memory at 100 to 10,000 submissions). The loop:

1. read each file (`grading.submission`) and let the caller's `prepare` pick its tasks
   and match its answers, or refuse it;
2. skip each submission the gradebook has already settled (graded or refused), unless
   `force`; this is what makes a killed batch resume where it stopped;
3. record refusals at once (they need no kernel);
4. grade the rest with one `Grader` per distinct task set, `jobs` submissions at a time
   (or on a Dask cluster, `grading.distributed`), writing each submission to the
   gradebook in its own transaction the moment it finishes. The first task set met is
   graded as the files stream past; a file of another set is let go, remembered by path,
   and read again when its set's turn comes (each file is read at most twice).

A result's `seconds` run from the moment the engine takes the submission (it takes a
few ahead of its free kernels) until its verdict; the total wall time is in the report.

Containment. Whatever goes wrong with one submission (reading it, matching it, its
kernel's messages, judging, recording it) ends as that submission's own status ERROR with a
one-line reason; the batch goes on, and the next run retries it. Every text that reaches
the gradebook is made storable first (`grading.text`): a file name that is not UTF-8 or
a candidate id of a megabyte cannot stop the recording. An infrastructure failure while
grading (no kernel can start for anyone) marks the submissions it left ungraded as FAILED,
which the next run retries too. Every file gets one result through the sink, with its
position in the batch (input order, a file given twice counted once); the skipped ones
are read back from the gradebook, so a resumed run reports the whole batch.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

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
from grading.scratch import SeenOnce
from grading.submission import NotebookFile, Refusal, read_notebook, submission_hash
from grading.text import bounded_name, one_line, shown_name, storable

if TYPE_CHECKING:  # what grading needs, which a rerun that grades nothing never imports
    from grading.answer_keys import StoredAnswerKeys
    from grading.tasks import Answer, Task


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


#: files the gradebook holds whose results are read in one go (a rerun's look-ups)
KNOWN_READ_AT_ONCE = 200

#: the caller's part: which tasks a notebook is graded against, and its matched answers
Prepare = Callable[[NotebookFile], Prepared | Refusal]
#: where each file's result goes once recorded: its position in the batch, and the result
ResultSink = Callable[[int, SubmissionResult], None]
#: how many not-graded reasons a report keeps (the rest are in the results files)
REASONS_KEPT = 1000
#: any part of a result (a check, an event, a task)
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class BatchReport:
    """What a batch did: how many files, with which status, and how each came about."""

    submissions: int
    graded: int
    skipped: int
    seconds: float
    statuses: dict[SubmissionStatus, int] = field(default_factory=dict)
    #: (status, one-line reason) of the first REASONS_KEPT submissions not graded
    not_graded: tuple[tuple[SubmissionStatus, str], ...] = ()

    def count(self, status: SubmissionStatus) -> int:
        return self.statuses.get(status, 0)

    @property
    def all_graded(self) -> bool:
        return self.count(SubmissionStatus.GRADED) == self.submissions


@dataclass(frozen=True)
class _Pending:
    """A submission read and let go: what it takes to read it again, and where it goes."""

    position: int
    path: Path
    key: str
    task_ids: tuple[str, ...]


@dataclass
class _Tally:
    """Each result counted and handed to the sink; nothing of it is kept but its status
    (and, for the first few not graded, its reason)."""

    sink: ResultSink
    bar: Any
    statuses: Counter[SubmissionStatus] = field(default_factory=Counter)
    reasons: list[tuple[SubmissionStatus, str]] = field(default_factory=list)

    def __call__(self, position: int, result: SubmissionResult) -> None:
        self.statuses[result.status] += 1
        if result.status is not SubmissionStatus.GRADED and len(self.reasons) < REASONS_KEPT:
            self.reasons.append((result.status, result.reason))
        self.sink(position, result)
        self.bar.update(1)


def _nowhere(_position: int, _result: SubmissionResult) -> None:
    """A sink for callers that read the results from the gradebook."""


class Batch(Protocol):
    """The files of a batch: how many, and each in turn (a list, or files found again
    as they are needed: `workbook.grade.Submissions`)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Path]: ...


def grade_batch(paths: Batch, *, prepare: Prepare, gradebook: Gradebook,
                config: GradingConfig, jobs: int, force: bool = False,
                progress: bool | None = None, scheduler: str | None = None,
                lease: timedelta = DEFAULT_LEASE, on_result: ResultSink = _nowhere
                ) -> BatchReport:
    """Grade every notebook in `paths` (see the module docstring), handing each file's
    result to `on_result` as it is recorded; `progress=None` shows a bar only on a
    terminal; `scheduler` (a Dask scheduler address) grades on that cluster instead of
    `jobs` local kernels; `lease`: how long a claim outlives a dead grader."""
    started = time.monotonic()
    since = datetime.now(UTC)
    positions = SeenOnce()  # content hashes, on disk: each file once, in order
    elsewhere: list[tuple[int, str, SubmissionResult]] = []  # refusals another grader holds
    skipped = graded = 0
    # asked while a file is read and again to skip it: one query per file is enough
    settled = (lambda _key: False) if force else lru_cache(maxsize=1)(gradebook.is_graded)
    with Claims(gradebook, lease=lease, force=force) as claims, closing(positions), \
            _progress_bar(len(paths), progress) as bar:
        tally = _Tally(on_result, bar)

        # files the gradebook holds, whose results are read a batch of them at a time
        known: list[tuple[int, Path, str]] = []

        def fresh() -> Iterator[tuple[_Pending, Prepared | SubmissionResult]]:
            """Each file read once; what needs a kernel is yielded, the rest settled."""
            for path in paths:
                item = _read(path, prepare, known=settled)
                key = (item.notebook.content_hash if isinstance(item, Prepared)
                       else item.content_hash)
                position = positions.first(key)
                if position is None:
                    bar.update(1)  # the same file given twice
                    continue
                if settled(key):
                    known.append((position, path, key))
                    if len(known) >= KNOWN_READ_AT_ONCE:
                        yield from skip_known()
                    continue
                yield from settle(position, path, key, item)
            yield from skip_known()

        def skip_known() -> Iterator[tuple[_Pending, Prepared | SubmissionResult]]:
            """Report the known files' recorded results; one with none is graded."""
            nonlocal skipped
            recorded = gradebook.submissions([key for _position, _path, key in known])
            unrecorded = [(position, path, key) for position, path, key in known
                          if key not in recorded]
            for position, _path, key in known:
                if key in recorded:
                    skipped += 1
                    tally(position, recorded[key])
            known.clear()
            for position, path, key in unrecorded:
                yield from settle(position, path, key, _read_in_full(path, prepare))

        def settle(position: int, path: Path, key: str,
                   item: Prepared | Refusal | SubmissionResult | NotebookFile
                   ) -> Iterator[tuple[_Pending, Prepared | SubmissionResult]]:
            """Yield what needs a kernel; record a refusal or an error at once."""
            if isinstance(item, NotebookFile):  # known, yet nothing recorded: grade it
                item = _read_in_full(path, prepare)
            if isinstance(item, Prepared):
                yield _pending(position, path, item), item
            elif claims.take(key):
                result = item if isinstance(item, SubmissionResult) else item.as_result()
                tally(position, _record(gradebook, result, {}, releasing=claims.owner))
            else:
                elsewhere.append((position, key, item if isinstance(item, SubmissionResult)
                                  else item.as_result()))

        source: Iterator[tuple[_Pending, Prepared | SubmissionResult]] = fresh()
        # the submissions of task sets not graded yet, by task set; emptied set by set
        deferred: dict[tuple[str, ...], list[_Pending]] = {}

        def defer(pending: _Pending) -> None:
            deferred.setdefault(pending.task_ids, []).append(pending)

        while True:
            held: list[_Pending] = []
            while True:
                for position, result, meta in _grade_stream(
                        source, config=config, jobs=jobs, scheduler=scheduler,
                        claim=claims.take, held=held.append, defer=defer,
                        stored_keys=gradebook):
                    result = _record(gradebook, result, meta, releasing=claims.owner)
                    graded += result.status is SubmissionStatus.GRADED
                    tally(position, result)
                if not deferred:
                    break
                _ids, again = deferred.popitem()
                source = _read_again(again, prepare)
            lapsed = _await_others(held, gradebook, claims, since, tally)
            if not lapsed:
                break
            source = _read_again(lapsed, prepare)
        for position, key, fallback in elsewhere:  # refusals another grader recorded
            tally(position, gradebook.recorded_since(key, since) or fallback)
    return BatchReport(submissions=len(positions), graded=graded, skipped=skipped,
                       seconds=time.monotonic() - started, statuses=dict(tally.statuses),
                       not_graded=tuple(tally.reasons))


def _pending(position: int, path: Path, prepared: Prepared) -> _Pending:
    return _Pending(position, path, prepared.notebook.content_hash,
                    tuple(task.id for task in prepared.tasks))


def _read_again(pending: Sequence[_Pending], prepare: Prepare
                ) -> Iterator[tuple[_Pending, Prepared | SubmissionResult]]:
    """The submissions in `pending` read and matched again, lazily. One whose file
    changed since the first reading (another content or task set) ends as an ERROR
    result of its own; the next run grades what it holds then."""
    for item in pending:
        again = _read(item.path, prepare)
        if isinstance(again, Prepared) and _pending(item.position, item.path, again) == item:
            yield item, again
        else:
            changed = _unreadable(item.path, GradingError(
                "the file changed while the batch was being graded; it is retried on the "
                "next run"))
            yield item, replace(changed, content_hash=item.key)


def _await_others(waiting: list[_Pending], gradebook: Gradebook, claims: Claims,
                  since: datetime, tally: _Tally) -> list[_Pending]:
    """Wait while other graders hold the submissions in `waiting`: each one they record is
    taken as theirs; what is left when some claim lapses (its grader died) is returned,
    for this grader to claim and grade."""
    while waiting:
        still = []
        for pending in waiting:
            theirs = gradebook.recorded_since(pending.key, since)
            if theirs is not None and not claims.held_elsewhere(pending.key):
                tally(pending.position, theirs)
            else:
                still.append(pending)
        waiting = still
        if any(not claims.held_elsewhere(p.key) for p in waiting):
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
                                f"{shown_name(str(path))}: could not be read or matched: "
                                f"{reason}", 500)),))


def _record(gradebook: Gradebook, result: SubmissionResult, meta: dict[str, Any], *,
            releasing: str) -> SubmissionResult:
    """Record `result` (its text made storable first) and drop `releasing`'s claim on it
    in the same transaction; if the gradebook refuses this one submission, record it as
    ERROR with the reason instead. What was recorded."""
    result = storable_result(result)
    try:
        gradebook.record_submission(result, workbook_meta=meta, releasing=releasing)
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
        gradebook.record_submission(fallback, workbook_meta={}, releasing=releasing)
        return fallback


def storable_result(result: SubmissionResult) -> SubmissionResult:
    """`result` with every text made storable and names bounded (see grading.text). Parts
    with nothing to change are kept as they are: rebuilding every check and event of every
    submission was a tenth of the grader's own time per submission (issue 13)."""
    def event(item: Event) -> Event:
        detail = storable(item.detail)
        task_id = None if item.task_id is None else storable(item.task_id)
        if detail is item.detail and task_id is item.task_id:
            return item
        return replace(item, detail=detail, task_id=task_id)

    def check(item: CheckResult) -> CheckResult:
        name, message = storable(item.name), storable(item.message)
        if name is item.name and message is item.message:
            return item
        return replace(item, name=name, message=message)

    def each(made: Callable[[T], T], items: tuple[T, ...]) -> tuple[T, ...]:
        changed = tuple(map(made, items))
        return items if all(a is b for a, b in zip(changed, items, strict=True)) else changed

    def task(item: TaskResult) -> TaskResult:
        task_id, answer = storable(item.task_id), storable(item.answer)
        checks, public = each(check, item.checks), each(check, item.public_checks)
        events = each(event, item.events)
        if (task_id is item.task_id and answer is item.answer and checks is item.checks
                and public is item.public_checks and events is item.events):
            return item
        return replace(item, task_id=task_id, answer=answer, checks=checks,
                       public_checks=public, events=events)

    candidate, source = bounded_name(result.candidate), storable(result.source)
    tasks, events = each(task, result.tasks), each(event, result.events)
    if (candidate is result.candidate and source is result.source and tasks is result.tasks
            and events is result.events):
        return result
    return replace(result, candidate=candidate, source=source, tasks=tasks, events=events)


def _grade_stream(source: Iterator[tuple[_Pending, Prepared | SubmissionResult]], *,
                  config: GradingConfig, jobs: int, scheduler: str | None,
                  claim: Callable[[str], bool], held: Callable[[_Pending], None],
                  defer: Callable[[_Pending], None],
                  stored_keys: StoredAnswerKeys | None = None
                  ) -> Iterator[tuple[int, SubmissionResult, dict[str, Any]]]:
    """Grade the submissions of `source` that share the first one's task set, pulling
    them as kernels free up; yield (position, result, its notebook's metadata) as each
    finishes. Each is claimed (`claim`) as the engine takes it; one another grader holds
    goes to `held`, one of another task set to `defer` (unclaimed). A result already
    made (a file that changed) is passed through once claimed. Only the submissions in
    flight are kept here. The answer key is read from `stored_keys` (the gradebook) when
    it was made before."""
    ready: deque[tuple[int, SubmissionResult, dict[str, Any]]] = deque()

    def settled(pending: _Pending, result: SubmissionResult) -> None:
        if claim(pending.key):
            ready.append((pending.position, result, {}))
        else:
            held(pending)

    first: tuple[_Pending, Prepared] | None = None
    for pending, item in source:  # the first submission to grade sets the task set
        if isinstance(item, Prepared):
            first = (pending, item)
            break
        settled(pending, item)
    yield from _drain(ready)
    if first is None:
        return
    task_ids, tasks = first[0].task_ids, first[1].tasks

    def ours() -> Iterator[tuple[_Pending, Prepared]]:
        """This task set's submissions, each claimed as it is pulled."""
        for pending, item in chain([first], source):
            if isinstance(item, SubmissionResult):
                settled(pending, item)
            elif pending.task_ids != task_ids:
                defer(pending)
            elif not claim(pending.key):
                held(pending)
            else:
                yield pending, item

    mine = ours()  # one generator: what the engine took is never offered again
    in_flight: dict[str, tuple[_Pending, Prepared, float]] = {}

    def items() -> Iterator[tuple[str, Sequence[Answer]]]:
        for pending, prepared in mine:
            # the engine pulls items as kernels free up: read and claimed only then
            in_flight[pending.key] = (pending, replace(prepared, answers=()),
                                      time.monotonic())
            yield pending.key, prepared.answers

    try:
        if not tasks:  # nothing to run: a notebook of discussion questions only
            for pending, prepared in mine:
                yield pending.position, _result(prepared, (), 0.0), _meta(prepared)
                yield from _drain(ready)
            yield from _drain(ready)
            return
        with ExitStack() as stack:
            if scheduler:
                from grading.distributed import grade_many_on_cluster

                graded = grade_many_on_cluster(scheduler, tasks, config, items())
            else:
                from grading.engine import Grader

                # the first kernels run while the answer key is built: a grading error
                # from its build (a broken reference) still fails the whole batch below
                grader = stack.enter_context(Grader(list(tasks), config=config,
                                                    stored_keys=stored_keys,
                                                    key_in_background=True))
                graded = grader.grade_many(items(), jobs=jobs)
            for key, outcome in graded:
                pending, prepared, handed_out = in_flight.pop(key)
                seconds = time.monotonic() - handed_out
                result = (_errored(prepared, outcome, seconds)
                          if isinstance(outcome, SubmissionError)
                          else _result(prepared, outcome, seconds))
                yield pending.position, result, _meta(prepared)
                yield from _drain(ready)
        yield from _drain(ready)
    except GradingError as exc:
        yield from _drain(ready)
        for pending, prepared, _at in list(in_flight.values()):
            yield pending.position, _failed(prepared, exc), _meta(prepared)
        in_flight.clear()
        for pending, prepared in mine:
            yield pending.position, _failed(prepared, exc), _meta(prepared)
            yield from _drain(ready)
        yield from _drain(ready)


def _drain(ready: deque[tuple[int, SubmissionResult, dict[str, Any]]]
           ) -> Iterator[tuple[int, SubmissionResult, dict[str, Any]]]:
    while ready:
        yield ready.popleft()


def _meta(prepared: Prepared) -> dict[str, Any]:
    return dict(prepared.notebook.metadata)


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
    if not total or show is False or (show is None and not sys.stderr.isatty()):
        yield _NoBar()  # a rerun shows nothing: it does without importing tqdm
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="notebook", desc="grading", file=sys.stderr,
              disable=False, dynamic_ncols=True) as bar:
        yield bar


class _NoBar:
    """The bar nobody sees."""

    def update(self, _count: int) -> None:
        return None
