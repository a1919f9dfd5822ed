"""Grade returned workbooks against the bank: the `grade` job, from files to results files.

The interview side's part of grading: find the notebook files, decide which tasks each is
graded against (the coding questions of the assignment it was issued with, or when none
is known the questions the notebook names: `workbook.issue`), hand the batch to the
engine, then run the stages that follow grading.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from fnmatch import fnmatchcase
from heapq import merge
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from grading.results import Event, EventKind, SubmissionResult
from workbook.errors import NotebookError
from workbook.model import Bank
from workbook.notebook import ROLE_ANSWER, cell_id

if TYPE_CHECKING:
    from grading.batch import BatchReport, Prepared
    from grading.config import GradingConfig
    from grading.gradebook import Gradebook
    from grading.submission import NotebookFile, Refusal
    from grading.tasks import Task
    from workbook.report.ahead import ReportsAhead

DEFAULT_GRADEBOOK = "gradebook.sqlite"
CHECKPOINTS = ".ipynb_checkpoints"


@dataclass(frozen=True, kw_only=True)
class GradingRun:
    """Everything a stage after grading may use."""

    bank: Bank
    outdir: Path
    gradebook: Gradebook
    report: BatchReport
    #: show progress bars: None = on a terminal only
    progress: bool | None = None


@dataclass(frozen=True, kw_only=True)
class GradingStart:
    """What a stage that starts with grading may use."""

    bank: Bank
    outdir: Path
    gradebook: Gradebook
    #: the gradebook as it was named (a server URL keeps its password, unlike its `url`)
    address: str
    #: show progress bars: None = on a terminal only
    progress: bool | None = None


class Started(Protocol):
    """A stage's work begun with grading: told of each submission about to be graded in
    this run (by content hash) and of each result recorded, told when the last result is
    recorded (`graded`: before the results files are written, so that work can start),
    then finished, or closed."""

    def expect(self, content_hash: str) -> None: ...

    def recorded(self, result: SubmissionResult) -> None: ...

    def graded(self) -> None: ...

    def finish(self, run: GradingRun) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class EarlyStage:
    """A stage that begins when grading begins and ends, in its place among the stages,
    once grading ends: `begin` starts it. `prestart`, when given, is called first thing
    in a run that will surely grade here, for `begin` to take what it launched; the run
    calls `discard` at its end in case nothing did."""

    begin: Callable[[GradingStart], Started]
    prestart: Callable[[], None] | None = None
    discard: Callable[[], None] | None = None


#: a step run once grading ends, with the whole run in hand, or one begun with grading
Stage = Callable[[GradingRun], None] | EarlyStage


def write_reports(run: GradingRun) -> None:
    """Graded copies, the cohort report and the ATS exports (`workbook.report`)."""
    from workbook.report.stage import write_reports as write_all

    write_all(run.gradebook, run.bank, run.outdir, progress=run.progress)


class _ReportsAhead:
    """`write_reports`, begun with grading: once a submission is to be graded in this run,
    a worker process (the one `REPORTS.prestart` launched, or a new one) takes its job and
    drafts each graded copy as its submission is recorded (`workbook.report.ahead`); a
    run that grades nothing (all in the gradebook) starts none."""

    def __init__(self, start: GradingStart) -> None:
        self._start = start
        self._ahead: ReportsAhead | None = None
        self._expected: set[str] = set()  # content hashes: small beside the batch
        self._failed = False

    def expect(self, content_hash: str) -> None:
        if self._ahead is None and not self._failed:
            from workbook.live.migrations import LIVE_MIGRATIONS, LIVE_SQLITE_STEPS
            from workbook.report.ahead import ReportsAhead

            # the reports' tables, made before the worker reads beside this process's
            # writes; a gradebook that refuses gets no worker, and the stage says why
            try:
                self._start.gradebook.migrate_also(LIVE_MIGRATIONS, LIVE_SQLITE_STEPS)
            except Exception:
                self._failed = True
                return
            self._ahead = ReportsAhead(self._start.address, self._start.bank,
                                       self._start.outdir)
        self._expected.add(content_hash)

    def recorded(self, result: SubmissionResult) -> None:
        if self._ahead is not None and result.content_hash in self._expected:
            self._expected.discard(result.content_hash)
            self._ahead.recorded(result.candidate)

    def graded(self) -> None:
        if self._ahead is not None:
            self._ahead.request_finish(progress=self._start.progress)

    def finish(self, run: GradingRun) -> None:
        if self._ahead is None:
            write_reports(run)
        else:
            self._ahead.finish(run.gradebook, run.bank, run.outdir, progress=run.progress)

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()


def _prestart_reports() -> None:
    from workbook.report.ahead import prestart

    prestart()


def _discard_reports() -> None:
    from workbook.report.ahead import discard_prestarted

    discard_prestarted()


#: the reports stage as `workbook grade` runs it
REPORTS = EarlyStage(begin=_ReportsAhead, prestart=_prestart_reports,
                     discard=_discard_reports)
#: results files only: `workbook grade --no-report` (they are written as grading goes)
RESULTS_ONLY: tuple[Stage, ...] = ()
#: what runs after grading, in order
AFTER_GRADING: tuple[Stage, ...] = (REPORTS,)


@dataclass(frozen=True)
class Submissions:
    """The notebook files named, or found under the folders named (checkpoints and anything
    under `exclude` left out), in a stable order: the order of their paths' parts, as
    sorted(folder.rglob("*.ipynb")) gives them.

    Found again each time they are iterated, a folder at a time, never held as a list of
    paths: the grader's memory does not grow with the batch (bench/scale_bench.py); what
    it holds is one folder's notebook names while that folder is walked."""

    inputs: tuple[Path, ...]
    exclude: Path | None
    count: int

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Path]:
        skip = self.exclude.resolve() if self.exclude else None
        for given in self.inputs:
            if given.is_dir():
                yield from _notebooks_under(given, given.resolve(), skip)
            else:
                yield given


