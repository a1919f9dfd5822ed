"""Write a candidate's graded copy: the papermill template, parameterised, with its outputs.

Two ways to fill the template, giving the same outputs (both call `copy_parts`):

- `inline` (the default): papermill prepares the copy (`prepare_only`: parameters injected,
  papermill metadata written, no kernel) and this process fills each report cell with the
  outputs `copy_parts` computes. One process renders any number of candidates, so the
  template (prepared by papermill), the exporter and the chart's frame are built once;
  bench/report_bench.py measures what the copies and cohort page add to grading.
- `kernel`: papermill executes the template in a fresh kernel, whose cells load the
  candidate from the gradebook and display the same parts. It runs only report code, never
  candidate code, but pays a kernel start and imports per candidate (2-3 s each, about 20x
  the inline way), which is why it is not the default for a cohort.

papermill is imported here and nowhere else.
"""

from __future__ import annotations

import copy as _copy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from workbook.errors import WorkbookError
from workbook.report.copy_parts import PARTS
from workbook.report.html_export import notebook_html
from workbook.report.naming import GRADED_DIR, report_stem
from workbook.report.page_skeleton import TextSkeletons
from workbook.report.records import CandidateReport

#: the papermill template: in a checkout (or editable install) under notebooks/, and in an
#: installed wheel under <prefix>/share/interview-workbook/ (pyproject's data-files)
_CHECKOUT_TEMPLATE = Path(__file__).resolve().parents[2] / "notebooks" / "graded-copy.ipynb"
_INSTALLED_TEMPLATE = Path(sys.prefix) / "share" / "interview-workbook" / "graded-copy.ipynb"
TEMPLATE = _CHECKOUT_TEMPLATE if _CHECKOUT_TEMPLATE.exists() else _INSTALLED_TEMPLATE
INLINE, KERNEL = "inline", "kernel"
ENGINES = (INLINE, KERNEL)


@dataclass(frozen=True, kw_only=True)
class CopySettings:
    """Where the template's kernel finds the data, and what the copy prints as its date."""

    gradebook: str
    date: str
    bank: str = ""
    html: bool = True


def copy_paths(outdir: Path, candidate: str, *, submission: str | None = None
               ) -> tuple[Path, Path]:
    """The graded copy's notebook and HTML paths under `outdir/graded/` (`naming`)."""
    folder, stem = outdir / GRADED_DIR, report_stem(candidate, submission)
    return folder / f"{stem}.ipynb", folder / f"{stem}.html"


def report_paths(outdir: Path, report: CandidateReport) -> tuple[Path, Path]:
    """Where this report's copy goes: named by its submission too when it is one of
    several claiming the candidate, so each is kept."""
    return copy_paths(outdir, report.candidate,
                      submission=report.content_hash if report.conflicts else None)


@cache
def _template() -> Any:
    import nbformat

    if not TEMPLATE.exists():
        raise WorkbookError(f"{TEMPLATE}: graded-copy template not found; reinstall the "
                            f"project from a full checkout")
    return nbformat.read(TEMPLATE, as_version=4)


def _parameters(report: CandidateReport, settings: CopySettings) -> dict[str, str]:
    return {"candidate": report.candidate,
            "submission": report.content_hash if report.conflicts else "",
            "gradebook": settings.gradebook, "bank": settings.bank,
            "report_date": settings.date}


@cache
def _prepared() -> tuple[str, int, str]:
    """The template prepared by papermill once per process (`prepare_only`: the injected
    parameters cell and papermill's metadata, no kernel), as JSON text; the index of the
    injected cell; the kernel name papermill translated the parameters for. Each copy
    starts from this instead of asking papermill to load, check and prepare the template
    again (bench/report_bench.py: that was a tenth of a second per copy)."""
    import json

    import papermill

    names = {name: "" for name in ("candidate", "submission", "gradebook", "bank",
                                   "report_date")}
    nb = papermill.execute_notebook(_copy.deepcopy(_template()), None, parameters=names,
                                    prepare_only=True, language="python",
                                    progress_bar=False)
    nb.metadata.papermill["input_path"] = str(TEMPLATE)
    tags = [cell.get("metadata", {}).get("tags", []) for cell in nb.cells]
    return json.dumps(nb), tags.index(["injected-parameters"]), nb.metadata.kernelspec.name


