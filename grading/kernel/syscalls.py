"""The seccomp filters of the sandbox, built with libseccomp (the `pyseccomp` bindings).

Two layers, because the zygote needs some calls to set each kernel up that no kernel may
make afterwards:

- the zygote's filter, loaded by bwrap (`--seccomp`) before the zygote starts, refuses the
  interfaces that neither needs: tracing other processes, kernel keyrings, BPF, perf,
  kexec, kernel modules, userfaultfd, swap, reboot, clock setting, the console log,
  file handles that bypass paths, and new mount API calls;
- each kernel's filter, loaded by the kernel itself once it has its own namespaces, mounts
  and uid (`confine.seal`), refuses on top of that: mounting and unmounting, new namespaces
  of any kind (`unshare`, `setns`, namespace flags of `clone`; `clone3`, whose flags a filter
  cannot read, answers ENOSYS so the C library falls back to `clone`), `chroot`,
  `pivot_root`, anonymous memory files (`memfd_create`, `memfd_secret`: memory no rlimit
  counts), io_uring, and changing the host or domain name.

A refused call fails with EPERM, as a call without the privilege would; the kernel and
the candidate's code go on. Calls of another architecture's ABI (x32, i386 on x86-64) kill
the process, libseccomp's default.
"""

from __future__ import annotations

import errno
import tempfile
from typing import Any

#: refused for the zygote and every kernel
ZYGOTE_DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "lookup_dcookie",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup",
    "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "open_by_handle_at", "name_to_handle_at", "setns", "chroot", "pivot_root",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "nfsservctl", "personality",
)
#: refused on top of those for every kernel, once it is set up
KERNEL_DENIED = (
    "mount", "umount2", "unshare", "memfd_create", "memfd_secret",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "sethostname", "setdomainname",
)
#: every namespace flag of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
#: NEWPID, NEWNET, NEWTIME
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000,
                   0x20000000, 0x40000000, 0x00000080)


class SeccompUnavailable(Exception):
    """libseccomp or its Python bindings cannot be loaded on this machine."""


def _bindings() -> Any:
    try:
        import pyseccomp
    except (ImportError, OSError) as error:  # OSError: libseccomp.so.2 itself is missing
        raise SeccompUnavailable(str(error)) from error
    return pyseccomp


def _build(denied: tuple[str, ...], *, namespaces: bool) -> bytes:
    seccomp = _bindings()
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in denied:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError, OSError):
            continue  # a call this architecture or this libseccomp does not know
    if namespaces:
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        for flag in NAMESPACE_FLAGS:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone",
                           seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    with tempfile.TemporaryFile() as sink:
        rules.export_bpf(sink)
        sink.seek(0)
        return sink.read()


def zygote_filter() -> bytes:
    """The BPF program bwrap loads for the zygote (and so for every kernel)."""
    return _build(ZYGOTE_DENIED, namespaces=False)


def kernel_filter() -> bytes:
    """The BPF program each kernel loads on top, after its own set-up."""
    return _build(ZYGOTE_DENIED + KERNEL_DENIED, namespaces=True)
