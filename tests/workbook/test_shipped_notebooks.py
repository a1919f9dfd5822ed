"""The workbooks in notebooks/ match what the shipped bank builds today."""

from __future__ import annotations

from pathlib import Path

from workbook.shipped import NOTEBOOKS_DIR, write_shipped


def test_shipped_workbooks_are_up_to_date(tmp_path: Path) -> None:
    stale = []
    for fresh in write_shipped(tmp_path):
        shipped = NOTEBOOKS_DIR / fresh.name
        if not shipped.exists() or shipped.read_bytes() != fresh.read_bytes():
            stale.append(fresh.name)
    assert not stale, (f"stale: {', '.join(stale)}; regenerate with "
                       "`python -m workbook.shipped`")


def test_shipped_workbooks_fit_an_interview(tmp_path: Path) -> None:
    import nbformat

    for path in write_shipped(tmp_path):
        nb = nbformat.read(path, as_version=4)
        minutes = sum(int(cell.source.split("about ")[1].split(" minutes")[0])
                      for cell in nb.cells if cell.metadata["workbook"]["role"] == "prompt")
        assert 60 <= minutes <= 90, (path.name, minutes)
