"""Page skeletons kept between runs (`workbook/report/skeleton_store.py`): a process that
finds its skeletons writes the same pages without importing nbconvert; anything that
renders a page differently files them elsewhere; a damaged file is rendered again."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.report.conftest import REPORT_DATE, GradedCohort
from workbook.report import skeleton_store
from workbook.report.from_gradebook import load_reports
from workbook.report.graded_copy import CopySettings, filled, report_paths
from workbook.report.html_export import rendered_page
from workbook.report.page_skeleton import NOT_SHOWN, PageSkeletons, _split
from workbook.report.skeleton_store import SkeletonStore, StoredSkeleton, renderer_stamp

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def notebook_files(rendered: GradedCohort, tmp_path_factory: pytest.TempPathFactory
                   ) -> list[Path]:
    """Each of the cohort's graded copies' notebooks, as files."""
    folder = tmp_path_factory.mktemp("copies")
    settings = CopySettings(gradebook="sqlite:///gradebook.sqlite", date=REPORT_DATE)
    paths = []
    with rendered.gradebook() as gradebook:
        for number, report in enumerate(load_reports(gradebook, rendered.bank)):
            path = folder / f"{number}.ipynb"
            nbformat.write(filled(report, settings, report_paths(folder, report)[0]), path)
            paths.append(path)
    return paths


_PAGES = """
import json, sys
from workbook.report.lean_imports import skip_unused_renderer_modules
skip_unused_renderer_modules()
import nbformat
from workbook.report.html_export import notebook_html
pages = [notebook_html(nbformat.read(path, as_version=4)) for path in sys.argv[1:]]
print(json.dumps(["nbconvert" in sys.modules, pages]))
"""


def _pages(files: list[Path], cache: Path) -> tuple[bool, list[str]]:
    done = subprocess.run([sys.executable, "-c", _PAGES, *map(str, files)],
                          capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={**os.environ, "WORKBOOK_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    imported, pages = json.loads(done.stdout)
    return imported, pages


def test_a_process_finding_its_skeletons_writes_the_same_pages_without_nbconvert(
        notebook_files: list[Path], tmp_path: Path) -> None:
    cold_imported, cold = _pages(notebook_files, tmp_path)
    warm_imported, warm = _pages(notebook_files, tmp_path)

    assert cold_imported and not warm_imported
    assert warm == cold
    assert cold == [rendered_page(nbformat.read(path, as_version=4))
                    for path in notebook_files]
    assert list((tmp_path / "page-skeletons").glob("*.json"))


def test_skeletons_are_filed_by_renderer(notebook_files: list[Path], tmp_path: Path) -> None:
    nb = nbformat.read(notebook_files[0], as_version=4)
    split = _split(nb)
    assert split is not None
    PageSkeletons(rendered_page, _escape, SkeletonStore(tmp_path, "renderer-a")).page(nb)

    assert SkeletonStore(tmp_path, "renderer-a").load(split.key, split.kinds) is not None
    assert SkeletonStore(tmp_path, "renderer-b").load(split.key, split.kinds) is None


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def test_a_template_on_nbconverts_path_changed_or_added_changes_the_stamp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = renderer_stamp()
    assert before is not None
    lab = tmp_path / "nbconvert" / "templates" / "lab"
    lab.mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert renderer_stamp() == before  # an empty folder renders nothing differently
    (lab / "index.html.j2").write_text("{%- extends 'base.html.j2' -%}")
    added = renderer_stamp()
    (lab / "index.html.j2").write_text("{%- extends 'base.html.j2' -%}{# changed #}")
    changed = renderer_stamp()

    assert len({before, added, changed}) == 3


def test_a_package_without_its_metadata_keeps_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(skeleton_store, "RENDERING_PACKAGES",
                        (*skeleton_store.RENDERING_PACKAGES, "workbook"))
    assert renderer_stamp() is None  # an editable checkout: no .dist-info beside it


@pytest.mark.parametrize("damage", ["not json", "wrong key", "hidden value shown",
                                    "bad prefix", "other kinds"])
def test_a_damaged_or_foreign_skeleton_file_means_rendering_again(
        notebook_files: list[Path], tmp_path: Path, damage: str) -> None:
    nb = nbformat.read(notebook_files[0], as_version=4)
    split = _split(nb)
    assert split is not None
    store = SkeletonStore(tmp_path, "renderer")
    PageSkeletons(rendered_page, _escape, store).page(nb)
    [kept] = tmp_path.glob("*.json")
    entry: dict[str, Any] = json.loads(kept.read_text(encoding="utf-8"))
    if damage == "not json":
        kept.write_text("{", encoding="utf-8")
    else:
        if damage == "wrong key":
            entry["key"] += " "
        elif damage == "hidden value shown":
            hidden = split.kinds.index(NOT_SHOWN)
            entry["page"] += f"{entry['prefix']}{hidden}e"
        elif damage == "bad prefix":
            entry["prefix"] = "x("
        else:
            entry["kinds"] = entry["kinds"][:-1]
        kept.write_text(json.dumps(entry), encoding="utf-8")
    other = copy.deepcopy(nb)
    other.metadata.papermill["parameters"]["candidate"] = "somebody <else>"

    rendered: list[Any] = []

    def counting(notebook: Any) -> str:
        rendered.append(notebook)
        return rendered_page(notebook)

    assert PageSkeletons(counting, _escape, store).page(other) == rendered_page(other)
    assert rendered  # the template rendered it again


def test_the_store_keeps_only_the_newest_skeletons(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(skeleton_store, "LIMIT", 3)
    store = SkeletonStore(tmp_path, "renderer")
    for number in range(5):
        store.save(f"shape {number}", StoredSkeleton(prefix="wb" + "0" * 24 + "m",
                                                     page="<p></p>", kinds=()))
        os.utime(store._path(f"shape {number}"), ns=(number * 10**9, number * 10**9))
    assert len(list(tmp_path.glob("*.json"))) == 3
    assert store.load("shape 4", ()) is not None
    assert store.load("shape 0", ()) is None
