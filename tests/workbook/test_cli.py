"""The `workbook` command as a user meets it: clear help, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.workbook.question_text import VALID_CODING, replace


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each command in a folder of its own: `build --for candidate` issues into
    ./out/gradebook.sqlite by default, which must not land in the checkout."""
    monkeypatch.chdir(tmp_path)


def workbook(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbook", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


@pytest.mark.parametrize("args", [[], ["build"], ["bank"], ["bank", "list"], ["bank", "show"]])
def test_help_is_available_for_every_command(args: list[str]) -> None:
    result = workbook(*args, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: workbook")


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_bad_flag_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(workbook("build", "--level", "guru", "-o", str(tmp_path / "x.ipynb")),
                          "--level", "guru", "junior")


def test_unknown_option_is_one_line() -> None:
    assert_one_line_error(workbook("bank", "list", "--colour"), "--colour")


def test_bad_question_file_is_one_line_naming_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "add-two.md").write_text(replace('level = "junior"', 'level = "guru"'))
    result = workbook("bank", "list", "--bank", str(tmp_path))
    assert_one_line_error(result, "add-two.md:5", "field 'level'")


def test_bank_variable_points_commands_at_another_bank(tmp_path: Path) -> None:
    (tmp_path / "add-two.md").write_text(VALID_CODING)
    result = workbook("bank", "list", "--format", "json", env={"WORKBOOK_BANK": str(tmp_path)})
    assert result.returncode == 0
    assert [q["id"] for q in json.loads(result.stdout)] == ["add-two"]


def test_bank_list_json_has_the_documented_keys() -> None:
    records = json.loads(workbook("bank", "list", "--format", "json").stdout)
    assert records
    for record in records:
        assert set(record) >= {"id", "title", "section", "level", "kind", "points",
                               "hidden_checks", "decoys"}
        assert record["kind"] in ("coding", "discussion")


def test_bank_show_prints_hidden_parts_for_authors(shipped_bank) -> None:  # type: ignore[no-untyped-def]
    question = next(q for q in shipped_bank.questions if q.is_coding)
    out = workbook("bank", "show", question.id).stdout
    assert question.hidden_checks[0].name in out
    assert question.decoys[0].note in out


def test_bank_show_prints_properties_rules_alternatives_and_equivalents() -> None:
    shown = workbook("bank", "show", "ds-merge-intervals").stdout
    for heading in ("## Generated-input properties", "## Accepted alternatives", "## Rules",
                    "## Equivalent mutants"):
        assert heading in shown
    assert "- merges-like-reference (3 pts, draws bookings)" in shown


def test_bank_show_unknown_id_is_one_line() -> None:
    assert_one_line_error(workbook("bank", "show", "no-such-id"), "no-such-id")


def test_build_writes_a_valid_notebook(tmp_path: Path, shipped_bank) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "nested" / "junior.ipynb"
    result = workbook("build", "--level", "junior", "--seed", "4", "--for", "interviewer",
                      "-o", str(out))
    assert result.returncode == 0, result.stderr
    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["workbook"]["copy"] == "interviewer"
    assert nb.metadata["workbook"]["seed"] == 4


def test_build_with_questions_picks_exactly_those(tmp_path: Path, shipped_bank) -> None:  # type: ignore[no-untyped-def]
    wanted = list(shipped_bank.ids[:2])
    out = tmp_path / "pick.ipynb"
    assert workbook("build", "--level", "junior", "--questions", ",".join(wanted), "-o",
                    str(out)).returncode == 0
    assert nbformat.read(out, as_version=4).metadata["workbook"]["questions"] == wanted


def test_a_candidate_copy_is_issued_into_the_default_gradebook(tmp_path: Path) -> None:
    result = workbook("build", "--level", "junior", "-o", str(tmp_path / "take-home.ipynb"))

    assert result.returncode == 0, result.stderr
    ident = nbformat.read(tmp_path / "take-home.ipynb",
                          as_version=4).metadata["workbook"]["assignment"]
    assert f"issued assignment {ident} in out/gradebook.sqlite" in result.stdout
    assert (tmp_path / "out" / "gradebook.sqlite").exists()


def test_build_with_questions_needs_no_level(tmp_path: Path, shipped_bank) -> None:  # type: ignore[no-untyped-def]
    by_level = {q.level.value: q.id for q in shipped_bank.questions}
    wanted = [by_level["junior"], by_level["senior"], by_level["middle"]]
    out = tmp_path / "pick.ipynb"
    result = workbook("build", "--questions", ",".join(wanted), "-o", str(out))
    assert result.returncode == 0, result.stderr
    meta = nbformat.read(out, as_version=4).metadata["workbook"]
    assert (meta["questions"], meta["level"]) == (wanted, "senior")  # the highest named


def test_build_without_level_or_questions_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(workbook("build", "-o", str(tmp_path / "x.ipynb")), "--level")


def test_build_refuses_an_output_that_is_not_ipynb(tmp_path: Path) -> None:
    assert_one_line_error(workbook("build", "--level", "junior", "-o", str(tmp_path / "x.txt")),
                          ".ipynb")
