"""A Jupyter server extension for the candidate's server: report every cell run and save.

It runs inside the candidate's JupyterLab server, which may run as an unprivileged user
with no access to the gradebook, so it writes nothing itself: each run (the code, the
cell, and how it ended) and each save (the notebook's code cells) is written as one JSON
line to a pipe inherited from `workbook interview` (`$WORKBOOK_EVIDENCE_FD`), whose end
of it records the line grading-side (`workbook/live/evidence.py`). What was sent cannot
be taken back from this side.

Runs are seen where the browser's requests enter the server (the kernel websocket), so
the confined kernel is not asked anything and cannot lie about what it was sent.
Requests and replies are matched per connection: a shell reply goes only to the
connection that asked. A request whose reply never comes (the kernel died or was
restarted) is reported as "no reply" when its connection hears of the restart (the new
kernel's "starting" status, the server's own notice of an automatic restart, or its event
for a restart someone asked for) or closes. The event matters: after a restart asked for
through the API the connection's IOPub may miss the new kernel's first messages, and a
kernel nobody asks anything says nothing more.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import weakref
from typing import Any, ClassVar

#: the environment variable naming the inherited pipe's file descriptor
EVIDENCE_FD_ENV = "WORKBOOK_EVIDENCE_FD"
#: what the outcome of a request without a reply says
NO_REPLY = "no reply"
#: a run's code longer than this is cut before it crosses (the other side caps it too)
MAX_CODE = 64_000
#: jupyter_server's event for kernel actions asked for through its API (restart among them)
KERNEL_ACTIONS_EVENT = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbook.live.recorder"}]


class EvidencePipe:
    """One writer thread per server, so a slow reader never blocks the server's loop."""

    def __init__(self, fd: int) -> None:
        self._file = os.fdopen(fd, "w", encoding="utf-8", buffering=1)
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._write_all, name="workbook-evidence",
                         daemon=True).start()

    def send(self, record: dict[str, Any]) -> None:
        self._lines.put(json.dumps(record, ensure_ascii=True) + "\n")

    def _write_all(self) -> None:
        while True:
            line = self._lines.get()
            try:
                self._file.write(line)
            except OSError:  # the interview is over: nobody reads any more
                return

    def ran(self, *, at: float, cell_id: str | None, code: str, outcome: str) -> None:
        self.send({"kind": "run", "at": at, "cell_id": cell_id, "code": code[:MAX_CODE],
                   "outcome": outcome})

    def saved(self, model: Any = None, os_path: str = "", **_kwargs: Any) -> None:
        """A post-save hook: the saved notebook's code cells, by id and workbook role."""
        try:
            with open(os_path, encoding="utf-8") as saved:
                cells = json.load(saved).get("cells", [])
        except (OSError, ValueError, AttributeError):
            return
        code_cells = []
        for cell in cells if isinstance(cells, list) else []:
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            meta = cell.get("metadata", {}).get("workbook", {})
            meta = meta if isinstance(meta, dict) else {}
            source = cell.get("source", "")
            code_cells.append({"id": cell.get("id"), "question": meta.get("question"),
                               "role": meta.get("role"),
                               "source": ("".join(source) if isinstance(source, list)
                                          else str(source))[:MAX_CODE]})
        self.send({"kind": "save", "at": time.time(), "cells": code_cells})


