"""Errors of the interview side, each with a message meant for the person at the keyboard.

    WorkbookError
    ├── QuestionFileError   a question file is malformed (names file, line and field)
    ├── BankError           the bank as a whole is refused (duplicate ids, empty folder, ...)
    ├── SelectionError      no question matches what was asked for
    ├── NotebookError       a notebook cannot be read or is not one of ours
    └── SessionError        a live interview session cannot be prepared, bound or served
"""

from __future__ import annotations

from pathlib import Path


class WorkbookError(Exception):
    """Root of every error the `workbook` package raises on purpose."""


class QuestionFileError(WorkbookError):
    """A question file that cannot be loaded; carries where and what."""

    def __init__(self, path: Path | str, line: int | None, field: str, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: field '{field}': {problem}")


class BankError(WorkbookError):
    """The bank folder as a whole is unusable."""


class SelectionError(WorkbookError):
    """The requested level, sections or questions match nothing usable."""


class NotebookError(WorkbookError):
    """A notebook file that is missing, unreadable or not built by workbook."""


class SessionError(WorkbookError):
    """A live interview session cannot be prepared, bound, scored or served."""
