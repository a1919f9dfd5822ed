"""Grading on a Dask distributed cluster, for batches that outgrow one machine.

The batch stays where it is: the driver reads the files, skips what the gradebook holds
and records every verdict (one writer, one transaction per submission). Only the grading
moves: each submission goes to a Dask worker, which keeps an open `Grader` per task set
and config (the zygote and the answer key are built once per worker, not per
submission; at most `GRADERS_PER_WORKER` of them, the least recently used closed first)
and grades there, in its own confined kernels. The driver keeps a bounded window of
submissions on the cluster and pulls the next from the batch's stream as each finishes,
so its memory does not grow with the batch. Workers need this package and bubblewrap
installed, like any machine that grades.
"""

from __future__ import annotations

import atexit
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from grading.config import GradingConfig
from grading.errors import GradingError, SubmissionError
from grading.results import TaskResult
from grading.tasks import Answer, Task

if TYPE_CHECKING:
    from grading.engine import Graded, Grader

K = TypeVar("K")
#: seconds to reach the scheduler
CONNECT_TIMEOUT = 10
#: task sets one worker process keeps graders open for (each holds a zygote and its
#: kernels' answer key); a batch of issued assignments can have many sets
GRADERS_PER_WORKER = 4
#: submissions on the cluster per worker thread: each thread has the next one waiting
#: while the driver records the last; the rest of the batch stays unread
IN_FLIGHT_PER_THREAD = 2
#: the window's floor, for a cluster whose workers are still joining
MIN_IN_FLIGHT = 8


@dataclass
class _Open:
    grader: Grader
    users: int = 0
    retired: bool = False


class WorkerGraders:
    """One worker process's open Graders, by task set and config, at most `limit` of them.
    The least recently used is retired when another opens, and closed once the last
    submission grading on it returns (a worker may run several threads)."""

    def __init__(self, limit: int = GRADERS_PER_WORKER) -> None:
        self.limit = limit
        self._open: OrderedDict[str, _Open] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._open)

    @contextmanager
    def use(self, tasks: Sequence[Task], config: GradingConfig) -> Iterator[Grader]:
        """The Grader for `tasks` under `config`, opened on first use, kept open after."""
        from grading.engine import Grader

        digest = hashlib.sha256(pickle.dumps((tuple(tasks), config))).hexdigest()
        retired: list[_Open] = []
        with self._lock:
            entry = self._open.get(digest)
            if entry is None:
                # opened under the lock: threads wanting this set wait for it, not redo it
                grader = Grader(list(tasks), config=config)
                grader.open()
                entry = self._open[digest] = _Open(grader)
                while len(self._open) > self.limit:
                    _digest, old = self._open.popitem(last=False)
                    old.retired = True
                    if old.users == 0:
                        retired.append(old)
            else:
                self._open.move_to_end(digest)
            entry.users += 1
        for old in retired:
            old.grader.close()
        try:
            yield entry.grader
        finally:
            with self._lock:
                entry.users -= 1
                done = entry.retired and entry.users == 0
            if done:
                entry.grader.close()

    def close(self) -> None:
        """Close every grader (the worker is exiting)."""
        with self._lock:
            entries = list(self._open.values())
            self._open.clear()
        for entry in entries:
            entry.grader.close()


#: this worker process's graders; closed when the worker exits
_graders = WorkerGraders()
atexit.register(_graders.close)


def grade_on_worker(tasks: Sequence[Task], config: GradingConfig,
                    answers: Sequence[Answer]) -> tuple[TaskResult, ...]:
    """Runs on a Dask worker: grade one submission."""
    with _graders.use(tasks, config) as grader:
        results: tuple[TaskResult, ...] = grader.grade(answers)
    return results


def grade_many_on_cluster(scheduler: str, tasks: Sequence[Task], config: GradingConfig,
                          items: Iterable[tuple[K, Sequence[Answer]]]
                          ) -> Iterator[tuple[K, Graded]]:
    """Grade submissions on the cluster at `scheduler`; yields each as it finishes, with its
    results or the SubmissionError that says why it has none (a worker that died, say).
    `items` is pulled as the cluster frees up, a bounded window ahead."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise GradingError("grading on a cluster needs Dask distributed: "
                           "pip install 'interview-workbook[dask]'") from None
    try:
        # Dask retries a refused connection until this timeout: keep a wrong address quick.
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except OSError as error:
        raise GradingError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        # Scatter the task set once; every submission refers to it.
        shared_tasks, shared_config = client.scatter([tuple(tasks), config], broadcast=True)
        window = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
        source = iter(items)
        keys: dict[Any, K] = {}
        finished = as_completed()

        def submit_next() -> None:
            item = next(source, None)
            if item is not None:
                key, answers = item
                future = client.submit(grade_on_worker, shared_tasks, shared_config,
                                       list(answers), pure=False)
                keys[future] = key
                finished.add(future)

        for _ in range(window):
            submit_next()
        for future in finished:
            key = keys.pop(future)
            outcome: Graded
            try:
                outcome = future.result()
            except SubmissionError as error:
                outcome = error
            except Exception as error:  # a worker died or lost its connection
                outcome = SubmissionError(f"a Dask worker failed on it: {error}")
            submit_next()  # the cluster's next before this one is recorded
            yield key, outcome
