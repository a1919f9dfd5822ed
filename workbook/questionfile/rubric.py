"""The rubric section: strong signals, red flags, follow-up probes and the 0..4 scores."""

from __future__ import annotations

import re

from workbook.model import SCORE_RANGE, Rubric

from .reader import Block, Reader

SCORE_LINE = re.compile(r"^(?P<score>\d)\s*[:\-–]\s*(?P<text>.+)$")
RUBRIC_PARTS = {
    "strong signals": "strong_signals",
    "red flags": "red_flags",
    "follow-up probes": "follow_ups",
    "scores": "scores",
}

def read_rubric(reader: Reader, block: Block) -> Rubric:
    parts: dict[str, Block] = {}
    for child in block.children:
        key = RUBRIC_PARTS.get(child.title.lower())
        if key is None:
            raise reader.fail(child.line, "rubric", f"unknown rubric part '{child.title}'; use "
                              "Strong signals, Red flags, Follow-up probes, Scores")
        parts[key] = child
    for title, key in RUBRIC_PARTS.items():
        if key not in parts:
            raise reader.fail(block.line, f"rubric.{key}", f"missing '### {title.capitalize()}'")
    scores: dict[int, str] = {}
    for item in reader.bullets(parts["scores"], "rubric.scores"):
        match = SCORE_LINE.match(item)
        if not match or int(match.group("score")) not in SCORE_RANGE:
            raise reader.fail(parts["scores"].line, "rubric.scores",
                              f"'{item[:40]}' must read '- N: what earns it' with N in 0..4")
        scores[int(match.group("score"))] = match.group("text").strip()
    missing = [str(s) for s in SCORE_RANGE if s not in scores]
    if missing:
        raise reader.fail(parts["scores"].line, "rubric.scores",
                          f"describe every score 0..4; missing {', '.join(missing)}")
    return Rubric(
        strong_signals=reader.bullets(parts["strong_signals"], "rubric.strong_signals"),
        red_flags=reader.bullets(parts["red_flags"], "rubric.red_flags"),
        follow_ups=reader.bullets(parts["follow_ups"], "rubric.follow_ups"),
        scores=scores,
    )

