"""The gradebook's latest answers -> similar pairs and clusters for every question."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.model import Bank, Question
from workbook.similarity.compare import QuestionSimilarity, SimilaritySettings, compare_question
from workbook.similarity.sources import known_sources, shared_kgrams

if TYPE_CHECKING:
    from grading.gradebook import Gradebook
    from grading.results import SubmissionResult


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
        """What a graded copy lists: one line per similar answer or known source."""
        return tuple(f"{question}: similar to {owner}"
                     + ("" if kind == "candidate" else f" ({kind})") + f", score {score:.2f}"
                     for question, kind, owner, score in self.matches_of(candidate))


def answers_by_question(results: list[SubmissionResult]) -> dict[str, list[tuple[str, str]]]:
    """question id -> (owner, answer) of every recorded submission. When several files claim
    one candidate, each answer is named by candidate and file, so neither hides the other."""
    by_candidate: dict[str, int] = defaultdict(int)
    for result in results:
        by_candidate[result.candidate] += 1
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for result in results:
        owner = result.candidate if by_candidate[result.candidate] == 1 \
            else f"{result.candidate} ({Path(result.source).name})"
        for task in result.tasks:
            found[task.task_id].append((owner, task.answer))
    return found


def similarity_report(answers: dict[str, list[tuple[str, str]]], bank: Bank,
                      bank_folder: Path | None, *, question_id: str | None = None,
                      settings: SimilaritySettings | None = None) -> SimilarityReport:
    """Compare the answers of every question (or of `question_id` alone)."""
    settings = settings or SimilaritySettings()
    questions = []
    missing = []
    for qid in sorted(answers):
        if question_id is not None and qid != question_id:
            continue
        question: Question | None = bank.get(qid) if qid in bank.ids else None
        if question is None:
            missing.append(qid)
        elif not question.is_coding:
            continue  # written answers are prose: not what these fingerprints compare
        questions.append(compare_question(qid, answers[qid],
                                          known_sources(question, qid, bank_folder),
                                          shared_kgrams(question), settings))
    return SimilarityReport(settings=settings, questions=tuple(questions),
                            not_in_bank=tuple(missing))


def gradebook_similarity(gradebook: Gradebook, bank: Bank, bank_folder: Path | None, *,
                         question_id: str | None = None,
                         settings: SimilaritySettings | None = None) -> SimilarityReport:
    """The similarity report of every candidate's latest recorded answers."""
    return similarity_report(answers_by_question(gradebook.results()), bank, bank_folder,
                             question_id=question_id, settings=settings)
