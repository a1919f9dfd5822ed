"""nbgrader courses built for real, graded by nbgrader itself and by `workbook grade`.

Shared by the nbgrader importer's tests (`tests/importers/`) and `bench/nbgrader_bench.py`:
the cell builders of an nbgrader source notebook, an nbgrader course folder with its
students' submissions (`nbgrader generate_assignment` and `autograde`, run as commands),
the totals nbgrader's gradebook holds, and the same students' answers as returned
workbook notebooks. `course_notebook()` and `generated_students()` are the bench's
8-question course and its students.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

#: a student's code for each solution cell, by grade_id; absent: left as released
Answers = Mapping[str, str]


def nbgrader_meta(grade_id: str, *, solution: bool = False, grade: bool = False,
                  points: float = 0, locked: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade_id": grade_id, "solution": solution, "grade": grade,
                            "locked": locked, "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def code_cell(source: str, **meta: Any) -> Any:
    return nbformat.v4.new_code_cell(source, metadata=nbgrader_meta(**meta) if meta else {})


def markdown_cell(source: str, **meta: Any) -> Any:
    return nbformat.v4.new_markdown_cell(source,
                                         metadata=nbgrader_meta(**meta) if meta else {})


def python_notebook(cells: list[Any]) -> Any:
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def write_notebook(notebook: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def run_nbgrader(course: Path, *args: str, timeout: float = 1800) -> None:
    """`nbgrader ARGS --force` in the course folder, as its user runs it; raises with the
    end of its stderr when it fails."""
    # nbgrader runs `alembic` from PATH: the one installed beside this Python
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(course / ".jupyter"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course,
                          env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed: {done.stderr[-2000:]}")


def _with_answers(notebook: Any, answers: Answers) -> Any:
    copy = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    for cell in copy.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return copy


def nbgrader_course(course: Path, source: Any, students: Mapping[str, Answers],
                    assignment: str = "ps1") -> None:
    """A course folder holding `source` as assignment `assignment`, released by
    `nbgrader generate_assignment`, and each student's submission of the released
    notebook with their answers in its solution cells; ready for `autograde`."""
    write_notebook(source, course / "source" / assignment / f"{assignment}.ipynb")
    run_nbgrader(course, "generate_assignment", assignment)
    released = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb",
                             as_version=4)
    for student, answers in students.items():
        write_notebook(_with_answers(released, answers),
                       course / "submitted" / student / assignment / f"{assignment}.ipynb")


def nbgrader_totals(course: Path, students: list[str], assignment: str = "ps1"
                    ) -> dict[str, float]:
    """Each student's score in the course's nbgrader gradebook (after `autograde`)."""
    from nbgrader.api import Gradebook as NbgraderGradebook

    with NbgraderGradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s: float(gradebook.find_submission(assignment, s).score) for s in students}


def returned_workbooks(bank_dir: Path, folder: Path, students: Mapping[str, Answers],
                       questions: Mapping[str, list[str]],
                       setup: Mapping[str, str] | None = None) -> None:
    """Each student's returned workbook of the imported bank, in `folder`: every answer cell
    holds what the student wrote in that question's solution cells (`questions` maps a
    question id to its solution cells' grade_ids; `setup` code a question's answer needs
    first), or the question's starter where they wrote none."""
    from workbook.bank import load_bank
    from workbook.model import Level
    from workbook.notebook import ROLE_ANSWER, BuildOptions, build_notebook, cell_id

    bank = load_bank(bank_dir)
    template = build_notebook(bank, list(bank.questions), BuildOptions(level=Level.JUNIOR))
    answer_cells = {cell_id(q, ROLE_ANSWER): q for q in questions}
    folder.mkdir(parents=True, exist_ok=True)
    for student, answers in students.items():
        notebook = nbformat.from_dict(json.loads(nbformat.writes(template)))
        notebook.metadata["workbook"]["candidate"] = student
        for cell in notebook.cells:
            question_id = answer_cells.get(cell.get("id", ""))
            grade_ids = questions.get(question_id or "", [])
            if any(g in answers for g in grade_ids):
                prefix = (setup or {}).get(question_id or "", "")
                cell.source = prefix + "\n\n".join(answers[g] for g in grade_ids)
        nbformat.write(notebook, folder / f"{student}.ipynb")


