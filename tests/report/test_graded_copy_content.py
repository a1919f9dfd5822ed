"""A graded copy shows the numbers and messages grading recorded, for three real submissions."""

from __future__ import annotations

import re

from tests.report.conftest import ADA_STDOUT, REPORT_DATE, SESSION, GradedCohort
from tests.report.copies import copy_notebook, part_text, question_text


def test_the_header_names_candidate_workbook_date_and_total(rendered: GradedCohort) -> None:
    header = part_text(copy_notebook(rendered.outdir, "ada"), "header")

    assert "Candidate: ada" in header
    assert re.search(r"Workbook: junior level, report test bank 1\+\w+", header)
    assert f"Date: {REPORT_DATE}" in header
    assert "Total: 10 / 11 points (90.9%)" in header


def test_the_scorecard_weighs_each_question_by_its_competencies(rendered: GradedCohort) -> None:
    scorecard = part_text(copy_notebook(rendered.outdir, "ada"), "scorecard")

    # safe-divide (3 of 3) is 2/3 fundamentals; the discussion (3 of 4) is half fundamentals
    assert "Python fundamentals (weight 15%): 3.50 / 4.00, 87.5%" in scorecard
    assert "Communication (weight 15%): 1.50 / 2.00, 75.0%" in scorecard
    assert "Domain knowledge (weight 10%): 0.00 / 0.00, no evidence" in scorecard


def test_the_overall_scorecard_uses_the_seed_weights(rendered: GradedCohort) -> None:
    header = part_text(copy_notebook(rendered.outdir, "ada"), "header")

    # (25*100 + 20*100 + 15*87.5 + 15*100 + 15*75) / 90, domain having no evidence
    assert "Weighted scorecard: 93.8%" in header


def test_the_scorecard_carries_a_chart_as_an_embedded_png(rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "ada")
    charts = [o for c in nb.cells if c.metadata.get("workbook", {}).get("part") == "scorecard"
              for o in c.outputs if "image/png" in o["data"]]

    assert len(charts) == 1
    assert charts[0]["data"]["image/png"].startswith("iVBORw0KGgo")  # PNG signature


def test_a_correct_answer_shows_its_code_every_check_passed_and_full_points(
        rendered: GradedCohort) -> None:
    text = question_text(copy_notebook(rendered.outdir, "ada"), "Running total")

    assert "points 4 / 4" in text
    assert "return list(accumulate(numbers))" in text
    for check in ("adds-up (hidden, 2/2 points)", "empty-input (hidden, 1/1 points)",
                  "one-shot-generator (hidden, 1/1 points)"):
        assert f"[pass] {check}" in text


def test_the_copy_shows_the_outputs_the_candidate_saved(rendered: GradedCohort) -> None:
    text = question_text(copy_notebook(rendered.outdir, "ada"), "Running total")

    assert ADA_STDOUT.strip() in text


def test_a_partial_answer_shows_each_failure_message_and_its_points(
        rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "ben")
    running = question_text(nb, "Running total")
    divide = question_text(nb, "Divide without crashing")

    assert "points 3 / 4" in running
    assert ("[FAIL] one-shot-generator (hidden, 0/1 points): A generator is read once and "
            "gives the same answer as a list.") in running
    assert "TypeError: object of type 'generator' has no len()" in running
    assert "points 1 / 3" in divide
    assert "[FAIL] zero-divisor (hidden, 0/2 points)" in divide
    assert "got str 'raised ZeroDivisionError'" in divide
    assert "Total: 4 / 7 points (57.1%)" in part_text(nb, "header")


def test_a_faulty_answer_shows_its_timeouts_and_costs_only_its_own_points(
        rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "cleo")
    running = question_text(nb, "Running total")

    assert "points 0 / 4" in running
    events = running.split("Events:\n", 1)[1]
    assert "- timeout: check 'adds-up' ran longer than 1 s and was stopped" in events
    assert "points 3 / 3" in question_text(nb, "Divide without crashing")
    assert "Total: 3 / 7 points (42.9%)" in part_text(nb, "header")


def test_the_interviewers_score_ticks_and_notes_appear_and_score_the_discussion(
        rendered: GradedCohort) -> None:
    text = question_text(copy_notebook(rendered.outdir, "ada"), "The shared default list")

    assert "points 3 / 4" in text  # 4 points * score 3 / 4
    assert f"Interviewer (session {SESSION}): rubric score 3 / 4" in text
    assert ("Strong signals seen:\n- Says defaults are evaluated once, when the function is "
            "defined.") in text
    assert "Uses None as the default" not in text  # signal:1 was unticked
    assert "Red flags seen:\n- Thinks each call gets a fresh list." in text
    assert "Explained definition-time evaluation; needed a hint for the fix." in text


def test_an_unscored_discussion_question_is_left_out_of_the_total(
        rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "ben")

    assert "Not scored: The shared default list" in part_text(nb, "header")
    assert "points not scored (of 4)" in question_text(nb, "The shared default list")


def test_saved_html_outputs_of_the_candidate_are_not_carried_into_the_copy(
        rendered: GradedCohort) -> None:
    nb = copy_notebook(rendered.outdir, "ada")
    html = "".join(o["data"].get("text/html", "") for c in nb.cells
                   for o in c.get("outputs", []))

    assert "tracker.example" not in html


def test_one_mistake_that_fails_several_checks_is_named_once(rendered: GradedCohort) -> None:
    running = question_text(copy_notebook(rendered.outdir, "cleo"), "Running total")
    # the loop times out in every check: one mistake, not several
    notes = [line for line in running.splitlines() if line.startswith("One mistake fails")]
    assert len(notes) == 1
    assert notes[0].endswith("the answer runs longer than 1 s.")
    divide = question_text(copy_notebook(rendered.outdir, "ben"), "Divide without crashing")
    assert "One mistake fails" not in divide  # different wrong values are not one cause
