"""Charts as base64 PNG text, ready for a notebook output or a `data:` URI (no network).

matplotlib is imported here and nowhere else, on first use, with the Agg backend through
`Figure` directly (no pyplot state shared between charts).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from functools import cache
from typing import Any

DPI = 80
BAR_COLOUR = "#3b6ea5"


def _figure(width: float, height: float, *, left: float = 0.1) -> Any:
    from matplotlib.figure import Figure

    # fixed margins: a layout engine measures every label twice and costs more than the plot
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.subplots_adjust(left=left, right=0.97, top=1 - 0.45 / height,
                           bottom=0.55 / height)
    return figure


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    # metadata=None drops the "Software" text chunk; nothing in the image names a URL
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class _BarChart:
    """One figure of labelled horizontal bars, redrawn with new values for each candidate.

    Every graded copy draws the same frame (axes, row labels, ticks, title), and text is
    what Agg draws slowest, so the frame is drawn once per process and kept as a bitmap;
    each chart restores it and draws only its bars and value labels (about 4x faster than
    drawing the figure again). Not for use from several threads at once.
    """

    def __init__(self, labels: Sequence[str], title: str) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = _figure(6.4, 0.36 * len(labels) + 1.0, left=0.36)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.add_subplot()
        rows = range(len(labels))
        self.bars = self.axes.barh(rows, [0.0] * len(labels), color=BAR_COLOUR)
        self.axes.set_yticks(list(rows), labels=list(labels))
        self.axes.invert_yaxis()
        self.axes.set_xlim(0, 100)
        self.axes.set_xticks([0, 25, 50, 75, 100])
        self.axes.set_xlabel("percent")
        self.axes.set_title(title, fontsize=11)
        self.values = [self.axes.text(0, row, "", va="center", fontsize=9) for row in rows]
        self.canvas.draw()
        self.frame = self.canvas.copy_from_bbox(self.figure.bbox)

    def png(self, percents: Sequence[float | None]) -> str:
        from PIL import Image

        self.canvas.restore_region(self.frame)
        for bar, label, percent in zip(self.bars, self.values, percents, strict=True):
            width = percent or 0.0
            bar.set_width(width)
            label.set_text("no evidence" if percent is None else f"{percent:.0f}%")
            inside = width > 85  # a label past the end of a long bar would leave the plot
            label.set_x(width - 1.5 if inside else width + 1.5)
            label.set_horizontalalignment("right" if inside else "left")
            label.set_color("white" if inside else "black")
            self.axes.draw_artist(bar)
            self.axes.draw_artist(label)
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(),
                                 self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png")
        return base64.b64encode(buffer.getvalue()).decode("ascii")


@cache
def _bar_chart(labels: tuple[str, ...], title: str) -> _BarChart:
    return _BarChart(labels, title)


def horizontal_bars(labels: Sequence[str], percents: Sequence[float | None], *,
                    title: str) -> str:
    """Percentages (0..100) as horizontal bars; None is drawn as an empty, labelled row."""
    return _bar_chart(tuple(labels), title).png(percents)


def histogram(values: Sequence[float], *, bins: Sequence[float], title: str,
              xlabel: str) -> str:
    """A histogram of `values` over fixed `bins` edges, with the count above each bar."""
    figure = _figure(6.4, 2.8)
    axes = figure.add_subplot()
    counts, _edges, _patches = axes.hist(list(values), bins=list(bins), color=BAR_COLOUR,
                                         edgecolor="white")
    for left, right, count in zip(bins[:-1], bins[1:], counts, strict=True):
        if count:
            axes.text((left + right) / 2, count, f"{int(count)}", ha="center", va="bottom",
                      fontsize=8)
    axes.set_title(title, fontsize=11)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("candidates")
    return _png(figure)
