"""The candidate server's route policy on its own, over many generated requests."""

from __future__ import annotations

import re
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.live.candidate_policy import Allowed, Body, CandidatePolicy, Refusal

NOTEBOOK = "candidate.ipynb"
FILE_ID = "4c1f6a52-0000-4000-8000-000000000001"
policy = CandidatePolicy(NOTEBOOK, {FILE_ID: NOTEBOOK}.get)
FILE_ROUTES = ("/api/contents/", "/files/", "/nbconvert/html/", "/lab/tree/",
               "/api/collaboration/session/")
pieces = st.sampled_from(["..", ".", "/", "%", "%2e", "%2E", "%2f", "%5c", "%25", "\\", ":",
                          "a", "é", "%c3%a9", "%00", "\x7f", "candidate", ".ipynb", NOTEBOOK,
                          "interviewer", "%252e", "~", " "])
paths = st.lists(pieces, min_size=1, max_size=10).map("".join)


@settings(max_examples=2000, deadline=None)
@given(prefix=st.sampled_from(FILE_ROUTES), path=paths,
       method=st.sampled_from(["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]))
def test_a_file_route_lets_through_only_the_notebook_itself(prefix: str, path: str,
                                                            method: str) -> None:
    verdict = policy.judge_route(method, prefix + path)
    if isinstance(verdict, Allowed):
        assert unquote(path).split("/")[0] == NOTEBOOK
        assert ".." not in unquote(path) and "%" not in unquote(path)


@settings(max_examples=1000, deadline=None)
@given(room=st.lists(st.sampled_from(["json", "text", "notebook", "file", ":", FILE_ID,
                                      "x", "%3a", "JupyterLab", "globalAwareness"]),
                     min_size=1, max_size=6).map("".join),
       websocket=st.booleans())
def test_a_room_is_joined_only_for_the_notebook_over_a_websocket(room: str,
                                                                 websocket: bool) -> None:
    verdict = policy.judge_route("GET", f"/api/collaboration/room/{room}",
                                 websocket=websocket)
    if isinstance(verdict, Allowed):
        assert websocket
        assert room in (f"json:notebook:{FILE_ID}", "JupyterLab:globalAwareness")


def test_unknown_routes_are_not_found_and_known_routes_with_other_methods_forbidden() -> None:
    for method, path, websocket, status in (
            ("GET", "/api/terminals", False, 404),
            ("GET", "/api/kernels/x/channels", True, 404),
            ("DELETE", f"/api/contents/{NOTEBOOK}", False, 403),
            ("GET", f"/api/collaboration/room/json:notebook:{FILE_ID}", False, 403)):
        verdict = policy.judge_route(method, path, websocket=websocket)
        assert isinstance(verdict, Refusal) and verdict.status == status, path


@given(body=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                         lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.sampled_from(["name", "path", "type",
                                                            "kernel", "format"]),
                                           inner, max_size=4), max_leaves=8))
def test_a_session_body_gets_through_only_for_the_notebook_and_the_confined_kernel(
        body: object) -> None:
    import json

    refusal = policy.judge_body(Body.NEW_SESSION, json.dumps(body).encode())
    if refusal is None:
        assert isinstance(body, dict)
        assert body["path"] in (NOTEBOOK, f"RTC:{NOTEBOOK}") or re.fullmatch(
            "[0-9a-f-]{36}", body["path"])
        kernel = body.get("kernel")
        assert kernel is None or kernel.get("name") in (None, "", "workbook-confined")
