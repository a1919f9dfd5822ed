"""Similar answers are found through disguises; independent and starter-only ones are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.similarity.solutions import DISGUISED, INDEPENDENT, ORIGINAL, STACKED
from workbook.bank import SHIPPED_BANK, load_bank
from workbook.model import Question
from workbook.similarity.compare import QuestionSimilarity, SimilaritySettings, compare_question
from workbook.similarity.sources import known_sources, shared_kgrams

QUESTION = "ds-merge-intervals"


@pytest.fixture(scope="module")
def question() -> Question:
    return load_bank(SHIPPED_BANK).get(QUESTION)


def compare(question: Question, answers: list[tuple[str, str]], *,
            folder: Path | None = None, **settings: float) -> QuestionSimilarity:
    return compare_question(QUESTION, answers, known_sources(question, QUESTION, folder),
                            shared_kgrams(question), SimilaritySettings(**settings))


def pairs_between_candidates(result: QuestionSimilarity) -> set[frozenset[str]]:
    return {frozenset((p.left.owner, p.right.owner)) for p in result.pairs
            if p.left.kind == p.right.kind == "candidate"}


def test_a_renamed_reordered_recommented_copy_is_found(question: Question) -> None:
    result = compare(question, [("ada", ORIGINAL), ("bob", DISGUISED),
                                ("cy", INDEPENDENT), ("dee", STACKED)])
    assert pairs_between_candidates(result) == {frozenset({"ada", "bob"})}
    pair = result.pairs[0]
    assert pair.score >= 0.9
    # the highlighted lines are the copied body, on both sides
    assert {line for line in pair.left_lines} & set(range(9, 19))
    assert {line for line in pair.right_lines} & set(range(2, 16))
    assert result.clusters == (("ada", "bob"),)


def test_independent_correct_answers_are_not_similar(question: Question) -> None:
    result = compare(question, [("ada", ORIGINAL), ("cy", INDEPENDENT), ("dee", STACKED)],
                     threshold=0.3)
    assert pairs_between_candidates(result) == set()


@pytest.mark.parametrize("variant", [
    "{starter}",
    "{starter}\n# not done, ran out of time\n",
    "def merge_intervals(intervals):\n    raise NotImplementedError('write merge_intervals')\n",
    "def merge_intervals(xs):\n    '''todo'''\n    raise NotImplementedError(\"later\")\n",
    "{starter}\nassert merge_intervals([(1, 3), (2, 6), (8, 10)]) == [(1, 6), (8, 10)]\n",
])
def test_answers_that_only_keep_what_was_given_are_never_similar(question: Question,
                                                                  variant: str) -> None:
    answers = [(f"c{i}", variant.format(starter=question.starter)) for i in range(4)]
    result = compare(question, answers, threshold=0.05)
    assert result.pairs == ()
    assert result.too_small == 4


def test_a_copy_of_a_known_source_in_the_bank_folder_is_found(question: Question,
                                                              tmp_path: Path) -> None:
    folder = tmp_path / "known-sources" / QUESTION
    folder.mkdir(parents=True)
    (folder / "public-gist.py").write_text(INDEPENDENT, encoding="utf-8")
    disguised = (INDEPENDENT.replace("current_", "cur_").replace("merged", "answer")
                 .replace("ordered", "srt"))
    result = compare(question, [("eve", disguised), ("ada", ORIGINAL)], folder=tmp_path)
    found = [(p.left.owner, p.right.owner, p.right.kind) for p in result.pairs]
    assert found == [("eve", "public-gist.py", "known source")]


def test_a_copy_of_the_reference_or_a_decoy_is_named_as_such(question: Question) -> None:
    decoy = question.decoys[0]
    result = compare(question, [("ref", question.reference.replace("pairs", "items")),
                                ("dec", decoy.code.replace("merged", "done"))])
    kinds = {(p.left.owner, p.right.kind) for p in result.pairs
             if p.right.kind != "candidate"}
    assert ("ref", "reference") in kinds
    assert ("dec", "decoy") in kinds


def test_answers_that_do_not_parse_are_compared_by_their_tokens(question: Question) -> None:
    broken = ORIGINAL + "\ndef unfinished(:\n"
    result = compare(question, [("ada", ORIGINAL), ("bob", broken), ("cy", "\x00\x00(((")])
    assert pairs_between_candidates(result) == {frozenset({"ada", "bob"})}


def test_the_index_finds_the_pairs_that_scoring_every_pair_finds(question: Question) -> None:
    from tests.similarity.generated import cohort

    answers, copies = cohort(120, seed=3)
    every = compare(question, answers)
    indexed = compare(question, answers, exhaustive_up_to=0)
    assert indexed.method == "k-gram index" and every.method == "every pair"
    assert pairs_between_candidates(every) == copies
    assert pairs_between_candidates(indexed) == copies
    assert indexed.pairs == every.pairs and indexed.clusters == every.clusters


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.sampled_from([ORIGINAL, DISGUISED, INDEPENDENT, STACKED]),
                      min_size=2, max_size=40),
       cap=st.integers(0, 30))
def test_listing_fewer_pairs_never_changes_the_groups_or_the_count(
        question: Question, picks: list[str], cap: int) -> None:
    # many candidates handing in the same code: pairs grow as the square of the cohort,
    # so only the most similar are listed, and nothing else may depend on that cap
    answers = [(f"c{index:02}", code) for index, code in enumerate(picks)]
    full = compare(question, answers, max_pairs=10**9)
    capped = compare(question, answers, max_pairs=cap)

    listed = [p for p in capped.pairs if p.right.kind == "candidate"]
    assert len(listed) == min(cap, full.similar_pairs)
    assert capped.similar_pairs == full.similar_pairs == len(
        [p for p in full.pairs if p.right.kind == "candidate"])
    assert capped.clusters == full.clusters
    assert pairs_between_candidates(capped) <= pairs_between_candidates(full)
    kept = {(p.left.owner, p.right.owner) for p in listed}
    left_out = [p.score for p in full.pairs if p.right.kind == "candidate"
                and (p.left.owner, p.right.owner) not in kept]
    assert not listed or not left_out or min(p.score for p in listed) >= max(left_out)


def _model(question: Question, answers: list[tuple[str, str]], threshold: float
           ) -> tuple[set[frozenset[str]], set[tuple[str, str]], tuple[tuple[str, ...], ...]]:
    """What the comparison must find, worked out the slow, obvious way: every pair of
    answers scored, every answer against every known source, clusters by search."""
    from itertools import combinations

    from workbook.similarity.fingerprint import fingerprint

    shared, least = shared_kgrams(question), SimilaritySettings().min_fingerprints

    def kept(code: str) -> frozenset[int]:
        return fingerprint(code).hashes - shared

    def score(left: frozenset[int], right: frozenset[int]) -> float:
        return len(left & right) / min(len(left), len(right))

    prints = {owner: kept(code) for owner, code in answers if len(kept(code)) >= least}
    known = {k.label: kept(k.code) for k in known_sources(question, QUESTION, None)}
    known = {label: hashes for label, hashes in known.items() if len(hashes) >= least}
    pairs = {frozenset((a, b)) for a, b in combinations(prints, 2)
             if score(prints[a], prints[b]) >= threshold}
    with_known = {(owner, label) for owner in prints for label in known
                  if score(prints[owner], known[label]) >= threshold}
    groups: list[set[str]] = []
    for owner in prints:
        linked = [g for g in groups if any(frozenset((owner, o)) in pairs for o in g)]
        merged = {owner}.union(*linked)
        groups = [g for g in groups if g not in linked] + [merged]
    clusters = tuple(sorted((tuple(sorted(g)) for g in groups if len(g) > 1),
                            key=lambda g: (-len(g), g)))
    return pairs, with_known, clusters


_EDITS = [lambda code: code, lambda code: code + "\nprint('done')\n",
          lambda code: code[: len(code) // 2], lambda code: code.replace("(", "( ")]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.tuples(st.integers(0, 6), st.integers(0, len(_EDITS) - 1),
                                st.text("aAbBzZ_é€\u2028", min_size=1, max_size=4)
                                | st.text(min_size=1, max_size=6)),
                      min_size=2, max_size=25, unique_by=lambda pick: pick[2]),
       threshold=st.sampled_from([0.3, 0.6, 0.9, 1.0]), indexed=st.booleans())
def test_the_pairs_and_groups_are_those_every_pair_scored_by_hand_gives(
        question: Question, picks: list[tuple[int, int, str]], threshold: float,
        indexed: bool) -> None:
    # any names: the groups are sorted by SQLite, and must be as Python sorts them
    codes = [ORIGINAL, DISGUISED, INDEPENDENT, STACKED, question.reference,
             question.decoys[0].code, question.starter]
    answers = [(name, _EDITS[edit](codes[pick])) for pick, edit, name in picks]
    pairs, with_known, clusters = _model(question, answers, threshold)

    result = compare(question, answers, threshold=threshold, max_pairs=10**6,
                     exhaustive_up_to=0 if indexed else 300)

    assert pairs_between_candidates(result) == pairs
    assert {(p.left.owner, p.right.owner) for p in result.pairs
            if p.right.kind != "candidate"} == with_known
    assert result.clusters == clusters
    assert result.similar_pairs == len(pairs) + len(with_known)


def test_a_cohort_of_near_copies_is_counted_without_holding_its_pairs(
        question: Question) -> None:
    """Distinct answers that are all similar to each other make as many similar pairs as
    the square of their number; they are counted and joined as they stream past, and
    only the most similar are kept (Python's memory while comparing, fingerprints made
    beforehand; SQLite's pages aside)."""
    import random
    import tracemalloc

    from tests.similarity.generated import answer
    from workbook.similarity.fingerprint import fingerprint

    # one long program, and a short function of each candidate's own after it
    common = "\n\n".join(answer(random.Random(seed)) for seed in (1, 2))
    answers = [(f"c{index:03}", common + "\n\n"
                + answer(random.Random(1000 + index)).split("\n\n")[0])
               for index in range(180)]
    known = known_sources(question, QUESTION, None)
    prints = {code: fingerprint(code) for code in [c for _, c in answers] + [k.code for k in known]}
    tracemalloc.start()
    try:
        result = compare_question(
            QUESTION, answers, known, shared_kgrams(question),
            SimilaritySettings(max_pairs=50, exhaustive_up_to=0),
            fingerprints=lambda codes: {code: prints[code] for code in codes})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.method == "k-gram index"
    assert result.similar_pairs == 180 * 179 // 2
    assert len([p for p in result.pairs if p.right.kind == "candidate"]) == 50
    assert result.clusters == (tuple(owner for owner, _ in answers),)
    # holding the 16,110 pairs to sort them took 4.9 MB here; streaming them, 2.2 MB
    assert peak < 3_500_000


def test_a_crowded_question_tells_every_member_of_a_group_in_its_copy(
        question: Question) -> None:
    """With more similar pairs than are listed, a candidate in none of the listed pairs
    still reads, in their copy, that their answer is one of a group."""
    from workbook.similarity.cohort import SimilarityReport

    answers = [(f"c{index}", ORIGINAL) for index in range(6)]
    result = compare(question, answers, max_pairs=2)
    report = SimilarityReport(settings=SimilaritySettings(), questions=(result,))

    assert {p.left.owner for p in result.pairs} | {p.right.owner for p in result.pairs} \
        == {"c0", "c1", "c2"}
    assert list(report.owners()) == [owner for owner, _ in answers]
    assert any("one of 6 similar answers" in line for line in report.lines_for("c5"))


def test_a_cohort_of_one_answer_lists_a_bounded_number_of_pairs(question: Question) -> None:
    answers = [(f"c{index:04}", ORIGINAL) for index in range(2_000)]
    result = compare(question, answers, max_pairs=100)
    assert len(result.pairs) == 100
    assert result.similar_pairs == 2_000 * 1_999 // 2
    assert result.clusters == (tuple(owner for owner, _ in answers),)


def test_the_comparison_holds_nothing_per_candidate_in_memory(question: Question) -> None:
    """Every answer that copies the reference is listed beside it, however many; the pairs,
    groups and answers are rows of the run's temporary database (`findings.py`), so what
    Python holds after comparing does not grow with the cohort (14 KB per candidate two
    versions ago; this test allowed 6 KB one version ago)."""
    import tracemalloc

    kept: dict[int, int] = {}
    for count in (400, 1600):
        answers = [(f"c{index:04}", question.reference) for index in range(count)]
        tracemalloc.start()
        try:
            result = compare(question, answers)
            kept[count], _peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len([pair for pair in result.pairs if pair.right.kind == "reference"]) == count
        assert result.clusters == (tuple(owner for owner, _ in answers),)
        del result
    assert (kept[1600] - kept[400]) / 1200 < 50  # bytes for each candidate more


def test_the_similarity_files_written_a_part_at_a_time_are_the_whole_renderings(
        question: Question, tmp_path: Path) -> None:
    """write_similarity streams its files; they hold exactly what rendering each whole
    gives, past a chunk of CSV rows and with names that need quoting and escaping."""
    import json

    from grading.spreadsheet import csv_text
    from workbook.similarity.cohort import SimilarityReport
    from workbook.similarity.page import (
        similarity_html,
        similarity_json,
        similarity_rows,
        write_similarity,
    )

    owners = ["=cmd|' /C calc'!A0", "<b>x</b>\r\n\"q\"", "é\u2028"] + \
        [f"c{index:04}" for index in range(1_200)]
    result = compare(question, [(owner, question.reference) for owner in owners])
    report = SimilarityReport(settings=SimilaritySettings(), questions=(result,),
                              not_in_bank=("gone<?>",))
    assert len(similarity_rows(report)[1]) > 1_000  # more than one chunk of rows

    page, table, data = write_similarity(report, tmp_path, title="Similar <answers>")

    assert page.read_bytes() == similarity_html(report,
                                                title="Similar <answers>").encode("utf-8")
    assert table.read_bytes() == csv_text(*similarity_rows(report)).encode("utf-8")
    assert data.read_bytes() == (json.dumps(similarity_json(report), indent=1,
                                            ensure_ascii=False) + "\n").encode("utf-8")
