"""Which notebook files `workbook grade` finds, and in which order, found again as needed."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook.errors import NotebookError
from workbook.grade import CHECKPOINTS, find_submissions

NAMES = st.sampled_from(["a.ipynb", "B.ipynb", "a", "a.ipynb.bak", "b.IPYNB", ".h.ipynb",
                         "z z.ipynb", "\u00e9.ipynb", "a-b.ipynb", "out", CHECKPOINTS, "x"])
#: a tree: each entry a notebook file, an other file, a folder of its own, or a link
TREES = st.recursive(
    st.sampled_from(["notebook", "other"]),
    lambda children: st.dictionaries(NAMES, children, max_size=4), max_leaves=14)


def build(folder: Path, tree: dict[str, object], links: list[tuple[Path, str]]) -> None:
    folder.mkdir(exist_ok=True)
    for name, entry in tree.items():
        if isinstance(entry, dict):
            build(folder / name, entry, links)
        else:
            (folder / name).write_text("{}" if entry == "notebook" else "")
            links.append((folder, name))


def as_rglob_found_them(given: Path, skip: Path) -> list[Path]:
    """What find_submissions returned when it sorted every path rglob gave it."""
    return [path for path in sorted(given.rglob("*.ipynb"))
            if CHECKPOINTS not in path.parts and not path.resolve().is_relative_to(skip)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(NAMES, TREES, min_size=1, max_size=5),
       link_at=st.integers(min_value=0, max_value=20), exclude=NAMES)
def test_notebooks_are_found_as_sorted_rglob_found_them_without_a_list_of_paths(
        tree: dict[str, object], link_at: int, exclude: str) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        links: list[tuple[Path, str]] = []
        build(root / "returned", tree, links)
        # links to a file, to a folder and to the folder left out, where they are met
        if links:
            folder, name = links[link_at % len(links)]
            (folder / "linked.ipynb").symlink_to(folder / name)
            (folder / "tree.ipynb").symlink_to(root / "returned")
            (folder / "out.ipynb").symlink_to(root / "returned" / exclude)
        skip = root / "returned" / exclude
        expected = as_rglob_found_them(root / "returned", skip.resolve())

        if not expected:
            with pytest.raises(NotebookError, match="no notebooks"):
                find_submissions([root / "returned"], exclude=skip)
            return
        found = find_submissions([root / "returned"], exclude=skip)

        assert not isinstance(found, list)
        assert len(found) == len(expected)
        assert list(found) == expected
        assert list(found) == expected  # found again, the same
    finally:
        shutil.rmtree(root)
