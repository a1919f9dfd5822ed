"""What the candidate's JupyterLab server may be asked, decided from the request alone.

The candidate holds their server's token, so every route it serves is theirs to call with
any method, path and body. The server is there for one notebook, so this is an allowlist:
a request gets through only if its method and route are ones the JupyterLab page uses for
that notebook, and (for the routes that take one) its JSON body asks for that notebook and
the confined kernel. Anything else, including paths that only decode to something else,
is refused before any handler runs. Pure code: no server needed to test it.

Two stages, because tornado picks a handler from the request line and reads the body
later: `judge_route` (method, raw path, websocket or not) and `judge_body` (the JSON body
of the few requests that carry one that matters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote

#: the only kernelspec the candidate's server starts
CONFINED_KERNEL = "workbook-confined"
#: the collaboration room every JupyterLab page joins to show who is connected
AWARENESS_ROOM = "JupyterLab:globalAwareness"

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_READ = frozenset({"GET", "HEAD"})


class Body(Enum):
    """Which JSON body check a route's request must also pass."""

    NONE = "none"
    NEW_KERNEL = "new kernel"
    NEW_SESSION = "new session"
    SESSION_CHANGE = "session change"
    NOTEBOOK_SAVE = "notebook save"
    COLLABORATION_SESSION = "collaboration session"


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


@dataclass(frozen=True)
class Allowed:
    body: Body = Body.NONE


Verdict = Allowed | Refusal


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    body: Body = Body.NONE
    websocket: bool = False


def _route(pattern: str, methods: set[str] | frozenset[str] = _READ, body: Body = Body.NONE,
           websocket: bool = False) -> _Route:
    return _Route(re.compile(pattern), frozenset(methods), body, websocket)


