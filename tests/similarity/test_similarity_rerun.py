"""A rerun of the report stage keeps the similarity files when nothing they are made from
changed, and recomputes what did change (real SQLite gradebook, real files)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.gradebook import Gradebook
from grading.results import SubmissionResult, SubmissionStatus, TaskResult
from tests.similarity.solutions import DISGUISED, INDEPENDENT, ORIGINAL
from tests.similarity.test_similarity_command import HOSTILE, QUESTION
from workbook.bank import SHIPPED_BANK, load_bank
from workbook.model import Bank
from workbook.similarity import cache as cache_module
from workbook.similarity import compare as compare_module
from workbook.similarity.cache import CACHE, SimilarityCache
from workbook.similarity.fingerprint import fingerprint
from workbook.similarity.page import CSV, JSON, PAGE
from workbook.similarity.stage import ReportSimilarity, similarity_for_reports

FILES = (PAGE, CSV, JSON)
TITLE = "Similar answers: cohort"


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """A bank of our own (tests change it): the question the answers are to."""
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / f"{QUESTION}.md").write_bytes((SHIPPED_BANK / f"{QUESTION}.md").read_bytes())
    return folder


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for candidate, answer in (("ada", ORIGINAL), (HOSTILE, DISGUISED), ("cy", INDEPENDENT)):
        resubmit(out, candidate, answer)
    return out


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every source fingerprinted from here on (the real function, counted)."""
    seen: list[str] = []

    def counted(source: str, *args: int) -> object:
        seen.append(source)
        return fingerprint(source, *args)

    monkeypatch.setattr(cache_module, "fingerprint", counted)
    monkeypatch.setattr(compare_module, "fingerprint", counted)
    return seen


def resubmit(outdir: Path, candidate: str, answer: str) -> None:
    """`candidate` hands in their file again, with `answer`: it replaces the last one."""
    digest = hashlib.sha256(f"{candidate}\0{answer}".encode()).hexdigest()
    task = TaskResult(task_id=QUESTION, points=0, max_points=10, checks=(), answer=answer)
    with Gradebook.open(outdir / "gradebook.sqlite") as gradebook:
        gradebook.record_submission(
            SubmissionResult(candidate=candidate, source=f"/returned/{candidate}.ipynb",
                             content_hash=digest, status=SubmissionStatus.GRADED,
                             tasks=(task,)), workbook_meta={})


def run(outdir: Path, bank: Bank) -> ReportSimilarity:
    with Gradebook.open(outdir / "gradebook.sqlite") as gradebook:
        return similarity_for_reports(gradebook, bank, outdir, title=TITLE)


def times(outdir: Path) -> dict[str, int]:
    return {name: (outdir / name).stat().st_mtime_ns for name in FILES}


def contents(outdir: Path) -> dict[str, str]:
    return {name: (outdir / name).read_text(encoding="utf-8") for name in FILES}


def fresh(outdir: Path, bank: Bank, tmp_path: Path) -> tuple[dict[str, str], ReportSimilarity]:
    """The files and answer of a run with no cache at all, on the same gradebook."""
    elsewhere = tmp_path / "fresh"
    elsewhere.mkdir()
    shutil.copy2(outdir / "gradebook.sqlite", elsewhere / "gradebook.sqlite")
    found = run(elsewhere, bank)
    return contents(elsewhere), found


def same(left: ReportSimilarity, right: ReportSimilarity) -> bool:
    return (left.section, dict(left.lines)) == (right.section, dict(right.lines))


def test_a_rerun_with_nothing_changed_neither_fingerprints_nor_rewrites(
        outdir: Path, bank_dir: Path, computed: list[str]) -> None:
    bank = load_bank(bank_dir)
    first = run(outdir, bank)
    before = times(outdir)
    computed.clear()

    again = run(outdir, bank)

    assert computed == []
    assert times(outdir) == before
    assert same(again, first) and again.lines_for("ada")
    assert again.files == [outdir / name for name in FILES]


def test_a_rerun_after_one_answer_changed_fingerprints_that_answer_alone(
        outdir: Path, bank_dir: Path, computed: list[str], tmp_path: Path) -> None:
    bank = load_bank(bank_dir)
    run(outdir, bank)
    changed = INDEPENDENT.replace("return", "return  ", 1) + "\nprint('late edit')\n"
    resubmit(outdir, "cy", changed)
    computed.clear()

    again = run(outdir, bank)

    assert computed == [changed]
    files, answer = fresh(outdir, bank, tmp_path)
    assert contents(outdir) == files and same(again, answer)


