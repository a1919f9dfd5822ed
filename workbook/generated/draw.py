"""Draw a property's inputs: the same values for every candidate, from a fixed seed.

The inputs are part of the answer key, so a question's lock file (lock.py, written by
`workbook bank lock`) pins them when it matches the question's generators; only without
a fresh lock are they drawn here, with a note. Hypothesis generates the inputs (its
generate phase only: no shrinking, no database, no deadline), seeded from the question
and property names: every candidate, every grading run with the same Hypothesis version
and the same question file, gets the same ones. Drawing costs 0.2-2 s per property (measured
by bench/generated_bench.py), so results are kept per process and in a cache folder
(`WORKBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/interview-workbook`, else
`~/.cache/interview-workbook`), keyed by everything the draw depends on: the generators'
code, the inputs, the count, the seed and the Hypothesis and Python versions. A cache
entry that cannot be read, or is not plain data, is drawn again.

With each input goes its seed for the shrinker: the Hypothesis choices that drew it
(`choices_to_bytes`), so the kernel can start shrinking from exactly that input.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import marshal
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grading.judge import plain_data_problem
from workbook.errors import QuestionFileError
from workbook.model import Property, Question
from workbook.parsed_code import cache_dir


def seed_for(question: Question, prop: Property) -> int:
    """A seed that depends on the question and property names only."""
    digest = hashlib.sha256(f"{question.id}\0{prop.name}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


_log = logging.getLogger(__name__)
#: per case: a dict from input name to a plain-data value
Cases = tuple[dict[str, Any], ...]
#: per case: the Hypothesis choices that drew it, or None when unknown
Seeds = tuple[bytes | None, ...]


@dataclass(frozen=True)
class Drawn:
    """A property's inputs, their shrinker seeds, and whether a lock file pinned them."""

    cases: Cases
    seeds: Seeds
    locked: bool


def lock_key(question: Question, prop: Property) -> str:
    """What the drawn inputs depend on, except the Hypothesis version: a lock whose key
    matches pins them."""
    parts = [question.generators, ",".join(prop.inputs), str(question.generated_cases),
             str(seed_for(question, prop))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def draw(question: Question, prop: Property) -> Drawn:
    """The inputs `prop` runs on: from the question's lock file when it is fresh, else
    drawn (`question.generated_cases` distinct cases at most, fewer when the strategies
    cannot produce that many distinct values)."""
    from workbook.generated.lock import locked_inputs

    pinned = locked_inputs(question, prop)
    if pinned is not None:
        return Drawn(pinned[0], pinned[1], locked=True)
    if question.source:
        _note_unlocked(question.id, prop.name)
    cases, seeds = drawn_inputs(question, prop)
    return Drawn(cases, seeds, locked=False)


@functools.lru_cache(maxsize=1024)
def _note_unlocked(question_id: str, prop_name: str) -> None:
    _log.warning("note: %s: the inputs of property '%s' are drawn by this Hypothesis "
                 "version (no fresh lock file); run `workbook bank lock %s` to pin them",
                 question_id, prop_name, question_id)


def draw_cases(question: Question, prop: Property) -> Cases:
    """The inputs `prop` runs on (see `draw`)."""
    return draw(question, prop).cases


def drawn_inputs(question: Question, prop: Property) -> tuple[Cases, Seeds]:
    """The inputs Hypothesis draws for `prop`, never from a lock, with their seeds."""
    try:
        return _draw(question.generators, prop.inputs, question.generated_cases,
                     seed_for(question, prop))
    except _DrawError as error:
        raise QuestionFileError(question.source or question.id, prop.line,
                                f"generators.{prop.name}", str(error)) from None


class _DrawError(Exception):
    """Why the generators could not give plain inputs for a property."""


def _cache_path(generators: str, inputs: tuple[str, ...], count: int, seed: int) -> Path:
    import hypothesis

    key = "\0".join([generators, ",".join(inputs), str(count), str(seed),
                     hypothesis.__version__, sys.version])
    return cache_dir() / "cases" / f"{hashlib.sha256(key.encode()).hexdigest()}.seeded"


def valid_inputs(cases: Any, seeds: Any) -> bool:
    """Whether `cases` and `seeds` (read back from a file) are what a draw gives."""
    return (type(cases) is tuple and bool(cases) and plain_data_problem(cases) is None
            and all(type(case) is dict for case in cases)
            and type(seeds) is tuple and len(seeds) == len(cases)
            and all(seed is None or type(seed) is bytes for seed in seeds))


def _cached(path: Path) -> tuple[Cases, Seeds] | None:
    try:
        entry = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if type(entry) is not tuple or len(entry) != 2 or not valid_inputs(*entry):
        return None
    return entry[0], entry[1]


def _store(path: Path, entry: tuple[Cases, Seeds]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(entry))
        partial.replace(path)  # atomic: a concurrent reader sees all or nothing
    except OSError:
        pass  # no cache: the next run draws again


@functools.lru_cache(maxsize=512)
def _draw(generators: str, inputs: tuple[str, ...], count: int,
          seed: int) -> tuple[Cases, Seeds]:
    path = _cache_path(generators, inputs, count, seed)
    entry = _cached(path)
    if entry is None:
        entry = _drawn(generators, inputs, count, seed)
        _store(path, entry)
    return entry


def _choices() -> bytes | None:
    """The choices that drew the current example: the shrinker's seed for it."""
    try:
        from hypothesis.control import current_build_context
        from hypothesis.database import choices_to_bytes

        return choices_to_bytes(current_build_context().data.choices)
    except Exception:  # another Hypothesis: the input is still named, only not shrunk
        return None


def _drawn(generators: str, inputs: tuple[str, ...], count: int,
           seed: int) -> tuple[Cases, Seeds]:
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

    drawn: dict[str, tuple[dict[str, Any], bytes | None]] = {}
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
        drawn.setdefault(_identity(case), (case, _choices()))

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
    return (tuple(case for case, _ in drawn.values()),
            tuple(choices for _, choices in drawn.values()))


def _identity(case: dict[str, Any]) -> str:
    """Cases that look the same are the same case (repr shows exact types: 1 vs 1.0)."""
    return repr(sorted(case.items()))
