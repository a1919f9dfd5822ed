"""A realistic nbgrader course notebook (problem set 1) and three students' answers to it.

Three questions: `squares` (a solution cell, then two test cells: visible asserts with
hidden tests after them, and a raise-checking cell whose hidden part uses a name the
visible part defined), `word_counts` (two solution cells, a helper and the function, a
visible test cell and a hidden-only cell building on the visible one's variables) and a
1-point `is_even`. Also an import cell and a manually graded written answer, which the
importer must report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.nbgrader_course import code_cell as _code
from bench.nbgrader_course import markdown_cell as _md
from bench.nbgrader_course import python_notebook, write_notebook

SQUARES_SOLUTION = '''\
def squares(n):
    """The first n squares, from 1."""
    ### BEGIN SOLUTION
    if n < 0:
        raise ValueError("n must not be negative")
    return [i * i for i in range(1, n + 1)]
    ### END SOLUTION'''

NORMALISE_SOLUTION = '''\
def normalise(word):
    ### BEGIN SOLUTION
    return word.strip(".,;:!?").lower()
    ### END SOLUTION'''

COUNTS_SOLUTION = '''\
def word_counts(text):
    """How often each normalised word occurs in text."""
    ### BEGIN SOLUTION
    counts = {}
    for word in text.split():
        key = normalise(word)
        if key:
            counts[key] = counts.get(key, 0) + 1
    return counts
    ### END SOLUTION'''

EVEN_SOLUTION = '''\
def is_even(n):
    ### BEGIN SOLUTION
    return n % 2 == 0
    ### END SOLUTION'''


def source_notebook() -> Any:
    cells = [
        _md("# Problem set 1\n\nAnswer every question; run the tests before you submit."),
        _code("import math", grade_id="imports", locked=True),
        _md("## Squares\n\nWrite `squares(n)`: the list of the first `n` squares "
            "(`1, 4, 9, ...`). A negative `n` raises `ValueError`.",
            grade_id="squares-prompt", locked=True),
        _code(SQUARES_SOLUTION, grade_id="squares", solution=True),
        _code("assert squares(1) == [1]\nassert squares(3) == [1, 4, 9]\n"
              "### BEGIN HIDDEN TESTS\nassert squares(0) == []\nresult = squares(10)\n"
              "assert result[-1] == 100\nassert math.isqrt(result[4]) == 5\n"
              "### END HIDDEN TESTS",
              grade_id="test-squares-values", grade=True, points=2, locked=True),
        _code("try:\n    squares(-1)\nexcept ValueError:\n    raised = True\nelse:\n"
              "    raised = False\nassert raised, 'squares(-1) must raise ValueError'\n"
              "### BEGIN HIDDEN TESTS\nbig = squares(50)\nassert len(big) == 50\n"
              "assert sum(big) == 42925\nassert raised is True\n### END HIDDEN TESTS",
              grade_id="test-squares-negative", grade=True, points=3, locked=True),
        _md("## Word counts\n\nWrite `normalise(word)` (strip punctuation, lower case) and "
            "`word_counts(text)`: a dict of how often each normalised word occurs.",
            grade_id="counts-prompt", locked=True),
        _code(NORMALISE_SOLUTION, grade_id="normalise", solution=True),
        _code(COUNTS_SOLUTION, grade_id="word-counts", solution=True),
        _code("counts = word_counts('The cat, the hat.')\n"
              "assert counts == {'the': 2, 'cat': 1, 'hat': 1}\n"
              "assert normalise('Hello!') == 'hello'",
              grade_id="test-counts-visible", grade=True, points=2, locked=True),
        _code("### BEGIN HIDDEN TESTS\nassert counts['the'] == 2\n"
              "assert word_counts('') == {}\nassert word_counts('... !!') == {}\n"
              "assert word_counts('A a A') == {'a': 3}\n### END HIDDEN TESTS",
              grade_id="test-counts-hidden", grade=True, points=2, locked=True),
        _md("## Explain\n\nIn two sentences: why does `word_counts` normalise words?",
            grade_id="explain-prompt", locked=True),
        _md("YOUR ANSWER HERE", grade_id="explain", solution=True, grade=True, points=2),
        _md("## Even numbers\n\nWrite `is_even(n)`.", grade_id="even-prompt", locked=True),
        _code(EVEN_SOLUTION, grade_id="is-even", solution=True),
        _code("assert is_even(2)\nassert not is_even(3)\n### BEGIN HIDDEN TESTS\n"
              "assert is_even(0) and is_even(-4)\n### END HIDDEN TESTS",
              grade_id="test-even", grade=True, points=1, locked=True),
    ]
    return python_notebook(cells)


def write_source(folder: Path, name: str = "ps1") -> Path:
    return write_notebook(source_notebook(), folder / f"{name}.ipynb")


#: each student's code for each solution cell (by grade_id); absent: left as released
STUDENTS: dict[str, dict[str, str]] = {
    # right everywhere
    "amal": {
        "squares": "def squares(n):\n    if n < 0:\n        raise ValueError('negative')\n"
                   "    out = []\n    for i in range(1, n + 1):\n        out.append(i ** 2)\n"
                   "    return out",
        "normalise": "def normalise(word):\n    return word.lower().strip('.,;:!?')",
        "word-counts": "from collections import Counter\n\ndef word_counts(text):\n"
                       "    return dict(Counter(w for w in map(normalise, text.split()) if w))",
        "is-even": "def is_even(n):\n    return not n % 2",
    },
    # squares forgets negatives; counts keep empty words; is_even left as released
    "bruno": {
        "squares": "def squares(n):\n    return [i * i for i in range(1, n + 1)]",
        "normalise": "def normalise(word):\n    return word.strip('.,;:!?').lower()",
        "word-counts": "def word_counts(text):\n    counts = {}\n    for w in text.split():\n"
                       "        counts[normalise(w)] = counts.get(normalise(w), 0) + 1\n"
                       "    return counts",
    },
    # squares off by one; normalise does not lower; is_even right
    "chen": {
        "squares": "def squares(n):\n    if n < 0:\n        raise ValueError\n"
                   "    return [i * i for i in range(n)]",
        "normalise": "def normalise(word):\n    return word.strip('.,;:!?')",
        "word-counts": "def word_counts(text):\n    counts = {}\n    for w in text.split():\n"
                       "        k = normalise(w)\n        if k:\n"
                       "            counts[k] = counts.get(k, 0) + 1\n    return counts",
        "is-even": "def is_even(n):\n    return n % 2 == 0",
    },
}