def test_a_rerun_after_a_new_candidate_lists_their_similar_answer(
        outdir: Path, bank_dir: Path, computed: list[str]) -> None:
    bank = load_bank(bank_dir)
    run(outdir, bank)
    resubmit(outdir, "dan", ORIGINAL + "\n# mine\n")
    computed.clear()

    again = run(outdir, bank)

    assert computed == [ORIGINAL + "\n# mine\n"]
    assert any("similar to dan" in line for line in again.lines_for("ada"))
    assert "dan" in (outdir / JSON).read_text(encoding="utf-8")


def test_a_rerun_after_a_known_source_was_added_to_the_bank_compares_with_it(
        outdir: Path, bank_dir: Path) -> None:
    run(outdir, load_bank(bank_dir))
    leaks = bank_dir / "known-sources" / QUESTION
    leaks.mkdir(parents=True)
    (leaks / "leaked.py").write_text(INDEPENDENT, encoding="utf-8")

    again = run(outdir, load_bank(bank_dir))

    assert any("leaked.py (known source)" in line for line in again.lines_for("cy"))
    pairs = json.loads((outdir / JSON).read_text(encoding="utf-8"))["pairs"]
    assert {"cy", "leaked.py"} in [{p["left"], p["right"]} for p in pairs]


def test_a_rerun_after_the_starter_changed_subtracts_the_new_given_code(
        outdir: Path, bank_dir: Path, tmp_path: Path) -> None:
    run(outdir, load_bank(bank_dir))
    assert run(outdir, load_bank(bank_dir)).lines_for("ada")
    question = bank_dir / f"{QUESTION}.md"
    text = question.read_text(encoding="utf-8")
    bank = load_bank(bank_dir)
    starter = bank.get(QUESTION).starter
    question.write_text(text.replace(starter.rstrip("\n"), ORIGINAL.rstrip("\n"), 1),
                        encoding="utf-8")
    changed = load_bank(bank_dir)
    assert changed.get(QUESTION).starter != starter

    again = run(outdir, changed)

    files, answer = fresh(outdir, changed, tmp_path)
    assert contents(outdir) == files and same(again, answer)
    assert not again.lines_for("ada")  # what they share is now given to everyone


@pytest.mark.parametrize("setting", ["threshold = 0.99", "threshold = 0.05",
                                     "min_fingerprints = 1000"])
def test_a_rerun_after_the_similarity_settings_changed_recomputes_the_files(
        outdir: Path, bank_dir: Path, tmp_path: Path, setting: str) -> None:
    run(outdir, load_bank(bank_dir))
    before = contents(outdir)
    (bank_dir / "bank.toml").write_text(f"[similarity]\n{setting}\n", encoding="utf-8")
    bank = load_bank(bank_dir)

    again = run(outdir, bank)

    files, answer = fresh(outdir, bank, tmp_path)
    assert contents(outdir) == files != before and same(again, answer)


