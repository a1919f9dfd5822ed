"""The candidate's JupyterLab server: a server extension that puts the policy in front of
every route, and kernel managers that start nothing but the confined kernel.

Enabled only on the candidate's server (`workbook.live.servers`), with
`--CandidateGuard.notebook=NAME`. The guard judges each request before tornado hands it to
a handler (`workbook.live.candidate_policy`); requests with a body that matters are judged
again once the body is read. The kernel managers refuse other kernelspecs on their own
too, so a route the policy lets through by mistake still cannot start an unconfined
kernel.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Unicode
from traitlets.config import Configurable

from workbook.live.candidate_policy import (
    CONFINED_KERNEL,
    Allowed,
    Body,
    CandidatePolicy,
    Refusal,
)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbook.live.candidate_server"}]


class CandidateGuard(Configurable):
    notebook = Unicode("", config=True,
                       help="The candidate's notebook: the only file the server serves.")


class RefusedHandler(web.RequestHandler):
    """Answers a refused request: its status and a one-line JSON reason, for any method."""

    def initialize(self, status: int, reason: str) -> None:
        self._status = status
        self._reason = reason

    def check_xsrf_cookie(self) -> None:
        """Refused anyway: say why rather than complain about a missing XSRF token."""

    def prepare(self) -> None:
        self.set_status(self._status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": self._reason, "reason": self._reason}))


def _refusing(handler_class: type[Any], policy: CandidatePolicy, check: Body) -> type[Any]:
    """`handler_class`, judging the request body before it handles anything."""
    cached = _BODY_CHECKED.get((handler_class, check))
    if cached is not None:
        return cached

    class BodyChecked(handler_class):  # type: ignore[misc]
        async def prepare(self) -> None:
            refusal = policy.judge_body(check, self.request.body)
            if refusal is not None:
                raise web.HTTPError(refusal.status, refusal.reason, reason=None)
            result = super().prepare()
            if result is not None:
                await result

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            exc = kwargs.get("exc_info", (None, None, None))[1]
            if isinstance(exc, web.HTTPError) and exc.log_message:
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps({"message": exc.log_message,
                                        "reason": exc.log_message}))
                return
            super().write_error(status_code, **kwargs)

    BodyChecked.__name__ = BodyChecked.__qualname__ = f"BodyChecked{handler_class.__name__}"
    _BODY_CHECKED[(handler_class, check)] = BodyChecked
    return BodyChecked


_BODY_CHECKED: dict[tuple[type[Any], Body], type[Any]] = {}


def _is_websocket(request: Any) -> bool:
    return str(request.headers.get("Upgrade", "")).lower() == "websocket"


def _load_jupyter_server_extension(serverapp: Any) -> None:
    guard = CandidateGuard(config=serverapp.config)
    if not guard.notebook:
        raise ValueError("the candidate's server needs --CandidateGuard.notebook=NAME")
    web_app = serverapp.web_app

    def room_path(file_id: str) -> str | None:
        manager = web_app.settings.get("file_id_manager")
        try:
            path = manager.get_path(file_id) if manager is not None else None
        except Exception:  # an odd id is just not the notebook's
            return None
        return path if isinstance(path, str) else None

    policy = CandidatePolicy(guard.notebook, room_path)
    base = serverapp.base_url.rstrip("/")
    route_handler = web_app.find_handler

    def find_handler(request: Any, **kwargs: Any) -> Any:
        path = request.path
        if base and (path == base or path.startswith(base + "/")):
            path = path[len(base):] or "/"
        verdict = policy.judge_route(request.method or "", path,
                                     websocket=_is_websocket(request))
        if isinstance(verdict, Refusal):
            serverapp.log.warning("candidate server refused %s %s: %s", request.method,
                                  request.path, verdict.reason)
            return web_app.get_handler_delegate(request, RefusedHandler,
                                                {"status": verdict.status,
                                                 "reason": verdict.reason})
        delegate = route_handler(request, **kwargs)
        assert isinstance(verdict, Allowed)
        if verdict.body is not Body.NONE:
            delegate.handler_class = _refusing(delegate.handler_class, policy, verdict.body)
        return delegate

    web_app.find_handler = find_handler
    serverapp.log.info("candidate server: serving %s only, kernel %s only", guard.notebook,
                       CONFINED_KERNEL)


class ConfinedKernelSpecManager(KernelSpecManager):
    """Knows the confined kernelspec only: listing, fetching and starting by name."""

    def find_kernel_specs(self) -> dict[str, str]:
        specs = super().find_kernel_specs()
        return {name: where for name, where in specs.items() if name == CONFINED_KERNEL}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name != CONFINED_KERNEL:
            raise NoSuchKernel(kernel_name)
        return super().get_kernel_spec(kernel_name)


class ConfinedKernelManager(AsyncMappingKernelManager):
    """Starts the confined kernel and refuses any other name, whoever asks."""

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        name = kwargs.get("kernel_name") or self.default_kernel_name
        kernel_id = kwargs.get("kernel_id")
        if name != CONFINED_KERNEL and not (kernel_id and kernel_id in self):
            raise web.HTTPError(403, f"only the {CONFINED_KERNEL} kernel runs on the "
                                     "candidate's server")
        return str(await super().start_kernel(*args, **kwargs))
