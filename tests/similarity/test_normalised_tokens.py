"""Renaming, reformatting, reordering and comments leave an answer's tokens unchanged."""

from __future__ import annotations

import builtins
import keyword

from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.similarity.fingerprint import fingerprint
from workbook.similarity.normalise import normalised_tokens

#: one answer as a template: {names} are renamed, {c} get comments, {b} blank lines
TEMPLATE = [
    "def {f}({xs}, {key}=None):{c}",
    "    {d}",
    "    {out} = {{}}{c}",
    "{b}",
    "    for {item} in {xs}:{c}",
    "        {k} = {item} if {key} is None else {key}({item}){c}",
    "        {out}.setdefault({k}, []).append({item})",
    "    return {out}",
    "@{deco}",
    "def {g}({xs}):{c}",
    "    {d}",
    "    {total} = 0",
    "    for {item} in sorted({xs}, reverse=True):",
    "        {total} += {item} * 2{c}",
    "{b}",
    "    return {total}",
    "def {deco}({fn}):",
    "    return {fn}",
]
NAMES = ["f", "g", "xs", "key", "out", "item", "k", "total", "deco", "fn"]
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and not keyword.issoftkeyword(n)
    and n not in dir(builtins))
comments = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30)


def render(names: dict[str, str], comment: list[str], blank: list[str], doc: list[str],
           order: list[int]) -> str:
    lines = []
    for number, line in enumerate(TEMPLATE):
        lines.append(line.format(**names, c=f"  # {comment[number]}" if comment[number] else "",
                                 b=blank[number], d=doc[number]))
    functions = ["\n".join(lines[0:8]), "\n".join(lines[8:16]), "\n".join(lines[16:18])]
    return "\n\n".join(functions[i] for i in order) + "\n"


def plain() -> str:
    return render({n: n for n in NAMES}, [""] * len(TEMPLATE), [""] * len(TEMPLATE),
                  ['"""Base."""'] * len(TEMPLATE), [0, 1, 2])


docstrings = st.sampled_from(['"""Docstring."""', "'''two\n    lines'''",
                              '"implicitly" "joined"', "r'raw'"])


@settings(max_examples=60, deadline=None)
@given(names=st.lists(identifiers, min_size=len(NAMES), max_size=len(NAMES), unique=True),
       comment=st.lists(comments, min_size=len(TEMPLATE), max_size=len(TEMPLATE)),
       blank=st.lists(st.sampled_from(["", "    ", "\n"]), min_size=len(TEMPLATE),
                      max_size=len(TEMPLATE)),
       doc=st.lists(docstrings, min_size=len(TEMPLATE), max_size=len(TEMPLATE)),
       order=st.permutations([0, 1, 2]))
def test_renamed_reformatted_reordered_recommented_answers_normalise_alike(
        names: list[str], comment: list[str], blank: list[str], doc: list[str],
        order: list[int]) -> None:
    copy = render(dict(zip(NAMES, names, strict=True)), comment, blank, doc, order)
    assert [t.text for t in normalised_tokens(copy)] \
        == [t.text for t in normalised_tokens(plain())]
    assert fingerprint(copy).hashes == fingerprint(plain()).hashes


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_any_text_normalises_without_raising(text: str) -> None:
    normalised_tokens(text)
    fingerprint(text)