def test_a_rerun_under_changed_similarity_code_computes_everything_again(
        outdir: Path, bank_dir: Path, computed: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    bank = load_bank(bank_dir)
    run(outdir, bank)
    first = len(computed)
    before = times(outdir)
    computed.clear()
    monkeypatch.setattr(cache_module, "code_digest",
                        lambda *names: f"the next version of {names}")

    run(outdir, bank)

    assert len(computed) == first > 3
    assert all(times(outdir)[name] != before[name] for name in FILES)


@pytest.mark.parametrize("damage", ["delete", "truncate", "edit"])
@pytest.mark.parametrize("name", FILES)
def test_a_similarity_file_removed_or_changed_by_hand_is_written_again(
        outdir: Path, bank_dir: Path, damage: str, name: str) -> None:
    bank = load_bank(bank_dir)
    run(outdir, bank)
    good = contents(outdir)
    target = outdir / name
    if damage == "delete":
        target.unlink()
    elif damage == "truncate":
        target.write_text(good[name][:50], encoding="utf-8")
    else:
        target.write_text(good[name].replace("ada", "ADA"), encoding="utf-8")

    run(outdir, bank)

    assert contents(outdir) == good


def test_the_cache_forgets_answers_no_longer_in_the_gradebook(
        outdir: Path, bank_dir: Path) -> None:
    import sqlite3

    bank = load_bank(bank_dir)
    run(outdir, bank)
    with closing(sqlite3.connect(outdir / CACHE)) as db:
        live = db.execute("SELECT count(*) FROM fingerprints").fetchone()[0]

    for version in range(2 * live):
        resubmit(outdir, "cy", f"{INDEPENDENT}\nprint({version})\n")
        run(outdir, bank)

    with closing(sqlite3.connect(outdir / CACHE)) as db:
        kept = db.execute("SELECT count(*) FROM fingerprints").fetchone()[0]
    assert live <= kept <= 2 * live


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(b"not a database at all" * 100),
    lambda path: path.write_bytes(b""),
    lambda path: path.unlink(),
    lambda path: _sql(path, "UPDATE fingerprints SET spans = '[[1, \"x\"]]'"),
    lambda path: _sql(path, "UPDATE fingerprints SET spans = '{\"a\": 1}'"),
    lambda path: _sql(path, "UPDATE outputs SET entry = '[]'"),
    lambda path: _sql(path, "DROP TABLE outputs"),
], ids=["garbage", "empty", "missing", "bad-lines", "not-a-list", "bad-entry", "no-table"])
def test_a_damaged_cache_costs_only_the_work_again(
        outdir: Path, bank_dir: Path, tmp_path: Path, damage: Callable[[Path], object]
        ) -> None:
    bank = load_bank(bank_dir)
    run(outdir, bank)
    resubmit(outdir, "dan", ORIGINAL + "\n# mine\n")
    damage(outdir / CACHE)

    again = run(outdir, bank)

    files, answer = fresh(outdir, bank, tmp_path)
    assert contents(outdir) == files and same(again, answer)


def _sql(path: Path, statement: str) -> None:
    import sqlite3

    with closing(sqlite3.connect(path)) as db, db:
        db.execute(statement)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(source=st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(["def f(x):", "    return x + 1", "for i in range(3):",
                              "    total += i * i", "print(f(2))", "x = [1, 2, 3]", "",
                              "# note", "class A:\n    pass", "'''doc'''"]),
             max_size=30).map("\n".join)))
def test_a_fingerprint_read_back_from_the_cache_is_the_one_computed(
        tmp_path: Path, source: str) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(exist_ok=True)
    with SimilarityCache.of(folder) as cache:
        cache.fingerprints([source])
    with SimilarityCache.of(folder) as cache:
        kept = cache.fingerprints([source])
        assert cache.computed == 0

    assert kept[source] == fingerprint(source)


@pytest.mark.parametrize("damage", [
    "UPDATE copy_lines SET lines = 'not json'",
    "UPDATE copy_lines SET lines = '[1, 2]'",
    "DELETE FROM copy_lines WHERE rowid = (SELECT min(rowid) FROM copy_lines)",
    "DROP TABLE copy_lines",
    "UPDATE outputs SET entry = json_set(entry, '$.owners', 99)",
], ids=["not-json", "not-strings", "one-missing", "no-table", "wrong-count"])
def test_damaged_copy_lines_with_unchanged_answers_are_computed_again(
        outdir: Path, bank_dir: Path, tmp_path: Path, damage: str) -> None:
    """The lines graded copies list are read from the cache a candidate at a time; a
    damaged row is found before any copy is written, and costs the work again."""
    bank = load_bank(bank_dir)
    run(outdir, bank)
    _sql(outdir / CACHE, damage)

    again = run(outdir, bank)

    files, answer = fresh(outdir, bank, tmp_path)
    assert contents(outdir) == files and same(again, answer) and again.lines_for("ada")


def test_without_a_usable_cache_the_lines_are_held_in_memory(
        outdir: Path, bank_dir: Path, tmp_path: Path) -> None:
    (outdir / CACHE).mkdir()  # not a file SQLite can open: no cache this run
    bank = load_bank(bank_dir)

    found = run(outdir, bank)

    files, answer = fresh(outdir, bank, tmp_path)
    assert isinstance(found.lines, dict)
    assert contents(outdir) == files and same(found, answer) and found.lines_for("ada")
