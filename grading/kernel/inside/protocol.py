"""The one vocabulary of the sandbox seam: what the grader asks a kernel for, what the kernel
reports back, the MIME names those travel under and the budgets both sides keep.

Standard library only: this file is imported by the grader (as
`grading.kernel.inside.protocol`) and, inside the sandbox, by the zygote, the kernel and the
harness (as `protocol`, from the folder mounted at /opt/workbook).

    grader ──KernelRequest (one JSON line)──────────────► zygote / one-shot launcher
    grader ──execute_request + HarnessRequest metadata──► harness: runs the steps in order
    grader ◄──display_data {OBSERVATION_MIME: Report}──── after every step
    grader ◄──display_data {FLOOD_MIME: {...}}─────────── once, when output passed its cap

Everything that comes back was produced in a process the candidate's code controls, so the
grader reads it only through `read_message` and `read_report`: each returns a typed value
or raises `ProtocolViolation` saying what was wrong, which the grader charges to the step
that was running. Nothing here trusts a field's type, size or presence.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

#: a harness report for one step, published as display data under this MIME type
OBSERVATION_MIME = "application/x-workbook-observation+json"
#: the kernel's own notice that a request's output passed its cap
FLOOD_MIME = "application/x-workbook-flood+json"
#: the module name the harness is imported as inside a kernel
HARNESS_MODULE = "_workbook_harness"
#: the one cell the grader sends; the steps travel in the request's metadata, because as
#: literals in the cell IPython would tokenize and compile tens of kB of strings (~10 ms)
HARNESS_CALL = f'await __import__("{HARNESS_MODULE}").run()'
#: the key of the execute request's metadata under which the harness finds its steps
REQUEST_KEY = "workbook"

#: bytes of observations one step may publish (in-kernel budget, apart from printed output)
OBSERVATION_BUDGET = 16 * 1024 * 1024
#: characters of an exception message a report carries
MESSAGE_LIMIT = 2000
#: characters of an exception's (or a value's) type name a report carries
TYPE_NAME_LIMIT = 200
#: characters of the path a report gives to the first item that is not plain data
PATH_LIMIT = 400
#: the marshal format version observations are written in: version 2 has no shared
#: references, so a value's size on the wire bounds the work of reading it back
MARSHAL_VERSION = 2

# -- generated-input checks (workbook/generated/checks.py builds the code that keeps these) --
#: CPU seconds one generated input may use before the kernel stops it and reports it as
#: the input that did not return (CPU time, so a loaded machine cannot stop a fair input;
#: an input that blocks instead is stopped by the share below)
GENERATED_CASE_SECONDS = 1.0
#: the share of a check's timeout its generated inputs may use together; past it the input
#: running is stopped and named, before the grader's own timeout would lose it
GENERATED_SHARE = 0.9
#: CPU seconds the shrinker may spend on one failed property, in the candidate's kernel
#: (CPU, not wall-clock, time: a loaded machine must not cut a shrink short)
SHRINK_SECONDS = 2.0
#: wall-clock seconds after which the shrinker stops however little CPU it had, so the
#: shrink step ends before the grader's timeout for it
SHRINK_WALL_SECONDS = 5.0
#: inputs the shrinker may try for one failed property (each runs the reference and the
#: answer); the bound that keeps a shrink deterministic, as the time bound cannot
SHRINK_STEPS = 400

StepKind = Literal["answer", "check"]
AnswerStatus = Literal["done", "raised"]
CheckStatus = Literal["value", "raised", "setup-raised", "unplain"]
ReportStatus = Literal["done", "raised", "value", "setup-raised", "unplain"]
_STATUSES_OF: dict[str, frozenset[str]] = {
    "answer": frozenset({"done", "raised"}),
    "check": frozenset({"value", "raised", "setup-raised", "unplain"}),
}


class ProtocolViolation(ValueError):
    """A message from the kernel that does not follow this protocol; the text says how."""


class KernelRequest(TypedDict):
    """What the grader asks the zygote (or the one-shot launcher) to start: one kernel."""

    kernel_dir: str
    connection: dict[str, Any]
    output_limit: int
    limits: dict[str, int]
    uid: int | None
    #: {folder: size in bytes} of private tmpfs mounts, or None for none
    scratch: dict[str, int] | None
    workdir: str
    # set by the sandbox's policy (grading/kernel/sandbox.py kernel_policy; the zygote adds
    # them to every request), read by inside/confine.py:
    #: files and folders each scratch tmpfs may hold
    inodes: NotRequired[int]
    #: /proc/sys settings of the kernel's own IPC namespace, e.g. {"kernel/shmall": pages}
    ipc_limits: NotRequired[dict[str, int | str]]
    #: the kernel's seccomp BPF program, base64
    syscall_filter: NotRequired[str]
    #: the folder of the kernel's own memory cgroup (inside the sandbox)
    memory_cgroup: NotRequired[str]
    #: move into a user namespace that allows no further ones first (one-shot kernels)
    forbid_user_namespaces: NotRequired[bool]


# -- grader to harness ------------------------------------------------------------------------
@dataclass(frozen=True)
class StepRequest:
    """One step of a harness request: an answer cell, or a check (with its setup)."""

    index: int
    kind: StepKind
    setup: str
    code: str


@dataclass(frozen=True)
class HarnessRequest:
    """The steps of one execute request, and the nonce every report must carry."""

    nonce: str
    steps: tuple[StepRequest, ...]

    def metadata(self) -> dict[str, Any]:
        """The execute request's metadata that carries this request."""
        return {REQUEST_KEY: {"nonce": self.nonce,
                              "steps": [(s.index, s.kind, s.setup, s.code) for s in self.steps]}}

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> HarnessRequest:
        """The request the grader put in `metadata` (read by the harness; the grader is
        trusted, so this only unpacks)."""
        body = metadata[REQUEST_KEY]
        return cls(nonce=body["nonce"],
                   steps=tuple(StepRequest(index, kind, setup, code)
                               for index, kind, setup, code in body["steps"]))


