"""Charts as base64 PNG text, ready for a notebook output or a `data:` URI (no network).

matplotlib is imported here and nowhere else, on first use, with the Agg backend through
`Figure` directly (no pyplot state shared between charts), and only to draw a chart's
frame the user's cache folder does not hold yet.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from workbook.parsed_code import cache_dir
from workbook.report.png import rgb_png

DPI = 80
BAR_COLOUR = "#3b6ea5"


def _figure(width: float, height: float, *, left: float = 0.1) -> Any:
    from matplotlib.figure import Figure

    # fixed margins: a layout engine measures every label twice and costs more than the plot
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.subplots_adjust(left=left, right=0.97, top=1 - 0.45 / height,
                           bottom=0.55 / height)
    return figure


#: bump when what a frame file holds changes: older files are then drawn again
_FRAME_FORMAT = 1


def _frames_folder() -> Path:
    """Where drawn frames are kept between runs: the user's cache folder."""
    return cache_dir() / "chart-frames"


@cache  # reading installed packages' metadata is ~15 ms, and every frame's key needs it
def _matplotlib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matplotlib")
    except PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class _Frame:
    """A drawn frame and what drawing bars on it needs: its bitmap, the axes' linear
    data-to-pixel map (x -> ax * x + bx, y -> height - (ay * y + by)) and the font."""

    image: Any
    ax: float
    bx: float
    ay: float
    by: float
    font: str

    def fields(self) -> dict[str, Any]:
        return {"ax": self.ax, "bx": self.bx, "ay": self.ay, "by": self.by, "font": self.font}


def _draw_frame(labels: Sequence[str], title: str, xlabel: str) -> _Frame:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.font_manager import FontProperties, findfont
    from PIL import Image

    figure = _figure(6.4, 0.36 * len(labels) + 1.0, left=0.36)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = range(len(labels))
    axes.barh(rows, [0.0] * len(labels), color=BAR_COLOUR)
    axes.set_yticks(list(rows), labels=list(labels))
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_xlabel(xlabel)
    axes.set_title(title, fontsize=11)
    canvas.draw()
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba()).convert("RGB")
    # the axes are linear and not rotated: three points give the whole map
    origin, right, up = (axes.transData.transform(p) for p in ((0, 0), (1, 0), (0, 1)))
    return _Frame(image=image, ax=float(right[0] - origin[0]), bx=float(origin[0]),
                  ay=float(up[1] - origin[1]), by=float(origin[1]),
                  font=str(findfont(FontProperties())))


