"""Errors of the grading engine: infrastructure failures only, each with a message a user
can act on. A candidate failing a check (or crashing its kernel) is a result, never one of
these.

    GradingError              root of everything the `grading` package raises on purpose
    ├── ConfigError           a GradingConfig value that cannot work (names the field)
    ├── SandboxError          the confined kernel cannot be set up (bwrap, kernelspec, run folder)
    ├── KernelStartError      a kernel did not start or did not answer in time
    ├── AnswerKeyError        a task's reference does not produce a usable observation
    ├── UnknownTaskError      an Answer names a task the Grader was not given
    ├── SubmissionError       handling one submission went wrong; it alone is not graded
    └── GradebookError        the gradebook cannot be opened, migrated, read or written
"""

from __future__ import annotations


class GradingError(Exception):
    """Root of every error the `grading` package raises on purpose."""


class ConfigError(GradingError):
    """A configuration value that cannot work."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"grading config: {field}: {problem}")


class SandboxError(GradingError):
    """The sandbox for candidate kernels cannot be prepared."""


class KernelStartError(GradingError):
    """A kernel process did not start, or did not become ready in time."""


class AnswerKeyError(GradingError):
    """The reference answer of a task fails to produce an observation for a check."""

    def __init__(self, task_id: str, check: str, problem: str) -> None:
        self.task_id = task_id
        self.check = check
        self.problem = problem
        super().__init__(f"task '{task_id}', check '{check}': the reference {problem}; "
                         f"fix the question so its reference passes its own checks")


class UnknownTaskError(GradingError):
    """An answer refers to a task id the Grader does not know."""


class SubmissionError(GradingError):
    """Grading one submission went wrong in a way no check accounts for (a fault of the
    engine, or of this submission that the engine did not foresee). The batch records it
    as that submission's status `error`, with this one-line reason, and retries it on
    the next run; the other submissions are not touched."""

    @classmethod
    def caused_by(cls, error: BaseException) -> SubmissionError:
        from grading.text import one_line

        detail = one_line(str(error) if _printable(error) else "", 200)
        name = type(error).__name__
        return cls(f"the grader failed on this submission ({name}{': ' if detail else ''}"
                   f"{detail})")


def _printable(error: BaseException) -> bool:
    try:
        str(error)
    except Exception:
        return False
    return True


class GradebookError(GradingError):
    """The gradebook database cannot be opened, migrated, read or written (names its URL)."""
