"""Reports made while grading runs: a worker process drafts each graded copy as its
submission is recorded, and writes every report once grading ends.

Why: `workbook grade` waits on kernels most of a batch, and rendering reports after it
was most of the job's time for a small cohort (bench/report_bench.py): importing the report
stack (nbconvert, papermill, matplotlib) alone cost about as much as grading 40 notebooks.
Why a process and not a thread: the grading process's threads read and judge every kernel
message, and a rendering thread beside them would hold the GIL they wait for.

The worker imports the stack and builds the template, exporter and chart frame while the
first kernels start, then drafts the copy of each submission recorded (`drafts.py`), in
the order they were recorded. When grading ends it runs `stage.write_reports` itself:
every draft whose report did not change is finished, the rest rendered as usual. Whatever
happens to the worker (it cannot start, it dies, it fails), the grading process writes the
reports itself, exactly as without it: the worker saves time and decides nothing.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import subprocess
import sys
from collections import deque
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grading.results import SubmissionStatus
from workbook.model import Bank

# the grading process imports this module: nothing here imports the report stack, which
# is the worker's to import (~80 ms of the grading process's CPU otherwise)
from workbook.report.naming import GRADED_DIR, ReportFiles

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from grading.gradebook import Gradebook
    from workbook.report.drafts import Drafts
    from workbook.report.graded_copy import CopySettings
    from workbook.report.records import CandidateReport
    from workbook.similarity.cache import SimilarityCache

#: messages to the worker: what to work on, a candidate whose submission was recorded,
#: the end of grading
JOB, RECORDED, FINISH = "job", "recorded", "finish"
#: the worker's answer to FINISH
DONE = "done"


class ReportsAhead:
    """The grading process's side: start the worker, tell it what was recorded, and have
    it write the reports (or write them here if it cannot).

    The worker is a command of its own (`python -m workbook.report.ahead`) rather than a
    multiprocessing child: a spawned child imports the parent's main script again, and a
    script that calls `grade_submissions` without a `__main__` guard would grade again.
    Messages are pickled over a socket pair and sent by a thread of their own, so the
    bank (about a megabyte) or a busy worker never hold up grading.
    """

    def __init__(self, address: str, bank: Bank, outdir: Path) -> None:
        import threading

        self._process, self._connection = _take_prestarted() or _launch()
        self._outbox: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        #: where the worker keeps its drafts, removed here too in case it was killed
        self._drafts = outdir / GRADED_DIR / f".drafts-{os.getpid()}-{id(self):x}"
        self._sender = threading.Thread(target=self._send, name="workbook-reports-sender",
                                        daemon=True)
        self._finish_requested = False
        self._sender.start()
        self._outbox.put((JOB, (address, bank, outdir, self._drafts)))

    def _send(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self._connection.send(message)
            except (OSError, ValueError):
                return  # the worker is gone: finish() finds out and writes the reports

    @property
    def pid(self) -> int | None:
        """The worker's process id, while it runs."""
        return self._process.pid if self._process is not None else None

    def recorded(self, candidate: str) -> None:
        """`candidate`'s submission is in the gradebook: their copy can be drafted."""
        self._outbox.put((RECORDED, candidate))

    def request_finish(self, *, progress: bool | None) -> None:
        """Grading has ended: have the worker start writing the reports now (`finish`
        waits for them), while the grading process writes its results files."""
        if not self._finish_requested:
            self._finish_requested = True
            self._outbox.put((FINISH, progress))

    def finish(self, gradebook: Gradebook, bank: Bank, outdir: Path, *,
               progress: bool | None) -> ReportFiles:
        """Every report, written by the worker, or here when it cannot."""
        reply = self._finished(progress) if self._process is not None else None
        if reply is not None:
            return reply
        # imported only now: the grading process leaves the report stack to the worker
        from workbook.report.stage import write_reports

        return write_reports(gradebook, bank, outdir, progress=progress)

    def _finished(self, progress: bool | None) -> ReportFiles | None:
        self.request_finish(progress=progress)
        try:
            kind, files = self._connection.recv()  # EOF when the worker dies
        except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            return None
        return files if kind == DONE else None

    def close(self) -> None:
        """Stop the worker if it still runs (grading failed or was interrupted)."""
        self._outbox.put(None)
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except Exception:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._sender.join(timeout=10)
        self._connection.close()
        shutil.rmtree(self._drafts, ignore_errors=True)


