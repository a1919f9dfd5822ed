"""A lean Jupyter protocol client for one candidate kernel, built on jupyter_client's
`Session` (signing, (de)serialising) and raw zmq sockets.

Why not nbclient's NotebookClient: the engine needs things it does not do, and it has two
faults that bite exactly when candidates misbehave (see shared notes): after a cell
timeout its polling task keeps running and steals later cells' output, and with SIGINT
ignored it re-interrupts forever. Here every message is matched to its request by
parent msg_id (late output of an interrupted cell is dropped, never misattributed), an
interrupt gets a bounded grace period and then the caller restarts the kernel, kernel
death is seen at once through the process handle instead of a 0.1 s poll, and a kernel
is ready on the kernel-info reply plus its idle status, without the stock 0.2 s drain.

Every message is checked against the protocol (inside/protocol.py) before any field of it
is read: the kernel runs the candidate's code, which holds the session key and the
sockets, so a message may be forged, unsigned, nested a thousand deep or typed wrongly.

Output is capped at the source (inside the kernel, see inside/kernel_main.py); this
client also stops reading past a hard byte limit and caps each message's size
(ZMQ_MAXMSGSIZE), so a kernel that removes its own cap still cannot swell the grader.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import zmq
from jupyter_client.session import Session

from grading.errors import KernelStartError
from grading.kernel.inside.protocol import (
    FLOOD_MIME,
    OBSERVATION_MIME,
    KernelMessage,
    ProtocolViolation,
    read_message,
)
from grading.kernel.runqueue import Deadline
from grading.kernel.starter import KernelHandle

Status = Literal["ok", "error", "timeout", "died", "flood", "violation"]
#: called with each observation report's body; returns the seconds the next stretch may
#: take (progress), or None; raises ProtocolViolation for a report it cannot accept
OnObservation = Callable[[object], float | None]


@dataclass
class CellRun:
    """What happened when one cell ran."""

    status: Status = "ok"
    error_name: str = ""
    error_value: str = ""
    #: False after a timeout or flood the kernel did not recover from, a death or a violation
    kernel_usable: bool = True
    exit_code: int | None = None
    #: with status "violation": how a message from the kernel broke the protocol
    violation: str = ""
    seconds: float = 0.0
    #: seconds of run-queue wait the deadline of the step that ran last did not charge
    forgiven: float = 0.0


class KernelClient:
    """Talks to one kernel; not thread-safe (one client per grading thread)."""

    def __init__(self, handle: KernelHandle, *, hard_output_limit: int) -> None:
        self.handle = handle
        self.hard_output_limit = hard_output_limit
        endpoints = handle.endpoints
        self.session = Session(key=endpoints.key, signature_scheme="hmac-sha256",
                               username="grader")
        context: zmq.Context[zmq.Socket[Any]] = zmq.Context.instance()
        self.shell = context.socket(zmq.DEALER)
        self.control = context.socket(zmq.DEALER)
        self.iopub = context.socket(zmq.SUB)
        for sock in (self.shell, self.control, self.iopub):
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.MAXMSGSIZE, hard_output_limit)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.shell.connect(f"ipc://{endpoints.shell}")
        self.control.connect(f"ipc://{endpoints.control}")
        self.iopub.connect(f"ipc://{endpoints.iopub}")
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)
        self.poller.register(self.control, zmq.POLLIN)
        self.poller.register(handle.exit_fd(), zmq.POLLIN)

    def close(self) -> None:
        for sock in (self.shell, self.control, self.iopub):
            sock.close(linger=0)

    def _recv(self, sock: zmq.Socket[Any]) -> tuple[KernelMessage, int]:
        """The next message on `sock`, checked against the protocol (ProtocolViolation if
        it breaks it), and its size in bytes. Session.deserialize is not used: it would also
        turn every ISO date in the headers into a datetime, which this client never reads
        and which cost about a tenth of the grader's time per submission."""
        frames = sock.recv_multipart()  # copied: bytes, not Frames
        size = sum(len(frame) for frame in frames)
        try:
            _idents, message_frames = self.session.feed_identities(frames)
        except ValueError:  # no delimiter frame
            raise ProtocolViolation("a message without the Jupyter delimiter frame") from None
        return read_message(cast("list[bytes]", message_frames), self.session.sign), size

    def _request(self, sock: zmq.Socket[Any], msg_type: str, content: dict[str, Any],
                 metadata: dict[str, Any] | None = None) -> str:
        message = self.session.msg(msg_type, content, metadata=metadata)
        self.session.send(sock, message)
        return str(message["header"]["msg_id"])

    def wait_ready(self, timeout: float) -> None:
        """Return once the kernel answers kernel_info and its iopub reaches us."""
        deadline = time.monotonic() + timeout
        # The SUB socket's subscription reaches the kernel a little after it connects;
        # any iopub message (the welcome ipykernel sends a new subscriber, or a request's
        # status) shows it has. Without one, the request is sent again: soon, then less
        # often (a fixed quarter second cost one kernel start in thirty that much).
        asked: set[str] = set()
        replied = heard = False
        wait = 0.02
        while time.monotonic() < deadline:
            asked.add(self._request(self.shell, "kernel_info_request", {}))
            retry_at = time.monotonic() + wait
            wait = min(2 * wait, 0.25)
            while not (replied and heard) and time.monotonic() < min(retry_at, deadline):
                events = dict(self.poller.poll(10))
                if self.handle.exit_fd() in events and self.handle.exit_code() is not None:
                    raise KernelStartError("kernel exited while starting "
                                           f"(status {self.handle.exit_code()})")
                for sock in (self.shell, self.iopub, self.control):
                    if sock in events:
                        try:
                            message, _size = self._recv(sock)
                        except ProtocolViolation as error:  # no candidate code ran yet
                            raise KernelStartError(f"a starting kernel sent a malformed "
                                                   f"message: {error}") from None
                        heard |= sock is self.iopub
                        replied |= sock is self.shell and message.parent_id in asked
            if replied and heard:
                return
        raise KernelStartError(f"kernel did not answer within {timeout:g} s")

    def execute(self, code: str, *, timeout: float, grace: float,
                total_timeout: float | None = None, metadata: dict[str, Any] | None = None,
                on_observation: OnObservation | None = None) -> CellRun:
        """Run `code`; stop it after `timeout` s without progress or `total_timeout` s in all.

        Neither counts time the kernel's main thread waited for a CPU, up to an allowance
        (grading/kernel/runqueue.py), where the kernel's run-queue wait can be read.

        Progress is an observation for which `on_observation` returns a number: the seconds
        the next stretch may take. The hard output limit also starts again at progress.
        `metadata` goes in the request's metadata, where the harness finds its steps.
        A message that breaks the protocol (bad signature, not JSON, fields of the wrong
        type, a report `on_observation` refuses) ends the run at once with status
        "violation": the kernel is no longer trusted to say what it did."""
        started = time.monotonic()
        try:
            return self._execute(code, timeout=timeout, grace=grace,
                                 total_timeout=total_timeout, metadata=metadata,
                                 on_observation=on_observation)
        except ProtocolViolation as error:
            return CellRun(status="violation", kernel_usable=False, violation=str(error),
                           seconds=time.monotonic() - started)

    def _execute(self, code: str, *, timeout: float, grace: float,
                 total_timeout: float | None, metadata: dict[str, Any] | None,
                 on_observation: OnObservation | None) -> CellRun:
        started = time.monotonic()
        run = CellRun()
        msg_id = self._request(self.shell, "execute_request", {
            "code": code, "silent": False, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False}, metadata)
        clock = self.handle.run_queue()
        deadline = Deadline.start(started, timeout, clock)
        whole = Deadline.start(started, total_timeout or timeout, clock)
        replied = idle = False
        received = 0
        stopping: Status | None = None  # set once we interrupted: why
        stop_deadline = 0.0
        while not (replied and idle):
            now = time.monotonic()
            if stopping is None and (deadline.reached(now) or whole.reached(now)):
                stopping, stop_deadline = "timeout", now + grace
                self._request(self.control, "interrupt_request", {})
            if stopping is not None and now >= stop_deadline:
                run.kernel_usable = False
                break
            limit = stop_deadline if stopping else min(deadline.at, whole.at)
            events = dict(self.poller.poll(max(1, int((limit - now) * 1000) + 1)))
            if self.handle.exit_fd() in events and self.handle.exit_code() is not None:
                run.status, run.kernel_usable = "died", False
                run.exit_code = self.handle.exit_code()
                run.seconds = time.monotonic() - started
                run.forgiven = deadline.forgiven
                return run
            if self.control in events:
                self._recv(self.control)  # interrupt replies: nothing to learn from them
            if self.shell in events:
                message, _size = self._recv(self.shell)
                if message.parent_id == msg_id and message.msg_type == "execute_reply":
                    replied = True
                    content = message.content
                    if content["status"] == "error":
                        run.error_name = content["ename"]
                        run.error_value = content["evalue"]
            if self.iopub not in events:
                continue
            message, size = self._recv(self.iopub)
            if message.parent_id != msg_id:
                continue
            received += size
            if received > self.hard_output_limit:  # the in-kernel cap was removed
                run.status, run.kernel_usable = "flood", False
                break
            msg_type = message.msg_type
            content = message.content
            if msg_type == "status" and content["execution_state"] == "idle":
                idle = True
            elif msg_type == "display_data":
                data = content["data"]
                if stopping is not None:
                    if OBSERVATION_MIME in data:
                        # the kernel went on past the step that was stopped (its code
                        # swallowed the interrupt): its state is no longer known
                        run.kernel_usable = False
                        break
                elif FLOOD_MIME in data:
                    stopping, stop_deadline = "flood", time.monotonic() + grace
                    self._request(self.control, "interrupt_request", {})
                elif OBSERVATION_MIME in data:
                    observation = data[OBSERVATION_MIME]
                    next_timeout = None if on_observation is None else on_observation(observation)
                    if next_timeout is not None:
                        deadline = Deadline.start(time.monotonic(), next_timeout, clock)
                        received = 0
        if run.status == "ok":
            if stopping is not None:
                run.status = stopping
            elif run.error_name:
                run.status = "error"
        run.seconds = time.monotonic() - started
        run.forgiven = deadline.forgiven
        return run
