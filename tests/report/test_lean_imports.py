"""Report processes leave out the module jsonschema imports for "iri" checks: importing
nbformat still imports it (the day it does not, `lean_imports.py` can go), and without it
a graded copy's notebook validates and renders as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.report.conftest import GradedCohort
from workbook.report.from_gradebook import load_reports
from workbook.report.lean_imports import FORMAT_CHECKERS
from workbook.report.stage import bank_folder

_WITHOUT = f"""
import sys
from workbook.report.lean_imports import skip_iri_checker
skip_iri_checker()
import nbformat
from workbook.report.graded_copy import TEMPLATE
from workbook.report.html_export import notebook_html
nb = nbformat.read(TEMPLATE, as_version=4)
nbformat.validate(nb)
assert "<html" in notebook_html(nb)
print(any(sys.modules.get(name) is not None for name in {FORMAT_CHECKERS!r}))  # None: absent
"""


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_nbformat_imports_the_format_checkers() -> None:
    imported = _run("import sys, nbformat\n"
                    f"print(all(sys.modules.get(name) is not None\n"
                    f"          for name in {FORMAT_CHECKERS!r}))")
    assert imported == "True"


def test_a_report_process_validates_and_renders_without_it() -> None:
    assert _run(_WITHOUT) == "False"


def test_the_report_command_leaves_it_out_too(rendered: GradedCohort, tmp_path: Path) -> None:
    with rendered.gradebook() as gradebook:
        candidate = next(iter(load_reports(gradebook, rendered.bank))).candidate
    code = (f"import sys\nfrom workbook.cli import main\n"
            f"code = main(['report', {candidate!r}, '-o', {str(tmp_path)!r}, '--gradebook', "
            f"{str(rendered.gradebook_path)!r}, '--bank', {bank_folder(rendered.bank)!r}])\n"
            f"assert code == 0, code\n"
            f"print(any(sys.modules.get(name) is not None for name in {FORMAT_CHECKERS!r}))\n")
    assert _run(code).splitlines()[-1] == "False"
    assert list((tmp_path / "graded").glob("*.html"))
