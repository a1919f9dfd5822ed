"""similarity.html (pairs, clusters, side-by-side views), similarity.csv and .json.

Everything a candidate wrote is escaped; the page has no external resource. The wording
is "similar", with the score and the matching lines: whether it means anything is for a
person to decide, and the page says so.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable, Iterator
from itertools import chain, islice
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from grading.spreadsheet import csv_rows
from workbook.similarity.cohort import SimilarityReport
from workbook.similarity.compare import Pair, QuestionSimilarity

PAGE, CSV, JSON = "similarity.html", "similarity.csv", "similarity.json"
#: side-by-side views per question on the page (every pair is in the CSV and JSON)
MAX_VIEWS = 200
#: lines shown of each side of a view
MAX_LINES = 400
NOTICE = ("Answers listed here are similar after renaming, reformatting, reordering and "
          "comments are set aside, and after the code every candidate was given is "
          "subtracted. Similar code can have innocent causes (a common tutorial, a standard "
          "algorithm written the usual way); whether it matters is for a person to decide.")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def pair_anchor(question_id: str, index: int) -> str:
    digest = hashlib.sha256(question_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"pair-{digest}-{index}"


def _side(code: str, lines: frozenset[int]) -> str:
    shown = code.splitlines()[:MAX_LINES]
    rows = []
    for number, text in enumerate(shown, start=1):
        row = f'<span class="n">{number:>4}</span> {_e(text)}'
        rows.append(f"<mark>{row}</mark>" if number in lines else row)
    more = len(code.splitlines()) - len(shown)
    if more > 0:
        rows.append(f"... {more} more lines")
    return "<pre>" + "\n".join(rows) + "</pre>"


def _who(kind: str, owner: str) -> str:
    return _e(owner) if kind == "candidate" else f"{_e(owner)} <i>({_e(kind)})</i>"


def _view(pair: Pair, anchor: str) -> str:
    return (f'<details id="{anchor}"><summary>{_who(pair.left.kind, pair.left.owner)} and '
            f'{_who(pair.right.kind, pair.right.owner)}: similar, score {pair.score:.2f}'
            f'</summary><div class="sbs"><div><h4>{_who(pair.left.kind, pair.left.owner)}'
            f'</h4>{_side(pair.left.code, pair.left_lines)}</div><div><h4>'
            f'{_who(pair.right.kind, pair.right.owner)}</h4>'
            f'{_side(pair.right.code, pair.right_lines)}</div></div></details>')


def _counted(result: QuestionSimilarity) -> str:
    if not result.pairs_not_listed:
        return f"{result.similar_pairs} similar pairs"
    return (f"{result.similar_pairs} similar pairs, the {result.listed} most similar "
            "listed (the groups below hold every answer)")


def _question(result: QuestionSimilarity) -> Iterator[str]:
    yield (f'<h2 id="q-{_e(result.question_id)}">{_e(result.question_id)}</h2>\n'
           f"<p>{result.answers} answers compared ({_e(result.method)}); "
           f"{result.too_small} too small to compare once the given code is subtracted; "
           f"{_counted(result)}.</p>")
    clusters = result.findings.clusters(result.question_id)
    first = next(clusters, None)
    if first is not None:
        yield "\n<p>Groups of similar answers:</p><ul>"
        for cluster in chain((first,), clusters):
            yield f"<li>{len(cluster)} answers: {_e(', '.join(cluster))}</li>"
        yield "</ul>"
    for index, pair in enumerate(result.shown(MAX_VIEWS)):
        yield "\n" + _view(pair, pair_anchor(result.question_id, index))
    if result.listed > MAX_VIEWS:
        yield f"\n<p>... and {result.listed - MAX_VIEWS} more pairs in {CSV}.</p>"


_CSS = """
body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}
.sbs{display:flex;gap:1em}.sbs>div{flex:1;min-width:0;overflow-x:auto}
pre{background:#f7f7fa;padding:4px;font-size:85%}mark{background:#ffe58a;display:block}
.n{color:#889}summary{cursor:pointer;margin:4px 0}
"""


def similarity_html(report: SimilarityReport, *, title: str) -> str:
    return "".join(_html_parts(report, title=title))


def _html_parts(report: SimilarityReport, *, title: str) -> Iterator[str]:
    """The page a part at a time: a question's side-by-side views are most of a large
    cohort's page, and are written and let go one question after another."""
    yield (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}'
           f"</title><style>{_CSS}</style></head><body>")
    yield f"<h1>{_e(title)}</h1>"
    yield f"<p>{_e(NOTICE)}</p>"
    yield (f"<p>Listed from score {report.settings.threshold:.2f} (the share of the "
           f"smaller answer's fingerprint found in the other).</p>")
    if report.not_in_bank:
        yield (f"<p>Not in the bank, compared without subtracting given code: "
               f"{_e(', '.join(report.not_in_bank))}.</p>")
    for question in report.questions:
        yield from _question(question)
    yield "</body></html>\n"


_HEADER = ["question", "left", "left_kind", "right", "right_kind", "score"]


def _rows(report: SimilarityReport) -> Iterator[list[Any]]:
    for question in report.questions:
        for left, left_kind, right, right_kind, score, _codes, _also in question.rows():
            yield [question.question_id, left, left_kind, right, right_kind, round(score, 3)]


def similarity_rows(report: SimilarityReport) -> tuple[list[str], list[list[Any]]]:
    """The CSV's header and rows, whole (the files are written from `_rows`)."""
    return list(_HEADER), list(_rows(report))


def similarity_json(report: SimilarityReport) -> dict[str, Any]:
    """The JSON file's content, whole (the file is written from `_json_parts`)."""
    return {"threshold": report.settings.threshold, "not_in_bank": list(report.not_in_bank),
            "questions": [_question_json(q) for q in report.questions],
            "pairs": [dict(zip(_HEADER, row, strict=True)) for row in _rows(report)]}


def _question_json(question: QuestionSimilarity) -> dict[str, Any]:
    return {"question": question.question_id, "answers": question.answers,
            "too_small": question.too_small, "method": question.method,
            "clusters": [list(c) for c in question.findings.clusters(question.question_id)]}


def _json_parts(report: SimilarityReport) -> Iterator[str]:
    """`similarity_json` as `json.dump(indent=1)` writes it, an item at a time: at depth
    d, an item is its own indented dump with every line break followed by d spaces."""
    def nested(value: object, depth: int) -> str:
        return json.dumps(value, indent=1, ensure_ascii=False).replace("\n", "\n" + " " * depth)

    def pair(row: list[Any]) -> str:
        # a pair is flat, five strings and a finite float, each written as json writes
        # it (an indented dump of each pair took the pure-Python encoder: a third of
        # this step on 40 candidates)
        *names, score = row
        return ("{\n   " + "".join(f"{key}: {encode_basestring(name)},\n   "
                                  for key, name in zip(_KEYS[:-1], names, strict=True))
                + f"{_KEYS[-1]}: {float.__repr__(score)}\n  }}")

    def listed(items: Iterator[Any], encode: Callable[[Any], str]) -> Iterator[str]:
        first = next(items, _NOTHING)
        if first is _NOTHING:
            yield "[]"
            return
        yield "[\n  " + encode(first)
        for item in items:
            yield ",\n  " + encode(item)
        yield "\n ]"

    yield "{\n " + f'"threshold": {nested(report.settings.threshold, 1)},\n '
    yield f'"not_in_bank": {nested(list(report.not_in_bank), 1)},\n "questions": '
    yield from listed((_question_json(q) for q in report.questions),
                      lambda question: nested(question, 2))
    yield ',\n "pairs": '
    yield from listed(_rows(report), pair)
    yield "\n}\n"


_NOTHING = object()
#: the pairs' keys as json writes them
_KEYS = [json.dumps(key) for key in _HEADER]


def write_similarity(report: SimilarityReport, outdir: Path, *, title: str) -> list[Path]:
    """Write similarity.html, .csv and .json into `outdir`; returns their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    page, table, data = outdir / PAGE, outdir / CSV, outdir / JSON
    # each file written as it is made, never held whole: at 4,000 candidates the three
    # as strings were 30 MB of the report stage's peak (bench/scale_bench.py --reports)
    with page.open("w", encoding="utf-8") as handle:
        handle.writelines(_html_parts(report, title=title))
    with table.open("w", encoding="utf-8", newline="") as handle:
        handle.write(csv_rows([_HEADER]))
        rows = _rows(report)
        while chunk := list(islice(rows, _ROWS_AT_ONCE)):
            handle.write(csv_rows(chunk))
    with data.open("w", encoding="utf-8") as handle:
        handle.writelines(_json_parts(report))
    return [page, table, data]


#: CSV rows made into text at once
_ROWS_AT_ONCE = 1000


def cohort_section(report: SimilarityReport, *, top: int = 10) -> str:
    """The cohort page's similarity section: per question, the most similar pairs and the
    groups, each linked to its side-by-side view on similarity.html."""
    parts = ['<h2 id="similarity">Similar answers</h2>', f"<p>{_e(NOTICE)}</p>"]
    listed = [q for q in report.questions if q.listed]
    if not listed:
        parts.append(f"<p>No answers similar at score {report.settings.threshold:.2f} or "
                     f"above.</p>")
    for result in listed:
        rows = "".join(
            f'<tr><td class="name">{_who(left_kind, left)}</td>'
            f'<td class="name">{_who(right_kind, right)}</td>'
            f'<td>{score:.2f}</td><td class="name"><a href="{PAGE}#'
            f'{pair_anchor(result.question_id, i)}">side by side</a></td></tr>'
            for i, (left, left_kind, right, right_kind, score, *_codes)
            in enumerate(result.findings.pairs(result.question_id, top, code=False)))
        groups = "; ".join(_named(c) for c in result.findings.clusters(result.question_id)
                           if len(c) > 2)
        parts.append(f"<h3>{_e(result.question_id)}</h3><p>{_counted(result)}"
                     + (f"; groups: {_e(groups)}" if groups else "") + "</p>"
                     f'<table><tr><th class="name">answer</th><th class="name">similar to'
                     f"</th><th>score</th><th></th></tr>{rows}</table>")
    return "\n".join(parts)


#: names of a group shown on the cohort page; similarity.html lists them all
GROUP_NAMES_SHOWN = 20


def _named(cluster: tuple[str, ...]) -> str:
    shown = ", ".join(cluster[:GROUP_NAMES_SHOWN])
    more = len(cluster) - GROUP_NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