def _notebooks_under(folder: Path, resolved: Path, skip: Path | None) -> Iterator[Path]:
    """The notebooks under `folder` (which is `resolved` once its links are followed) in
    sorted order; links to folders are not followed, as rglob does not follow them."""
    notebooks: list[str] = []
    folders: list[str] = []
    links: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if fnmatchcase(entry.name, "*.ipynb"):
                    notebooks.append(entry.name)
                    if entry.is_symlink():
                        links.add(entry.name)
                if entry.name != CHECKPOINTS and _is_folder(entry):
                    folders.append(entry.name)
    except (PermissionError, FileNotFoundError, NotADirectoryError):
        return  # unreadable, or gone since it was listed: as rglob, nothing under it
    notebooks.sort()
    folders.sort()
    # a name that is both (a folder called x.ipynb) is itself before what it holds
    for name, is_folder in merge(((name, False) for name in notebooks),
                                 ((name, True) for name in folders)):
        path = folder / name
        if is_folder:
            yield from _notebooks_under(path, resolved / name, skip)
            continue
        if CHECKPOINTS in path.parts:
            continue  # the folder named is itself inside a checkpoints folder
        where = path.resolve() if name in links else resolved / name
        if skip is None or not where.is_relative_to(skip):
            yield path


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def find_submissions(inputs: Sequence[Path], *, exclude: Path | None = None) -> Submissions:
    """The notebook files named, or found under the folders named (`Submissions`)."""
    for given in inputs:
        if not given.is_dir() and not given.exists():
            raise NotebookError(f"{given}: no such file or folder")
    found = Submissions(tuple(inputs), exclude, 0)
    count = sum(1 for _path in found)
    if not count:
        raise NotebookError(f"no notebooks (*.ipynb) in {', '.join(map(str, inputs))}")
    return replace(found, count=count)


def preparer(bank: Bank, gradebook: Gradebook | None = None
             ) -> Callable[[NotebookFile], Prepared | Refusal]:
    """How a notebook built from `bank` is matched to its coding questions: those of the
    assignment issued from `gradebook` when the notebook names one (`workbook.issue`)."""
    # a question set's tasks are the same for every notebook: drawing generated inputs
    # and writing their checks cost about 0.3 s per notebook before this, more than
    # grading it, and one shared tuple per set keeps a large batch's memory flat
    tasks_of: dict[tuple[str, ...], tuple[Task, ...]] = {}

    def prepare(notebook: NotebookFile) -> Prepared | Refusal:
        # imported once a notebook is to be matched: a rerun that matches none does not
        from dataclasses import replace

        from grading.batch import Prepared
        from grading.submission import Refusal, match_answers
        from workbook.issue import resolve
        from workbook.tasks import tasks_for

        def refuse(problem: str) -> Refusal:
            return Refusal(source=notebook.source, content_hash=notebook.content_hash,
                           candidate=notebook.candidate, reason=f"{notebook.source}: {problem}")

        resolved = resolve(notebook, gradebook)
        if isinstance(resolved, str):
            return refuse(resolved)
        unknown = [q for q in resolved.questions if q not in bank.ids]
        if unknown:
            return refuse(f"names questions that are not in the bank '{bank.name}' "
                          f"({', '.join(unknown)}); grade it with the bank it was built "
                          f"from (--bank)")
        questions = tuple(resolved.questions)
        if questions not in tasks_of:
            tasks_of[questions] = tuple(tasks_for(bank.get(q) for q in questions))
        tasks = tasks_of[questions]
        notebook = replace(notebook, candidate=resolved.candidate)
        matched = match_answers(notebook, tasks,
                                answer_cell_id=lambda task_id: cell_id(task_id, ROLE_ANSWER))
        notes = [*resolved.notes, *matched.notes]
        built_with = notebook.metadata.get("bank_version")
        if built_with is not None and built_with != bank.version:
            notes.append(Event(kind=EventKind.INTEGRITY,
                               detail=f"built from bank version {built_with}, graded with "
                                      f"{bank.version}: its questions' checks may have changed"))
        return Prepared(notebook=notebook, tasks=tasks, answers=matched.answers,
                        notes=tuple(notes), assignment=resolved.state,
                        assignment_id=resolved.assignment_id)

    return prepare