def _kept_frame(labels: Sequence[str], title: str, xlabel: str) -> _Frame:
    """The frame from the cache folder when it was drawn there before by this version of
    matplotlib, else drawn now and kept. A run that finds its frames kept imports no
    matplotlib (about a third of the reports worker's start-up CPU). The cache only
    saves time: a file missing, unreadable or not writable means drawing again."""
    import hashlib
    import json

    from PIL import Image

    key = hashlib.sha256(json.dumps([_FRAME_FORMAT, list(labels), title, xlabel, DPI,
                                     _matplotlib_version()]).encode()).hexdigest()[:32]
    folder = _frames_folder()
    picture, fields = folder / f"{key}.png", folder / f"{key}.json"
    try:
        kept = json.loads(fields.read_text(encoding="utf-8"))
        if Path(kept["font"]).is_file():
            with Image.open(picture) as image:
                return _Frame(image=image.convert("RGB"), ax=float(kept["ax"]),
                              bx=float(kept["bx"]), ay=float(kept["ay"]),
                              by=float(kept["by"]), font=str(kept["font"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    frame = _draw_frame(labels, title, xlabel)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stem = f".{key}.{os.getpid()}"
        frame.image.save(folder / f"{stem}.png", format="png")
        (folder / f"{stem}.json").write_text(json.dumps(frame.fields()), encoding="utf-8")
        # the picture first: a reader that finds the fields finds their picture
        (folder / f"{stem}.png").replace(picture)
        (folder / f"{stem}.json").replace(fields)
    except OSError:
        pass
    return frame


class _BarChart:
    """One frame of labelled horizontal bars, with new bars drawn on it for each candidate.

    Every graded copy draws the same frame (axes, row labels, ticks, title), and text is
    what Agg draws slowest, so matplotlib draws the frame once (kept between runs in the
    user's cache folder: `_kept_frame`) as a bitmap; each chart copies it and draws its
    bars and value labels with Pillow at the pixel places matplotlib's transform gives (a
    few milliseconds, where matplotlib drawing the value labels again was about a quarter
    of a second per copy under load: bench/report_bench.py). Not for use from several
    threads at once.
    """

    def __init__(self, labels: Sequence[str], title: str, xlabel: str = "percent") -> None:
        from PIL import ImageFont

        frame = _kept_frame(labels, title, xlabel)
        # RGB, encoded by `png.rgb_png`: PNG encoding was most of a chart's time
        self.frame = frame.image
        self.height = frame.image.height
        self.map = frame
        self.rows = list(range(len(labels)))
        self.font = ImageFont.truetype(frame.font, size=round(9 * DPI / 72))

    def _pixel(self, x: float, y: float) -> tuple[float, float]:
        # display coordinates have their origin at the bottom left, images at the top left
        return (self.map.ax * x + self.map.bx,
                self.height - (self.map.ay * y + self.map.by))

    def png(self, percents: Sequence[float | None],
            texts: Sequence[str] | None = None) -> str:
        """The chart with these bars, each labelled with its percentage or its `texts`."""
        from PIL import ImageDraw

        if len(percents) != len(self.rows) or (texts is not None
                                                and len(texts) != len(self.rows)):
            raise ValueError(f"{len(percents)} values for {len(self.rows)} bars")
        image = self.frame.copy()
        draw = ImageDraw.Draw(image)
        for row, percent in zip(self.rows, percents, strict=True):
            text = texts[row] if texts is not None else None
            width = percent or 0.0
            left, top = self._pixel(0.0, row - 0.4)
            right, bottom = self._pixel(width, row + 0.4)
            if right - left >= 0.5:
                draw.rectangle((left, min(top, bottom), right, max(top, bottom)),
                               fill=BAR_COLOUR)
            label = text if text is not None else \
                "no evidence" if percent is None else f"{percent:.0f}%"
            inside = width > 85  # a label past the end of a long bar would leave the plot
            x, y = self._pixel(width - 1.5 if inside else width + 1.5, row)
            draw.text((x, y), label, font=self.font, anchor="rm" if inside else "lm",
                      fill="white" if inside else "black")
        return base64.b64encode(rgb_png(image)).decode("ascii")


@cache
def _bar_chart(labels: tuple[str, ...], title: str, xlabel: str = "percent") -> _BarChart:
    return _BarChart(labels, title, xlabel)


def horizontal_bars(labels: Sequence[str], percents: Sequence[float | None], *,
                    title: str) -> str:
    """Percentages (0..100) as horizontal bars; None is drawn as an empty, labelled row."""
    return _bar_chart(tuple(labels), title).png(percents)


#: the edges of the histogram's bins, in percent: ten bins, the last one closed
HISTOGRAM_EDGES = tuple(range(0, 101, 10))


def histogram_bin(value: float) -> int:
    """The bin of `HISTOGRAM_EDGES` a percentage falls in (100 in the last; numpy's rule)."""
    return min(max(int(value // 10), 0), len(HISTOGRAM_EDGES) - 2)


def histogram_labels() -> tuple[str, ...]:
    return tuple(f"{low}-{high}%{']' if high == 100 else ')'}"
                 for low, high in pairwise(HISTOGRAM_EDGES))


def histogram(counts: Sequence[int], *, title: str) -> str:
    """Candidates per bin of `HISTOGRAM_EDGES` as bars of their share of the cohort, each
    labelled with its count. Drawn on a frame that does not depend on the counts, so it
    is built once per process (the reports worker builds it while grading runs), where a
    histogram drawn by matplotlib for each cohort cost a fifth of the cohort page."""
    total = sum(counts)
    shares = [100.0 * count / total if total else 0.0 for count in counts]
    return _bar_chart(histogram_labels(), title, "percent of graded candidates").png(
        shares, [str(count) for count in counts])