def workbook_totals(gradebook: Path) -> dict[str, float]:
    """Each candidate's total in a workbook gradebook."""
    from grading.gradebook import Gradebook

    with Gradebook.open(gradebook) as book:
        return {r.candidate: float(r.points) for r in book.results()}


# The bench's course: eight questions in the way nbgrader courses are written, one
# solution cell each (word counts: a helper and the function), a visible test cell and a
# test cell with hidden tests, so a student can be right, wrong or partly right.

def _solution(signature: str, body: str) -> str:
    indented = "\n".join(f"    {line}" for line in body.splitlines())
    return f"{signature}\n    ### BEGIN SOLUTION\n{indented}\n    ### END SOLUTION"


#: grade_id -> (prompt, solution signature, reference body,
#:              (visible test, points), (test with hidden tests, points))
COURSE: dict[str, tuple[str, str, str, tuple[str, int], tuple[str, int]]] = {
    "squares": (
        "Write `squares(n)`: the first `n` squares from 1; a negative `n` raises ValueError.",
        "def squares(n):",
        "if n < 0:\n    raise ValueError('n must not be negative')\n"
        "return [i * i for i in range(1, n + 1)]",
        ("assert squares(3) == [1, 4, 9]", 2),
        ("try:\n    squares(-1)\nexcept ValueError:\n    raised = True\nelse:\n"
         "    raised = False\nassert raised\n### BEGIN HIDDEN TESTS\n"
         "assert squares(0) == []\nassert sum(squares(50)) == 42925\n### END HIDDEN TESTS", 3),
    ),
    "is-even": (
        "Write `is_even(n)`.",
        "def is_even(n):",
        "return n % 2 == 0",
        ("assert is_even(2)\nassert not is_even(3)", 1),
        ("### BEGIN HIDDEN TESTS\nassert is_even(0)\nassert is_even(-4)\n"
         "assert not is_even(-7)\n### END HIDDEN TESTS", 1),
    ),
    "mean": (
        "Write `mean(xs)`: the arithmetic mean as a float; 0.0 for no numbers.",
        "def mean(xs):",
        "return sum(xs) / len(xs) if xs else 0.0",
        ("assert mean([1, 2, 3]) == 2.0", 1),
        ("### BEGIN HIDDEN TESTS\nassert mean([]) == 0.0\nassert mean([5]) == 5.0\n"
         "### END HIDDEN TESTS", 2),
    ),
    "reverse-words": (
        "Write `reverse_words(text)`: its words in reverse order, one space between.",
        "def reverse_words(text):",
        "return ' '.join(reversed(text.split()))",
        ("assert reverse_words('a b c') == 'c b a'", 1),
        ("### BEGIN HIDDEN TESTS\nassert reverse_words('  one   two ') == 'two one'\n"
         "assert reverse_words('') == ''\n### END HIDDEN TESTS", 2),
    ),
    "fizzbuzz": (
        "Write `fizzbuzz(n)`: the list for 1..n, with Fizz, Buzz and FizzBuzz.",
        "def fizzbuzz(n):",
        "out = []\nfor i in range(1, n + 1):\n"
        "    out.append('FizzBuzz' if i % 15 == 0 else 'Fizz' if i % 3 == 0 "
        "else 'Buzz' if i % 5 == 0 else str(i))\nreturn out",
        ("assert fizzbuzz(5) == ['1', '2', 'Fizz', '4', 'Buzz']", 1),
        ("### BEGIN HIDDEN TESTS\nassert fizzbuzz(15)[-1] == 'FizzBuzz'\n"
         "assert fizzbuzz(30).count('FizzBuzz') == 2\n### END HIDDEN TESTS", 2),
    ),
    "is-palindrome": (
        "Write `is_palindrome(text)`, ignoring case, spaces and punctuation.",
        "def is_palindrome(text):",
        "letters = [c.lower() for c in text if c.isalnum()]\nreturn letters == letters[::-1]",
        ("assert is_palindrome('level')\nassert not is_palindrome('levels')", 1),
        ("### BEGIN HIDDEN TESTS\nassert is_palindrome('A man, a plan, a canal: Panama')\n"
         "assert is_palindrome('')\n### END HIDDEN TESTS", 2),
    ),
    "running-total": (
        "Write `running_total(xs)`: the running sums of `xs`.",
        "def running_total(xs):",
        "out, total = [], 0\nfor x in xs:\n    total += x\n    out.append(total)\nreturn out",
        ("assert running_total([1, 2, 3]) == [1, 3, 6]", 1),
        ("### BEGIN HIDDEN TESTS\nassert running_total([]) == []\n"
         "assert running_total([-1, 1]) == [-1, 0]\n### END HIDDEN TESTS", 2),
    ),
}

