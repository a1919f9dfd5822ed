"""The sections that make verdicts hold for unforeseen answers: generators and their
properties, accepted alternatives, rules mapped to checks, equivalent mutants."""

from __future__ import annotations

import pytest

from tests.workbook.question_text import replace
from workbook.errors import QuestionFileError
from workbook.questionfile import parse_question

EXTRA = '''
## Generators

```python
from hypothesis import strategies as st

small = st.integers(-50, 50)
words = st.text(max_size=3)
```

### sums-like-reference (2 points)
Any two small numbers add up as the reference adds them.

```python
add(small, small + 1)
```

### joins-words (1 point, exact types)
Strings concatenate.

```python
result = add(words, "x")
(type(result).__name__, result)
```

## Accepted alternatives

### operator-module
Uses operator.add.

```python
import operator

def add(a, b):
    return operator.add(a, b)
```

## Rules

### sum-of-both
The result is a plus b, for negative numbers too.

Checks: negatives, sums-like-reference

### any-addable-type
Works for any type with +.
Checks: strings, joins-words

## Equivalent mutants

### compare-3f9a1c2b
The mutated line only runs for inputs the prompt rules out,
so no answer can tell it apart.
'''


def with_sections(text: str = EXTRA) -> str:
    base = replace("points = 3", "points = 6")
    return replace("## Rubric\n", text.lstrip("\n") + "\n## Rubric\n", base)


def error_for(text: str) -> QuestionFileError:
    with pytest.raises(QuestionFileError) as caught:
        parse_question(text, "q.md")
    return caught.value


def test_every_new_section_parses_into_the_question() -> None:
    q = parse_question(with_sections(), "q.md")
    assert "st.integers(-50, 50)" in q.generators
    assert [(p.name, p.points, p.exact_types, p.inputs) for p in q.properties] == [
        ("sums-like-reference", 2, False, ("small",)),
        ("joins-words", 1, True, ("words",))]
    assert q.properties[0].description == "Any two small numbers add up as the reference adds them."
    assert q.hidden_points == q.points == 6
    assert [(a.name, a.note) for a in q.alternatives] == [("operator-module",
                                                           "Uses operator.add.")]
    assert "operator.add(a, b)" in q.alternatives[0].code
    assert [(r.name, r.checks) for r in q.rules] == [
        ("sum-of-both", ("negatives", "sums-like-reference")),
        ("any-addable-type", ("strings", "joins-words"))]
    assert q.rules[1].text == "Works for any type with +."
    assert q.equivalent_mutants[0].id == "compare-3f9a1c2b"
    assert q.equivalent_mutants[0].reason.startswith("The mutated line only runs")
    assert q.check_names == ("negatives", "strings", "sums-like-reference", "joins-words")


def test_a_hidden_check_may_demand_exact_types() -> None:
    q = parse_question(replace("### strings (1 point)", "### strings (1 point, exact types)"))
    assert [c.exact_types for c in q.hidden_checks] == [False, True]


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("\nChecks: negatives, sums-like-reference\n", "\n", "rules.sum-of-both",
         "no check tests this rule"),
        ("Checks: negatives, sums-like-reference", "Checks: ", "rules.sum-of-both",
         "no check tests this rule"),
        ("Checks: negatives, sums-like-reference", "Checks: negatives, overflow",
         "rules.sum-of-both", "overflow, which is no hidden check"),
        ("Checks: strings, joins-words", "Checks: strings\nChecks: joins-words",
         "rules.any-addable-type", "two 'Checks:' lines"),
        ("The result is a plus b, for negative numbers too.\n", "", "rules.sum-of-both",
         "state the rule"),
        ("add(small, small + 1)", "add(1, 2)", "generators.sums-like-reference",
         "uses none of the names"),
        ("add(small, small + 1)", "total = add(small, 1)", "generators.sums-like-reference",
         "must end with an expression"),
        ("### joins-words (1 point, exact types)", "### negatives (1 point)", "generators",
         "share this name"),
        ("### joins-words (1 point, exact types)", "### joins-words (1 point, loose)",
         "generators", "'### name (N points)'"),
        ("### compare-3f9a1c2b", "### my-favourite-mutant", "equivalent_mutants",
         "not a mutant id"),
        ("The mutated line only runs for inputs the prompt rules out,\n"
         "so no answer can tell it apart.\n", "", "equivalent_mutants.compare-3f9a1c2b",
         "say why"),
        ("Uses operator.add.\n", "", "alternatives.operator-module", "one-line note"),
        ("### sums-like-reference (2 points)", "### sums-like-reference (3 points)", "points",
         "add up to 7"),
    ],
)
def test_each_mistake_in_the_new_sections_is_named(old: str, new: str, field: str,
                                                   words: str) -> None:
    error = error_for(with_sections(EXTRA.replace(old, new, 1)))
    assert error.field == field
    assert words in error.problem
    assert "\n" not in str(error)


def test_a_generators_section_without_properties_is_refused() -> None:
    text = EXTRA[:EXTRA.index("### sums-like-reference")].replace(
        "## Generators", "## Generators", 1) + EXTRA[EXTRA.index("## Accepted"):]
    text = text.replace("Checks: negatives, sums-like-reference", "Checks: negatives")
    text = text.replace("Checks: strings, joins-words", "Checks: strings")
    error = error_for(replace("points = 6", "points = 3", with_sections(text)))
    assert error.field == "generators"
    assert "defines no property" in error.problem
