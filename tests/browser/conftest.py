"""A live interview served by two real JupyterLab servers, driven by headless Chromium.

Needs Debian's `chromium` at /usr/bin/chromium (or $WORKBOOK_CHROMIUM) and Playwright's
Python client; browsers are never downloaded. Every JUPYTER_* folder is a fresh temporary
one, so nothing from the machine's own Jupyter set-up leaks in or is written to.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.lab_page import lab_context
from tests.conftest import REPO
from tests.live.jupyter_env import isolated_jupyter_env
from workbook.bank import SHIPPED_BANK, load_bank
from workbook.live.binding import read_binding
from workbook.live.evidence import EvidenceRecorder
from workbook.live.lab import LabServer, free_port
from workbook.live.servers import RunFolder, session_servers
from workbook.live.session import PreparedSession, prepare_session
from workbook.live.store import LiveScores
from workbook.model import Level

CHROMIUM = Path(os.environ.get("WORKBOOK_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"
CODING_QUESTION = "ds-top-k-frequent"
DISCUSSION_QUESTION = "concurrency-gil-choice"

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class LiveInterview:
    prepared: PreparedSession
    interviewer: LabServer
    candidate: LabServer
    env: dict[str, str]


@pytest.fixture(scope="module")
def live_interview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveInterview]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    root = tmp_path_factory.mktemp("live")
    env = isolated_jupyter_env(root / "jupyter")
    prepared = prepare_session(load_bank(SHIPPED_BANK), candidate="Ada Lovelace",
                               level=Level.JUNIOR, folder=root / "session",
                               gradebook=str(root / "gradebook.sqlite"),
                               question_ids=[CODING_QUESTION, DISCUSSION_QUESTION])
    # the servers `workbook interview` starts, with the app object exposed for the tests
    run = RunFolder(prepared.folder).create()
    # the candidate's runs and saves are recorded grading-side, as `workbook interview` does
    recorder = EvidenceRecorder(LiveScores(read_binding(prepared.interviewer_notebook)),
                                prepared.candidate_notebook)
    servers = session_servers(prepared, run=run, ip="127.0.0.1", candidate_port=free_port(),
                              interviewer_port=free_port(), logs=root / "logs", env=env,
                              save_delay=0.2, evidence=recorder,
                              extra_args=("--LabApp.expose_app_in_browser=True",))
    interviewer, candidate = servers.interviewer, servers.candidate
    assert candidate is not None
    with recorder:
        try:
            candidate.launch()
            recorder.server_started()
            interviewer.launch()
            candidate.wait_ready()
            interviewer.wait_ready()
            yield LiveInterview(prepared=prepared, interviewer=interviewer,
                                candidate=candidate, env=env)
        finally:
            interviewer.stop()
            candidate.stop()
            run.remove()
    recorder.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--disable-gpu", "--disable-quic"])
        yield chromium
        chromium.close()


@pytest.fixture
def screen(browser: Any) -> Iterator[Any]:
    """A page on a 1440x900 screen, the size the interviewer's view is built for."""

    context = lab_context(browser, {"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = lab_context(browser, {"width": 1300, "height": 1300})
    yield context.new_page()
    context.close()