WORD_COUNT_HELPER = "def normalise(word):", "return word.strip('.,;:!?').lower()"
WORD_COUNT = (
    "def word_counts(text):",
    "counts = {}\nfor word in text.split():\n    key = normalise(word)\n    if key:\n"
    "        counts[key] = counts.get(key, 0) + 1\nreturn counts",
)
WORD_COUNT_TESTS = (
    ("counts = word_counts('The cat, the hat.')\n"
     "assert counts == {'the': 2, 'cat': 1, 'hat': 1}", 2),
    ("### BEGIN HIDDEN TESTS\nassert counts['the'] == 2\nassert word_counts('... !!') == {}\n"
     "assert word_counts('A a A') == {'a': 3}\n### END HIDDEN TESTS", 2),
)

#: question id after `workbook import nbgrader` of `ps1.ipynb` -> its solution cells
COURSE_QUESTIONS: dict[str, list[str]] = {
    **{f"ps1-{grade_id}": [grade_id] for grade_id in COURSE},
    "ps1-normalise": ["normalise", "word-counts"],
}


def course_notebook() -> Any:
    """The 8-question source notebook (with solutions)."""
    cells = [markdown_cell("# Problem set 1\n\nAnswer every question; run the tests.")]
    for grade_id, (prompt, signature, body, visible, hidden) in COURSE.items():
        cells += [markdown_cell(f"## {grade_id}\n\n{prompt}", grade_id=f"{grade_id}-prompt",
                                locked=True),
                  code_cell(_solution(signature, body), grade_id=grade_id, solution=True)]
        for suffix, (test, points) in (("visible", visible), ("hidden", hidden)):
            cells.append(code_cell(test, grade_id=f"test-{grade_id}-{suffix}", grade=True,
                                   points=points, locked=True))
        if grade_id == "is-even":  # the two-solution-cell question, in the middle
            cells += [markdown_cell("## Word counts\n\nWrite `normalise(word)` and "
                                    "`word_counts(text)`.", grade_id="counts-prompt",
                                    locked=True),
                      code_cell(_solution(*WORD_COUNT_HELPER), grade_id="normalise",
                                solution=True),
                      code_cell(_solution(*WORD_COUNT), grade_id="word-counts",
                                solution=True)]
            for suffix, (test, points) in zip(("visible", "hidden"), WORD_COUNT_TESTS,
                                              strict=True):
                cells.append(code_cell(test, grade_id=f"test-counts-{suffix}", grade=True,
                                       points=points, locked=True))
    return python_notebook(cells)


