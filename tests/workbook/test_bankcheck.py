"""`workbook bank check` proves questions through the real engine and catches unsound ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.workbook.question_text import VALID_CODING, replace
from workbook.bank import load_bank
from workbook.bankcheck import Proof, prove_questions

# The "decoy" adds correctly, so no hidden check can catch it.
DECOY_THAT_IS_RIGHT = replace("    return int(a) + int(b)\n", "    return a + b\n")
CHECK_THAT_RAISES = replace('add("a", "b")\n', 'add("a", "b")\nundefined_name\n')
REFERENCE_THAT_RAISES = replace("    return a + b\n```\n\n## Public",
                                "    return a + b\n\nraise RuntimeError('oops')\n```\n\n## Public")


def proofs_for(tmp_path: Path, text: str) -> list[Proof]:
    (tmp_path / "add-two.md").write_text(text)
    return list(prove_questions(load_bank(tmp_path), jobs=2))


def outcome(proofs: list[Proof]) -> dict[str, bool]:
    return {proof.subject: proof.ok for proof in proofs}


def test_a_sound_question_proves_reference_starter_and_every_decoy(tmp_path: Path) -> None:
    proofs = proofs_for(tmp_path, VALID_CODING)
    assert outcome(proofs) == {"reference": True, "starter": True, "decoy subtracts": True,
                               "decoy ints-only": True}
    decoy = next(p for p in proofs if p.subject == "decoy ints-only")
    assert decoy.detail == "caught by strings"
    assert decoy.public_passed


def test_a_decoy_that_passes_every_hidden_check_is_a_failed_proof(tmp_path: Path) -> None:
    proofs = proofs_for(tmp_path, DECOY_THAT_IS_RIGHT)
    assert outcome(proofs)["decoy ints-only"] is False
    assert "passes every hidden check" in proofs[-1].detail


def test_a_check_that_raises_on_the_reference_is_a_failed_proof(tmp_path: Path) -> None:
    reference = proofs_for(tmp_path, CHECK_THAT_RAISES)[0]
    assert (reference.subject, reference.ok) == ("reference", False)
    assert "raises in strings (NameError" in reference.detail


def test_a_reference_that_cannot_run_is_a_failed_proof_not_a_crash(tmp_path: Path) -> None:
    proofs = proofs_for(tmp_path, REFERENCE_THAT_RAISES)
    assert [(p.subject, p.ok) for p in proofs] == [("reference", False)]
    assert "RuntimeError" in proofs[0].detail


@pytest.mark.parametrize(("text", "code"), [(VALID_CODING, 0), (DECOY_THAT_IS_RIGHT, 1)])
def test_the_command_exits_non_zero_on_any_failed_proof(tmp_path: Path, text: str,
                                                        code: int) -> None:
    (tmp_path / "add-two.md").write_text(text)
    result = subprocess.run([sys.executable, "-m", "workbook", "bank", "check", "--bank",
                             str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert "add-two" in result.stdout
