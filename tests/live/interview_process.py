"""`workbook interview` run in its own process, as a person runs it, for the tests that
stop, kill and resume it."""

from __future__ import annotations

import re
import subprocess
import sys

from workbook.live.lab import free_port, port_is_free


def two_free_ports() -> int:
    """A port that is free, and so is the next one (the interview serves on both)."""
    while True:
        port = free_port()
        if port_is_free("127.0.0.1", port + 1):
            return port


def launch_interview(port: int, env: dict[str, str],
                     *session: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start `workbook interview --port PORT SESSION...`; the process and the URLs it
    prints (interviewer, candidate) once both servers answer."""
    command = [sys.executable, "-m", "workbook", "interview", "--port", str(port), *session]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    printed = []
    assert process.stdout is not None
    for line in process.stdout:
        printed.append(line)
        if line.startswith("Ctrl-C stops"):
            break
    urls = dict(re.findall(r"^\s+(interviewer|candidate) \(.*?\)\s+(\S+)$",
                           "".join(printed), re.M))
    assert set(urls) == {"interviewer", "candidate"}, "".join(printed)
    return process, urls
