"""Generated cohorts: independent answers drawn from a small grammar, and disguised copies.

Every answer is a few functions of random statements (loops, branches, arithmetic, list
and dict work), so two independent answers share short runs only; one in twenty is a
copy of an earlier answer with every name changed, its functions reordered and comments
added: the pairs a similarity check must find.
"""

from __future__ import annotations

import io
import random
import tokenize

_OPS = ["+", "-", "*", "//", "%"]
_CMP = ["<", "<=", ">", "==", "!="]


def _expr(rng: random.Random, names: list[str]) -> str:
    a = rng.choice(names)
    if rng.random() < 0.3:
        return f"{a} {rng.choice(_OPS)} {rng.randint(1, 9)}"
    if rng.random() < 0.2:
        return f"abs({a})"
    return f"{a} {rng.choice(_OPS)} {rng.choice(names)}"


def _block(rng: random.Random, names: list[str], depth: int, indent: str) -> list[str]:
    lines = []
    for _ in range(rng.randint(2, 4)):
        roll = rng.random()
        target = rng.choice(names)
        if roll < 0.35 or depth > 1:
            lines.append(f"{indent}{target} = {_expr(rng, names)}")
        elif roll < 0.55:
            var = f"i{depth}"
            lines.append(f"{indent}for {var} in range({rng.choice(names)} % {rng.randint(3, 9)}):")
            lines += _block(rng, [*names, var], depth + 1, indent + "    ")
        elif roll < 0.75:
            lines.append(f"{indent}if {rng.choice(names)} {rng.choice(_CMP)} {_expr(rng, names)}:")
            lines += _block(rng, names, depth + 1, indent + "    ")
            if rng.random() < 0.5:
                lines.append(f"{indent}else:")
                lines += _block(rng, names, depth + 1, indent + "    ")
        elif roll < 0.9:
            lines.append(f"{indent}seen.append({_expr(rng, names)})")
        else:
            lines.append(f"{indent}table[{rng.choice(names)}] = {_expr(rng, names)}")
    return lines


def answer(rng: random.Random) -> str:
    functions = []
    for number in range(rng.randint(2, 3)):
        params = [f"p{i}" for i in range(rng.randint(1, 3))]
        names = [*params, "acc", "tmp"]
        body = ["    seen = []", "    table = {}", "    acc = 0", f"    tmp = {params[0]}"]
        rng.shuffle(body)
        body += _block(rng, names, 0, "    ")
        body.append(f"    return {_expr(rng, names)}, seen, table")
        functions.append(f"def f{number}({', '.join(params)}):\n" + "\n".join(body) + "\n")
    return "\n\n".join(functions)


def disguise(code: str, rng: random.Random) -> str:
    """`code` with every name renamed, functions in another order, comments added."""
    renames: dict[str, str] = {}
    out = []
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        text = token.string
        if token.type == tokenize.NAME and text not in {"def", "for", "in", "if", "else",
                                                         "return", "range", "abs", "len"}:
            text = renames.setdefault(text, f"n{rng.randrange(10**6)}_{len(renames)}")
        out.append((token.type, text))
    renamed = tokenize.untokenize(out)
    functions = [f.strip("\n") + "\n" for f in renamed.split("\ndef ") if f.strip()]
    functions = [f if f.startswith("def ") else "def " + f for f in functions]
    rng.shuffle(functions)
    return "\n# helper below\n".join(f"# rewritten {rng.random()}\n{f}" for f in functions)


def cohort(size: int, *, seed: int) -> tuple[list[tuple[str, str]], set[frozenset[str]]]:
    """`size` answers, and the (original, copy) pairs among them."""
    rng = random.Random(seed)
    answers: list[tuple[str, str]] = []
    copies: set[frozenset[str]] = set()
    for index in range(size):
        name = f"candidate-{index:05d}"
        if index >= 10 and index % 20 == 0:
            source_name, source = answers[rng.randrange(index)]
            if any(source_name in pair for pair in copies):
                answers.append((name, answer(rng)))
                continue
            answers.append((name, disguise(source, rng)))
            copies.add(frozenset((source_name, name)))
        else:
            answers.append((name, answer(rng)))
    return answers, copies
