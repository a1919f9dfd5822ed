"""`workbook bank check` beyond decoys: accepted alternatives must be accepted, repeated
runs must agree, and the command reports mutants, completeness and its own time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.workbook.question_text import VALID_CODING, replace
from workbook.bank import load_bank
from workbook.bankcheck import Proof, prove_questions

ALTERNATIVES = '''## Accepted alternatives

### builtin-sum
Adds through the built-in sum with a start value.

```python
def add(a, b):
    return sum([b], a)
```

### operator-module
Uses operator.add.

```python
import operator

def add(a, b):
    return operator.add(a, b)
```

## Rubric
'''


def proofs_for(tmp_path: Path, text: str, **options: int) -> list[Proof]:
    (tmp_path / "add-two.md").write_text(text)
    return list(prove_questions(load_bank(tmp_path), jobs=2, **options))


def test_accepted_alternatives_are_proved_like_the_reference(tmp_path: Path) -> None:
    proofs = proofs_for(tmp_path, replace("## Rubric\n", ALTERNATIVES))
    alternatives = {p.subject: p for p in proofs if p.subject.startswith("alternative ")}
    # sum([b], a) fails on strings: sum() refuses a str start. A fair-looking answer the
    # checks reject is a bank error to resolve, and the proof says so.
    assert alternatives["alternative operator-module"].ok
    rejected = alternatives["alternative builtin-sum"]
    assert not rejected.ok
    assert "rejected by strings" in rejected.detail and "bank error" in rejected.detail


def test_a_verdict_that_changes_between_runs_fails_the_repeat_proof(tmp_path: Path) -> None:
    coin = replace("def add(a, b):\n    return a - b\n",
                   "import random\n\ndef add(a, b):\n"
                   "    return a + b if random.random() < 0.5 else a - b\n")
    steady = proofs_for(tmp_path, VALID_CODING, repeat=3)
    assert all(p.ok for p in steady)
    proofs = proofs_for(tmp_path, coin, repeat=6)
    flaky = next(p for p in proofs if p.subject == "decoy subtracts")
    assert not flaky.ok
    assert flaky.detail.startswith("verdict depends on scheduling:")
    assert " of 6 runs" in flaky.detail


def bank_check(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "add-two.md").write_text(text)
    return subprocess.run([sys.executable, "-m", "workbook", "bank", "check", "--bank",
                           str(tmp_path), *args], capture_output=True, text=True,
                          timeout=600)


def test_the_command_reports_mutants_and_its_time(tmp_path: Path) -> None:
    result = bank_check(tmp_path, VALID_CODING, "--mutants")
    assert result.returncode == 0, result.stderr
    assert "add-two" in result.stdout and "mutants:" in result.stdout
    assert "bank check took " in result.stdout


def test_complete_fails_a_question_without_rules_or_generators(tmp_path: Path) -> None:
    result = bank_check(tmp_path, VALID_CODING, "--complete")
    assert result.returncode == 1
    assert "no '## Rules' or '## Generators'" in result.stdout
    assert "Traceback" not in result.stderr


WEAK = replace("def add(a, b):\n    return a + b\n",
               "def add(a, b):\n    if a is None:\n        return 0\n    return a + b\n")
RULES = '''## Rules

### sum-of-both
The result is a plus b.

Checks: negatives, strings

## Rubric
'''


def test_pending_ok_spares_only_questions_not_yet_strengthened(tmp_path: Path) -> None:
    pending = bank_check(tmp_path, WEAK, "--mutants", "--pending-ok")
    assert pending.returncode == 0, pending.stderr
    assert "todo  add-two" in pending.stdout and "not yet strengthened" in pending.stdout
    strengthened = bank_check(tmp_path, replace("## Rubric\n", RULES, WEAK), "--mutants",
                              "--pending-ok")
    assert strengthened.returncode == 1
    assert "FAIL  add-two" in strengthened.stdout and "survivor" in strengthened.stdout


def test_sections_select_questions_and_unknown_ones_are_one_line(tmp_path: Path) -> None:
    chosen = bank_check(tmp_path, VALID_CODING, "--sections", "coding-challenges")
    assert chosen.returncode == 0 and "add-two" in chosen.stdout
    wrong = bank_check(tmp_path, VALID_CODING, "--sections", "cooking")
    assert wrong.returncode != 0
    assert wrong.stderr.strip().count("\n") == 0 and "cooking" in wrong.stderr
