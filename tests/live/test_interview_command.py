"""`workbook interview` prepares the session, serves it, prints the URLs, and stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest

from tests.live.conftest import CODING_QUESTION
from tests.live.interview_process import launch_interview, two_free_ports
from tests.live.jupyter_env import isolated_jupyter_env
from workbook.cli import main
from workbook.live.binding import read_binding
from workbook.live.lab import port_is_free
from workbook.live.servers import RunFolder


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


def start_interview(tmp_path: Path, port: int, *extra: str) -> tuple[subprocess.Popen[str],
                                                                     dict[str, str]]:
    """`workbook interview` in its own process; its printed URLs once both servers answer."""
    env = isolated_jupyter_env(tmp_path / f"jupyter-{port}-{len(extra)}")
    session = ["--resume", str(tmp_path / "s")] if "--resume" in extra else [
        "--candidate", "Alan Turing", "--level", "junior", "--questions", CODING_QUESTION,
        "--out", str(tmp_path / "s"), "--gradebook", str(tmp_path / "gb.sqlite")]
    return launch_interview(port, env, *session)


def listing(url: str) -> list[str]:
    base, token = url.split("/lab/")[0], url.split("token=")[1]
    with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=30) as answer:
        return [item["name"] for item in json.load(answer)["content"]]


def notification_settings(url: str) -> dict[str, object]:
    base, token = url.split("/lab/")[0], url.split("token=")[1]
    plugin = "@jupyterlab/apputils-extension:notification"
    with urllib.request.urlopen(f"{base}/lab/api/settings/{plugin}?token={token}",
                                timeout=30) as answer:
        plugin_settings = json.load(answer)
    # the server's overrides are the schema's defaults; user settings go on top
    defaults = {name: spec.get("default")
                for name, spec in plugin_settings["schema"]["properties"].items()}
    return {**defaults, **plugin_settings["settings"]}


def start_kernel(url: str) -> str:
    base, token = url.split("/lab/")[0], url.split("token=")[1]
    request = urllib.request.Request(f"{base}/api/kernels?token={token}", data=b"{}",
                                     method="POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return str(json.load(answer)["id"])


def changed_since(path: Path, since: float) -> bool:
    try:
        return path.lstat().st_mtime >= since - 1
    except OSError:  # gone meanwhile
        return False


def files_holding(secret: bytes, roots: list[Path], since: float) -> list[Path]:
    """Files under `roots` changed since `since` whose bytes contain `secret` (folders
    untouched since then are skipped: other jobs share the temp folder)."""
    found = []
    for root in roots:
        for folder, subfolders, files in os.walk(root, onerror=lambda _error: None):
            subfolders[:] = [name for name in subfolders
                             if changed_since(Path(folder) / name, since)]
            for name in files:
                path = Path(folder) / name
                with suppress(OSError):
                    if path.is_file() and path.stat().st_mtime >= since - 1 and \
                            secret in path.read_bytes():
                        found.append(path)
    return found


def kernel_keys(run: RunFolder) -> set[bytes]:
    return {json.loads(path.read_text())["key"].encode()
            for path in run.path.rglob("kernel-*.json")}


def stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    try:
        process.send_signal(signum)
        _, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serves_both_notebooks_from_separate_roots_and_a_signal_leaves_no_key_behind(
        tmp_path: Path, signum: int) -> None:
    started = time.time()
    port = two_free_ports()
    process, urls = start_interview(tmp_path, port)
    run = RunFolder(tmp_path / "s")
    try:
        assert urls["interviewer"].startswith(f"http://127.0.0.1:{port + 1}/lab/tree/"
                                              "interviewer.ipynb?token=")
        assert urls["candidate"].startswith(f"http://127.0.0.1:{port}/lab/tree/"
                                            "candidate.ipynb?token=")
        # each server lists its own notebook only: no second copy of the candidate's
        assert listing(urls["candidate"]) == ["candidate.ipynb"]
        assert listing(urls["interviewer"]) == ["interviewer.ipynb"]
        for url in urls.values():  # no news pop-up over the panels, on either server
            assert notification_settings(url)["fetchNews"] == "false"
        start_kernel(urls["candidate"])
        start_kernel(urls["interviewer"])
        deadline = time.monotonic() + 60
        while len(kernel_keys(run)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        keys = kernel_keys(run)
        assert len(keys) == 2  # one connection file per server, in the run folder
    except BaseException:
        process.kill()
        raise
    code, err = stop(process, signum)
    assert code == 0, err
    assert "stopped; scores are in" in err
    # the candidate's server loaded the recorder of runs and saves, with its pipe
    log = (tmp_path / "s" / "logs" / "candidate-lab.log").read_text(encoding="utf-8")
    assert "workbook recorder: reporting runs and saves" in log
    assert port_is_free("127.0.0.1", port) and port_is_free("127.0.0.1", port + 1)
    assert not run.path.exists()
    roots = [tmp_path, Path(tempfile.gettempdir())]
    for key in keys:
        assert files_holding(key, roots, started) == []
    workspaces = [tmp_path / "s" / ".lab" / role / "config" / "lab" / "workspaces"
                  for role in ("candidate", "interviewer")]
    assert workspaces[0] != workspaces[1]


def test_a_killed_session_resumes_with_its_notebooks_and_gradebook(tmp_path: Path) -> None:
    from workbook.live.binding import read_binding
    from workbook.live.store import LiveScores

    port = two_free_ports()
    process, urls = start_interview(tmp_path, port)
    run = RunFolder(tmp_path / "s")
    interviewer_notebook = tmp_path / "s" / "interviewer" / "interviewer.ipynb"
    scores = LiveScores(read_binding(interviewer_notebook))
    try:
        scores.write(CODING_QUESTION, "score", 3)
        start_kernel(urls["candidate"])
    finally:
        process.kill()  # a crash: no clean-up runs
        process.wait()
        scores.close()
    assert run.path.exists()  # what the crash left, keys included...

    process, urls = start_interview(tmp_path, port, "--resume")
    try:
        assert listing(urls["candidate"]) == ["candidate.ipynb"]
        resumed = LiveScores(read_binding(interviewer_notebook))
        assert resumed.read()[CODING_QUESTION]["score"].value == 3
        resumed.close()
        assert kernel_keys(run) == set()  # ...is gone once the session is served again
    except BaseException:
        process.kill()
        raise
    code, err = stop(process, signal.SIGINT)
    assert code == 0, err
    assert not run.path.exists()


def test_resume_refuses_a_folder_that_is_not_a_session(tmp_path: Path, capsys: object) -> None:
    code = main(["interview", "--resume", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "not a session folder" in err and err.count("\n") == 1
    code = main(["interview", "--resume", str(tmp_path), "--candidate", "X"])
    assert code == 1
    assert "drop --candidate" in capsys.readouterr().err  # type: ignore[attr-defined]
