"""A wheel carries everything an install needs outside a checkout: the question bank, the
in-kernel code, the confined kernelspec and the graded-copy template, each where the code
looks for it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from workbook.report import graded_copy

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_what_an_install_needs(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("interview_workbook-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(n.split("/data/")[0] for n in names if "/data/" in n) + "/data/"
    installed_template = graded_copy._INSTALLED_TEMPLATE.relative_to(sys.prefix).as_posix()
    assert data + installed_template in names
    assert data + "share/jupyter/kernels/workbook-confined/kernel.json" in names
    assert {"workbook/questions/bank.toml", "grading/kernel/inside/harness.py",
            "grading/kernel/inside/zygote.py", "grading/kernel/inside/kernel_main.py",
            "grading/kernel/inside/confine.py"} <= names
    questions = {n for n in names if n.startswith("workbook/questions/") and n.endswith(".md")}
    assert len(questions) == len(list((ROOT / "workbook" / "questions").glob("*.md")))
