"""Answer source -> a sequence of tokens that a copy keeps through cosmetic edits.

A copied answer is usually disguised by renaming variables, reformatting, reordering its
functions and rewriting comments. So: comments, docstrings and blank lines are dropped
(Python's own tokenizer and AST say which they are); every name that is not a keyword or
builtin becomes a placeholder numbered by first use *within its top-level statement*, so
a consistent renaming gives the same tokens; string literals become one placeholder; and
the top-level statements are sorted by their normalised text, so reordering functions
changes nothing. Each token keeps its line in the original source, for highlighting.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import tokenize
from dataclasses import dataclass

_BUILTINS = frozenset(dir(builtins))
_STRING_TYPES = {tokenize.STRING, *(getattr(tokenize, name) for name in
                                   ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                                   if hasattr(tokenize, name))}
_DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER,
            tokenize.ERRORTOKEN}
_CLOSERS = {")", "]", "}"}


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised token and the line (1-based) of the original source it came from."""

    text: str
    line: int


def _docstring_starts(tree: ast.Module) -> set[tuple[int, int]]:
    """(line, column) where each docstring begins: module, class and function docstrings.
    Only statement lists are walked (expressions hold no definitions), which is most of
    the tree."""
    starts = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                      | ast.AsyncFunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                starts.add((first.lineno, first.col_offset))
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                pending.extend(children)
    return starts


def _statement_starts(tree: ast.Module) -> list[tuple[int, int]]:
    """Where each top-level statement begins, decorators included, in source order."""
    starts = []
    for node in tree.body:
        decorators = getattr(node, "decorator_list", [])
        begin = min([(node.lineno, node.col_offset)]
                    + [(d.lineno, d.col_offset - 1) for d in decorators])
        starts.append(begin)
    return sorted(starts)


def _line_starts(tokens: list[tokenize.TokenInfo]) -> list[tuple[int, int]]:
    """Where each unindented logical line begins, a decorated definition at its first
    decorator: the top-level statements of an answer the AST refuses (an unfinished last
    function, say)."""
    starts = []
    at_line_start, decorated = True, False
    for token in tokens:
        if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                          tokenize.ENCODING):
            continue
        if at_line_start and token.start[1] == 0:
            if not decorated:
                starts.append(token.start)
            decorated = token.string == "@"
        at_line_start = token.type == tokenize.NEWLINE
    return starts


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # not Python (yet): compared by its tokens, unsorted


def _raw_tokens(source: str) -> list[tokenize.TokenInfo]:
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            tokens.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError, RecursionError):
        pass  # keep what was read: an unfinished answer still has its first lines
    return tokens


def _group(tokens: list[tokenize.TokenInfo], starts: list[tuple[int, int]]
           ) -> list[list[tokenize.TokenInfo]]:
    """The tokens split by top-level statement (one group when there is no tree)."""
    groups: list[list[tokenize.TokenInfo]] = [[] for _ in range(max(1, len(starts)))]
    index = 0
    for token in tokens:
        # a block's DEDENTs are reported at the next statement's start but end this one
        while token.type != tokenize.DEDENT and index + 1 < len(starts) \
                and token.start >= starts[index + 1]:
            index += 1
        groups[index].append(token)
    return groups


def _normalise_group(tokens: list[tokenize.TokenInfo],
                     docstrings: set[tuple[int, int]]) -> list[Token]:
    names: dict[str, str] = {}
    kept: list[Token] = []
    in_docstring = False
    for token in tokens:
        kind, text = token.type, token.string
        if token.start in docstrings:
            in_docstring = True
        if in_docstring:
            if kind == tokenize.NEWLINE:
                in_docstring = False
            continue
        if kind in _DROPPED:
            continue
        if kind == tokenize.NAME:
            if not (keyword.iskeyword(text) or text in _BUILTINS):
                text = names.setdefault(text, f"v{len(names) + 1}")
        elif kind in _STRING_TYPES:
            text = "S"
        elif kind == tokenize.INDENT:
            text = "<indent>"
        elif kind == tokenize.DEDENT:
            text = "<dedent>"
        elif kind == tokenize.NEWLINE:
            text = "<nl>"
        if kept and text in _CLOSERS and kept[-1].text == ",":
            kept.pop()  # a trailing comma is formatting, not content
        if text == "S" and kept and kept[-1].text == "S":
            continue  # implicitly joined strings are one string
        kept.append(Token(text, token.start[0]))
    return kept


def normalised_tokens(source: str) -> list[Token]:
    """The tokens of `source` after renaming, comment and docstring removal and sorting."""
    tree = _parse(source)
    raw = _raw_tokens(source)
    if tree is None:
        groups, docstrings = _group(raw, _line_starts(raw)), set()
    else:
        groups, docstrings = _group(raw, _statement_starts(tree)), _docstring_starts(tree)
    normalised = [_normalise_group(group, docstrings) for group in groups]
    normalised.sort(key=lambda group: [token.text for token in group])
    return [token for group in normalised for token in group]
