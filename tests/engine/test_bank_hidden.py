"""Nothing of the question bank is visible inside the sandbox, however the package is
installed (issue 10, class 6): a candidate's answer that searches the whole file system
for the bank's file names and the text of its reference answers finds nothing, from this
checkout's (editable) install and from a wheel installed into a fresh virtualenv, where
the bank sits inside the environment the sandbox mounts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grading.config import GradingConfig

from .conftest import confined_only
from .kernels import KernelFactory

pytestmark = confined_only()
ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "workbook" / "questions"

#: a candidate's answer: every file name on the machine it can see, and the contents of
#: every text-like file, searched for the needles
SEARCH = '''
import os
def search(needles, names):
    needles = [needle.encode() for needle in needles]
    hits = []
    texts = ('.md', '.toml', '.txt', '.json', '.py', '.cfg', '.ipynb', '.csv', '.html',
             '.yaml', '.yml', '.pth', '')
    for root, folders, files in os.walk('/'):
        if root == '/':  # kernel interfaces, not files; /proc holds this cell's own text
            folders[:] = [f for f in folders if f not in ('proc', 'sys', 'dev')]
        for name in files:
            path = os.path.join(root, name)
            if name in names:
                hits.append(path)
                continue
            if os.path.splitext(name)[1] not in texts:
                continue
            try:
                if os.path.getsize(path) > 4 << 20:
                    continue
                with open(path, 'rb') as handle:
                    data = handle.read()
            except OSError:
                continue
            if any(needle in data for needle in needles):
                hits.append(path)
    return hits
'''


def reference_lines(count: int = 12) -> list[str]:
    """The longest line of the reference answer of `count` questions: text that is in the
    bank and nowhere else."""
    lines: list[str] = []
    for path in sorted(QUESTIONS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if "\n## Reference\n" not in text or len(lines) == count:
            continue  # a question answered in prose has no reference code
        reference = text.split("\n## Reference\n", 1)[1].split("\n## ", 1)[0]
        candidates = [line.strip() for line in reference.splitlines()
                      if len(line.strip()) >= 30 and not line.strip().startswith("```")]
        lines.append(max(candidates, key=len))
    return lines


def names() -> set[str]:
    return {path.name for path in QUESTIONS.iterdir()}


def host_hits(folder: Path, needles: list[str]) -> list[Path]:
    encoded = [needle.encode() for needle in needles]
    return [path for path in folder.rglob("*.md")
            if any(needle in path.read_bytes() for needle in encoded)]


@pytest.fixture(scope="module")
def factory() -> Iterator[KernelFactory]:
    opened = KernelFactory(GradingConfig(confined=True))
    yield opened
    opened.close()


def test_the_needles_are_in_the_bank() -> None:
    needles = reference_lines()
    assert len(host_hits(QUESTIONS, needles)) >= len(needles)


def test_a_search_of_the_whole_file_system_finds_nothing_of_the_bank(
        factory: KernelFactory) -> None:
    with factory.kernel() as kernel:
        kernel.value(SEARCH)
        hits = kernel.value("", f"search({reference_lines()!r}, {names()!r})", timeout=900)
    assert hits == []


RUN_IN_WHEEL_VENV = '''
import json, sys
sys.path.insert(0, sys.argv[1])
from kernels import KernelFactory
from grading.config import GradingConfig
import workbook
factory = KernelFactory(GradingConfig(confined=True))
try:
    with factory.kernel() as kernel:
        kernel.value(sys.argv[2])
        hits = kernel.value("", f"search({json.loads(sys.argv[3])!r}, "
                                f"{set(json.loads(sys.argv[4]))!r})", timeout=900)
finally:
    factory.close()
print(json.dumps({"hits": hits, "package": workbook.__file__}))
'''


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with this project installed from a real wheel."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(folder), str(ROOT)], check=True, capture_output=True)
    (wheel,) = folder.glob("interview_workbook-*.whl")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, capture_output=True)
    return venv


def test_from_a_wheel_the_bank_is_in_the_environment_yet_not_in_the_sandbox(
        wheel_venv: Path, tmp_path: Path) -> None:
    needles = reference_lines()
    site_packages = next((wheel_venv / "lib").glob("python3*/site-packages"))
    assert len(host_hits(site_packages / "workbook" / "questions", needles)) >= len(needles)
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    shutil.copy(Path(__file__).with_name("kernels.py"), helpers / "kernels.py")
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    shown = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c", RUN_IN_WHEEL_VENV, str(helpers), SEARCH,
         json.dumps(needles), json.dumps(sorted(names()))],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=environment)
    outcome = json.loads(shown.stdout.strip().splitlines()[-1])
    assert Path(outcome["package"]).is_relative_to(site_packages)  # the wheel's, not ours
    assert outcome["hits"] == []
