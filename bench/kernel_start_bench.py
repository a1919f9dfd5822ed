"""Start-to-ready time of a confined kernel against a stock ipykernel, in the same run.

    .venv/bin/python bench/kernel_start_bench.py [--kernels N] [--rounds N]

  baseline   a stock `python3` ipykernel started by jupyter_client's KernelManager
             (fresh interpreter, no confinement) until it answers kernel_info
  confined   a kernel forked by the engine's zygote, with every defence this machine
             offers (namespaces, sized tmpfs, seccomp, memory cgroup, uid drop), from
             the request to its first kernel_info reply; the zygote itself starts once,
             outside the timing

Kernels start one after another (nothing else competes). Prints the median of each and
the ratio baseline / confined (above 1: the confined kernel is ready sooner). To see what
a change costs, run this before and after it and compare the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

from jupyter_client.manager import KernelManager

from grading.config import GradingConfig
from grading.kernel.client import KernelClient
from grading.kernel.starter import ZygoteStarter
from grading.kernel.uids import UidLeases


def baseline(count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel()
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        seconds.append(time.perf_counter() - started)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return seconds


def confined(count: int) -> list[float]:
    config = GradingConfig()
    starter = ZygoteStarter(config)
    uids = UidLeases(config.uid_base)
    seconds = []
    try:
        for _ in range(count):
            uid = uids.take()
            started = time.perf_counter()
            handle = starter.start(uid)
            client = KernelClient(handle, hard_output_limit=config.output_limit * 4)
            client.wait_ready(config.startup_timeout)
            seconds.append(time.perf_counter() - started)
            client.close()
            handle.kill()
            uids.give_back(uid)
    finally:
        starter.close()
        uids.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    for round_number in range(1, args.rounds + 1):
        stock = statistics.median(baseline(args.kernels))
        ours = statistics.median(confined(args.kernels))
        print(f"round {round_number}: baseline {stock * 1000:.0f} ms, confined "
              f"{ours * 1000:.0f} ms, ratio {stock / ours:.2f}")


if __name__ == "__main__":
    main()