def recording_connection(base: type[Any], pipe: EvidencePipe) -> type[Any]:
    """`base` (the server's kernel websocket connection class) reporting runs to `pipe`."""

    class RecordingConnection(base):  # type: ignore[misc]
        #: every open connection, so a restart event reaches those of its kernel
        live: ClassVar[weakref.WeakSet[Any]] = weakref.WeakSet()

        @classmethod
        def kernel_restarted(cls, kernel_id: str) -> None:
            for connection in list(cls.live):
                if connection.kernel_id == kernel_id:
                    connection._give_up_pending()

        def handle_incoming_message(self, incoming_msg: Any) -> None:
            try:
                self._note_request(incoming_msg)
            except Exception:  # a message we cannot read is the kernel's to refuse
                self.log.debug("workbook recorder: unreadable request", exc_info=True)
            super().handle_incoming_message(incoming_msg)

        def handle_outgoing_message(self, stream: Any, outgoing_msg: Any) -> None:
            try:
                self._note_reply(stream, outgoing_msg)
            except Exception:
                self.log.debug("workbook recorder: unreadable reply", exc_info=True)
            super().handle_outgoing_message(stream, outgoing_msg)

        def on_kernel_restarted(self) -> None:
            self._give_up_pending()
            super().on_kernel_restarted()

        def disconnect(self) -> None:
            self._give_up_pending()
            super().disconnect()

        @property
        def _pending(self) -> dict[str, tuple[float, str | None, str]]:
            pending = self.__dict__.get("_workbook_pending")
            if pending is None:
                pending = self.__dict__["_workbook_pending"] = {}
            return pending

        def _note_request(self, incoming_msg: Any) -> None:
            header, metadata, content = self._request_parts(incoming_msg)
            if header.get("msg_type") != "execute_request":
                return
            RecordingConnection.live.add(self)
            code = content.get("code", "")
            cell_id = metadata.get("cellId")
            self._pending[str(header.get("msg_id"))] = (
                time.time(), cell_id if isinstance(cell_id, str) else None,
                code if isinstance(code, str) else "")

        def _request_parts(self, incoming_msg: Any) -> tuple[dict[str, Any], ...]:
            if self.subprotocol == "v1.kernel.websocket.jupyter.org":
                from jupyter_server.services.kernels.connection.base import (
                    deserialize_msg_from_ws_v1,
                )

                _channel, parts = deserialize_msg_from_ws_v1(  # type: ignore[no-untyped-call]
                    incoming_msg)
                header, _parent, metadata, content = (self.session.unpack(p)
                                                      for p in parts[:4])
            else:
                msg = json.loads(incoming_msg)
                header, metadata, content = (msg.get("header", {}), msg.get("metadata", {}),
                                             msg.get("content", {}))
            return header, metadata, content

        def _note_reply(self, stream: Any, outgoing_msg: Any) -> None:
            _identities, parts = self.session.feed_identities(outgoing_msg)
            header = self.session.unpack(parts[1])
            # which kernel process speaks: a restart from the menu brings another one
            kernel_session = header.get("session")
            known = self.__dict__.get("_workbook_kernel_session")
            self.__dict__["_workbook_kernel_session"] = kernel_session
            if not self._pending:
                return
            parent, _metadata, content = (self.session.unpack(p) for p in parts[2:5])
            if (known is not None and kernel_session != known) or (
                    header.get("msg_type") == "status"
                    and content.get("execution_state") in ("starting", "restarting", "dead")):
                # another kernel answers now (its own "starting" may come before this
                # connection listens again), or none will: what was sent to the old one
                # gets no reply. JupyterLab sends a new kernel no code before it answered.
                self._give_up_pending()
                return
            if header.get("msg_type") != "execute_reply":
                return
            request = self._pending.pop(str(parent.get("msg_id")), None)
            if request is None:
                return
            at, cell_id, code = request
            status = content.get("status")
            outcome = ("ok" if status == "ok" else
                       str(content.get("ename") or "error") if status == "error" else
                       str(status or "unknown"))
            pipe.ran(at=at, cell_id=cell_id, code=code, outcome=outcome)

        def _give_up_pending(self) -> None:
            pending = dict(self._pending)
            self._pending.clear()
            for at, cell_id, code in pending.values():
                pipe.ran(at=at, cell_id=cell_id, code=code, outcome=NO_REPLY)

    return RecordingConnection


def _load_jupyter_server_extension(serverapp: Any) -> None:
    fd = os.environ.get(EVIDENCE_FD_ENV, "")
    if not fd.isdigit():
        serverapp.log.warning("workbook recorder: no $%s, so nothing the candidate runs is "
                              "recorded", EVIDENCE_FD_ENV)
        return
    # the candidate's kernels are started by this server: they must not inherit the pipe
    # (a forged line would be recorded as the candidate's own), nor learn its number
    os.environ.pop(EVIDENCE_FD_ENV, None)
    os.set_inheritable(int(fd), False)
    pipe = EvidencePipe(int(fd))
    settings = serverapp.web_app.settings
    connection = recording_connection(settings["kernel_websocket_connection_class"], pipe)
    settings["kernel_websocket_connection_class"] = connection

    async def on_kernel_action(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        if data.get("action") == "restart" and isinstance(data.get("kernel_id"), str):
            connection.kernel_restarted(data["kernel_id"])

    serverapp.event_logger.add_listener(schema_id=KERNEL_ACTIONS_EVENT,
                                        listener=on_kernel_action)
    serverapp.contents_manager.register_post_save_hook(pipe.saved)
    serverapp.log.info("workbook recorder: reporting runs and saves")