class CandidatePolicy:
    """The allowlist for a server whose root holds the candidate's notebook `notebook`.

    `room_path(file_id)` answers which file a collaboration room's file id stands for (the
    server's file-id index), so a room is allowed only for the candidate's notebook."""

    def __init__(self, notebook: str, room_path: Callable[[str], str | None]) -> None:
        if not notebook or "/" in notebook or notebook in (".", ".."):
            raise ValueError(f"the candidate's notebook must be a file name in the server's "
                             f"root, not {notebook!r}")
        self.notebook = notebook
        self.room_path = room_path
        nb = re.escape(notebook)
        self._routes = [
            # the JupyterLab page, its code, settings and workspace
            _route(r"/"),
            _route(r"/lab/?"),
            _route(rf"/lab/tree/{nb}"),
            _route(rf"/lab/workspaces/[\w-]+(/tree/{nb})?"),
            _route(r"/(login|logout)", {"GET", "POST"}),
            _route(r"/(static|lab/static|lab/extensions|lab/api/themes)/[^?#]+"),
            _route(r"/favicon\.ico|/custom/custom\.css"),
            _route(r"/lab/api/(translations|listings|extensions|licenses|plugins)(/[\w@.-]+)?"),
            _route(r"/lab/api/settings(/[\w@:/.-]+)?", {"GET", "HEAD", "PUT"}),
            _route(r"/lab/api/workspaces(/[\w-]+)?", {"GET", "HEAD", "PUT"}),
            # server state that concerns only this notebook's page
            _route(r"/api/?|/api/(status|me|nbconvert)|/api/config/\w+|/lab/api/build"),
            _route(rf"/api/kernelspecs(/{CONFINED_KERNEL})?"),
            _route(rf"/kernelspecs/{CONFINED_KERNEL}/[\w.-]+"),
            _route(r"/api/kernels"),
            _route(r"/api/kernels", {"POST"}, Body.NEW_KERNEL),
            _route(rf"/api/kernels/{_UUID}", {"GET", "HEAD", "DELETE"}),
            _route(rf"/api/kernels/{_UUID}/(interrupt|restart)", {"POST"}),
            _route(rf"/api/kernels/{_UUID}/channels", websocket=True),
            _route(r"/api/sessions"),
            _route(r"/api/sessions", {"POST"}, Body.NEW_SESSION),
            _route(rf"/api/sessions/{_UUID}", {"GET", "HEAD", "DELETE"}),
            _route(rf"/api/sessions/{_UUID}", {"PATCH"}, Body.SESSION_CHANGE),
            _route(r"/api/contents/?"),
            _route(rf"/api/contents/{nb}"),
            _route(rf"/api/contents/{nb}", {"PUT"}, Body.NOTEBOOK_SAVE),
            _route(rf"/api/contents/{nb}/checkpoints", {"GET", "HEAD", "POST"}),
            _route(rf"/api/contents/{nb}/checkpoints/[\w-]+", {"POST", "DELETE"}),
            _route(rf"/files/{nb}"),
            _route(rf"/nbconvert/[\w-]+/{nb}"),
            _route(rf"/api/collaboration/session/{nb}", {"PUT"}, Body.COLLABORATION_SESSION),
            _route(r"/api/events/subscribe", websocket=True),
        ]

    def judge_route(self, method: str, raw_path: str, *, websocket: bool = False) -> Verdict:
        """Whether a request for `raw_path` (as sent: percent-encoded, no query) may reach a
        handler, and which body check it must pass there."""
        path = _decoded(raw_path)
        if path is None:
            return Refusal(404, "a malformed path (encoded slashes, '..', control "
                                "characters or invalid UTF-8) is never served")
        room = re.fullmatch(r"/api/collaboration/room/([^/]+)", path)
        if room is not None:
            return self._judge_room(method, room.group(1), websocket)
        known = False
        for route in self._routes:
            if not route.pattern.fullmatch(path):
                continue
            known = True
            if method.upper() in route.methods and websocket == route.websocket:
                return Allowed(route.body)
        if known:
            return Refusal(403, f"{method} {path} is not allowed on the candidate's server")
        return Refusal(404, f"the candidate's server serves only {self.notebook}; "
                            f"{path} is not one of its routes")

    def _judge_room(self, method: str, room: str, websocket: bool) -> Verdict:
        if not websocket or method.upper() != "GET":
            return Refusal(403, "a collaboration room is joined over a websocket only")
        if room == AWARENESS_ROOM:
            return Allowed()
        parts = room.split(":")
        if len(parts) != 3 or parts[:2] != ["json", "notebook"]:
            return Refusal(403, "only the candidate's notebook has a collaboration room")
        if self.room_path(parts[2]) != self.notebook:
            return Refusal(403, f"room {room!r} is not the one of {self.notebook}")
        return Allowed()

    def judge_body(self, check: Body, body: bytes) -> Refusal | None:
        """Whether the JSON body of a request allowed with `check` may be handled."""
        if check is Body.NONE:
            return None
        if check is Body.NEW_KERNEL and not body.strip():
            return None  # JupyterLab's default: the server's default kernel (the confined one)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return Refusal(400, "the request body must be a JSON object")
        if not isinstance(data, dict):
            return Refusal(400, "the request body must be a JSON object")
        problem = {
            Body.NEW_KERNEL: self._kernel_problem,
            Body.NEW_SESSION: self._new_session_problem,
            Body.SESSION_CHANGE: self._session_change_problem,
            Body.NOTEBOOK_SAVE: _save_problem,
            Body.COLLABORATION_SESSION: _collaboration_problem,
        }[check](data)
        return Refusal(403, problem) if problem else None

    def _session_notebook(self, path: object) -> str | None:
        """The notebook a session's path stands for. With shared editing JupyterLab names
        a session by an opaque UUID of its own (or by the shared drive's prefix and the
        path): a UUID names no folder, so the kernel runs in the root, and it is refused
        only if it is the file id of some other file."""
        if not isinstance(path, str):
            return None
        if path.startswith("RTC:"):
            path = path[len("RTC:"):]
        if path == self.notebook:
            return path
        if re.fullmatch(_UUID, path) and self.room_path(path) in (None, self.notebook):
            return self.notebook
        return None

    def _kernel_problem(self, data: dict[str, object]) -> str | None:
        name = data.get("name")
        if name not in (None, "", CONFINED_KERNEL):
            return f"only the {CONFINED_KERNEL} kernel runs on the candidate's server"
        if data.get("path") not in (None, "", self.notebook):
            return f"a kernel here runs for {self.notebook} only"
        return None

    def _new_session_problem(self, data: dict[str, object]) -> str | None:
        if not isinstance(data.get("path"), str):
            return "a session needs the notebook's path"
        return self._session_change_problem(data)

    def _session_change_problem(self, data: dict[str, object]) -> str | None:
        if "path" in data and self._session_notebook(data["path"]) != self.notebook:
            return (f"a session here is for {self.notebook} only, not "
                    f"{str(data['path'])[:80]!r}")
        if data.get("type", "notebook") != "notebook":
            return "a session here is for a notebook only"
        kernel = data.get("kernel")
        if kernel is not None:
            if not isinstance(kernel, dict):
                return "'kernel' must be an object"
            return self._kernel_problem({"name": kernel.get("name")})
        return None




def _save_problem(data: dict[str, object]) -> str | None:
    if data.get("type") != "notebook" or data.get("format", "json") != "json":
        return "the candidate's notebook is saved as a notebook only"
    if "copy_from" in data:
        return "nothing is copied on the candidate's server"
    return None


def _collaboration_problem(data: dict[str, object]) -> str | None:
    # another format or type would open a second, text, copy of the same notebook file
    if data.get("format") != "json" or data.get("type") != "notebook":
        return "the candidate's notebook is shared as a notebook only"
    return None


def _decoded(raw_path: str) -> str | None:
    """The path a handler would see, or None when decoding could make it mean something
    other than it shows: encoded separators, dot segments, doubled slashes, control
    characters, a second layer of encoding, or bytes that are not UTF-8."""
    if "\\" in raw_path or "%2f" in raw_path.lower() or "%5c" in raw_path.lower():
        return None
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return None
    if not path.startswith("/") or "%" in path or "//" in path or "\\" in path:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return None
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    return path
