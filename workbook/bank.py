"""Load a bank folder: every `*.md` question file in it, checked as a whole.

A bank folder holds question files (in it or in sub-folders) and an optional `bank.toml`
with `name` and `version`. The version recorded in notebooks is that version plus a digest
of the files, so two different banks never look the same.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path

from workbook.errors import BankError, QuestionFileError
from workbook.model import Bank

SHIPPED_BANK = Path(__file__).parent / "questions"
BANK_ENV = "WORKBOOK_BANK"


def default_bank_dir() -> Path:
    """The bank folder in force: `$WORKBOOK_BANK` when set, else the shipped bank."""
    configured = os.environ.get(BANK_ENV)
    return Path(configured) if configured else SHIPPED_BANK


def load_bank(folder: Path | None = None) -> Bank:
    """Load and validate every question under `folder` (kept between runs under a digest
    of every file it reads: `bank_cache`)."""
    folder = folder or default_bank_dir()
    if not folder.is_dir():
        raise BankError(f"{folder}: bank folder not found; pass --bank DIR or set {BANK_ENV}")
    files = sorted(p for p in folder.rglob("*.md") if p.name.lower() != "readme.md")
    if not files:
        raise BankError(f"{folder}: no question files (*.md) in the bank folder")
    from workbook.bank_cache import cached_bank

    return cached_bank(folder, files, lambda: _parsed_bank(folder, files))


def _parsed_bank(folder: Path, files: list[Path]) -> Bank:
    """Every question file in `files` parsed, checked as a bank."""
    from workbook.parsed_code import load_known, save_known
    from workbook.questionfile import read_question

    parsed = load_known()
    before = len(parsed)
    questions = [read_question(path, parsed=parsed) for path in files]
    if len(parsed) != before:
        save_known(parsed)
    seen: dict[str, Path] = {}
    for path, question in zip(files, questions, strict=True):
        if question.id in seen:
            raise QuestionFileError(path, 2, "id", f"duplicate id '{question.id}', also used "
                                    f"by {seen[question.id]}; ids must be unique in a bank")
        seen[question.id] = path

    name, version = folder.name, "0"
    meta = folder / "bank.toml"
    if meta.exists():
        try:
            data = tomllib.loads(meta.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BankError(f"{meta}: invalid TOML: {exc}") from None
        name = str(data.get("name", name))
        version = str(data.get("version", version))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return Bank(name=name, version=f"{version}+{digest.hexdigest()[:10]}",
                questions=tuple(questions))
