"""Draw a property's inputs: the same values for every candidate, from a fixed seed.

Hypothesis generates the inputs (its generate phase only: no shrinking, no database, no
deadline), seeded from the question and property names, so the drawn cases are part of
the answer key: every candidate, every grading run with the same Hypothesis version and
the same question file, gets the same ones. Drawing costs 0.2-2 s per property (measured
by bench/generated_bench.py), so results are kept per process and in a cache folder
(`WORKBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/interview-workbook`, else
`~/.cache/interview-workbook`), keyed by everything the draw depends on: the generators'
code, the inputs, the count, the seed and the Hypothesis and Python versions. A cache
entry that cannot be read, or is not plain data, is drawn again.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import sys
import warnings
from pathlib import Path
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


def cache_dir() -> Path:
    configured = os.environ.get("WORKBOOK_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interview-workbook"


def _cache_path(generators: str, inputs: tuple[str, ...], count: int, seed: int) -> Path:
    import hypothesis

    key = "\0".join([generators, ",".join(inputs), str(count), str(seed),
                     hypothesis.__version__, sys.version])
    return cache_dir() / "cases" / f"{hashlib.sha256(key.encode()).hexdigest()}.marshal"


def _cached(path: Path) -> tuple[dict[str, Any], ...] | None:
    try:
        cases = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if (type(cases) is not tuple or not cases or plain_data_problem(cases)
            or not all(type(case) is dict for case in cases)):
        return None
    return cases


def _store(path: Path, cases: tuple[dict[str, Any], ...]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(cases))
        partial.replace(path)  # atomic: a concurrent reader sees all or nothing
    except OSError:
        pass  # no cache: the next run draws again


@functools.lru_cache(maxsize=512)
def _draw(generators: str, inputs: tuple[str, ...], count: int,
          seed: int) -> tuple[dict[str, Any], ...]:
    path = _cache_path(generators, inputs, count, seed)
    cases = _cached(path)
    if cases is None:
        cases = _drawn(generators, inputs, count, seed)
        _store(path, cases)
    return cases


def _drawn(generators: str, inputs: tuple[str, ...], count: int,
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
