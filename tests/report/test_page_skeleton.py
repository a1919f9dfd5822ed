"""A graded copy's page written into its shape's skeleton is, byte for byte, the page
nbconvert's template renders (`workbook/report/page_skeleton.py`); a shape the skeleton
cannot be trusted with is rendered by the template every time. The same for the copy's
notebook text and the JSON encoder."""

from __future__ import annotations

import copy
import json
from typing import Any

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.report.conftest import REPORT_DATE, GradedCohort
from workbook.report.from_gradebook import load_reports
from workbook.report.graded_copy import (
    CopySettings,
    dumped_text,
    filled,
    notebook_text,
    report_paths,
)
from workbook.report.html_export import _exporter, notebook_html, rendered_page
from workbook.report.page_skeleton import PageSkeletons, TextSkeletons


@pytest.fixture(scope="module")
def notebooks(rendered: GradedCohort) -> list[Any]:
    """The notebook node of each of the cohort's graded copies (graded, refused, with and
    without an interview), before its page."""
    settings = CopySettings(gradebook="sqlite:///gradebook.sqlite", date=REPORT_DATE)
    with rendered.gradebook() as gradebook:
        return [filled(report, settings, report_paths(rendered.outdir, report)[0])
                for report in load_reports(gradebook, rendered.bank)]


def _escape(text: str) -> str:
    return str(_exporter().environment.filters["escape_html"](text))


def _skeletons(render: Any = rendered_page) -> PageSkeletons:
    return PageSkeletons(render, _escape)


def test_every_copy_of_a_cohort_gets_the_templates_page(notebooks: list[Any]) -> None:
    skeletons = _skeletons()
    for nb in notebooks:
        assert skeletons.page(nb) == rendered_page(nb)
    # and the pages came from skeletons: fewer shapes than copies, every one trusted
    kept = skeletons.skeletons
    assert 0 < len(kept) < len(notebooks)
    assert all(skeleton is not None for skeleton in kept.values())


def _outputs(nb: Any) -> list[dict[str, Any]]:
    return [output for cell in nb.cells if cell.cell_type == "code"
            for output in cell.outputs]


#: text a candidate controls ends up in outputs: markup, entities, quotes, escapes,
#: text shaped like a mark, template syntax, any character at all
_hostile = st.one_of(
    st.text(),
    st.sampled_from(["<script>alert(1)</script>", "&amp;&lt;", "\"'", "\x1b[31mred",
                     "wb0m0e", "{{ nb }}", "{% raw %}", "</div></body>", ""]),
    st.lists(st.sampled_from(["<", ">", "&", "\"", "'", "wb", "m", "e", "0", "\n", "é"]),
             max_size=30).map("".join))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_values_in_a_copys_outputs_give_the_templates_page(
        notebooks: list[Any], data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(notebooks))
    skeletons = _skeletons()
    skeletons.page(original)  # the shape's skeleton, made from a real copy
    assert all(skeleton is not None for skeleton in skeletons.skeletons.values())
    nb = copy.deepcopy(original)
    for output in _outputs(nb):
        for mime in output.data:
            output.data[mime] = data.draw(_hostile)
    nb.metadata.papermill["parameters"]["candidate"] = data.draw(_hostile)
    nb.metadata.workbook["candidate"] = data.draw(_hostile)
    nb.cells[2].source = data.draw(_hostile)

    assert skeletons.page(nb) == rendered_page(nb)


def test_text_spelling_this_processs_own_marks_is_written_as_text(
        notebooks: list[Any]) -> None:
    skeletons = _skeletons()
    nb = copy.deepcopy(notebooks[0])
    skeletons.page(nb)  # the skeleton exists
    forged = f"{skeletons._prefix}0e{skeletons._prefix}1e"
    for output in _outputs(nb):
        for mime in output.data:
            output.data[mime] = forged

    assert skeletons.page(nb) == rendered_page(nb)
    assert forged in skeletons.page(nb)


