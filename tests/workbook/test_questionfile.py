"""Loading a question file: a valid one parses; each kind of mistake gets one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workbook.question_text import VALID_CODING, replace
from workbook.bank import load_bank
from workbook.errors import BankError, QuestionFileError
from workbook.model import Kind, Level
from workbook.questionfile import parse_question, read_question


def test_valid_coding_question_parses_every_field() -> None:
    q = parse_question(VALID_CODING, "add-two.md")
    assert (q.id, q.section, q.level, q.kind) == ("add-two", "coding-challenges", Level.JUNIOR,
                                                  Kind.CODING)
    assert q.starter.startswith("def add(a, b):")
    assert "return a + b" in q.reference
    assert [(c.name, c.points) for c in q.hidden_checks] == [("negatives", 2), ("strings", 1)]
    assert q.hidden_checks[0].description == "Negative numbers add up."
    assert [d.name for d in q.decoys] == ["subtracts", "ints-only"]
    assert q.decoys[0].note == "Uses minus instead of plus."
    assert q.rubric.scores[4] == "works, explains and tests"
    assert q.competencies == {"fundamentals": 1.0}


def test_hash_comment_inside_code_is_not_a_heading() -> None:
    text = replace("    return a + b\n", "## not a heading\n    return a + b\n")
    assert "## not a heading" in parse_question(text).reference


def error_for(text: str) -> QuestionFileError:
    with pytest.raises(QuestionFileError) as caught:
        parse_question(text, "q.md")
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "words"),
    [
        ('level = "junior"', 'level = "guru"', "level", 5, "not one of: junior, middle, senior"),
        ('section = "coding-challenges"', 'section = "cooking"', "section", 4, "not one of"),
        ('kind = "coding"', 'kind = "quiz"', "kind", 6, "not one of: coding, discussion"),
        ('id = "add-two"', 'id = "Add Two"', "id", 2, "lower-case"),
        ("points = 3", 'points = "three"', "points", 7, "whole number"),
        ("points = 3", "points = 4", "points", 7, "hidden checks and properties add up to 3"),
        ("minutes = 5", "minutes = 0", "minutes", 8, "at least 1"),
        ("fundamentals = 1", "charisma = 1", "competencies.charisma", 11, "unknown competency"),
        ("fundamentals = 1", "fundamentals = -1", "competencies.fundamentals", 11, "positive"),
        ('title = "Add two numbers"', 'title = "Add"\ncolour = "red"', "colour", 4,
         "unknown front-matter field"),
        ("### negatives (2 points)", "### Negatives!", "hidden_checks", 40,
         "'### name (N points)'"),
        ("    return a + b\n", "    return a +\n", "reference", 29, "syntax error"),
        ("### Red flags", "### Warnings", "rubric", 77, "unknown rubric part"),
        ("- 4: works, explains and tests\n", "", "rubric.scores", 83, "missing 4"),
        ("Uses minus instead of plus.\n", "", "decoys.subtracts", 56, "one-line note"),
        ("```python\ndef add(a, b):\n    return a - b\n```", "", "decoys.subtracts", 56,
         "code block"),
        ("## Prompt", "## Question", "body", 14, "unknown heading"),
    ],
)
def test_each_mistake_names_file_line_and_field(old: str, new: str, field: str, line: int,
                                                words: str) -> None:
    error = error_for(replace(old, new))
    assert (error.field, error.line) == (field, line)
    assert words in error.problem
    assert str(error).startswith(f"q.md:{line}: field '{field}'")
    assert "\n" not in str(error)


def test_broken_toml_reports_the_line_in_the_file() -> None:
    error = error_for(replace('title = "Add two numbers"', 'title = "Add two numbers'))
    assert (error.field, error.line) == ("front matter", 3)


def test_missing_front_matter_is_refused() -> None:
    assert error_for("## Prompt\nhi\n").field == "front matter"


def test_unclosed_code_block_is_refused() -> None:
    assert "never closed" in error_for(VALID_CODING.rsplit("```", 1)[0]).problem


def test_coding_question_without_hidden_checks_is_refused() -> None:
    start = VALID_CODING.index("### negatives")
    end = VALID_CODING.index("## Decoys")
    error = error_for(VALID_CODING[:start] + VALID_CODING[end:])
    assert error.field == "hidden_checks"


def test_coding_question_with_one_decoy_is_refused() -> None:
    start = VALID_CODING.index("### ints-only")
    end = VALID_CODING.index("## Rubric")
    error = error_for(VALID_CODING[:start] + VALID_CODING[end:])
    assert error.field == "decoys"
    assert "at least 2 decoys, found 1" in error.problem


def test_discussion_question_may_not_carry_code() -> None:
    error = error_for(replace('kind = "coding"', 'kind = "discussion"'))
    assert error.field == "starter"
    assert "discussion question has no code" in error.problem


def test_missing_rubric_section_is_named() -> None:
    error = error_for(VALID_CODING[:VALID_CODING.index("## Rubric")])
    assert error.field == "rubric"


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(b"+++\n\xff\xfe\n")
    with pytest.raises(QuestionFileError, match="not UTF-8"):
        read_question(path)


def test_bank_refuses_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "one.md").write_text(VALID_CODING)
    (tmp_path / "two.md").write_text(VALID_CODING)
    with pytest.raises(QuestionFileError, match="duplicate id 'add-two'"):
        load_bank(tmp_path)


def test_bank_refuses_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="no question files"):
        load_bank(tmp_path)


def test_bank_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="bank folder not found"):
        load_bank(tmp_path / "nowhere")


def test_bank_version_changes_when_a_file_changes(tmp_path: Path) -> None:
    (tmp_path / "q.md").write_text(VALID_CODING)
    before = load_bank(tmp_path).version
    (tmp_path / "q.md").write_text(replace("Write `add(a, b)`", "Write `add(a, b)` please"))
    assert load_bank(tmp_path).version != before


def test_every_shipped_question_loads(shipped_bank) -> None:  # type: ignore[no-untyped-def]
    assert len(shipped_bank.questions) >= 60
    assert sum(q.is_coding for q in shipped_bank.questions) >= 30


def test_checks_may_use_top_level_await() -> None:
    text = replace('add(-4, -5)\n', 'import asyncio\nawait asyncio.sleep(0)\nadd(-4, -5)\n')
    assert "await asyncio.sleep(0)" in parse_question(text).hidden_checks[0].code


def test_prompt_keeps_its_code_examples() -> None:
    text = replace("Write `add(a, b)` returning the sum.\n",
                   "Write `add(a, b)` returning the sum:\n\n```python\nadd(1, 2)  # 3\n```\n")
    assert "```python\nadd(1, 2)  # 3\n```" in parse_question(text).prompt


def test_known_good_code_is_remembered_and_a_new_syntax_error_still_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    (bank_dir / "add-two.md").write_text(VALID_CODING)
    load_bank(bank_dir)
    remembered = (tmp_path / "cache" / "interview-workbook" / "parsed-code.txt").read_text()
    assert len(remembered.split()) == 7  # starter, reference, public, 2 checks, 2 decoys
    (bank_dir / "add-two.md").write_text(replace("    return a + b\n", "    return a +\n"))
    with pytest.raises(QuestionFileError, match="syntax error"):
        load_bank(bank_dir)
