"""Process evidence: the candidate's real JupyterLab server reports each run and save, and the
grading side records them in the gradebook, out of the candidate's reach."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.live.conftest import CODING_QUESTION
from tests.live.jupyter_env import isolated_jupyter_env
from workbook.live.binding import read_binding
from workbook.live.evidence import AnswerTracker, EvidenceRecorder, evidence_from_line
from workbook.live.lab import LabServer, free_port
from workbook.live.servers import RunFolder, candidate_options
from workbook.live.session import PreparedSession
from workbook.live.store import Evidence, LiveScores
from workbook.notebook import ROLE_ANSWER, cell_id

ANSWER_CELL = cell_id(CODING_QUESTION, ROLE_ANSWER)


@dataclass
class CandidateServer:
    server: LabServer
    store: LiveScores
    recorder: EvidenceRecorder

    def api(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.server.options.port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.server.options.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"null")


@pytest.fixture
def candidate_server(session: PreparedSession, tmp_path: Path) -> Iterator[CandidateServer]:
    store = LiveScores(read_binding(session.interviewer_notebook))
    recorder = EvidenceRecorder(store, session.candidate_notebook)
    assert session.candidate_notebook is not None
    run = RunFolder(session.folder).create()
    # the candidate's server as `workbook interview` starts it
    server = LabServer(candidate_options(
        session_folder=session.folder, notebook=session.candidate_notebook, run=run,
        ip="127.0.0.1", port=free_port(), token=secrets.token_hex(8),
        log=tmp_path / "candidate-lab.log", confine=session.candidate_confined,
        env=isolated_jupyter_env(tmp_path / "jupyter"), extra_env=recorder.env,
        pass_fds=(recorder.fd,)))
    with recorder:
        try:
            server.start()
            recorder.server_started()
            yield CandidateServer(server=server, store=store, recorder=recorder)
        finally:
            server.stop()
            run.remove()
    store.close()


def execute(server: CandidateServer, kernel_id: str, code: str, cell: str | None) -> str:
    """Run `code` as JupyterLab does (an execute_request naming its cell); the reply's status."""
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    async def run() -> str:
        url = (f"ws://127.0.0.1:{server.server.options.port}/api/kernels/{kernel_id}/channels"
               f"?token={server.server.options.token}")
        connection = await websocket_connect(url)
        msg_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "channel": "shell",
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "c",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {"cellId": cell} if cell else {},
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False}}))
        while True:
            message = json.loads(await connection.read_message())
            if (message.get("msg_type") == "execute_reply"
                    and message["parent_header"].get("msg_id") == msg_id):
                connection.close()
                return str(message["content"]["status"])

    return IOLoop.current().run_sync(run, timeout=120)


def wait_for_rows(store: LiveScores, count: int) -> list[Evidence]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = store.evidence()
        if len(rows) >= count:
            return rows
        time.sleep(0.1)
    return store.evidence()


def test_each_run_and_save_of_the_candidate_is_recorded_grading_side(
        candidate_server: CandidateServer, session: PreparedSession) -> None:
    assert session.candidate_notebook is not None
    name = session.candidate_notebook.name
    started = candidate_server.api("POST", "/api/sessions", {
        "path": name, "type": "notebook", "name": name, "kernel": {}})
    kernel = started["kernel"]["id"]

    first = "def top_k(xs, k):\n    return 1/0"
    assert execute(candidate_server, kernel, first, ANSWER_CELL) == "ok"
    assert execute(candidate_server, kernel, "top_k([], 1)", ANSWER_CELL) == "error"
    assert execute(candidate_server, kernel, "print('scratch')", None) == "ok"
    model = candidate_server.api("GET", f"/api/contents/{name}")
    answer = next(c for c in model["content"]["cells"] if c["id"] == ANSWER_CELL)
    answer["source"] = "def top_k(xs, k):\n    return sorted(xs)[:k]\n"
    candidate_server.api("PUT", f"/api/contents/{name}", {
        "type": "notebook", "format": "json", "content": model["content"]})

    rows = wait_for_rows(candidate_server.store, 4)
    runs = [(r.question, r.outcome, r.code) for r in rows if r.kind == "run"]
    saves = [(r.question, r.code) for r in rows if r.kind == "save"]
    assert runs == [(CODING_QUESTION, "ok", "def top_k(xs, k):\n    return 1/0"),
                    (CODING_QUESTION, "ZeroDivisionError", "top_k([], 1)"),
                    (None, "ok", "print('scratch')")]
    assert saves == [(CODING_QUESTION, "def top_k(xs, k):\n    return sorted(xs)[:k]\n")]
    assert candidate_server.recorder.dropped == 0