#: grade_id -> (another right answer, a wrong one, one that passes the visible test only)
VARIANTS: dict[str, tuple[str, str, str]] = {
    "squares": (
        "def squares(n):\n    if n < 0:\n        raise ValueError(n)\n    out = []\n"
        "    for i in range(1, n + 1):\n        out.append(i ** 2)\n    return out",
        "def squares(n):\n    return [i * i for i in range(n)]",
        "def squares(n):\n    return [i * i for i in range(1, n + 1)]",
    ),
    "is-even": (
        "def is_even(n):\n    return not n % 2",
        "def is_even(n):\n    return n % 2 == 1",
        "def is_even(n):\n    return n % 2 == 0 and n > 0",
    ),
    "mean": (
        "def mean(xs):\n    if not xs:\n        return 0.0\n    return float(sum(xs)) / len(xs)",
        "def mean(xs):\n    return sum(xs) / (len(xs) + 1)",
        "def mean(xs):\n    return sum(xs) / len(xs)",
    ),
    "reverse-words": (
        "def reverse_words(text):\n    words = text.split()\n    words.reverse()\n"
        "    return ' '.join(words)",
        "def reverse_words(text):\n    return ' '.join(text.split())",
        "def reverse_words(text):\n    return ' '.join(reversed(text.split(' ')))",
    ),
    "fizzbuzz": (
        "def fizzbuzz(n):\n    def word(i):\n        s = ('Fizz' if i % 3 == 0 else '') + "
        "('Buzz' if i % 5 == 0 else '')\n        return s or str(i)\n"
        "    return [word(i) for i in range(1, n + 1)]",
        "def fizzbuzz(n):\n    return [str(i) for i in range(1, n + 1)]",
        "def fizzbuzz(n):\n    return ['Fizz' if i % 3 == 0 else 'Buzz' if i % 5 == 0 "
        "else 'FizzBuzz' if i % 15 == 0 else str(i) for i in range(1, n + 1)]",
    ),
    "is-palindrome": (
        "def is_palindrome(text):\n    s = ''.join(c for c in text.lower() if c.isalnum())\n"
        "    return s == s[::-1]",
        "def is_palindrome(text):\n    return len(text) > 0",
        "def is_palindrome(text):\n    return text == text[::-1]",
    ),
    "running-total": (
        "import itertools\n\ndef running_total(xs):\n"
        "    return list(itertools.accumulate(xs))",
        "def running_total(xs):\n    return [sum(xs)] * len(xs)",
        "def running_total(xs):\n    out = [xs[0]]\n    for x in xs[1:]:\n"
        "        out.append(out[-1] + x)\n    return out",
    ),
}

WORD_COUNT_VARIANTS: tuple[dict[str, str], dict[str, str], dict[str, str]] = (
    {"normalise": "def normalise(word):\n    return word.lower().strip('.,;:!?')",
     "word-counts": "from collections import Counter\n\ndef word_counts(text):\n"
                    "    return dict(Counter(w for w in map(normalise, text.split()) if w))"},
    {"normalise": "def normalise(word):\n    return word",
     "word-counts": "def word_counts(text):\n    return {w: 1 for w in text.split()}"},
    {"normalise": "def normalise(word):\n    return word.strip('.,;:!?').lower()",
     "word-counts": "def word_counts(text):\n    counts = {}\n    for w in text.split():\n"
                    "        counts[normalise(w)] = counts.get(normalise(w), 0) + 1\n"
                    "    return counts"},
)


def generated_students(count: int, seed: int = 13) -> dict[str, dict[str, str]]:
    """`count` students answering each question right, wrong, partly right (the visible
    test passes, the hidden one fails) or not at all, drawn with a fixed seed; the first
    four answer every question one way each, so every kind is graded."""
    rng = random.Random(seed)
    kinds = ("right", "wrong", "partial", "none")
    students: dict[str, dict[str, str]] = {}
    for number in range(count):
        answers: dict[str, str] = {}
        for grade_id in [*COURSE, "word-counts"]:
            kind = kinds[number] if number < len(kinds) else rng.choice(kinds)
            if kind == "none":
                continue
            index = kinds.index(kind)
            if grade_id == "word-counts":
                answers.update(WORD_COUNT_VARIANTS[index])
            else:
                answers[grade_id] = VARIANTS[grade_id][index]
        students[f"student-{number + 1:03d}"] = answers
    return students
