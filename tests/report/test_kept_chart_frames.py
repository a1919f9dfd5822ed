"""Chart frames kept between runs: the same charts, without importing matplotlib again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_DRAW = """
import sys
from workbook.report.charts import histogram, horizontal_bars
charts = (horizontal_bars(["Fundamentals (30%)", "Testing (20%)", "x"], [12.5, None, 97.0],
                          title="Scorecard"),
          histogram([0, 1, 5, 0, 0, 2, 0, 0, 7, 3], title="Distribution of totals"))
print("matplotlib" in sys.modules)
print(*charts)
"""


def _draw(cache: Path) -> tuple[bool, str]:
    done = subprocess.run([sys.executable, "-c", _DRAW], capture_output=True, text=True,
                          check=True, cwd=REPO,
                          env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    imported, charts = done.stdout.split("\n", 1)
    return imported == "True", charts


def test_a_second_run_draws_the_same_charts_from_kept_frames_without_matplotlib(
        tmp_path: Path) -> None:
    first_imported, first = _draw(tmp_path)
    again_imported, again = _draw(tmp_path)
    assert first_imported and not again_imported
    assert again == first


def test_a_damaged_kept_frame_or_an_unwritable_folder_only_means_drawing_again(
        tmp_path: Path) -> None:
    _imported, first = _draw(tmp_path)
    folder = tmp_path / "interview-workbook" / "chart-frames"
    pictures, fields = sorted(folder.glob("*.png")), sorted(folder.glob("*.json"))
    assert len(pictures) == len(fields) == 2
    pictures[0].write_bytes(b"\x89PNG garbage")  # its fields intact: the picture is read
    fields[1].write_text('{"ax": 1}', encoding="utf-8")
    imported, damaged = _draw(tmp_path)
    assert imported and damaged == first
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x", encoding="utf-8")
    imported, unwritable = _draw(blocked)
    assert imported and unwritable == first