def test_candidate_code_cannot_write_to_the_evidence_pipe(
        candidate_server: CandidateServer, session: PreparedSession) -> None:
    assert session.candidate_notebook is not None
    name = session.candidate_notebook.name
    kernel = candidate_server.api("POST", "/api/sessions", {
        "path": name, "type": "notebook", "name": name, "kernel": {}})["kernel"]["id"]
    forged = json.dumps({"kind": "run", "at": time.time(), "cell_id": ANSWER_CELL,
                         "code": "FORGED", "outcome": "ok"})
    # every pipe the kernel holds (its sockets are left alone, or the reply would never
    # come), and the variable that named the pipe
    attack = ("import os, stat\nfor fd in range(3, 1024):\n    try:\n"
              "        if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
              f"            os.write(fd, {(forged + chr(10)).encode()!r})\n"
              "    except OSError:\n        pass\n"
              "assert 'WORKBOOK_EVIDENCE_FD' not in os.environ\n")
    assert execute(candidate_server, kernel, attack, None) == "ok"

    rows = wait_for_rows(candidate_server.store, 1)
    assert [r.code for r in rows if r.kind == "run"] == [attack]


def test_a_run_whose_kernel_restarts_before_it_replies_is_recorded_as_no_reply(
        candidate_server: CandidateServer, session: PreparedSession) -> None:
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    assert session.candidate_notebook is not None
    name = session.candidate_notebook.name
    kernel = candidate_server.api("POST", "/api/sessions", {
        "path": name, "type": "notebook", "name": name, "kernel": {}})["kernel"]["id"]
    port, token = candidate_server.server.options.port, candidate_server.server.options.token

    async def run_and_restart() -> None:
        connection = await websocket_connect(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?token={token}")
        connection.write_message(json.dumps({
            "channel": "shell",
            "header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request",
                       "username": "c", "session": uuid.uuid4().hex, "version": "5.3",
                       "date": ""},
            "parent_header": {}, "metadata": {"cellId": ANSWER_CELL},
            "content": {"code": "import time\ntime.sleep(600)", "silent": False,
                        "store_history": True, "user_expressions": {},
                        "allow_stdin": False}}))
        while True:  # the kernel has started the cell
            message = json.loads(await connection.read_message())
            if message.get("msg_type") == "execute_input":
                break
        candidate_server.api("POST", f"/api/kernels/{kernel}/restart", {})
        # the connection stays open, as the browser's does: the restart alone tells
        found.extend(wait_for_rows(candidate_server.store, 1))
        connection.close()

    found: list[Evidence] = []
    IOLoop.current().run_sync(run_and_restart, timeout=120)

    rows = found
    assert [(r.kind, r.question, r.outcome) for r in rows] == [
        ("run", CODING_QUESTION, "no reply")]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(record=st.dictionaries(st.sampled_from(["kind", "at", "cell_id", "code", "outcome",
                                               "cells", "session", "candidate"]),
                              json_values | st.sampled_from(["run", "save"])))
def test_any_json_line_is_recorded_only_as_a_well_formed_row_or_dropped(
        record: dict[str, Any]) -> None:
    now = time.time()
    rows = evidence_from_line(json.dumps(record), AnswerTracker(), now)
    for row in rows:
        assert row.kind in ("run", "save")
        assert isinstance(row.code, str) and isinstance(row.outcome, str) and row.outcome
        assert row.question is None or isinstance(row.question, str)
        assert row.at.timestamp() <= now + 1


@given(line=st.text(max_size=200))
def test_a_line_that_is_not_json_is_dropped(line: str) -> None:
    try:
        json.loads(line)
    except ValueError:
        assert evidence_from_line(line, AnswerTracker(), time.time()) == []
