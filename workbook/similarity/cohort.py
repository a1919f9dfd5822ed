"""The gradebook's latest answers -> similar pairs and clusters for every question."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from workbook.model import Bank, Question
from workbook.similarity.compare import (
    Fingerprints,
    QuestionSimilarity,
    SimilaritySettings,
    compare_found,
    computed,
)
from workbook.similarity.findings import Findings
from workbook.similarity.sources import known_sources, shared_kgrams


@dataclass(frozen=True, kw_only=True)
class SimilarityReport:
    settings: SimilaritySettings
    questions: tuple[QuestionSimilarity, ...]
    #: questions answered in the gradebook but absent from the bank: nothing subtracted
    not_in_bank: tuple[str, ...] = ()

    def _findings(self) -> list[Findings]:
        """The databases the questions' findings are in (one, when the report made them)."""
        return list({id(q.findings): q.findings for q in self.questions}.values())

    def matches_of(self, candidate: str) -> list[tuple[str, str, str, float]]:
        """(question, the other side's kind, its owner, score) of each similar pair
        `candidate` is in, highest score first: what the candidate's graded copy lists."""
        asked = {q.question_id for q in self.questions}
        found = [match for findings in self._findings()
                 for match in findings.matches_of(candidate) if match[0] in asked]
        return sorted(found, key=lambda m: (-m[3], m[0], m[2]))

    def lines_for(self, candidate: str) -> tuple[str, ...]:
        """What a graded copy lists: one line per similar answer or known source, and for a
        question whose pairs were too many to list, the group the candidate is in."""
        matches = self.matches_of(candidate)
        lines = [f"{question}: similar to {owner}"
                 + ("" if kind == "candidate" else f" ({kind})") + f", score {score:.2f}"
                 for question, kind, owner, score in matches]
        for question in self.questions:
            if not question.pairs_not_listed:
                continue
            size = question.findings.cluster_size(question.question_id, candidate)
            if size:
                lines.append(f"{question.question_id}: one of {size} similar answers "
                             "(too many pairs to list each; see similarity.html)")
        return tuple(lines)

    def owners(self) -> Iterator[str]:
        """Every candidate whose graded copy lists something, sorted."""
        crowded = [q.question_id for q in self.questions if q.pairs_not_listed]
        seen: set[str] = set()
        for findings in self._findings():
            for owner in findings.owners_with_findings(crowded):
                if owner not in seen:  # several databases only when built by hand
                    seen.add(owner)
                    yield owner


def owned_answers(rows: Iterable[tuple[str, str, str | None, str | None]]
                  ) -> Iterator[tuple[str, str, str, str]]:
    """(question id, owner, "candidate", answer) of every recorded answer, from
    (candidate, source, question id, answer) rows grouped by candidate
    (`Gradebook.iter_answers`: plain rows, read a page at a time; a question of None is a
    submission without answers). When several files claim one candidate, each answer is
    named by candidate and file, so neither hides the other."""
    for name, claiming in groupby(rows, key=lambda row: row[0]):
        group = list(claiming)
        several = len({source for _name, source, _question, _answer in group}) > 1
        for _name, source, question, answer in group:
            if question is None or answer is None:
                continue
            owner = f"{name} ({Path(source).name})" if several else name
            yield question, owner, "candidate", answer


def compared_questions(answered: Iterable[str], bank: Bank,
                       question_id: str | None = None) -> list[tuple[str, Question | None]]:
    """The questions a report compares, in order, each with its bank question (None when
    the bank lacks it): every answered one, or `question_id` alone; written answers are
    prose, not what these fingerprints compare."""
    compared: list[tuple[str, Question | None]] = []
    for qid in sorted(answered):
        if question_id is not None and qid != question_id:
            continue
        question = bank.get(qid) if qid in bank.ids else None
        if question is None or question.is_coding:
            compared.append((qid, question))
    return compared


def similarity_report(findings: Findings, bank: Bank, bank_folder: Path | None, *,
                      question_id: str | None = None,
                      settings: SimilaritySettings | None = None,
                      fingerprints: Fingerprints = computed) -> SimilarityReport:
    """Compare the answers in `findings` to every question (or to `question_id` alone);
    `fingerprints` gives codes' fingerprints (a cache), else they are computed."""
    settings = settings or SimilaritySettings()
    compared = compared_questions(findings.questions(), bank, question_id)
    questions = tuple(
        compare_found(findings, qid, known_sources(question, qid, bank_folder),
                      shared_kgrams(question), settings, fingerprints=fingerprints)
        for qid, question in compared)
    return SimilarityReport(settings=settings, questions=questions,
                            not_in_bank=tuple(qid for qid, q in compared if q is None))
