"""Graded copies' pages, each written into a page rendered once for all copies alike.

Every graded copy is the same template with different output values: the same cells,
the same outputs' kinds, only the HTML, PNG and text inside them differ. nbconvert's
template spends about 3 ms walking that same structure for every copy, most of a
copy's page. So a notebook is split into its shape (everything but those values) and
its values. The first copy of a shape is rendered by the template with a unique mark
in place of each value: that page, its skeleton, shows where each value goes. Every
copy of that shape then gets the skeleton with each mark replaced by its value, written
as the template writes it: an HTML output as it is, a PNG and its alt text escaped.

Exactness is checked, not assumed, once per shape: the skeleton is rendered a second
time with hostile text after each mark (markup, quotes, a script, an ANSI escape), and
used only when what the template made of it is what the substitution makes. A value
whose mark the template does not show (a code cell's source, the parameters papermill
records) must not appear at all. A shape that fails either check, or holds an output
of another kind (a stream, an error, another MIME type), is rendered by the template
for every copy, as before. Marks are random for each process and replaced in one pass
over the skeleton, so no text in a value can be taken for a mark. Cell ids are values
too: papermill draws a new one for the cell it injects in every process.

Skeletons are kept between runs (`skeleton_store.py`), so a process that finds its
shapes there never imports nbconvert. A copy's notebook text is made the same way
(`TextSkeletons`): the JSON encoder's walk over the template's part is the same for
every copy. tests/report/test_page_skeleton.py holds pages and texts equal to the
template's and the encoder's, byte for byte.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from workbook.report.skeleton_store import SkeletonStore, StoredSkeleton, new_mark_prefix

#: how the template writes a value into the page, by what the value is
SHOWN_AS_IS, ESCAPED, NOT_SHOWN = "as-is", "escaped", "not-shown"
#: output values and how each is shown; any other MIME type means no skeleton
_SHOWN = {"text/html": SHOWN_AS_IS, "image/png": ESCAPED, "text/plain": ESCAPED}
#: outputs whose values sit in `data`; a stream or an error means no skeleton
_DATA_OUTPUTS = ("display_data", "execute_result")
#: notebook metadata the page never shows, which differs for each copy
_UNSHOWN_METADATA = ("papermill", "workbook")
#: written after each mark for the second rendering; a template that sanitised,
#: escaped differently or converted ANSI codes would change it
PROBE = "<script>x</script><b onclick=\"y\">&amp;'\x1b[31mé\n{{ z }}</b>"
#: skeletons kept per process: a cohort has a handful of shapes
LIMIT = 32

T = TypeVar("T")


@dataclass(frozen=True)
class _Split:
    """A notebook taken apart: its shape (a key), its values, and how each is shown."""

    key: str
    values: tuple[str, ...]
    kinds: tuple[str, ...]


class _Unsupported(Exception):
    """The notebook holds something a skeleton does not handle."""


def _text(value: Any, *, exact: bool) -> str:
    if isinstance(value, str):
        return value
    # nbformat keeps multi-line text either as one string or as a list of lines, which
    # a page shows alike; a notebook's text (`exact`) does not
    if not exact and isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    raise _Unsupported


def _with_marks(nb: Any, mark: Callable[[int], str], *, exact: bool = False
                ) -> tuple[dict[str, Any], list[str], list[str]]:
    """`nb` as plain data with `mark(i)` in place of its i-th value; the values; how each
    is shown. `exact`: every value replaced is a string, and nothing is added."""
    values: list[str] = []
    kinds: list[str] = []

    def marked(value: Any, kind: str) -> str:
        values.append(_text(value, exact=exact))
        kinds.append(kind)
        return mark(len(values) - 1)

    def hidden(tree: Any) -> Any:
        if isinstance(tree, dict):
            return {key: hidden(item) for key, item in tree.items()}
        if isinstance(tree, list):
            return [hidden(item) for item in tree]
        return marked(tree, NOT_SHOWN) if isinstance(tree, str) else tree

    cells = []
    for cell in nb["cells"]:
        cell = dict(cell)
        # an id papermill draws for the cell it injects differs in every process; the
        # template tests only whether an id is empty
        if isinstance(cell.get("id"), str) and cell["id"]:
            cell["id"] = marked(cell["id"], ESCAPED)
        if cell.get("cell_type") == "code":
            if exact and "source" not in cell:
                raise _Unsupported
            cell["source"] = marked(cell.get("source", ""), NOT_SHOWN)
            outputs = []
            for output in cell.get("outputs", []):
                if output.get("output_type") not in _DATA_OUTPUTS:
                    raise _Unsupported
                data = {}
                for mime, value in output.get("data", {}).items():
                    if mime not in _SHOWN:
                        raise _Unsupported
                    data[mime] = marked(value, _SHOWN[mime])
                outputs.append({**output, "data": data})
            cell["outputs"] = outputs
        cells.append(cell)
    metadata = {key: hidden(value) if key in _UNSHOWN_METADATA else value
                for key, value in nb["metadata"].items()}
    return {**nb, "cells": cells, "metadata": metadata}, values, kinds


def _split(nb: Any, *, exact: bool = False) -> _Split | None:
    try:
        shape, values, kinds = _with_marks(nb, lambda index: f"\x00{index}", exact=exact)
        key = json.dumps(shape, sort_keys=True, ensure_ascii=False)
    except (_Unsupported, TypeError, ValueError, KeyError, AttributeError):
        return None
    return _Split(key, tuple(values), tuple(kinds))


def _marks_of(prefix: str) -> re.Pattern[str]:
    return re.compile(re.escape(prefix) + r"([0-9]+)e")


@dataclass(frozen=True)
class _Skeleton:
    page: str
    kinds: tuple[str, ...]
    #: the marks in `page`, each with its value's index
    marks: re.Pattern[str]


class _Skeletons(Generic[T]):
    """What both kinds of skeleton share: this process's random marks, and the last
    `LIMIT` shapes' skeletons (None: that shape is made in full every time)."""

    def __init__(self) -> None:
        self._prefix = new_mark_prefix()
        self._marks = _marks_of(self._prefix)
        self._kept: OrderedDict[str, T | None] = OrderedDict()

    @property
    def skeletons(self) -> Mapping[str, object | None]:
        """Each shape kept, with its skeleton or None."""
        return self._kept

    def _mark(self, index: int) -> str:
        return f"{self._prefix}{index}e"

    def _shape(self, key: str, make: Callable[[], T | None]) -> T | None:
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        made = self._kept[key] = make()
        if len(self._kept) > LIMIT:
            self._kept.popitem(last=False)
        return made


