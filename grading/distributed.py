"""Grading on a Dask distributed cluster, for batches that outgrow one machine.

The batch stays where it is: the driver reads the files, skips what the gradebook holds
and records every verdict (one writer, one transaction per submission). Only the grading
moves: each submission goes to a Dask worker, which keeps one open `Grader` per task set
and config for its whole life (the zygote and the answer key are built once per worker,
not per submission) and grades there, in its own confined kernels. Workers need this
package and bubblewrap installed, like any machine that grades.
"""

from __future__ import annotations

import atexit
import hashlib
import pickle
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from grading.config import GradingConfig
from grading.errors import GradingError, SubmissionError
from grading.results import TaskResult
from grading.tasks import Answer, Task

if TYPE_CHECKING:
    from grading.engine import Graded

K = TypeVar("K")
#: seconds to reach the scheduler
CONNECT_TIMEOUT = 10

_graders: dict[str, Any] = {}
_graders_lock = threading.Lock()


def _worker_grader(tasks: Sequence[Task], config: GradingConfig) -> Any:
    """This worker process's Grader for `tasks` under `config`, opened on first use."""
    from grading.engine import Grader

    digest = hashlib.sha256(pickle.dumps((tuple(tasks), config))).hexdigest()
    with _graders_lock:
        grader = _graders.get(digest)
        if grader is None:
            grader = Grader(tasks, config=config)
            grader.open()
            _graders[digest] = grader
            atexit.register(grader.close)
        return grader


def grade_on_worker(tasks: Sequence[Task], config: GradingConfig,
                    answers: Sequence[Answer]) -> tuple[TaskResult, ...]:
    """Runs on a Dask worker: grade one submission."""
    results: tuple[TaskResult, ...] = _worker_grader(tasks, config).grade(answers)
    return results


def grade_many_on_cluster(scheduler: str, tasks: Sequence[Task], config: GradingConfig,
                          items: Iterable[tuple[K, Sequence[Answer]]]
                          ) -> Iterator[tuple[K, Graded]]:
    """Grade submissions on the cluster at `scheduler`; yields each as it finishes, with its
    results or the SubmissionError that says why it has none (a worker that died, say)."""
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
        futures = {client.submit(grade_on_worker, shared_tasks, shared_config, list(answers),
                                 pure=False): key for key, answers in items}
        for future in as_completed(futures):
            outcome: Graded
            try:
                outcome = future.result()
            except SubmissionError as error:
                outcome = error
            except Exception as error:  # a worker died or lost its connection
                outcome = SubmissionError(f"a Dask worker failed on it: {error}")
            yield futures[future], outcome
