"""Report processes leave out the module jsonschema imports for "iri" checks: importing
nbformat still imports it (the day it does not, `lean_imports.py` can go), and without it
a graded copy's notebook validates and renders as before. The reports worker also
leaves out what nbconvert imports and rendering never runs, and renders the same pages,
without a warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.report.conftest import GradedCohort
from workbook.report.from_gradebook import load_reports
from workbook.report.lean_imports import FORMAT_CHECKERS, UNUSED_BY_RENDERING
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


_PAGE = """
import sys
{skip}
import nbformat
from workbook.report.graded_copy import TEMPLATE
from workbook.report.html_export import rendered_page
sys.stdout.write(rendered_page(nbformat.read(TEMPLATE, as_version=4)))
sys.stdout.write(repr([sys.modules.get(name) is not None for name in {names!r}]))
"""


def test_importing_nbconvert_imports_what_rendering_leaves_out() -> None:
    imported = _run("import sys, nbconvert\n"
                    f"print([sys.modules.get(n) is not None for n in {UNUSED_BY_RENDERING!r}])")
    assert imported == repr([True] * len(UNUSED_BY_RENDERING))


def test_a_report_process_renders_the_same_page_without_what_it_leaves_out() -> None:
    skip = ("from workbook.report.lean_imports import skip_unused_renderer_modules\n"
            "skip_unused_renderer_modules()")
    done = {}
    for name, line in (("full", ""), ("lean", skip)):
        done[name] = subprocess.run(
            [sys.executable, "-W", "error::UserWarning", "-c",
             _PAGE.format(skip=line, names=UNUSED_BY_RENDERING)],
            capture_output=True, text=True, timeout=300, check=False)
        assert done[name].returncode == 0, done[name].stderr
    full, lean = done["full"].stdout, done["lean"].stdout
    absent = repr([False] * len(UNUSED_BY_RENDERING))
    assert lean.endswith(absent) and not full.endswith(absent)
    assert lean[:-len(absent)] == full[:full.rindex("[")]
    assert "<html" in lean and done["lean"].stderr == ""
