"""The shipped workbooks in `notebooks/`: one interviewer and one candidate copy per level.

`python -m workbook.shipped [DIR]` regenerates them; a test fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from workbook.bank import SHIPPED_BANK, load_bank
from workbook.build import build_workbook
from workbook.model import Level
from workbook.notebook import COPIES

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
SHIPPED_SEED = 0


def shipped_name(level: Level, copy: str) -> str:
    return f"{level.value}-{copy}.ipynb"


def write_shipped(folder: Path) -> list[Path]:
    """Write every shipped workbook into `folder` and return their paths."""
    bank = load_bank(SHIPPED_BANK)
    written = []
    for level in Level:
        for copy in COPIES:
            path = folder / shipped_name(level, copy)
            build_workbook(bank, output=path, level=level, seed=SHIPPED_SEED, copy=copy)
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOKS_DIR
    for written_path in write_shipped(target):
        print(f"wrote {written_path}")
