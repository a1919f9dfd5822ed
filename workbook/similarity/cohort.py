"""The gradebook's latest answers -> similar pairs and clusters for every question."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from workbook.model import Bank, Question
from workbook.similarity.compare import QuestionSimilarity, SimilaritySettings, compare_question
from workbook.similarity.fingerprint import Fingerprint
from workbook.similarity.sources import known_sources, shared_kgrams


@dataclass(frozen=True, kw_only=True)
class SimilarityReport:
    settings: SimilaritySettings
    questions: tuple[QuestionSimilarity, ...]
    #: questions answered in the gradebook but absent from the bank: nothing subtracted
    not_in_bank: tuple[str, ...] = ()

    def matches_of(self, candidate: str) -> list[tuple[str, str, str, float]]:
        """(question, the other side's kind, its owner, score) of each similar pair
        `candidate` is in, highest score first: what the candidate's graded copy lists."""
        found = []
        for question in self.questions:
            for pair in question.pairs:
                if pair.left.owner == candidate and pair.left.kind == "candidate":
                    found.append((question.question_id, pair.right.kind, pair.right.owner,
                                  pair.score))
                elif pair.right.owner == candidate and pair.right.kind == "candidate":
                    found.append((question.question_id, pair.left.kind, pair.left.owner,
                                  pair.score))
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
            group = next((g for g in question.clusters if candidate in g), ())
            if group:
                lines.append(f"{question.question_id}: one of {len(group)} similar answers "
                             "(too many pairs to list each; see similarity.html)")
        return tuple(lines)


def answers_by_question(rows: Iterable[tuple[str, str, str | None, str | None]]
                        ) -> dict[str, list[tuple[str, str]]]:
    """question id -> (owner, answer) of every recorded submission, from (candidate,
    source, question id, answer) rows grouped by candidate (`Gradebook.iter_answers`: plain
    rows, read a page at a time; a question of None is a submission without answers). When
    several files claim one candidate, each answer is named by candidate and file, so
    neither hides the other."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name, claiming in groupby(rows, key=lambda row: row[0]):
        group = list(claiming)
        several = len({source for _name, source, _question, _answer in group}) > 1
        for _name, source, question, answer in group:
            if question is None or answer is None:
                continue
            owner = f"{name} ({Path(source).name})" if several else name
            found[question].append((owner, answer))
    return found


def compared_questions(answers: Mapping[str, object], bank: Bank,
                       question_id: str | None = None) -> list[tuple[str, Question | None]]:
    """The questions a report compares, in order, each with its bank question (None when
    the bank lacks it): every answered one, or `question_id` alone; written answers are
    prose, not what these fingerprints compare."""
    compared: list[tuple[str, Question | None]] = []
    for qid in sorted(answers):
        if question_id is not None and qid != question_id:
            continue
        question = bank.get(qid) if qid in bank.ids else None
        if question is None or question.is_coding:
            compared.append((qid, question))
    return compared


def similarity_report(answers: dict[str, list[tuple[str, str]]], bank: Bank,
                      bank_folder: Path | None, *, question_id: str | None = None,
                      settings: SimilaritySettings | None = None,
                      fingerprints: Callable[[list[str]], Mapping[str, Fingerprint]] | None
                      = None) -> SimilarityReport:
    """Compare the answers of every question (or of `question_id` alone); `fingerprints`
    gives the fingerprint of each code of a question at once (a cache), else they are
    computed."""
    settings = settings or SimilaritySettings()
    questions = []
    for qid, question in compared_questions(answers, bank, question_id):
        known = known_sources(question, qid, bank_folder)
        codes = [code for _owner, code in answers[qid]] + [k.code for k in known]
        questions.append(compare_question(
            qid, answers[qid], known, shared_kgrams(question), settings,
            fingerprints=fingerprints(codes) if fingerprints else None))
    missing = [qid for qid, question in compared_questions(answers, bank, question_id)
               if question is None]
    return SimilarityReport(settings=settings, questions=tuple(questions),
                            not_in_bank=tuple(missing))
