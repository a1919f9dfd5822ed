"""Real confined kernels from one zygote, driven with jupyter_client's blocking client, so
a test can keep two candidates' kernels alive at once and run code in each in turn."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_client.blocking import BlockingKernelClient

from grading.config import GradingConfig
from grading.kernel.starter import ZygoteKernel, ZygoteStarter
from grading.kernel.uids import UidLeases


class LiveKernel:
    """One kernel and a client on it; `value(code, expression)` runs code, then returns
    the expression's value (a Python literal) as the kernel sees it."""

    def __init__(self, handle: ZygoteKernel) -> None:
        self.handle = handle
        endpoints = handle.endpoints
        self.client = BlockingKernelClient()
        self.client.load_connection_info({
            "transport": "ipc", "ip": endpoints.shell.removesuffix("-1"), "shell_port": 1,
            "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
            "key": endpoints.key.decode(), "signature_scheme": "hmac-sha256"})
        self.client.start_channels()
        self.client.wait_for_ready(timeout=30)

    def value(self, code: str, expression: str = "None", timeout: float = 60) -> Any:
        msg_id = self.client.execute(code, user_expressions={"value": expression},
                                     allow_stdin=False)
        while True:
            reply = self.client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        assert content["status"] == "ok", (content.get("ename"), content.get("evalue"))
        result = content["user_expressions"]["value"]
        assert result["status"] == "ok", result
        return ast.literal_eval(result["data"]["text/plain"])

    def close(self) -> bool:
        """Stop the client and kill the kernel; whether it is known to be gone."""
        self.client.stop_channels()
        return self.handle.kill()


class KernelFactory:
    def __init__(self, config: GradingConfig) -> None:
        self.config = config
        self.starter = ZygoteStarter(config)
        self.uids = UidLeases(config.uid_base)
        self.open: list[LiveKernel] = []

    @contextmanager
    def kernel(self) -> Iterator[LiveKernel]:
        uid = self.uids.take()
        kernel = LiveKernel(self.starter.start(uid))
        try:
            yield kernel
        finally:
            if kernel.close():  # else the zygote may still kill every process of this uid
                self.uids.give_back(uid)

    def close(self) -> None:
        self.starter.close()
        self.uids.close()
