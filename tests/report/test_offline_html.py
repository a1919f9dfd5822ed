"""Graded copies and the cohort page open with no network: nothing in them is fetched."""

from __future__ import annotations

import pytest

from tests.report.conftest import GradedCohort
from tests.report.offline import browser_requests, fetched_urls, have_chromium
from workbook.report.graded_copy import copy_paths


def test_the_offline_check_catches_what_the_stock_nbconvert_page_fetches() -> None:
    from nbconvert import HTMLExporter
    from nbformat import v4

    stock, _ = HTMLExporter(template_name="lab").from_notebook_node(v4.new_notebook())

    assert fetched_urls(stock)  # require.js from a CDN, at least


@pytest.mark.parametrize("candidate", ["ada", "ben", "cleo"])
def test_a_graded_copys_html_fetches_nothing(rendered: GradedCohort, candidate: str) -> None:
    page = copy_paths(rendered.outdir, candidate)[1]

    assert fetched_urls(page.read_text(encoding="utf-8")) == []


def test_the_cohort_page_fetches_nothing(rendered: GradedCohort) -> None:
    assert fetched_urls((rendered.outdir / "cohort.html").read_text(encoding="utf-8")) == []


def test_a_graded_copys_html_shows_its_numbers(rendered: GradedCohort) -> None:
    import html

    # what a reader sees: the page may write a quote as an entity
    page = html.unescape(copy_paths(rendered.outdir, "ben")[1].read_text(encoding="utf-8"))

    assert "4 / 7 points (57.1%)" in page
    assert "got str 'raised ZeroDivisionError'" in page


@pytest.mark.browser
@pytest.mark.skipif(not have_chromium(), reason="needs /usr/bin/chromium (apt-get install "
                                                "chromium)")
def test_chromium_loads_a_copy_and_the_cohort_page_without_a_network_request(
        rendered: GradedCohort) -> None:
    for page in (copy_paths(rendered.outdir, "ada")[1], rendered.outdir / "cohort.html"):
        assert browser_requests(page) == [], page.name