def _launch() -> tuple[subprocess.Popen[bytes] | None, Connection]:
    """A new worker process and our end of its socket; no process (OSError) means the
    reports are written by the grading process once grading ends."""
    from multiprocessing import Pipe

    ours, theirs = Pipe()
    process = None
    with contextlib.suppress(OSError):
        process = subprocess.Popen(
            [sys.executable, "-m", "workbook.report.ahead", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
    theirs.close()
    return process, ours


#: a worker launched before grading starts, for the next ReportsAhead to take
_prestarted: tuple[subprocess.Popen[bytes] | None, Connection] | None = None


def prestart() -> None:
    """Launch a worker now, for this process's next `ReportsAhead`: `workbook grade`
    does so first thing on a run that will surely grade, while only one of its cores is
    busy (finding the notebooks, before the kernels start), so the worker's start-up
    imports run there instead of beside the kernels. It imports the report stack and
    waits for its job; `discard_prestarted` stops it if nothing took it."""
    global _prestarted
    if _prestarted is None:
        _prestarted = _launch()


def _take_prestarted() -> tuple[subprocess.Popen[bytes] | None, Connection] | None:
    global _prestarted
    taken, _prestarted = _prestarted, None
    return taken


def discard_prestarted() -> None:
    """Stop the prestarted worker if no ReportsAhead took it."""
    taken = _take_prestarted()
    if taken is not None:
        process, connection = taken
        connection.close()
        if process is not None:
            process.terminate()  # it may be importing still, not yet reading its socket
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def serve(connection: Connection) -> None:
    """The worker: import and build what every copy needs while waiting for its job, then
    draft copies as candidates are recorded, and write the reports on FINISH."""
    from workbook.report.lean_imports import skip_unused_renderer_modules

    skip_unused_renderer_modules()
    from grading.gradebook import Gradebook
    from workbook.report.drafts import Drafts
    from workbook.report.graded_copy import CopySettings
    from workbook.report.stage import bank_folder, today, write_reports
    from workbook.similarity.cache import SimilarityCache

    _warm()
    kind, (address, bank, outdir, folder) = connection.recv()
    if kind != JOB:
        return
    drafts = Drafts(folder)
    try:
        with Gradebook.open(address) as gradebook, ExitStack() as warm_cache:
            settings = CopySettings(gradebook=gradebook.url, date=today(),
                                    bank=bank_folder(bank))
            prints = warm_cache.enter_context(SimilarityCache.of(outdir))
            backlog: deque[str] = deque()
            frames_drawn = False
            while True:
                if backlog and not connection.poll():
                    candidate = backlog.popleft()
                    drafted = _draft(gradebook, bank, outdir, settings, drafts, candidate)
                    if drafted and not frames_drawn:
                        frames_drawn = _draw_frames(drafted)
                    _fingerprint(gradebook, prints, candidate)
                    continue
                kind, value = connection.recv()
                if kind == RECORDED:
                    backlog.append(value)
                elif kind == FINISH:
                    warm_cache.close()  # the similarity step opens the cache itself
                    try:
                        files = write_reports(gradebook, bank, outdir, progress=value,
                                              drafts=drafts)
                    except Exception as error:  # the grading process writes them instead
                        connection.send(("failed", f"{type(error).__name__}: {error}"))
                    else:
                        connection.send((DONE, files))
                    return
    finally:
        drafts.discard()
        connection.close()


def _warm() -> None:
    """What every copy needs, built now while grading runs: the stack's imports, the
    prepared template, the chart's frame and the pages' skeleton store. nbconvert is
    imported by the first page whose skeleton the store does not hold, if any."""
    from workbook.report.cohort_page import draw_chart_frames
    from workbook.report.graded_copy import _prepared
    from workbook.report.html_export import _skeletons

    _prepared()
    _skeletons()
    draw_chart_frames()  # kept from an earlier run, or drawn now by matplotlib


def _fingerprint(gradebook: Gradebook, cache: SimilarityCache, candidate: str) -> None:
    """Fingerprint `candidate`'s answers into the similarity step's cache
    (`workbook/similarity/cache.py`), where it finds them once grading ends; one that
    fails here is only computed then, as usual."""
    with contextlib.suppress(Exception):
        cache.fingerprints(task.answer for result in gradebook.results(candidate=candidate)
                           for task in result.tasks)


def _draft(gradebook: Gradebook, bank: Bank, outdir: Path, settings: CopySettings,
           drafts: Drafts, candidate: str) -> list[CandidateReport]:
    """Draft `candidate`'s copy; returns the reports drafted. A draft that fails is only a
    copy rendered after grading, as usual, and rendering it then says what is wrong, if
    anything still is."""
    from workbook.report.from_gradebook import load_reports

    drafted = []
    try:
        for report in load_reports(gradebook, bank, candidate=candidate):
            drafts.draft(report, outdir, settings)
            drafted.append(report)
    except Exception:
        pass
    return drafted


def _draw_frames(drafted: list[CandidateReport]) -> bool:
    """The cohort page's chart frames, its questions taken from the first graded
    candidate (a cohort that sat one workbook has the same); whether that was done."""
    from workbook.report.cohort_page import draw_chart_frames

    graded = [r for r in drafted if r.status is SubmissionStatus.GRADED]
    if not graded:
        return False
    with contextlib.suppress(Exception):  # the page draws them itself then
        draw_chart_frames([q.title for q in graded[0].questions])
    return True


def main(argv: list[str]) -> None:
    """`python -m workbook.report.ahead FD`: serve the socket inherited as FD."""
    from multiprocessing.connection import Connection

    try:
        serve(Connection(int(argv[0])))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole group: `workbook grade` says it
        sys.exit(130)
    except Exception:
        # the grading process is gone (EOF), or it writes the reports itself and says
        # what is wrong, if anything still is: a worker's traceback would be noise
        sys.exit(1)
    # every file is written and closed, and the drafts removed: the grading process
    # waits for this exit, and tearing down the report stack's modules took ~5 ms more
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
