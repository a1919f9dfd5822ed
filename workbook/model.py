"""The question bank's domain: plain, frozen dataclasses and nothing that does I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    JUNIOR = "junior"
    MIDDLE = "middle"
    SENIOR = "senior"


class Kind(StrEnum):
    CODING = "coding"
    DISCUSSION = "discussion"


#: Section id -> human title. Order is the order sections appear in a workbook.
SECTIONS: dict[str, str] = {
    "data-structures": "Data structures",
    "generators": "Generators and iteration",
    "oop-data-model": "OOP, data model and descriptors",
    "internals": "Python internals",
    "memory": "Memory management and leaks",
    "performance": "Performance and profiling",
    "asyncio": "asyncio",
    "concurrency": "Threads, processes and the GIL",
    "concurrency-patterns": "Concurrency patterns",
    "testing": "Testing and mocking",
    "packaging": "Packaging and dependencies",
    "typing": "Typing",
    "web-apis": "Web frameworks and APIs",
    "production-debugging": "Production debugging",
    "design": "Design and architecture",
    "coding-challenges": "Coding challenges",
}

#: Competency id -> (title, weight in the overall scorecard, in percent).
COMPETENCIES: dict[str, tuple[str, int]] = {
    "problem_solving": ("Problem solving", 25),
    "code_quality": ("Code quality", 20),
    "fundamentals": ("Python fundamentals", 15),
    "testing_debugging": ("Testing and debugging", 15),
    "communication": ("Communication", 15),
    "domain": ("Domain knowledge", 10),
}

SCORE_RANGE = range(0, 5)
#: inputs drawn per generated-input property unless the question says otherwise
DEFAULT_GENERATED_CASES = 100


@dataclass(frozen=True, kw_only=True)
class HiddenCheck:
    """Code that observes the candidate's answer; the grader judges what it observes."""

    name: str
    points: int
    code: str
    description: str = ""
    line: int = 0
    #: compare numbers by exact type (1 is not 1.0); only where the prompt demands the type
    exact_types: bool = False


@dataclass(frozen=True, kw_only=True)
class Property:
    """A generated-input check: `code` runs once per drawn input, with the names the
    question's generators define bound to drawn values; its last expression is observed
    and compared with what the reference observed on the same input."""

    name: str
    points: int
    code: str
    description: str = ""
    line: int = 0
    exact_types: bool = False
    #: names from the generators block that `code` uses, in order of first use
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Alternative:
    """Another correct answer, in another style; `bank check` proves it is accepted."""

    name: str
    note: str
    code: str
    line: int = 0


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A rule the prompt states and the checks (or properties) that test it."""

    name: str
    text: str
    checks: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True, kw_only=True)
class EquivalentMutant:
    """A mutant of the reference that no answer could tell apart from it, and why."""

    id: str
    reason: str
    line: int = 0


@dataclass(frozen=True, kw_only=True)
class Decoy:
    """A known-wrong answer and the mistake it embodies."""

    name: str
    note: str
    code: str
    line: int = 0


@dataclass(frozen=True, kw_only=True)
class Rubric:
    strong_signals: tuple[str, ...]
    red_flags: tuple[str, ...]
    follow_ups: tuple[str, ...]
    #: score (0..4) -> what earning it looks like
    scores: dict[int, str]


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    title: str
    section: str
    level: Level
    kind: Kind
    #: competency id -> weight; weights are positive and normalised when scored
    competencies: dict[str, float]
    points: int
    minutes: int
    prompt: str
    rubric: Rubric
    starter: str = ""
    reference: str = ""
    public_checks: str = ""
    #: code run before every hidden check (fake clocks, fixtures); never shown to candidates
    check_setup: str = ""
    hidden_checks: tuple[HiddenCheck, ...] = ()
    decoys: tuple[Decoy, ...] = ()
    #: per-question limit for running one check, in seconds; None means the grader default
    timeout: float | None = None
    #: Hypothesis strategies bound to names (python code), and the properties drawing on them
    generators: str = ""
    properties: tuple[Property, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    rules: tuple[Rule, ...] = ()
    equivalent_mutants: tuple[EquivalentMutant, ...] = ()
    generated_cases: int = DEFAULT_GENERATED_CASES
    #: where the question was imported from ("nbgrader"), "" when written here
    imported: str = ""
    source: str = field(default="", compare=False)

    @property
    def is_coding(self) -> bool:
        return self.kind is Kind.CODING

    @property
    def hidden_points(self) -> int:
        """Points of the hidden checks and the generated-input properties together."""
        return (sum(check.points for check in self.hidden_checks)
                + sum(prop.points for prop in self.properties))

    @property
    def check_names(self) -> tuple[str, ...]:
        """Every hidden check's and property's name (one namespace: names are unique)."""
        return (*(c.name for c in self.hidden_checks), *(p.name for p in self.properties))

    @property
    def section_title(self) -> str:
        return SECTIONS[self.section]


@dataclass(frozen=True, kw_only=True)
class Bank:
    """A loaded, validated question bank."""

    name: str
    version: str
    questions: tuple[Question, ...]

    def get(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)
