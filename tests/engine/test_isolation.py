"""Candidates cannot reach each other, leave anything for the next one, pin memory outside
their limits, or make the system calls a kernel never needs (issue 10, classes 6 and 7).

Two kernels of one zygote are kept alive at once, as in a parallel batch: what one sets
up, the other looks for. Each probe is first shown to find what its own kernel made, so
a probe that can see nothing proves nothing."""

from __future__ import annotations

import errno
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.config import GradingConfig

from .conftest import confined_only
from .kernels import KernelFactory, LiveKernel

pytestmark = confined_only()
MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]

LIBC = ("import ctypes, ctypes.util, errno, os, socket\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        "def call(number, *args):\n"
        "    result = libc.syscall(number, *[ctypes.c_long(a) for a in args])\n"
        "    return 0 if result >= 0 else ctypes.get_errno()\n")

#: one channel per kind: code that opens it in the first kernel, and an expression that
#: is True in a kernel that can see it
CHANNELS = {
    "sysv-shared-memory": ("libc.shmget(0x5157, 4096, 0o1666)",
                           "libc.shmget(0x5157, 0, 0o666) >= 0"),
    "sysv-message-queue": ("libc.msgget(0x5158, 0o1666)", "libc.msgget(0x5158, 0o666) >= 0"),
    "sysv-semaphore": ("libc.semget(0x5159, 1, 0o1666)", "libc.semget(0x5159, 1, 0o666) >= 0"),
    "posix-message-queue": ("libc.mq_open(b'/wbq', os.O_CREAT | os.O_RDWR, 0o666, None)",
                            "libc.mq_open(b'/wbq', os.O_RDWR) >= 0"),
    "abstract-socket": ("server = socket.socket(socket.AF_UNIX)\n"
                        "server.bind(b'\\0workbook-channel')\nserver.listen()",
                        "socket.socket(socket.AF_UNIX).connect_ex(b'\\0workbook-channel') == 0"),
    "loopback-tcp": ("tcp = socket.socket()\ntcp.bind(('127.0.0.1', 47123))\ntcp.listen()",
                     "socket.socket().connect_ex(('127.0.0.1', 47123)) == 0"),
    "tmp-file": ("open('/tmp/workbook-channel', 'w').write('x')",
                 "os.path.exists('/tmp/workbook-channel')"),
    "dev-shm-file": ("open('/dev/shm/workbook-channel', 'w').write('x')",
                     "os.path.exists('/dev/shm/workbook-channel')"),
    "posix-shared-memory": ("from multiprocessing import shared_memory\n"
                            "segment = shared_memory.SharedMemory('wbseg', create=True, "
                            "size=4096)",
                            "os.path.exists('/dev/shm/wbseg')"),
    "working-folder-file": ("open('left-behind', 'w').write('x')",
                            "os.path.exists('/sandbox/left-behind')"),
}


@pytest.fixture(scope="module")
def factory() -> Iterator[KernelFactory]:
    opened = KernelFactory(GradingConfig(confined=True))
    yield opened
    opened.close()


def _open_all(kernel: LiveKernel) -> dict[str, bool]:
    kernel.value(LIBC)
    for opener, _probe in CHANNELS.values():
        kernel.value(opener)
    return {name: kernel.value("", probe) for name, (_opener, probe) in CHANNELS.items()}