def prepare(report: CandidateReport, settings: CopySettings, output: Path) -> Any:
    """The template with this candidate's parameters and papermill's metadata, not run:
    what papermill's `prepare_only` gives, with the values translated by papermill."""
    import json

    import nbformat
    from papermill.translators import translate_parameters

    text, injected, kernel = _prepared()
    parameters = _parameters(report, settings)
    nb = nbformat.from_dict(json.loads(text))
    nb.cells[injected].source = translate_parameters(kernel, "python", parameters,
                                                     "Parameters")
    nb.metadata.papermill["parameters"] = parameters
    nb.metadata.papermill["output_path"] = str(output)
    return nb


def fill(nb: Any, report: CandidateReport, *, date: str,
         parts: Mapping[str, Callable[..., list[dict[str, Any]]]] = PARTS) -> Any:
    """Put each report cell's outputs in place, as running it would have."""
    import nbformat

    for cell in nb.cells:
        part = cell.get("metadata", {}).get("workbook", {}).get("part")
        if cell.cell_type == "code" and part in parts:
            cell.outputs = [nbformat.from_dict(o) for o in parts[part](report, date=date)]
    return nb


def _mark(nb: Any, report: CandidateReport, engine: str) -> None:
    nb.metadata["workbook"] = {"role": "graded-copy", "format": 1, "engine": engine,
                               "candidate": report.candidate,
                               "content_hash": report.content_hash}


def filled(report: CandidateReport, settings: CopySettings, notebook_path: Path, *,
           parts: Mapping[str, Callable[..., list[dict[str, Any]]]] = PARTS) -> Any:
    """The graded copy's notebook node, to be written at `notebook_path`."""
    nb = fill(prepare(report, settings, notebook_path), report, date=settings.date,
              parts=parts)
    _mark(nb, report, INLINE)
    return nb


def notebook_text(nb: Any) -> str:
    """nbformat's own layout, without validating again what is the checked template plus
    outputs of our own making (validation was a fifth of a copy's time), written into
    the text of the first copy of the same shape (`page_skeleton.TextSkeletons`)."""
    return _texts().text(nb)


@cache
def _texts() -> TextSkeletons:
    return TextSkeletons(dumped_text)


def dumped_text(nb: Any) -> str:
    """nbformat's own layout of `nb`, as `nbformat.write` gives it."""
    import json

    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def write_copy(report: CandidateReport, outdir: Path, settings: CopySettings) -> Path:
    """Render the graded copy in this process; returns the notebook path."""
    notebook_path, html_path = report_paths(outdir, report)
    notebook_path.parent.mkdir(parents=True, exist_ok=True)
    nb = filled(report, settings, notebook_path)
    notebook_path.write_text(notebook_text(nb), encoding="utf-8")
    if settings.html:
        html_path.write_text(notebook_html(nb), encoding="utf-8")
    return notebook_path


def execute_copy(report: CandidateReport, outdir: Path, settings: CopySettings, *,
                 timeout: float = 120) -> Path:
    """Render the graded copy by running the template in a kernel; returns the notebook path.

    The kernel reads the gradebook itself, so the copy shows what is recorded there.
    """
    import nbformat
    import papermill

    notebook_path, html_path = report_paths(outdir, report)
    notebook_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        nb = papermill.execute_notebook(
            str(TEMPLATE), None, parameters=_parameters(report, settings),
            progress_bar=False, kernel_name="python3", execution_timeout=timeout)
    except papermill.PapermillExecutionError as exc:
        raise WorkbookError(f"graded copy of {report.candidate}: the template failed in "
                            f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    nb.metadata.papermill["output_path"] = str(notebook_path)
    _mark(nb, report, KERNEL)
    nbformat.write(nb, notebook_path)
    if settings.html:
        html_path.write_text(notebook_html(nb), encoding="utf-8")
    return notebook_path
