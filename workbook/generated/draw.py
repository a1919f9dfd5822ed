"""Draw a property's inputs: the same values for every candidate, from a fixed seed.

Hypothesis generates the inputs (its generate phase only: no shrinking, no database, no
deadline), seeded from the question and property names, so the drawn cases are part of
the answer key: every candidate, every grading run with the same Hypothesis version and
the same question file, gets the same ones. Drawing costs tens of milliseconds per
property, so results are kept per process.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from typing import Any

from grading.judge import plain_data_problem
from workbook.errors import QuestionFileError
from workbook.model import Property, Question


def seed_for(question: Question, prop: Property) -> int:
    """A seed that depends on the question and property names only."""
    digest = hashlib.sha256(f"{question.id}\0{prop.name}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def draw_cases(question: Question, prop: Property) -> tuple[dict[str, Any], ...]:
    """The inputs `prop` runs on: `question.generated_cases` distinct cases at most
    (fewer when the strategies cannot produce that many distinct values), each a dict
    from input name to a plain-data value."""
    try:
        return _draw(question.generators, prop.inputs, question.generated_cases,
                     seed_for(question, prop))
    except _DrawError as error:
        raise QuestionFileError(question.source or question.id, prop.line,
                                f"generators.{prop.name}", str(error)) from None


class _DrawError(Exception):
    """Why the generators could not give plain inputs for a property."""


@functools.lru_cache(maxsize=512)
def _draw(generators: str, inputs: tuple[str, ...], count: int,
          seed: int) -> tuple[dict[str, Any], ...]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy

    namespace: dict[str, Any] = {"__name__": "workbook_generators"}
    try:
        exec(compile(generators, "<generators>", "exec"), namespace)  # the bank's own code
    except Exception as error:
        raise _DrawError(f"the generators block raised {type(error).__name__}: {error}"
                         ) from None
    strategies: dict[str, SearchStrategy[Any]] = {}
    for name in inputs:
        strategy = namespace.get(name)
        if not isinstance(strategy, SearchStrategy):
            raise _DrawError(f"'{name}' is a {type(strategy).__name__}, not a Hypothesis "
                             "strategy; bind it to one (e.g. st.integers())")
        strategies[name] = strategy

    drawn: dict[str, dict[str, Any]] = {}
    problems: list[str] = []

    @fixed_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False,
              report_multiple_bugs=False)
    @given(st.fixed_dictionaries(strategies))
    def collect(case: dict[str, Any]) -> None:
        problem = plain_data_problem(case)
        if problem:
            problems.append(problem)
            return
        drawn.setdefault(_identity(case), case)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            collect()
        except Exception as error:  # a strategy's own code failed while drawing
            raise _DrawError(f"drawing raised {type(error).__name__}: {error}") from None
    if problems:
        raise _DrawError(f"drew a value that is not plain data ({problems[0]}); build "
                         "richer inputs inside the property's code")
    if not drawn:
        raise _DrawError("the strategies produced no input")
    return tuple(drawn.values())


def _identity(case: dict[str, Any]) -> str:
    """Cases that look the same are the same case (repr shows exact types: 1 vs 1.0)."""
    return repr(sorted(case.items()))
