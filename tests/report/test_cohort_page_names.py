"""Candidate ids are hostile input: on the cohort page each one is text, never markup or script,
whatever it holds, and the page is written from rows that stream past."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.results import Event, EventKind, SubmissionStatus
from tests.report.generated_cohort import generated_reports
from workbook.report.cohort import RankedCandidate, cohort_report
from workbook.report.cohort_page import write_cohort, write_cohort_page
from workbook.report.cohort_ranking import FIELDS, PAGE_ROWS, shown, write_ranking

#: pieces that mean something to an HTML or script parser, mixed into generated ids
FRAGMENTS = ("</script>", "</SCRIPT ", "<script>", "<!--", "-->", "<img src=x onerror=alert(1)>",
             '"', "'", "`", "&amp;", "&lt;", "\\u003c", "${1}", "</tbody>", "<a href=",
             "\u2028", "\u2029", "\ud800", "\udfff", "\x00", "\r\n", "]}", "javascript:")

names = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), min_size=1,
                 max_size=6).map("".join)


class PageStructure(HTMLParser):
    """The elements and attributes of a page as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.cells: list[str] = []
        self._script: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_ranking = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [(tag, value or "") for name, value in attrs
                          if name.startswith("on")]
        if tag == "script":
            self._script = []
        if tag == "table":
            self._in_ranking = ("id", "ranking") in attrs
        if tag == "td" and self._in_ranking and ("class", "name") in attrs:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None
        if tag in ("td", "a") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        for part in (self._script, self._cell):
            if part is not None:
                part.append(data)


def _ranking_for(ids: list[str]) -> str:
    """The parts of the page that show candidate ids: the ranking and the Not graded list
    (every other id a refusal, so both hold some); the charts show no id."""
    reports = [replace(r, candidate=name) if i % 2 else
               replace(r, candidate=name, status=SubmissionStatus.REFUSED, questions=(),
                       events=(Event(kind=EventKind.INTEGRITY, detail=f"refused: {name}"),))
               for i, (r, name) in enumerate(zip(generated_reports(len(ids), seed=1), ids,
                                                 strict=True))]
    cohort = cohort_report(reports)
    out = io.StringIO()
    not_graded = write_ranking(out, cohort.overview, cohort.candidates,
                               {r.key: f"graded/{i}.html" for i, r in enumerate(reports)})
    return out.getvalue() + not_graded.html()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(names, min_size=1, max_size=4, unique=True))
def test_no_candidate_id_adds_an_element_a_handler_or_a_script(ids: list[str]) -> None:
    baseline = PageStructure()
    baseline.feed(_ranking_for([f"plain-{i}" for i in range(len(ids))]))
    page = PageStructure()
    page.feed(_ranking_for(ids))

    assert page.tags == baseline.tags
    assert page.handlers == baseline.handlers == []
    assert len(page.scripts) == len(baseline.scripts) == 2
    data = json.loads(page.scripts[0])
    assert sorted(row[FIELDS["name"]] for row in data["rows"]) == sorted(shown(i) for i in ids)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(names, min_size=1, max_size=4, unique=True))
def test_each_id_on_the_first_page_reads_back_as_its_own_text(ids: list[str]) -> None:
    page = PageStructure()
    page.feed(_ranking_for(ids))

    assert {shown(i) for i in ids} <= set(page.cells)


def test_an_id_that_was_not_utf8_is_shown_as_the_gradebook_stores_it(
        tmp_path: Path) -> None:
    report = replace(next(generated_reports(1)), candidate="caf\udce9-\ud83d")
    files = write_cohort(cohort_report([report]), tmp_path, title="t",
                         report_date="2030-01-02")

    for path in files:  # the page, the CSV and the JSON
        assert "caf\\udce9-\\ud83d" in path.read_text(encoding="utf-8").replace("\\\\", "\\")


def test_the_page_is_written_while_the_rows_are_still_coming() -> None:
    cohort = cohort_report(list(generated_reports(3 * PAGE_ROWS)))
    out = io.StringIO()
    written_when: list[int] = []

    def rows_one_at_a_time() -> Iterator[RankedCandidate]:
        for i, ranked in enumerate(cohort.candidates):
            if i == 2 * PAGE_ROWS:
                written_when.append(len(out.getvalue()))
            yield ranked

    write_cohort_page(out, cohort.overview, rows_one_at_a_time(), title="t",
                      report_date="2030-01-02", copies={})

    assert written_when and written_when[0] > 0
    assert '"rows":[' in out.getvalue()[:written_when[0]]  # the first page's data is out
    assert out.getvalue().count("candidate-") >= 3 * PAGE_ROWS


def _hrefs(copies_for: list[str]) -> list[str]:
    reports = list(generated_reports(len(copies_for), seed=2))
    cohort = cohort_report(reports)
    out = io.StringIO()
    write_ranking(out, cohort.overview, cohort.candidates,
                  {r.key: link for r, link in zip(reports, copies_for, strict=True)})
    hrefs: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            hrefs.extend(value or "" for name, value in attrs if name == "href")

    Links().feed(out.getvalue())
    data = json.loads(out.getvalue().split('id="ranking-data">')[1].split("</script>")[0])
    return hrefs + [row[FIELDS["link"]] for row in data["rows"] if row[FIELDS["link"]]]


@settings(max_examples=60, deadline=None)
@given(links=st.lists(st.one_of(
    st.text(max_size=30),
    st.sampled_from(("javascript:alert(1)", " javascript:alert(1)", "\tjava\nscript:x",
                     "JaVaScRiPt:x", "data:text/html,<script>x</script>", "//evil.example/x",
                     "/etc/passwd", "\\\\evil\\share", "https://evil.example/",
                     "vbscript:x", "graded/ok-0123.html"))), min_size=1, max_size=4))
def test_a_link_to_anything_but_a_copy_in_the_folder_is_left_out(links: list[str]) -> None:
    for href in _hrefs(links):
        assert ":" not in href and not href.startswith(("/", "\\")), href
        assert href == href.strip() and "\t" not in href and "\n" not in href, href


def test_a_copys_link_is_kept() -> None:
    assert set(_hrefs(["graded/ada-0123abcd.html", "graded/ben-4567.html"])) == {
        "graded/ada-0123abcd.html", "graded/ben-4567.html"}
