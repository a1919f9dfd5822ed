"""Why a graded copy's page is rendered from nbconvert's template without
`HTMLExporter.from_notebook_node`: for every page, that method deep-copies the notebook
twice and validates it against the schema, which a copy (the checked template plus
outputs of our own making) does not need. The first test shows it still does; when it
fails, nbconvert stopped, and `html_export.notebook_html` can call it again. The others
show our way gives the same page and leaves the notebook as it was."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.report.conftest import REPORT_DATE, GradedCohort
from workbook.report.from_gradebook import load_reports
from workbook.report.graded_copy import CopySettings, filled, report_paths
from workbook.report.html_export import _exporter, notebook_html


@pytest.fixture(scope="module")
def notebooks(rendered: GradedCohort) -> list[Any]:
    """The notebook node of each of the cohort's graded copies, before its page."""
    settings = CopySettings(gradebook="sqlite:///gradebook.sqlite", date=REPORT_DATE)
    with rendered.gradebook() as gradebook:
        return [filled(report, settings, report_paths(rendered.outdir, report)[0])
                for report in load_reports(gradebook, rendered.bank)]


def _nbconvert_page(nb: Any) -> str:
    """The page as nbconvert's template exporter renders it from a notebook node."""
    from nbconvert.exporters.templateexporter import TemplateExporter

    exporter = _exporter()
    body, _resources = TemplateExporter.from_notebook_node(exporter, nb,
                                                           exporter._init_resources(None))
    return str(body)


def test_nbconverts_exporter_copies_and_validates_every_notebook(
        notebooks: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat

    nb = notebooks[0]
    copied: list[object] = []
    validated: list[object] = []
    deepcopy, validate = copy.deepcopy, nbformat.validate

    def counting_copy(item: Any, *args: Any) -> Any:
        if isinstance(item, dict) and "cells" in item:
            copied.append(item)
        return deepcopy(item, *args)

    def counting_validate(item: Any, *args: Any, **kwargs: Any) -> Any:
        validated.append(item)
        return validate(item, *args, **kwargs)

    monkeypatch.setattr(copy, "deepcopy", counting_copy)
    monkeypatch.setattr(nbformat, "validate", counting_validate)

    _nbconvert_page(nb)

    assert len(copied) >= 2
    assert validated


def test_our_page_is_nbconverts_page(notebooks: list[Any]) -> None:
    for nb in notebooks:
        assert notebook_html(nb) == _nbconvert_page(nb)


def test_rendering_the_page_leaves_the_notebook_as_it_was(notebooks: list[Any]) -> None:
    for nb in notebooks:
        before = json.dumps(nb, sort_keys=True)

        notebook_html(nb)

        assert json.dumps(nb, sort_keys=True) == before


_RENDER = ("import sys, nbformat\n"
           "from workbook.report.html_export import notebook_html\n"
           "sys.stdout.write(notebook_html(nbformat.read(sys.argv[1], 4)))\n")


def test_pages_are_the_same_with_the_templates_compiled_code_kept_missing_or_damaged(
        notebooks: list[Any], tmp_path: Any) -> None:
    """The lab templates' compiled code is kept in the cache folder between processes;
    a cold cache, a warm one and one whose files were overwritten give the same page."""
    import os
    import subprocess
    import sys

    import nbformat

    path = tmp_path / "copy.ipynb"
    nbformat.write(notebooks[0], path)
    environment = {**os.environ, "WORKBOOK_CACHE_DIR": str(tmp_path / "cache")}

    def page() -> str:
        return subprocess.run([sys.executable, "-c", _RENDER, str(path)], env=environment,
                              capture_output=True, text=True, check=True).stdout

    cold = page()
    kept = sorted((tmp_path / "cache" / "jinja").iterdir())
    assert kept  # the compiled templates were kept
    warm = page()
    for file in kept:
        file.write_bytes(b"not what jinja wrote")
    damaged = page()
    assert cold == warm == damaged == notebook_html(nbformat.read(path, 4))