def test_each_probe_finds_the_channel_its_own_kernel_opened(factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        assert _open_all(kernel) == dict.fromkeys(CHANNELS, True)


def test_a_concurrent_candidate_sees_none_of_the_others_channels(
        factory: KernelFactory) -> None:
    with factory.kernel() as first, factory.kernel() as second:
        assert all(_open_all(first).values())
        second.value(LIBC)
        seen = {name: second.value("", probe) for name, (_opener, probe) in CHANNELS.items()}
        assert seen == dict.fromkeys(CHANNELS, False)


def test_nothing_a_candidate_opened_survives_into_the_next(factory: KernelFactory) -> None:
    with factory.kernel() as first:
        assert all(_open_all(first).values())
    with factory.kernel() as second:
        second.value(LIBC)
        seen = {name: second.value("", probe) for name, (_opener, probe) in CHANNELS.items()}
    assert seen == dict.fromkeys(CHANNELS, False)


FILL = ("def fill(folder, chunk=1 << 20):\n"
        "    written, index = 0, 0\n"
        "    try:\n"
        "        while written < 1 << 31:  # files of 16 MiB: each under RLIMIT_FSIZE\n"
        "            with open(f'{folder}/fill-{index}', 'wb') as handle:\n"
        "                for _ in range(16):\n"
        "                    handle.write(b'x' * chunk)\n"
        "                    handle.flush()\n"
        "                    written += chunk\n"
        "            index += 1\n"
        "    except OSError as error:\n"
        "        return written, error.errno\n"
        "    return written, 0\n")


@pytest.mark.parametrize("folder", ["/tmp", "/dev/shm", "/sandbox"])
def test_every_writable_place_is_a_tmpfs_of_bounded_size(factory: KernelFactory,
                                                         folder: str) -> None:
    with factory.kernel() as kernel:
        kernel.value(LIBC + FILL)
        written, stopped = kernel.value("", f"fill({folder!r})")
    assert 0 < written <= factory.config.scratch_size and stopped == errno.ENOSPC


def test_a_scratch_folder_holds_a_bounded_number_of_files(factory: KernelFactory) -> None:
    code = ("made = 0\n"
            "try:\n"
            "    for made in range(200_000):\n"
            "        open(f'/tmp/{made}', 'w').close()\n"
            "except OSError as error:\n"
            "    stopped = error.errno\n")
    with factory.kernel() as kernel:
        made, stopped = kernel.value(code, "(made, stopped)")
    assert made < 100_000 and stopped == errno.ENOSPC


def test_the_kernels_own_folder_is_not_writable_by_the_kernel(factory: KernelFactory) -> None:
    """Its sockets are there (found in /proc/net/unix), but nothing else can be put there:
    a tree left in it once stopped the zygote and every kernel with it."""
    with factory.kernel() as kernel:
        kernel.value(LIBC)
        own = kernel.value(
            "own = sorted({os.path.dirname(line.split()[-1]) for line in "
            "open('/proc/net/unix').read().splitlines()[1:] "
            "if line.split()[-1].startswith('/run/workbook/k/')})", "own")
        assert len(own) == 1
        writable = kernel.value(
            "writable = []\n"
            f"for folder in {own!r} + ['/run/workbook', '/run/workbook/k', "
            "'/run/workbook/control', '/opt/workbook', '/', '/dev', '/opt']:\n"
            "    try:\n"
            "        os.mkdir(os.path.join(folder, 'deep'))\n"
            "        writable.append(folder)\n"
            "    except OSError:\n"
            "        pass\n", "writable")
    assert writable == []


MEMORY_PAYLOADS = {
    # anonymous memory files: not counted by RLIMIT_AS unless mapped
    "memfd": "os.memfd_create('pin')",
    # a new user namespace would let the candidate mount a tmpfs of any size
    "user-namespace": "if call(272, 0x10000000):\n    raise OSError('unshare refused')",
    # System V memory is held by the namespace, not the process: bounded per namespace
    "sysv-one-large-segment": "if libc.shmget(0, 512 << 20, 0o1600) < 0:\n"
                              "    raise OSError('shmget refused')",
    # shared anonymous mappings count in RLIMIT_AS
    "mmap-shared": "import mmap\nmmap.mmap(-1, 3 << 30, flags=mmap.MAP_SHARED)",
}


@pytest.mark.parametrize("payload", sorted(MEMORY_PAYLOADS))
def test_memory_outside_the_address_space_limit_is_refused(factory: KernelFactory,
                                                           payload: str) -> None:
    with factory.kernel() as kernel:
        kernel.value(LIBC)
        outcome = kernel.value(
            "try:\n" + "".join(f"    {line}\n" for line in
                               MEMORY_PAYLOADS[payload].splitlines())
            + "    OUTCOME = 'allowed'\nexcept (OSError, MemoryError, ValueError) as error:\n"
            "    OUTCOME = type(error).__name__\n", "OUTCOME")
    assert outcome != "allowed"


def test_many_small_sysv_segments_stop_at_the_namespace_limit(factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        kernel.value(LIBC)
        held = kernel.value(
            "libc.shmat.restype = ctypes.c_void_p\nheld = 0\n"
            "for _ in range(256):\n"
            "    key = libc.shmget(0, 8 << 20, 0o1600)\n"
            "    if key < 0:\n        break\n"
            "    address = libc.shmat(key, None, 0)\n"
            "    ctypes.memset(ctypes.c_void_p(address), 1, 8 << 20)\n"
            "    libc.shmdt(ctypes.c_void_p(address))\n"
            "    held += 8 << 20\n", "held")
    assert held <= factory.config.scratch_size


#: x86-64 numbers of calls no kernel needs, with the arguments of a call that would
#: succeed for an unprivileged process where nothing refuses it
REFUSED_CALLS = {
    "unshare-user": (272, 0x10000000),
    "unshare-mount": (272, 0x00020000),
    "unshare-network": (272, 0x40000000),
    "ptrace-traceme": (101, 0, 0, 0, 0),
    "keyctl-session": (250, 0, -3, 0),  # KEYCTL_GET_KEYRING_ID of the session keyring
    "add-key": (248, 0, 0, 0, 0, 0),
    "bpf": (321, 0, 0, 0),
    "perf-event-open": (298, 0, 0, -1, -1, 0),
    "userfaultfd": (323, 0),
    "io-uring-setup": (425, 1, 0),
    "mount": (165, 0, 0, 0, 0, 0),
    "umount": (166, 0, 0),
    "setns": (308, 0, 0),
    "pivot-root": (155, 0, 0),
    "chroot": (161, 0),
    "init-module": (175, 0, 0, 0),
    "finit-module": (313, 0, 0, 0),
    "delete-module": (176, 0, 0),
    "kexec-load": (246, 0, 0, 0, 0),
    "process-vm-readv": (310, 1, 0, 0, 0, 0, 0),
    "memfd-create": (319, 0, 0),
    "swapon": (167, 0, 0),
    "reboot": (169, 0, 0, 0, 0),
}


@pytest.mark.skipif(not sys.platform.startswith("linux") or
                    subprocess.run(["uname", "-m"], capture_output=True,
                                   text=True).stdout.strip() != "x86_64",
                    reason="system call numbers are those of x86-64")
def test_calls_a_kernel_never_needs_are_refused(factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        kernel.value(LIBC)
        results = {name: kernel.value("", f"call{args}") for name, args in
                   REFUSED_CALLS.items()}
        clone3 = kernel.value("", "call(435, 0, 0)")
    assert results == dict.fromkeys(REFUSED_CALLS, errno.EPERM)
    assert clone3 == errno.ENOSYS  # so the C library falls back to clone, which is filtered


def test_past_the_filter_the_kernels_user_namespace_allows_no_further_one(
        factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        limit = kernel.value("", "open('/proc/sys/user/max_user_namespaces').read().strip()")
        own = kernel.value("", "open('/proc/self/uid_map').read().split()")
    assert limit == "0"
    assert own == ["0", "0", "4294967295"]  # ids mean what they mean on the host


def test_the_same_calls_succeed_where_nothing_refuses_them() -> None:
    """Without the sandbox an unprivileged process may make new user namespaces, trace
    itself, read its keyring and make memory files: the refusals above are the filter's."""
    code = (LIBC + "os.setgroups([]); os.setresgid(65534, 65534, 65534); "
            "os.setresuid(65534, 65534, 65534)\n"
            "print([call(272, 0x10000000), call(101, 0, 0, 0, 0), call(250, 0, -3, 0), "
            "os.memfd_create('x') >= 0])\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert shown == "[0, 0, 0, True]"


NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                   0x40000000, 0x00000080)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flags=st.sets(st.sampled_from(NAMESPACE_FLAGS), min_size=1))
def test_no_combination_of_namespace_flags_gets_through(factory: KernelFactory,
                                                        flags: set[int]) -> None:
    combined = 0
    for flag in flags:
        combined |= flag
    with factory.kernel() as kernel:
        kernel.value(LIBC)
        assert kernel.value("", f"call(272, {combined})") == errno.EPERM
        # clone with the same flags, in a child that exits at once if it ever exists
        assert kernel.value("", f"call(56, {combined | 17}, 0, 0, 0, 0)") == errno.EPERM


def test_a_machine_without_seccomp_bindings_is_told_once() -> None:
    code = ("import sys\nsys.modules['pyseccomp'] = None  # as if not installed\n"
            "from grading.kernel import sandbox\n"
            "assert sandbox.syscall_filter('kernel') is None\n"
            "assert sandbox.syscall_filter('zygote') is None\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=ROOT)
    warnings = [line for line in shown.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "WITHOUT a seccomp filter" in warnings[0]