@pytest.mark.parametrize("output", [
    {"output_type": "stream", "name": "stdout", "text": "\x1b[31mred\x1b[0m <b>"},
    {"output_type": "error", "ename": "E", "evalue": "<v>", "traceback": ["\x1b[31mt"]},
    {"output_type": "display_data", "metadata": {},
     "data": {"text/markdown": "**bold** <i>", "text/plain": "bold"}},
    {"output_type": "display_data", "metadata": {},
     "data": {"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>"}},
])
def test_a_copy_with_another_kind_of_output_is_rendered_by_the_template(
        notebooks: list[Any], output: dict[str, Any]) -> None:
    nb = copy.deepcopy(notebooks[0])
    nb.cells[-1].outputs.append(nbformat.from_dict(output))
    skeletons = _skeletons()

    assert skeletons.page(nb) == rendered_page(nb)
    assert not skeletons.skeletons  # no skeleton was made or kept


def test_a_template_that_sanitises_html_gets_no_skeleton(notebooks: list[Any]) -> None:
    def sanitising(nb: Any) -> str:
        return rendered_page(nb).replace("<script", "&lt;script")

    skeletons = _skeletons(sanitising)
    for nb in notebooks:
        hostile = copy.deepcopy(nb)
        _outputs(hostile)[0].data["text/html"] = "<script>alert(1)</script>"
        assert skeletons.page(hostile) == sanitising(hostile)
    assert all(skeleton is None for skeleton in skeletons.skeletons.values())


def test_a_template_that_shows_what_a_skeleton_hides_gets_no_skeleton(
        notebooks: list[Any]) -> None:
    def showing_parameters(nb: Any) -> str:
        return rendered_page(nb) + json.dumps(nb.metadata["papermill"]["parameters"])

    skeletons = _skeletons(showing_parameters)
    pages = {skeletons.page(nb) for nb in notebooks}
    assert pages == {showing_parameters(nb) for nb in notebooks}
    assert all(skeleton is None for skeleton in skeletons.skeletons.values())


def test_the_page_function_writes_copies_through_skeletons(notebooks: list[Any]) -> None:
    for nb in notebooks:
        assert notebook_html(nb) == rendered_page(nb)


def _texts() -> TextSkeletons:
    return TextSkeletons(dumped_text)


def test_every_copy_of_a_cohort_gets_its_notebook_text(notebooks: list[Any]) -> None:
    texts = _texts()
    for nb in notebooks:
        assert texts.text(nb) == dumped_text(nb)
        assert notebook_text(nb) == dumped_text(nb)
    kept = texts.skeletons
    assert 0 < len(kept) < len(notebooks)
    assert all(skeleton is not None for skeleton in kept.values())


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_any_values_give_the_notebooks_own_text(notebooks: list[Any],
                                                 data: st.DataObject) -> None:
    texts = _texts()
    original = data.draw(st.sampled_from(notebooks))
    texts.text(original)  # the shape's skeleton, made from a real copy
    assert all(skeleton is not None for skeleton in texts.skeletons.values())
    nb = copy.deepcopy(original)
    for output in _outputs(nb):
        for mime in output.data:
            output.data[mime] = data.draw(_hostile | st.just("\\\"\x00\x1f\u2028"))
    nb.metadata.papermill["parameters"]["candidate"] = data.draw(_hostile)
    nb.cells[1].source = data.draw(_hostile)
    assert texts.text(nb) == dumped_text(nb)
    assert json.loads(texts.text(nb)) == json.loads(dumped_text(nb))


def test_a_value_kept_as_a_list_of_lines_is_dumped_as_it_is(notebooks: list[Any]) -> None:
    texts = _texts()
    nb = copy.deepcopy(notebooks[0])
    _outputs(nb)[0].data["text/plain"] = ["first line\n", "second \"line\""]

    assert texts.text(nb) == dumped_text(nb)
    assert not texts.skeletons  # no skeleton for a shape it cannot write exactly
