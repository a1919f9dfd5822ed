"""The candidate's JupyterLab server, attacked with the candidate's own token.

One real server, started the way `workbook interview` starts it (in bubblewrap when it is
installed). Every refused request must get a 403/404 (400 for a body that is not JSON)
with a reason, and leave the server answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tornado import web

from tests.live.candidate_http import Answer, call, healthy, websocket_status
from tests.live.conftest import CODING_QUESTION
from tests.live.jupyter_env import isolated_jupyter_env
from workbook.bank import SHIPPED_BANK
from workbook.live.candidate_policy import CONFINED_KERNEL
from workbook.live.lab import LabServer, free_port
from workbook.live.server_sandbox import PACKAGES_DIR
from workbook.live.servers import RunFolder, candidate_options
from workbook.live.session import PreparedSession, prepare_session
from workbook.model import Bank, Level

NOTEBOOK = "candidate.ipynb"
REFUSED = (403, 404)


@dataclass(frozen=True)
class CandidateServer:
    server: LabServer
    prepared: PreparedSession
    run: RunFolder


@pytest.fixture(scope="module")
def candidate(tmp_path_factory: pytest.TempPathFactory,
              shipped_bank: Bank) -> Iterator[CandidateServer]:
    root = tmp_path_factory.mktemp("candidate-server")
    prepared = prepare_session(shipped_bank, candidate="Edsger Dijkstra", level=Level.JUNIOR,
                               folder=root / "session",
                               gradebook=str(root / "gradebook.sqlite"),
                               question_ids=[CODING_QUESTION])
    assert prepared.candidate_notebook is not None
    run = RunFolder(prepared.folder).create()
    server = LabServer(candidate_options(
        session_folder=prepared.folder, notebook=prepared.candidate_notebook, run=run,
        ip="127.0.0.1", port=free_port(), token=uuid.uuid4().hex,
        log=root / "candidate-lab.log", confine=prepared.candidate_confined,
        env=isolated_jupyter_env(root / "jupyter")))
    try:
        server.start()
        yield CandidateServer(server, prepared, run)
    finally:
        server.stop()
        run.remove()


def assert_refused(answer: Answer, statuses: tuple[int, ...] = REFUSED) -> None:
    assert answer.status in statuses, (answer.status, answer.body[:200])
    assert answer.json()["message"]  # a reason, not an empty page


def kernel_names(server: LabServer) -> list[str]:
    return [kernel["name"] for kernel in call(server, "GET", "/api/kernels").json()]


# the interviewer's files, seen from the candidate's root, written the ways a path can be
OUTSIDE_PATHS = [
    "../interviewer/interviewer.ipynb",
    "..%2Finterviewer%2Finterviewer.ipynb",
    "%2e%2e/interviewer/interviewer.ipynb",
    "%252e%252e%252finterviewer",
    f"{NOTEBOOK}/../../interviewer/interviewer.ipynb",
    "..\\interviewer\\interviewer.ipynb",
    "/etc/passwd",
    ".jupyter_ystore.db",
    "other.ipynb",
    f"{NOTEBOOK}%00.txt",
    "candidate\u2024ipynb",  # a one-dot leader, not a full stop
    "Candidate.ipynb",
]
ROUTE_CLASSES = [
    ("GET", "/api/contents/{}"),
    ("GET", "/files/{}"),
    ("GET", "/nbconvert/html/{}"),
    ("PUT", "/api/collaboration/session/{}"),
    ("GET", "/lab/tree/{}"),
    ("GET", "/api/contents/{}/checkpoints"),
]


@pytest.mark.parametrize(("method", "route"), ROUTE_CLASSES)
def test_every_route_refuses_paths_other_than_the_candidates_notebook(
        candidate: CandidateServer, method: str, route: str) -> None:
    for path in OUTSIDE_PATHS:
        body = {"format": "json", "type": "notebook"} if method == "PUT" else None
        assert_refused(call(candidate.server, method, route.format(path), body))
    assert healthy(candidate.server)
    assert call(candidate.server, method, route.format(NOTEBOOK),
                {"format": "json", "type": "notebook"} if method == "PUT" else None
                ).status in (200, 201)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from([route for _method, route in ROUTE_CLASSES]),
       path=st.lists(st.sampled_from(["..", ".", "/", "%", "%2e", "%2f", "%25", "\\", ":",
                                      ";", "~", "a", "é", "\u2024", "\x00", " ", "candidate",
                                      ".ipynb", "interviewer", "%00", "%c0%af"]),
                     min_size=1, max_size=8).map("".join))
def test_generated_paths_reach_nothing_but_the_notebook(candidate: CandidateServer,
                                                        route: str, path: str) -> None:
    answer = call(candidate.server, "GET", route.format(path))
    if unquote(path) == NOTEBOOK and "%2" not in path.lower():
        assert answer.status in (200, 403)  # PUT-only routes refuse a GET
    else:
        assert answer.status in REFUSED, (path, answer.status, answer.body[:200])


@pytest.mark.parametrize("name", ["python3", "python", "WORKBOOK-CONFINED",
                                  f"{CONFINED_KERNEL} ", f"../{CONFINED_KERNEL}", "ir"])
def test_no_kernel_but_the_confined_one_starts_whatever_the_request_names(
        candidate: CandidateServer, name: str) -> None:
    server = candidate.server
    before = kernel_names(server)
    assert_refused(call(server, "POST", "/api/kernels", {"name": name}))
    assert_refused(call(server, "POST", "/api/sessions", {
        "path": NOTEBOOK, "type": "notebook", "name": NOTEBOOK, "kernel": {"name": name}}))
    assert_refused(call(server, "GET", f"/api/kernelspecs/{name}"))
    assert kernel_names(server) == before
    assert set(call(server, "GET", "/api/kernelspecs").json()["kernelspecs"]) == {
        CONFINED_KERNEL}


def test_sessions_and_kernels_are_for_the_notebook_and_the_confined_kernel_only(
        candidate: CandidateServer) -> None:
    server = candidate.server
    for body in ({"path": "../interviewer/interviewer.ipynb", "type": "notebook"},
                 {"path": "other.ipynb", "type": "notebook"},
                 {"path": NOTEBOOK, "type": "console"},
                 {"path": NOTEBOOK, "type": "notebook", "kernel": "python3"},
                 {"type": "notebook"}):
        assert_refused(call(server, "POST", "/api/sessions", body))
    assert_refused(call(server, "POST", "/api/kernels", {"path": "../interviewer"}))
    created = call(server, "POST", "/api/sessions", {"path": NOTEBOOK, "type": "notebook",
                                                     "name": NOTEBOOK})
    assert created.status == 201, created.body
    session = created.json()
    assert session["kernel"]["name"] == CONFINED_KERNEL
    for change in ({"path": "../interviewer/interviewer.ipynb"},
                   {"kernel": {"name": "python3"}}, {"type": "file"}):
        assert_refused(call(server, "PATCH", f"/api/sessions/{session['id']}", change))
    assert call(server, "DELETE", f"/api/sessions/{session['id']}").status == 204


def test_the_notebook_cannot_be_renamed_deleted_copied_or_replaced_by_another_kind(
        candidate: CandidateServer) -> None:
    server = candidate.server
    notebook = candidate.prepared.candidate_notebook
    assert notebook is not None
    before = notebook.read_bytes()
    assert_refused(call(server, "PATCH", f"/api/contents/{NOTEBOOK}", {"path": "x.ipynb"}))
    assert_refused(call(server, "DELETE", f"/api/contents/{NOTEBOOK}"))
    assert_refused(call(server, "POST", "/api/contents", {"type": "notebook"}))
    assert_refused(call(server, "POST", "/api/contents", {"copy_from": NOTEBOOK}))
    for kind in ({"type": "file", "format": "text", "content": "x"},
                 {"type": "directory"}, {"type": "notebook", "format": "base64"},
                 {"type": "notebook", "copy_from": "/etc/passwd"}):
        assert_refused(call(server, "PUT", f"/api/contents/{NOTEBOOK}", kind))
    assert_refused(call(server, "PUT", "/api/collaboration/session/" + NOTEBOOK,
                        {"format": "text", "type": "file"}))
    assert notebook.read_bytes() == before
    assert healthy(server)


def test_terminals_shutdown_and_other_servers_routes_are_not_there(
        candidate: CandidateServer) -> None:
    server = candidate.server
    for method, path in (("GET", "/api/terminals"), ("POST", "/api/terminals"),
                         ("POST", "/api/shutdown"), ("GET", "/lsp/status"),
                         ("POST", "/lab/api/extensions"), ("PUT", "/lab/api/plugins"),
                         ("GET", "/api/collaboration/timeline/" + NOTEBOOK),
                         ("PUT", "/api/collaboration/fork/x"), ("GET", "/api/spec.yaml"),
                         ("GET", "/tree"), ("GET", "/edit/" + NOTEBOOK)):
        assert_refused(call(server, method, path, {}))
    assert healthy(server)


@pytest.mark.parametrize("raw_body", [b"{", b"[]", b"null", b"\xff\xfe", b'"text"',
                                      b'{"name": ["python3"]}' * 3])
def test_a_malformed_body_is_refused_and_the_server_stays_up(candidate: CandidateServer,
                                                             raw_body: bytes) -> None:
    for method, path in (("POST", "/api/kernels"), ("POST", "/api/sessions"),
                         ("PUT", f"/api/contents/{NOTEBOOK}"),
                         ("PUT", f"/api/collaboration/session/{NOTEBOOK}")):
        answer = call(candidate.server, method, path, raw_body=raw_body)
        assert answer.status in (400, 403), (method, path, answer.status)
    assert healthy(candidate.server)


@pytest.mark.parametrize("raw", [
    b"\xff\xfe\x00garbage\r\n\r\n",
    b"GET /api/contents/\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/contents HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 200_000 + b"\r\n\r\n",
    b"POST /api/kernels HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n{",
    b"GET /api/collaboration/room/x HTTP/1.1\r\nUpgrade: websocket\r\n",  # cut short
])
def test_malformed_http_is_dropped_and_the_server_and_its_port_stay_up(
        candidate: CandidateServer, raw: bytes) -> None:
    import socket

    port = candidate.server.options.port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, \
            contextlib.suppress(OSError):
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    assert healthy(candidate.server)


def test_websockets_open_only_for_the_notebooks_room_and_its_kernel(
        candidate: CandidateServer) -> None:
    server = candidate.server
    file_id = call(server, "PUT", f"/api/collaboration/session/{NOTEBOOK}",
                   {"format": "json", "type": "notebook"}).json()["fileId"]
    assert websocket_status(server, f"/api/collaboration/room/json:notebook:{file_id}") == 101
    for room in (f"text:file:{file_id}", f"json:file:{file_id}",
                 f"json:notebook:{uuid.uuid4()}", "json:notebook:..%2Finterviewer",
                 f"json:notebook:{file_id}:extra", "anything"):
        assert websocket_status(server, f"/api/collaboration/room/{room}") in REFUSED
    for path in ("/terminals/websocket/1", f"/api/kernels/{uuid.uuid4()}/channels/..",
                 "/api/yjs/room", "/lsp/ws/pylsp"):
        assert websocket_status(server, path) in REFUSED
    assert healthy(server)


def test_the_kernel_managers_refuse_other_kernels_even_when_asked_directly() -> None:
    from workbook.live.candidate_server import ConfinedKernelManager, ConfinedKernelSpecManager

    specs = ConfinedKernelSpecManager()
    assert set(specs.find_kernel_specs()) <= {CONFINED_KERNEL}
    from jupyter_client.kernelspec import NoSuchKernel

    with pytest.raises(NoSuchKernel):
        specs.get_kernel_spec("python3")
    manager = ConfinedKernelManager(kernel_spec_manager=specs, default_kernel_name="python3")
    with pytest.raises(web.HTTPError) as refused:
        asyncio.run(manager.start_kernel(kernel_name="python3"))
    assert refused.value.status_code == 403
    with pytest.raises(web.HTTPError):
        asyncio.run(manager.start_kernel())  # the default name is no way around it
    assert manager.list_kernel_ids() == []


def server_pid(server: LabServer) -> int:
    process = server._process  # the launcher; the server is its sandboxed descendant
    assert process is not None
    from workbook.live.server_sandbox import descendants

    found = descendants(process.pid)
    assert found
    return found[0]


def test_the_sandboxed_server_sees_neither_the_bank_nor_the_interviewers_files(
        candidate: CandidateServer) -> None:
    if not candidate.prepared.candidate_confined:
        pytest.skip("bubblewrap is not installed: the candidate's server is not sandboxed")
    root = Path(f"/proc/{server_pid(candidate.server)}/root")
    prepared = candidate.prepared
    assert not (root / str(prepared.interviewer_notebook).lstrip("/")).exists()
    assert not (root / prepared.gradebook.lstrip("/")).exists()
    assert not (root / str(SHIPPED_BANK).lstrip("/")).exists()
    packages = root / PACKAGES_DIR.lstrip("/")
    assert (packages / "workbook" / "live").is_dir()  # the server's own code...
    assert list((packages / "workbook" / "questions").iterdir()) == []  # ...not the bank
    assert (root / str(prepared.candidate_notebook).lstrip("/")).is_file()
    own_net = os.readlink("/proc/self/ns/net")
    assert os.readlink(f"/proc/{server_pid(candidate.server)}/ns/net") != own_net


def test_without_bubblewrap_the_server_still_refuses_what_it_does_not_serve(
        tmp_path: Path, shipped_bank: Bank) -> None:
    prepared = prepare_session(shipped_bank, candidate="Grace Hopper", level=Level.JUNIOR,
                               folder=tmp_path / "session",
                               gradebook=str(tmp_path / "gradebook.sqlite"),
                               question_ids=[CODING_QUESTION], confine_candidate=False)
    assert prepared.candidate_notebook is not None
    run = RunFolder(prepared.folder).create()
    options = candidate_options(
        session_folder=prepared.folder, notebook=prepared.candidate_notebook, run=run,
        ip="127.0.0.1", port=free_port(), token=uuid.uuid4().hex,
        log=tmp_path / "candidate-lab.log", confine=False,
        env=isolated_jupyter_env(tmp_path / "jupyter"))
    assert options.sandbox is None
    try:
        with LabServer(options) as server:
            assert_refused(call(server, "POST", "/api/kernels", {"name": "python3"}))
            assert_refused(call(server, "GET", "/api/contents/..%2Finterviewer"))
            assert_refused(call(server, "POST", "/api/terminals", {}))
            assert [item["name"] for item in call(server, "GET", "/api/contents").json()[
                "content"]] == [NOTEBOOK]
    finally:
        run.remove()