def grade_submissions(bank: Bank, inputs: Sequence[Path], *, outdir: Path,
                      jobs: int | None = None, timeout: float | None = None,
                      gradebook_url: str | None = None, force: bool = False,
                      progress: bool | None = None, scheduler: str | None = None,
                      issued: Sequence[Path] = (), lease: float | None = None,
                      after: Sequence[Stage] = AFTER_GRADING) -> GradingRun:
    """Grade every notebook under `inputs` into `outdir` (results.json and results.csv
    among it), then run the `after` stages;
    `scheduler` grades on a Dask cluster instead of local kernels; `issued` names ledgers
    of assignments issued elsewhere, recorded in the gradebook first (`workbook.issue`);
    `lease`: seconds a claim outlives a grader that died (`grading.claims`)."""
    from grading.config import GradingConfig

    surely_grades = force or (gradebook_url is None
                              and not (outdir / DEFAULT_GRADEBOOK).exists())
    # launched before the notebooks are found: this process keeps one core busy until
    # the kernels start, and a stage's worker starts on the other
    prestarted_stages = [stage for stage in after
                         if isinstance(stage, EarlyStage)] if surely_grades else []
    try:
        for stage in prestarted_stages:
            if stage.prestart is not None:
                stage.prestart()
        paths = find_submissions(inputs, exclude=outdir)
        config = GradingConfig() if timeout is None else GradingConfig(timeout=timeout)
        prestarted = _prestart_zygote(config, paths, surely_grades, scheduler)
        try:
            return _grade(bank, paths, config, outdir=outdir, jobs=jobs,
                          gradebook_url=gradebook_url, force=force, progress=progress,
                          scheduler=scheduler, issued=issued, lease=lease, after=after)
        finally:
            if prestarted:
                from grading.kernel.starter import discard_prestarted

                discard_prestarted()
    finally:
        for stage in prestarted_stages:
            if stage.discard is not None:
                stage.discard()


def _prestart_zygote(config: GradingConfig, paths: Submissions, surely_grades: bool,
                     scheduler: str | None) -> bool:
    """Launch the kernel zygote now when this run will surely grade here (a first run into
    a new gradebook, or --force), so that it comes up while this process imports the
    gradebook and engine; a rerun that may have nothing to grade launches nothing (and
    imports nothing of it). Whether one was launched."""
    if not paths or scheduler is not None or not surely_grades:
        return False
    from grading.errors import GradingError
    from grading.kernel.starter import prestart

    try:
        prestart(config)
    except (GradingError, OSError):
        return False  # the Grader starts its own, and says what is wrong
    return True


def _grade(bank: Bank, paths: Submissions, config: GradingConfig, *, outdir: Path,
           jobs: int | None, gradebook_url: str | None, force: bool, progress: bool | None,
           scheduler: str | None, issued: Sequence[Path], lease: float | None,
           after: Sequence[Stage]) -> GradingRun:
    from grading.batch import grade_batch
    from grading.claims import DEFAULT_LEASE
    from grading.export import ResultsWriter
    from grading.gradebook import Gradebook
    from workbook.issue import read_ledger, record_ledger

    outdir.mkdir(parents=True, exist_ok=True)
    address = str(gradebook_url or outdir / DEFAULT_GRADEBOOK)
    gradebook = Gradebook.open(address)
    started: dict[int, Started] = {}
    try:
        for ledger in issued:
            record_ledger(gradebook, read_ledger(ledger))
        start = GradingStart(bank=bank, outdir=outdir, gradebook=gradebook, address=address,
                             progress=progress)
        for index, stage in enumerate(after):
            if isinstance(stage, EarlyStage):
                started[index] = stage.begin(start)
        match = preparer(bank, gradebook)

        def prepare(notebook: NotebookFile) -> Prepared | Refusal:
            # asked only of a file this run grades (or refuses), not of one it skips
            for begun in started.values():
                begun.expect(notebook.content_hash)
            return match(notebook)

        # results.json and results.csv: each result spooled as it is recorded, the
        # files written once the batch ends (grading.export.ResultsWriter)
        with ResultsWriter(outdir) as results:

            def recorded(position: int, result: SubmissionResult) -> None:
                results.add(position, result)
                for begun in started.values():
                    begun.recorded(result)

            report = grade_batch(paths, prepare=prepare,
                                 gradebook=gradebook, config=config,
                                 jobs=jobs or os.cpu_count() or 1, force=force,
                                 progress=progress, scheduler=scheduler,
                                 lease=(DEFAULT_LEASE if lease is None
                                        else timedelta(seconds=lease)),
                                 on_result=recorded)
            for begun in started.values():
                begun.graded()
            results.write()
        run = GradingRun(bank=bank, outdir=outdir, gradebook=gradebook, report=report,
                         progress=progress)
        for index, stage in enumerate(after):
            if isinstance(stage, EarlyStage):
                started[index].finish(run)
            else:
                stage(run)
    finally:
        for begun in started.values():
            begun.close()
        gradebook.close()
    return run