class PageSkeletons(_Skeletons[_Skeleton]):
    """Pages of notebooks through `render` (the template), each shape rendered once;
    `escape` writes a value as the template's escaping filter does (checked for each
    shape); `store` keeps skeletons between processes (`skeleton_store.py`). Not for use
    from several threads."""

    def __init__(self, render: Callable[[Any], str], escape: Callable[[str], str],
                 store: SkeletonStore | None = None) -> None:
        super().__init__()
        self._render = render
        self._escape = escape
        self._store = store

    def page(self, nb: Any) -> str:
        """`nb`'s page: what `render(nb)` returns."""
        split = _split(nb)
        if split is None:
            return self._render(nb)
        skeleton = self._shape(split.key, lambda: self._found(nb, split))
        if skeleton is None:
            return self._render(nb)
        return self._fill(skeleton, split.values)

    def _found(self, nb: Any, split: _Split) -> _Skeleton | None:
        """The shape's skeleton from the store, else made now (and stored)."""
        skeleton = self._stored(split)
        if skeleton is None:
            skeleton = self._skeleton(nb, split.kinds)
            if skeleton is not None and self._store is not None:
                self._store.save(split.key, StoredSkeleton(
                    prefix=self._prefix, page=skeleton.page, kinds=skeleton.kinds))
        return skeleton

    def _stored(self, split: _Split) -> _Skeleton | None:
        """The shape's skeleton from the store, if it holds a sound one."""
        stored = self._store.load(split.key, split.kinds) if self._store else None
        if stored is None:
            return None
        marks = _marks_of(stored.prefix)
        shown = {int(index) for index in marks.findall(stored.page)}
        if any(index >= len(split.kinds) or split.kinds[index] == NOT_SHOWN
               for index in shown):
            return None
        return _Skeleton(stored.page, split.kinds, marks)

    def _fill(self, skeleton: _Skeleton, values: tuple[str, ...]) -> str:
        def value(found: re.Match[str]) -> str:
            index = int(found[1])
            text = values[index]
            return text if skeleton.kinds[index] == SHOWN_AS_IS else self._escape(text)

        return skeleton.marks.sub(value, skeleton.page)

    def _skeleton(self, nb: Any, kinds: tuple[str, ...]) -> _Skeleton | None:
        import nbformat

        marked, _values, _kinds = _with_marks(nb, self._mark)
        page = self._render(nbformat.from_dict(marked))
        shown = {int(index) for index in self._marks.findall(page)}
        if any(kinds[index] == NOT_SHOWN for index in shown):
            return None
        skeleton = _Skeleton(page, kinds, self._marks)
        # the same shape with hostile text after each mark: the template's page of it
        # must be what filling the skeleton gives
        probed, _values, _kinds = _with_marks(nb, lambda index: self._mark(index) + PROBE)
        expected = self._fill(skeleton, tuple(self._mark(index) + PROBE
                                              for index in range(len(kinds))))
        if self._render(nbformat.from_dict(probed)) != expected:
            return None
        return skeleton


class TextSkeletons(_Skeletons[str]):
    """Notebooks' JSON text through `dump` (nbformat's layout, by the Python encoder: a
    millisecond a copy) the same way: the first notebook of a shape is dumped with marks
    for its values, the others get that text with each mark replaced by its value as
    JSON writes a string. Used for a shape only when each mark is in the text once and
    its first notebook's text, so made, is what `dump` gives. Not for use from several
    threads."""

    def __init__(self, dump: Callable[[Any], str]) -> None:
        super().__init__()
        self._dump = dump

    def text(self, nb: Any) -> str:
        """`nb`'s text: what `dump(nb)` returns."""
        split = _split(nb, exact=True)
        if split is None:
            return self._dump(nb)
        skeleton = self._shape(split.key, lambda: self._skeleton(nb, split.values))
        return self._dump(nb) if skeleton is None else self._fill(skeleton, split.values)

    def _fill(self, skeleton: str, values: tuple[str, ...]) -> str:
        return self._marks.sub(
            lambda found: json.dumps(values[int(found[1])], ensure_ascii=False)[1:-1],
            skeleton)

    def _skeleton(self, nb: Any, values: tuple[str, ...]) -> str | None:
        marked, _values, _kinds = _with_marks(nb, self._mark, exact=True)
        skeleton = self._dump(marked)
        found = [int(index) for index in self._marks.findall(skeleton)]
        if sorted(found) != list(range(len(values))):
            return None
        return skeleton if self._fill(skeleton, values) == self._dump(nb) else None
