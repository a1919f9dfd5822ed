"""Saving one panel's fields to the gradebook, and telling which stored values are new."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from grading.errors import GradingError
from workbook.errors import WorkbookError
from workbook.live import html
from workbook.live.context import LiveContext
from workbook.live.store import StoredField

if TYPE_CHECKING:
    import ipywidgets as w


class FieldWriter:
    """Saves one panel's fields, and knows which stored values it has already seen.

    Values applied from the gradebook must not be written back; which thread is applying
    is kept per panel, so an interviewer's click arriving while the sync thread applies
    another kernel's change is still saved."""

    def __init__(self, context: LiveContext, question: str, status: w.HTML) -> None:
        self.context = context
        self.question = question
        self.status = status
        self.seen: dict[str, datetime] = {}
        self._applying = threading.local()

    @contextmanager
    def applying_stored_values(self) -> Iterator[None]:
        self._applying.active = True
        try:
            yield
        finally:
            self._applying.active = False

    @property
    def applying(self) -> bool:
        return bool(getattr(self._applying, "active", False))

    def on_change(self, field: str) -> Callable[[dict[str, Any]], None]:
        def write(change: dict[str, Any]) -> None:
            if not self.applying:
                self.save(field, change["new"])
        return write

    def save(self, field: str, value: Any) -> bool:
        try:
            self.context.store.write(self.question, field, value)
        except (GradingError, WorkbookError) as exc:
            self.status.value = html.not_saved(field, str(exc))
            return False
        self.seen[field] = datetime.now(UTC)
        binding = self.context.binding
        self.status.value = html.saved_line(binding.session, binding.candidate, datetime.now())
        return True

    def newer(self, fields: dict[str, StoredField]) -> dict[str, StoredField]:
        """The stored fields written elsewhere after this panel last saw them."""
        found = {name: stored for name, stored in fields.items()
                 if name not in self.seen or stored.updated_at > self.seen[name]}
        for name, stored in found.items():
            self.seen[name] = stored.updated_at
        return found
