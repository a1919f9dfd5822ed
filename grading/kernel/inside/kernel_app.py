"""The grading kernel's application: an IPKernelApp configured in code, whose IPython shell
can be built before the process is forked.

Building the shell is the largest part of a kernel's start-up (traitlets configuration,
magics, formatters, prefilters: about 40% of `IPKernelApp.initialize` in a forked child),
and none of it depends on who the kernel is for. So the zygote calls `prepare` once,
before any fork, and every child it forks finds that shell already built: a copy-on-write
copy of one that has never run a line of code, as a kernel started afresh would have.
What is anyone's own is made in the child, after the fork, exactly as before: the
connection file and the session (its key and id), the sockets, the threads, the output
streams, the profile folder, the environment and the kernel object itself, which then
adopts the shell. `prepare` checks that none of those exists yet.

Used by kernel_main.py, in the zygote's children and in the kernelspec's one-shot kernel
(which does not prepare: it builds its shell while starting, as ipykernel does).
Standard library, traitlets, IPython and ipykernel only.
"""

from __future__ import annotations

import os
import threading
from typing import Any

#: the application built by `prepare`, in the zygote, before any fork
_prepared: Any = None


def _classes() -> tuple[Any, Any]:
    """The grading kernel and application classes (defined on first use, so importing this
    module imports no ipykernel)."""
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelapp import IPKernelApp
    from ipykernel.kernelbase import Kernel
    from traitlets import Type

    class GradingKernel(IPythonKernel):
        """IPythonKernel that adopts a shell built before the fork (`shell_class.instance`
        returns the existing one and ignores its arguments), giving it what the stock
        constructor would have: this kernel, this process's profile folder, working
        folder and environment."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)  # type: ignore[no-untyped-call]
            shell: Any = self.shell
            if shell.kernel is not self:
                shell.kernel = self
                shell.parent = self
                app: Any = self.parent
                shell.ipython_dir = app.ipython_dir
                shell.profile_dir = self.profile_dir
                shell.starting_dir = os.getcwd()
                shell.init_environment()

    class GradingKernelApp(IPKernelApp):
        """No command line and no configuration files: a grading kernel has neither (its
        HOME is a fresh scratch folder anyway); building the command-line parser alone
        took about a fifth of a kernel's start-up."""

        kernel_class = Type(GradingKernel, klass=Kernel)

        def parse_command_line(self, argv: Any = None) -> None:
            pass

        def load_config_file(self, *args: Any, **kwargs: Any) -> None:
            pass

    return GradingKernel, GradingKernelApp


def _config() -> Any:
    from traitlets.config import Config

    config = Config()
    config.IPKernelApp.parent_handle = 0
    config.Application.log_level = "CRITICAL"
    config.HistoryManager.hist_file = ":memory:"
    return config


#: traits of the application that belong to one kernel: made in the child only
_PER_KERNEL_TRAITS = ("session", "connection_file", "kernel", "profile_dir", "ipython_dir",
                      "shell", "iopub_socket", "shell_socket", "control_socket",
                      "stdin_socket", "heartbeat", "iopub_thread", "control_thread")


def prepare() -> None:
    """Build the application and its shell now, for every kernel forked afterwards.

    Call once, in the zygote, before any fork and with the zygote's own (candidate-free)
    environment. Nothing made here belongs to a kernel: asserted below."""
    global _prepared
    if _prepared is not None:
        return
    from ipykernel.compiler import XCachingCompiler
    from ipykernel.zmqshell import ZMQInteractiveShell

    _kernel_class, app_class = _classes()
    app = app_class.instance(config=_config())
    shell: Any = ZMQInteractiveShell.instance(parent=app, user_module=None, user_ns=None,
                                         kernel=None, compiler_class=XCachingCompiler)
    made = sorted(name for name in _PER_KERNEL_TRAITS if app._trait_values.get(name))
    assert not made, f"per-kernel state built before the fork: {made}"
    assert shell.kernel is None and shell.execution_count == 1
    assert shell.history_manager.save_thread is None, "a history thread would not survive"
    assert threading.active_count() == 1, "the zygote must stay single-threaded"
    _prepared = app


def initialized_kernel_app(connection_file: str) -> Any:
    """An initialized IPKernelApp on `connection_file` (sockets bound, threads running,
    not yet serving): the prepared application when there is one, else a new one."""
    if _prepared is not None:
        app = _prepared
    else:
        _kernel_class, app_class = _classes()
        app = app_class.instance(config=_config())
    app.connection_file = connection_file
    app.initialize([])
    return app
