"""Reading returned notebooks and matching their answer cells, tampered or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.results import EventKind, SubmissionStatus
from grading.submission import (
    MatchedAnswers,
    NotebookFile,
    Refusal,
    match_answers,
    read_notebook,
)
from tests.grading.notebooks import answer_cell, cell_index, workbook_json, write
from workbook.model import Bank
from workbook.notebook import ROLE_ANSWER, ROLE_PUBLIC_CHECK, cell_id
from workbook.tasks import tasks_for

CLAMP = "def clamp(value, low, high):\n    return max(low, min(value, high))\n"
DEDUPE = "def dedupe(items):\n    return list(dict.fromkeys(items))\n"


def answer_id(task_id: str) -> str:
    return cell_id(task_id, ROLE_ANSWER)


def read_ok(path: Path) -> NotebookFile:
    notebook = read_notebook(path)
    assert isinstance(notebook, NotebookFile), notebook
    return notebook


def match(bank: Bank, path: Path) -> MatchedAnswers:
    return match_answers(read_ok(path), tasks_for(bank.questions), answer_cell_id=answer_id)


def answers_by_task(matched: MatchedAnswers) -> dict[str, str]:
    return {answer.task_id: answer.code for answer in matched.answers}


def notes_text(matched: MatchedAnswers) -> str:
    assert all(note.kind is EventKind.INTEGRITY for note in matched.notes)
    return "\n".join(note.detail for note in matched.notes)


def answered(bank: Bank) -> dict[str, object]:
    return workbook_json(bank, list(bank.questions),
                         answers={"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE})


def test_untouched_workbook_matches_each_answer_cell_by_metadata_without_notes(
        grading_bank: Bank, tmp_path: Path) -> None:
    matched = match(grading_bank, write(tmp_path / "ann.ipynb", answered(grading_bank)))

    assert answers_by_task(matched) == {"clamp-value": CLAMP,
                                        "dedupe-keep-order": DEDUPE}
    assert [a.cell_id for a in matched.answers] == [answer_id("clamp-value"),
                                                    answer_id("dedupe-keep-order")]
    assert matched.notes == ()


def test_only_coding_questions_become_answers(grading_bank: Bank, tmp_path: Path) -> None:
    matched = match(grading_bank, write(tmp_path / "ann.ipynb", answered(grading_bank)))

    assert "logging-levels" not in answers_by_task(matched)


def test_deleted_answer_cell_is_restored_from_the_starter_and_noted(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    data["cells"].remove(answer_cell(data, "clamp-value"))

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert answers_by_task(matched)["clamp-value"] == grading_bank.get("clamp-value").starter
    assert answers_by_task(matched)["dedupe-keep-order"] == DEDUPE
    assert "clamp-value is missing (deleted); restored the starter" in notes_text(matched)
    assert [n.task_id for n in matched.notes] == ["clamp-value"]


def test_duplicated_answer_cell_grades_the_last_copy_and_notes_it(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    first = answer_cell(data, "clamp-value")
    first["source"] = "def clamp(value, low, high):\n    return 0\n"
    copy = {**first, "id": "pasted-copy", "source": CLAMP}
    data["cells"].insert(data["cells"].index(first) + 1, copy)

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert answers_by_task(matched)["clamp-value"] == CLAMP
    assert matched.answers[0].cell_id == "pasted-copy"
    assert "2 answer cells for clamp-value (duplicated)" in notes_text(matched)
    assert "extra code cell" not in notes_text(matched)


def test_reordered_answer_cells_are_matched_by_question_and_noted(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    clamp_cell = data["cells"].pop(cell_index(data, "clamp-value", ROLE_ANSWER))
    data["cells"].append(clamp_cell)

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert answers_by_task(matched)["clamp-value"] == CLAMP
    assert answers_by_task(matched)["dedupe-keep-order"] == DEDUPE
    assert "not in the order the notebook was built with" in notes_text(matched)


def test_answer_cell_without_its_metadata_tag_is_found_by_cell_id(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    answer_cell(data, "dedupe-keep-order")["metadata"] = {}

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert answers_by_task(matched)["dedupe-keep-order"] == DEDUPE
    assert "lost its metadata tag; found it by cell id" in notes_text(matched)


def test_reidentified_answer_cell_is_found_by_the_names_its_starter_defines(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    cell = answer_cell(data, "dedupe-keep-order")
    cell["metadata"], cell["id"] = {}, "my-own-cell"

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert answers_by_task(matched)["dedupe-keep-order"] == DEDUPE
    assert matched.answers[1].cell_id == "my-own-cell"
    assert "re-identified" in notes_text(matched)
    assert "found it by content in cell my-own-cell" in notes_text(matched)


def test_extra_code_cells_are_not_answers_and_the_note_says_they_were_not_run(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    data["cells"].append({"cell_type": "code", "id": "scratch", "metadata": {},
                          "source": "helper = 41 + 1", "outputs": [],
                          "execution_count": None})
    data["cells"].append({"cell_type": "markdown", "id": "thoughts", "metadata": {},
                          "source": "my thoughts"})

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert "helper" not in "".join(answers_by_task(matched).values())
    assert "1 extra code cell(s) (cell scratch) were not run" in notes_text(matched)


def test_edited_public_check_cell_is_ignored_and_noted(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    data["cells"][cell_index(data, "clamp-value", ROLE_PUBLIC_CHECK)]["source"] = \
        "print('All public checks passed')"

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert "public-check cell for clamp-value was edited" in notes_text(matched)
    assert answers_by_task(matched)["clamp-value"] == CLAMP


def test_removed_public_check_cell_is_noted(grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    del data["cells"][cell_index(data, "dedupe-keep-order", ROLE_PUBLIC_CHECK)]

    matched = match(grading_bank, write(tmp_path / "ann.ipynb", data))

    assert "public-check cell for dedupe-keep-order was removed" in notes_text(matched)


def test_nbformat_3_notebook_is_converted_matched_and_noted(
        grading_bank: Bank, tmp_path: Path) -> None:
    import nbformat

    v4 = nbformat.from_dict(answered(grading_bank))
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(nbformat.convert(v4, 3)), encoding="utf-8")

    notebook = read_ok(path)
    matched = match_answers(notebook, tasks_for(grading_bank.questions),
                            answer_cell_id=answer_id)

    assert "saved in nbformat 3; converted to nbformat 4" in notebook.notes[0].detail
    assert answers_by_task(matched)["clamp-value"] == CLAMP
    assert answers_by_task(matched)["dedupe-keep-order"] == DEDUPE


def _old_format(bank: Bank, path: Path, candidate: str | None = None) -> Path:
    import nbformat

    data = workbook_json(bank, list(bank.questions), candidate=candidate,
                         answers={"clamp-value": CLAMP, "dedupe-keep-order": DEDUPE})
    path.write_text(nbformat.writes(nbformat.convert(nbformat.from_dict(data), 3)),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("candidate", [None, "ada@example.com", "  zoë  "])
def test_an_old_format_notebook_the_gradebook_holds_is_known_without_its_cells(
        grading_bank: Bank, tmp_path: Path, candidate: str | None) -> None:
    path = _old_format(grading_bank, tmp_path / "old.ipynb", candidate)
    full = read_ok(path)

    known = read_notebook(path, known={full.content_hash}.__contains__)

    assert isinstance(known, NotebookFile)
    assert (known.content_hash, known.candidate) == (full.content_hash, full.candidate)
    assert known.cells == () and full.cells


def test_an_old_format_notebook_the_gradebook_lacks_is_converted_in_full(
        grading_bank: Bank, tmp_path: Path) -> None:
    path = _old_format(grading_bank, tmp_path / "old.ipynb")
    asked: list[str] = []

    def known(content_hash: str) -> bool:
        asked.append(content_hash)
        return False

    notebook = read_notebook(path, known=known)

    assert isinstance(notebook, NotebookFile)
    assert asked == [notebook.content_hash]
    assert "converted to nbformat 4" in notebook.notes[0].detail
    assert any(cell.source == CLAMP for cell in notebook.cells)


def test_knowing_an_old_format_notebook_imports_no_nbformat(
        grading_bank: Bank, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = _old_format(grading_bank, tmp_path / "old.ipynb")
    script = (f"import sys\nfrom pathlib import Path\n"
              f"from grading.submission import read_notebook\n"
              f"read = read_notebook(Path({str(path)!r}), known=lambda _hash: True)\n"
              f"assert read.cells == (), read\n"
              f"print(sorted(m for m in sys.modules if m.split('.')[0] in "
              f"('nbformat', 'jsonschema')))\n")

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])

    assert done.stdout.strip() == "[]"


def test_candidate_is_named_by_the_notebook_metadata_when_present(
        grading_bank: Bank, tmp_path: Path) -> None:
    path = write(tmp_path / "upload-17.ipynb",
                 workbook_json(grading_bank, list(grading_bank.questions),
                               candidate="ada@example.com"))

    assert read_ok(path).candidate == "ada@example.com"


def test_candidate_is_the_file_stem_otherwise(grading_bank: Bank, tmp_path: Path) -> None:
    path = write(tmp_path / "grace.ipynb", answered(grading_bank))

    assert read_ok(path).candidate == "grace"


def test_identical_files_from_two_candidates_are_two_submissions(
        grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)

    first = read_ok(write(tmp_path / "one.ipynb", data))
    second = read_ok(write(tmp_path / "two.ipynb", data))

    assert first.content_hash != second.content_hash


def test_the_hash_changes_with_the_content(grading_bank: Bank, tmp_path: Path) -> None:
    data = answered(grading_bank)
    before = read_ok(write(tmp_path / "one.ipynb", data)).content_hash
    answer_cell(data, "clamp-value")["source"] = "pass"

    assert read_ok(write(tmp_path / "one.ipynb", data)).content_hash != before


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "is empty"),
    (b"  \n", "is empty"),
    (b'{"cells": [', "is not valid JSON (Expecting value: line 1, column 12)"),
    (b"\xff\xfe\x00garbage", "not a notebook"),
    (b"[1, 2, 3]", "is JSON but not a Jupyter notebook (no 'nbformat' field)"),
    (b'{"hello": "world"}', "is JSON but not a Jupyter notebook (no 'nbformat' field)"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}).encode(),
     "was not built by workbook (no metadata.workbook)"),
    (json.dumps({"nbformat": 9, "nbformat_minor": 0, "metadata": {}, "cells": []}).encode(),
     "is in nbformat 9, which cannot be converted to nbformat 4"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"workbook": {}},
                 "cells": "none"}).encode(), "has no list of cells"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"workbook": {}},
                 "cells": [{"source": "x"}]}).encode(), "cell #1 is not a notebook cell"),
], ids=["empty", "blank", "invalid-json", "binary", "json-list", "json-object",
        "foreign-notebook", "future-nbformat", "cells-not-a-list", "cell-without-type"])
def test_files_that_cannot_be_graded_are_refused_with_a_one_line_reason_naming_them(
        tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "zoe.ipynb"
    path.write_bytes(content)

    refusal = read_notebook(path)

    assert isinstance(refusal, Refusal)
    assert refusal.reason.startswith(f"{path}: ")
    assert reason in refusal.reason
    assert "\n" not in refusal.reason
    assert refusal.candidate == "zoe"


def test_a_folder_given_as_a_notebook_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like.ipynb"
    folder.mkdir()

    refusal = read_notebook(folder)

    assert isinstance(refusal, Refusal)
    assert "cannot be read" in refusal.reason


def test_a_refusal_becomes_a_refused_result_carrying_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "zoe.ipynb"
    path.write_bytes(b"")
    refusal = read_notebook(path)
    assert isinstance(refusal, Refusal)

    result = refusal.as_result()

    assert result.status is SubmissionStatus.REFUSED
    assert result.events[0].detail == refusal.reason
    assert result.tasks == ()


_LINE_BREAKING = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stem=st.text(st.characters(codec="utf-8", exclude_characters="/\x00"),
                    min_size=1, max_size=40).filter(lambda s: s not in (".", ".."))
       .map(lambda s: s + "\n") | st.sampled_from(["\n", "a\rb", "\u2028x", "\x1b[31mred",
                                                     "tab\there", "\x85"]),
       content=st.sampled_from([b"", b"{", b"[1]", b"\xff"]))
def test_a_file_name_with_control_characters_still_gives_a_one_line_reason(
        tmp_path: Path, stem: str, content: bytes) -> None:
    path = tmp_path / f"{stem}.ipynb"
    path.write_bytes(content)

    refusal = read_notebook(path)

    assert isinstance(refusal, Refusal)
    assert not any(char in refusal.reason for char in _LINE_BREAKING), refusal.reason
    shown = refusal.reason.split(": ", 1)[0]
    assert shown.endswith(".ipynb") and str(tmp_path) in shown
    # the escapes keep the name recognisable: a newline is shown, not dropped
    assert ("\\n" in shown) == ("\n" in stem)
    assert refusal.as_result().reason == refusal.reason