# -- harness to grader ------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """What one step did, as the harness reports it.

    status, for an answer cell: "done" (ran to the end) or "raised" (type, message); for a
    check: "value" (data: the last expression's value, marshalled), "raised" (the check
    raised: type, message), "setup-raised" (its setup raised: type, message) or "unplain"
    (the value cannot be marshalled: type, and the first item in it that is not plain data:
    inner, its type; base, the plain type it subclasses, if any; path, where it sits, e.g.
    "[1]['totals']")."""

    index: int
    status: ReportStatus
    type: str = ""
    message: str = ""
    data: bytes = b""
    inner: str = ""
    base: str = ""
    path: str = ""

    def payload(self, nonce: str) -> dict[str, Any]:
        """The JSON object the harness publishes for this report."""
        body: dict[str, Any] = {"nonce": nonce, "index": self.index, "status": self.status}
        if self.status == "value":
            body["data"] = base64.b64encode(self.data).decode("ascii")
        elif self.status == "unplain":
            body.update(type=self.type, inner=self.inner, base=self.base, path=self.path)
        elif self.status != "done":
            body.update(type=self.type, message=self.message)
        return body


_REPORT_FIELDS: dict[str, frozenset[str]] = {
    "done": frozenset({"nonce", "index", "status"}),
    "raised": frozenset({"nonce", "index", "status", "type", "message"}),
    "setup-raised": frozenset({"nonce", "index", "status", "type", "message"}),
    "unplain": frozenset({"nonce", "index", "status", "type", "inner", "base", "path"}),
    "value": frozenset({"nonce", "index", "status", "data"}),
}


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if type(value) is not str:
        raise ProtocolViolation(f"a report's {name} is not text")
    if len(value) > limit:
        raise ProtocolViolation(f"a report's {name} is longer than {limit} characters")
    return value


def read_report(body: object, *, nonce: str, kind: StepKind) -> Report:
    """The report in `body` (an OBSERVATION_MIME display's data) for a step of `kind`, or
    ProtocolViolation. The caller checks the index against the step it expects."""
    if type(body) is not dict:
        raise ProtocolViolation("a report is not a JSON object")
    got_nonce = body.get("nonce")
    if type(got_nonce) is not str or not hmac.compare_digest(got_nonce, nonce):
        raise ProtocolViolation("a report does not carry this request's nonce (forged)")
    index = body.get("index")
    if type(index) is not int or index < 0:
        raise ProtocolViolation("a report's index is not a step number")
    status = body.get("status")
    if type(status) is not str or status not in _STATUSES_OF[kind]:
        step = "an answer cell" if kind == "answer" else "a check"
        raise ProtocolViolation(f"a report for {step} has the status {str(status)[:40]!r}")
    extra = set(body) - _REPORT_FIELDS[status]
    if extra:
        raise ProtocolViolation(f"a report has fields the protocol does not know "
                                f"({', '.join(sorted(str(name)[:40] for name in extra)[:5])})")
    if status == "done":
        return Report(index, "done")
    if status == "value":
        data = body.get("data")
        if type(data) is not str or len(data) > 2 * OBSERVATION_BUDGET:
            raise ProtocolViolation("a report's data is not base64 text within the budget")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolViolation("a report's data is not base64") from None
        return Report(index, "value", data=raw)
    type_name = _text(body, "type", TYPE_NAME_LIMIT)
    if status == "unplain":
        return Report(index, "unplain", type=type_name,
                      inner=_text(body, "inner", TYPE_NAME_LIMIT),
                      base=_text(body, "base", TYPE_NAME_LIMIT),
                      path=_text(body, "path", PATH_LIMIT))
    message = _text(body, "message", MESSAGE_LIMIT)
    return Report(index, status, type=type_name, message=message)  # type: ignore[arg-type]


# -- Jupyter messages, as the grader reads them --------------------------------------------
@dataclass(frozen=True)
class KernelMessage:
    """A signed Jupyter message from the kernel, with the fields the grader reads checked."""

    msg_type: str
    parent_id: str
    content: dict[str, Any]


def read_message(frames: list[bytes], sign: Any) -> KernelMessage:
    """Check a message's signature (`sign(parts)` -> the expected HMAC hex digest) and decode
    it, or raise ProtocolViolation. Deeply nested or oversized JSON, frames of the wrong
    types and fields of the wrong types are all violations, never an exception of their own."""
    if len(frames) < 5:
        raise ProtocolViolation(f"a message with {len(frames)} frames (at least 5 expected)")
    signature, *parts = frames[:5]
    if not hmac.compare_digest(signature, sign(parts)):
        raise ProtocolViolation("a message with an invalid signature")
    try:
        header, parent, _metadata, content = (json.loads(part) for part in parts)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise ProtocolViolation(f"a message that is not JSON ({type(error).__name__})") from None
    if type(header) is not dict or type(header.get("msg_type")) is not str:
        raise ProtocolViolation("a message whose header has no msg_type")
    if type(parent) is not dict:
        raise ProtocolViolation("a message whose parent header is not an object")
    parent_id = parent.get("msg_id", "")
    if type(parent_id) is not str:
        raise ProtocolViolation("a message whose parent msg_id is not text")
    if type(content) is not dict:
        raise ProtocolViolation("a message whose content is not an object")
    message = KernelMessage(msg_type=header["msg_type"], parent_id=parent_id, content=content)
    _check_content(message)
    return message


def _check_content(message: KernelMessage) -> None:
    """The content fields the grader reads, of the types it reads them as."""
    content = message.content
    wanted: dict[str, type] = {}
    if message.msg_type == "status":
        wanted = {"execution_state": str}
    elif message.msg_type == "execute_reply":
        wanted = {"status": str}
        if content.get("status") == "error":
            wanted.update(ename=str, evalue=str)
    elif message.msg_type in ("display_data", "update_display_data", "execute_result"):
        wanted = {"data": dict}
    for name, kind in wanted.items():
        if type(content.get(name)) is not kind:
            raise ProtocolViolation(f"a {message.msg_type[:40]} message whose {name} is not "
                                    f"{'text' if kind is str else 'an object'}")
