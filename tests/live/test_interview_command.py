"""`workbook interview` prepares the session, serves it, prints the URLs, and stops on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.live.conftest import CODING_QUESTION
from tests.live.jupyter_env import isolated_jupyter_env
from workbook.cli import main
from workbook.live.binding import read_binding
from workbook.live.lab import free_port, port_is_free


def two_free_ports() -> int:
    while True:
        port = free_port()
        if port_is_free("127.0.0.1", port + 1):
            return port


def test_no_lab_prepares_a_bound_session_folder(tmp_path: Path, capsys: object) -> None:
    code = main(["interview", "--candidate", "Alan Turing", "--level", "junior",
                 "--questions", CODING_QUESTION, "--out", str(tmp_path / "s"),
                 "--gradebook", str(tmp_path / "gb.sqlite"), "--no-lab"])
    assert code == 0
    binding = read_binding(tmp_path / "s" / "interviewer" / "interviewer.ipynb")
    assert binding.candidate == "Alan Turing"
    assert binding.gradebook == str(tmp_path / "gb.sqlite")
    assert binding.candidate_notebook == tmp_path / "s" / "candidate" / "candidate.ipynb"
    assert binding.bank is None  # the default bank, found again by the kernel


def test_an_unknown_question_is_one_line_on_stderr(tmp_path: Path, capsys: object) -> None:
    code = main(["interview", "--candidate", "A", "--level", "junior", "--questions", "nope",
                 "--out", str(tmp_path / "s"), "--no-lab"])
    assert code == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err.startswith("error: unknown question id(s): nope") and err.count("\n") == 1


def test_serves_both_notebooks_and_ctrl_c_stops_the_servers(tmp_path: Path) -> None:
    port = two_free_ports()
    env = isolated_jupyter_env(tmp_path / "jupyter")
    command = [sys.executable, "-m", "workbook", "interview", "--candidate", "Alan Turing",
               "--level", "junior", "--questions", CODING_QUESTION, "--port", str(port),
               "--out", str(tmp_path / "s"), "--gradebook", str(tmp_path / "gb.sqlite")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        printed = []
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Ctrl-C stops"):
                break
        urls = dict(re.findall(r"^\s+(interviewer|candidate) \(.*?\)\s+(\S+)$",
                               "".join(printed), re.M))
        assert urls["interviewer"].startswith(f"http://127.0.0.1:{port + 1}/lab/tree/"
                                              "interviewer/interviewer.ipynb?token=")
        assert urls["candidate"].startswith(f"http://127.0.0.1:{port}/lab/tree/"
                                            "candidate.ipynb?token=")
        token = urls["candidate"].split("token=")[1]
        listing = f"http://127.0.0.1:{port}/api/contents?token={token}"
        with urllib.request.urlopen(listing, timeout=10) as answer:
            names = [item["name"] for item in json.load(answer)["content"]]
        assert names == ["candidate.ipynb"]  # the candidate's server cannot list the rubric

        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "stopped; scores are in" in err
    # the candidate's server loaded the recorder of runs and saves, with its pipe
    log = (tmp_path / "s" / "logs" / "candidate-lab.log").read_text(encoding="utf-8")
    assert "workbook recorder: reporting runs and saves" in log
    assert port_is_free("127.0.0.1", port) and port_is_free("127.0.0.1", port + 1)
