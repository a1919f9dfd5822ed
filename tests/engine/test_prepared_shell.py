"""Kernels forked from one zygote start from the same IPython shell, built there before
any fork (grading/kernel/inside/kernel_app.py), yet none sees another's state: each is a
process of its own, with its own copy of that shell, its own session key, profile folder,
working folder and environment.

Two kernels are kept alive at once, as in a parallel batch, and a third starts after
them: what the first leaves in the interpreter, the shell, its history or its folders,
the others look for. Each probe is first shown to find what its own kernel left."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grading.config import GradingConfig

from .conftest import confined_only
from .kernels import KernelFactory, LiveKernel

pytestmark = confined_only()

#: state of every kind a candidate's code can leave in its process: code that leaves it,
#: and an expression that is True in a kernel that sees it
TRACES = {
    "user-global": ("left_behind = 'trace-1'", "globals().get('left_behind') == 'trace-1'"),
    "shell-attribute": ("get_ipython().left_behind = 'trace-2'",
                        "getattr(get_ipython(), 'left_behind', None) == 'trace-2'"),
    "patched-shell-class": ("type(get_ipython()).left_behind = 'trace-3'",
                            "getattr(type(get_ipython()), 'left_behind', None) == 'trace-3'"),
    "patched-module": ("import json\njson.left_behind = 'trace-4'",
                       "getattr(__import__('json'), 'left_behind', None) == 'trace-4'"),
    "builtin": ("import builtins\nbuiltins.left_behind = 'trace-5'",
                "getattr(__import__('builtins'), 'left_behind', None) == 'trace-5'"),
    "input-history": ("'trace-6'", "any('trace-6' in cell for cell in In)"),
    "output-history": ("'trace-7'", "'trace-7' in Out.values()"),
    "user-namespace-hidden": ("get_ipython().user_ns_hidden['left_behind'] = 'trace-8'",
                              "get_ipython().user_ns_hidden.get('left_behind') == 'trace-8'"),
    "environment": ("import os\nos.environ['LEFT_BEHIND'] = 'trace-9'",
                    "__import__('os').environ.get('LEFT_BEHIND') == 'trace-9'"),
    "profile-startup-file": (
        "import pathlib\nstartup = pathlib.Path(get_ipython().profile_dir.startup_dir)\n"
        "startup.mkdir(parents=True, exist_ok=True)\n"
        "(startup / '00-left.py').write_text('left_by_startup = 1')",
        "any(p.name == '00-left.py' for p in __import__('pathlib').Path("
        "get_ipython().profile_dir.startup_dir).glob('*'))"),
    "home-file": ("import pathlib\n(pathlib.Path.home() / 'left-behind').write_text('x')",
                  "(__import__('pathlib').Path.home() / 'left-behind').exists()"),
}


@pytest.fixture(scope="module")
def factory() -> Iterator[KernelFactory]:
    opened = KernelFactory(GradingConfig(confined=True))
    yield opened
    opened.close()


def _leave_all(kernel: LiveKernel) -> dict[str, bool]:
    for code, _probe in TRACES.values():
        kernel.value(code)
    return _seen(kernel)


def _seen(kernel: LiveKernel) -> dict[str, bool]:
    return {name: kernel.value("", probe) for name, (_code, probe) in TRACES.items()}


def test_each_probe_finds_what_its_own_kernel_left(factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        assert _leave_all(kernel) == dict.fromkeys(TRACES, True)


def test_kernels_of_one_prepared_zygote_see_nothing_of_each_other(
        factory: KernelFactory) -> None:
    with factory.kernel() as first, factory.kernel() as second:
        assert all(_leave_all(first).values())
        assert _seen(second) == dict.fromkeys(TRACES, False)
    with factory.kernel() as third:
        assert _seen(third) == dict.fromkeys(TRACES, False)
        assert third.value("", "'left_by_startup' in globals()") is False


def test_each_kernel_has_its_own_session_and_folders(factory: KernelFactory) -> None:
    probe = ("(get_ipython().kernel.session.key.decode(), get_ipython().kernel.session.session,"
             " get_ipython().profile_dir.location, get_ipython().starting_dir, __import__('os')"
             ".getcwd(), get_ipython().kernel is __import__('ipykernel.kernelapp').kernelapp."
             "IPKernelApp.instance().kernel)")
    with factory.kernel() as first, factory.kernel() as second:
        seen = [kernel.value("", probe) for kernel in (first, second)]
        keys = [kernel.handle.endpoints.key.decode() for kernel in (first, second)]
    for (key, _session, profile, starting, cwd, adopted), own_key in zip(
            seen, keys, strict=True):
        assert key == own_key
        assert profile.startswith(cwd) and starting == cwd
        assert adopted is True
    assert seen[0][1] != seen[1][1]
