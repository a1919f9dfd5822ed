"""How the engine runs candidate code: time, memory, process and output limits, and whether
kernels are confined. One frozen object, passed to `Grader`; nothing reads globals."""

from __future__ import annotations

from dataclasses import dataclass

from grading.errors import ConfigError

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True, kw_only=True)
class GradingConfig:
    """Limits and switches for grading; every field has a working default."""

    #: seconds an answer cell or one check may run (a task's own timeout wins)
    timeout: float = 10.0
    #: address-space limit of each kernel process (RLIMIT_AS); an idle kernel maps ~0.7 GiB
    memory_limit: int = 2 * GiB
    #: CPU seconds a kernel may use over its whole life (RLIMIT_CPU)
    cpu_seconds: int = 600
    #: processes one kernel's uid may own at once (RLIMIT_NPROC), the kernel included
    max_processes: int = 48
    #: largest file a kernel may write (RLIMIT_FSIZE)
    file_size_limit: int = 64 * MiB
    #: size of each private tmpfs (/tmp, /sandbox, /dev/shm) of a confined kernel
    scratch_size: int = 64 * MiB
    #: bytes of output (streams, displays, errors) one cell may send before it is cut off
    output_limit: int = 1 * MiB
    #: True: require bubblewrap; False: limits only; None: bubblewrap when installed
    confined: bool | None = None
    #: seconds a kernel may take to become ready
    startup_timeout: float = 30.0
    #: seconds an interrupted cell gets to stop before its kernel is restarted
    interrupt_grace: float = 1.0
    #: kernel restarts allowed per submission before the remaining tasks are given up
    max_restarts: int = 10
    #: first uid of the unprivileged uids confined kernels run as (one per parallel kernel)
    uid_base: int = 1_500_000_000
    #: skip a task's remaining checks once one of them faults (timeout, crash, flood): for
    #: mutation proofs, where one failure decides and a hung mutant would otherwise wait
    #: out every check's timeout; never for grading candidates, who earn per check
    stop_task_after_fault: bool = False
    #: shrink the input a generated-input check names to a smaller one, in the candidate's
    #: kernel after its checks (bounded: protocol.SHRINK_SECONDS); a mutation proof, which
    #: needs verdicts only, skips it
    shrink_counterexamples: bool = True

    def __post_init__(self) -> None:
        positive = {"timeout": self.timeout, "memory_limit": self.memory_limit,
                    "cpu_seconds": self.cpu_seconds, "max_processes": self.max_processes,
                    "file_size_limit": self.file_size_limit, "scratch_size": self.scratch_size,
                    "output_limit": self.output_limit, "startup_timeout": self.startup_timeout,
                    "interrupt_grace": self.interrupt_grace}
        for name, value in positive.items():
            if not value > 0:
                raise ConfigError(name, f"must be greater than 0, got {value!r}")
        if self.memory_limit < 1 * GiB:
            raise ConfigError("memory_limit", "an idle kernel already maps about 0.7 GiB; "
                              "use at least 1 GiB")
        if self.max_restarts < 0:
            raise ConfigError("max_restarts", f"must be 0 or more, got {self.max_restarts}")
        if not 1000 <= self.uid_base <= 4_000_000_000:
            raise ConfigError("uid_base", "must be an unprivileged uid (1000 or more)")

    def timeout_for(self, task_timeout: float | None) -> float:
        """Seconds one cell or check of a task may run."""
        return task_timeout if task_timeout is not None else self.timeout
