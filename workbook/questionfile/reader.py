"""The text layer of a question file: the TOML front matter, '## '/'### ' blocks, and the
code, prose and list items under a heading. Every error names the file, the line and
the field."""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.errors import QuestionFileError
from workbook.parsed_code import digest

#: a question, check, decoy, alternative or rule name: lower-case words joined by dashes
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class Block:
    """A heading and the lines under it, with the line number of the heading."""

    title: str
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)


class Reader:
    """Reads one file's text; `fail` builds the error for a line and field."""

    def __init__(self, path: Path, text: str, parsed: set[str] | None) -> None:
        self.path = path
        self.text = text
        #: digests of code known to parse (see workbook.parsed_code); grows as we go
        self.parsed = parsed if parsed is not None else set()

    def fail(self, line: int | None, field_name: str, problem: str) -> QuestionFileError:
        return QuestionFileError(self.path, line, field_name, problem)

    # -- front matter ------------------------------------------------------------------
    def front_matter(self) -> tuple[dict[str, Any], int, list[str]]:
        lines = self.text.splitlines()
        if not lines or lines[0].strip() != "+++":
            raise self.fail(1, "front matter", "the file must start with a '+++' line opening "
                            "the TOML front matter")
        end = next((n for n, line in enumerate(lines[1:], start=1) if line.strip() == "+++"), 0)
        if not end:
            raise self.fail(1, "front matter", "no closing '+++' line after the TOML front matter")
        toml_text = "\n".join(lines[1:end])
        try:
            data = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            line = int(match.group(1)) + 1 if match else 1
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise self.fail(line, "front matter", f"invalid TOML: {message}") from None
        return data, end + 1, lines

    def key_line(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=|^\s*\[{re.escape(key)}\]")
        for number, line in enumerate(self.text.splitlines(), start=1):
            if pattern.match(line):
                return number
        return None

    # -- body --------------------------------------------------------------------------
    def blocks(self, lines: list[str], start: int) -> list[Block]:
        """Split the body into '## ' blocks holding '### ' children, ignoring code fences."""
        top: list[Block] = []
        current: Block | None = None
        child: Block | None = None
        fence: str | None = None
        for number, line in enumerate(lines[start:], start=start + 1):
            stripped = line.strip()
            if fence is None and stripped.startswith("```"):
                fence = "```"
            elif fence is not None and stripped == fence:
                fence = None
            elif fence is None and line.startswith("## "):
                current = Block(line[3:].strip(), number)
                child = None
                top.append(current)
                continue
            elif fence is None and line.startswith("### "):
                if current is None:
                    raise self.fail(number, "body", "a '### ' heading must sit under a '## ' "
                                    "heading")
                child = Block(line[4:].strip(), number)
                current.children.append(child)
                continue
            target = child or current
            if target is None:
                if stripped:
                    raise self.fail(number, "body", "text before the first '## ' heading; "
                                    "start the body with '## Prompt'")
                continue
            target.lines.append((number, line))
        if fence is not None:
            raise self.fail(len(lines), "body", "a code block opened with ``` is never closed")
        return top

    def code(self, block: Block, field_name: str, *, required: bool = True) -> str:
        """The single ```python block in `block`."""
        codes: list[str] = []
        inside: list[str] | None = None
        for number, line in block.lines:
            stripped = line.strip()
            if inside is None and stripped.startswith("```"):
                language = stripped[3:].strip()
                if language not in ("python", "py", ""):
                    raise self.fail(number, field_name, f"code block language '{language}'; "
                                    "use ```python")
                inside = []
            elif inside is not None and stripped == "```":
                codes.append("\n".join(inside).rstrip() + "\n")
                inside = None
            elif inside is not None:
                inside.append(line)
        if len(codes) > 1:
            raise self.fail(block.line, field_name, "holds more than one code block; keep one")
        if not codes or not codes[0].strip():
            if required:
                raise self.fail(block.line, field_name, "needs one non-empty ```python code block")
            return ""
        code = codes[0]
        known = digest(code)
        if known in self.parsed:
            return code
        try:
            # Checks may use top-level await, as a notebook cell may.
            compile(code, f"{self.path}:{field_name}", "exec",
                    flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError as exc:
            offset = (exc.lineno or 0)
            code_start = next(n for n, line in block.lines if line.strip().startswith("```"))
            raise self.fail(code_start + offset, field_name,
                            f"Python syntax error: {exc.msg}") from None
        self.parsed.add(known)
        return code

    @staticmethod
    def markdown(block: Block) -> str:
        """Everything under the heading, code blocks included, trimmed."""
        return "\n".join(line for _, line in block.lines).strip()

    @staticmethod
    def prose(block: Block) -> str:
        """Text outside code blocks, trimmed."""
        kept: list[str] = []
        inside = False
        for _, line in block.lines:
            if line.strip().startswith("```"):
                inside = not inside
                continue
            if not inside:
                kept.append(line)
        return "\n".join(kept).strip()

    def bullets(self, block: Block, field_name: str) -> tuple[str, ...]:
        items: list[str] = []
        for number, line in block.lines:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith(("- ", "* ")):
                items.append(stripped[2:].strip())
            elif items and line.startswith((" ", "\t")):
                items[-1] += " " + stripped
            else:
                raise self.fail(number, field_name, "expected a list item starting with '- '")
        if not items:
            raise self.fail(block.line, field_name, "needs at least one '- ' list item")
        return tuple(items)

