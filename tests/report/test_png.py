"""The charts' PNG writer: what a real decoder (Pillow's) reads back is the image."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from workbook.report.charts import horizontal_bars
from workbook.report.png import SIGNATURE, rgb_png


@st.composite
def rgb_images(draw: st.DrawFn) -> Image.Image:
    width = draw(st.integers(1, 40))
    height = draw(st.integers(1, 40))
    # flat runs and noise both: the writer must not depend on what compresses well
    pixels = draw(st.one_of(
        st.binary(min_size=3 * width * height, max_size=3 * width * height),
        st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)).map(
            lambda colour: bytes(colour) * (width * height))))
    return Image.frombytes("RGB", (width, height), pixels)


@settings(max_examples=150, deadline=None)
@given(rgb_images())
def test_any_rgb_image_decodes_to_the_same_pixels(image: Image.Image) -> None:
    written = rgb_png(image)
    assert written.startswith(SIGNATURE)
    with Image.open(io.BytesIO(written)) as decoded:
        decoded.load()  # reads every chunk and checks each CRC
        assert decoded.format == "PNG"
        assert decoded.mode == "RGB"
        assert decoded.size == image.size
        assert decoded.tobytes() == image.tobytes()


def test_a_chart_is_a_png_pillow_reads_at_its_size() -> None:
    import base64

    text = horizontal_bars(["one", "two", "three"], [10.0, None, 100.0], title="Chart")
    with Image.open(io.BytesIO(base64.b64decode(text))) as chart:
        chart.load()
        assert chart.mode == "RGB" and chart.width > 100 and chart.height > 50
        # the bars were drawn: the bar colour is on the picture
        assert (0x3B, 0x6E, 0xA5) in {colour for _count, colour in chart.getcolors(1 << 16)}


@pytest.mark.parametrize("mode", ["RGBA", "L", "P"])
def test_an_image_that_is_not_rgb_is_refused(mode: str) -> None:
    with pytest.raises(ValueError, match="RGB"):
        rgb_png(Image.new(mode, (2, 2)))
