"""A loaded bank kept between runs, under a digest of everything it was made from.

Parsing the shipped bank's question files costs about 0.06 s, a fifth of a `workbook grade`
that has nothing to grade. The questions are a pure function of the folder's name, the
path and bytes of every file `load_bank` reads (question files and `bank.toml`) and the
code that parses them, so that is the key: a SHA-256 of all of it, the files read in full
on every run (a few milliseconds), never their sizes or times. Any edit, a file added,
removed or renamed, another folder or another parser is another key, and the bank is
parsed again and kept in the entry's place.

The entry is plain data (tuples, dicts, text, numbers) written with `marshal`, one file
per bank folder in this project's cache folder (`parsed_code.cache_dir`). Reading it builds
only the model's own dataclasses and enums, named in `_RECORDS` and `_ENUMS`: nothing in
the file is run.
A missing, stale, unreadable or malformed entry only means parsing the bank again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import os
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from workbook import model
from workbook.model import Bank
from workbook.parsed_code import cache_dir

#: bump when the entry's layout changes
FORMAT = b"bank-cache 2"
#: the code whose output is cached: the parser, the model and the loader
_CODE = (Path(__file__).parent / "questionfile", Path(model.__file__),
         Path(__file__).parent / "bank.py", Path(__file__))
#: what an entry may build, by name: the model's records and enums, nothing else
_RECORDS: dict[str, Callable[..., Any]] = {cls.__name__: cls for cls in (
    model.Bank, model.Question, model.HiddenCheck, model.Property, model.Alternative,
    model.Rule, model.EquivalentMutant, model.Decoy, model.Rubric)}
_ENUMS: dict[str, type[Enum]] = {cls.__name__: cls for cls in (model.Level, model.Kind)}


def bank_key(folder: Path, files: Sequence[Path]) -> str:
    """The digest of everything a bank loaded from `folder` is made of: its files (paths
    as given, and bytes), `bank.toml` and the parsing code."""
    digest = hashlib.sha256(FORMAT)
    digest.update(f"\0{folder}\0".encode("utf-8", "surrogateescape"))
    for path in (*files, folder / "bank.toml", *_code_files()):
        digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            digest.update(b"absent\0")
            continue
        digest.update(f"{len(content)}\0".encode() + content)
    return digest.hexdigest()


def _code_files() -> list[Path]:
    found: list[Path] = []
    for place in _CODE:
        found += sorted(place.glob("*.py")) if place.is_dir() else [place]
    return found


def entry_file(folder: Path) -> Path:
    """Where the entry of the bank in `folder` is kept: one per folder."""
    name = hashlib.sha256(str(folder.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return cache_dir() / "banks" / f"{name[:32]}.marshal"


def cached_bank(folder: Path, files: Sequence[Path], load: Callable[[], Bank]) -> Bank:
    """The bank kept for exactly these inputs, or `load()`'s, then kept."""
    try:
        key = bank_key(folder, files)
    except OSError:  # a file that cannot be read: `load` says which
        return load()
    where = entry_file(folder)
    try:
        kept_key, data = marshal.loads(where.read_bytes())
        if kept_key == key:
            bank = _built(data)
            if isinstance(bank, Bank):
                return bank
    except Exception:  # missing, partial, another layout: parse the bank again
        pass
    bank = load()
    _keep(where, key, bank)
    return bank


def _keep(where: Path, key: str, bank: Bank) -> None:
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        partial = where.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps((key, _plain(bank))))
        partial.replace(where)  # atomic: a concurrent reader sees the old or the new entry
    except (OSError, ValueError):
        pass  # not kept: the next run parses the bank again


#: values an entry holds as they are
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """`value` as marshal-able data: a tuple as a list, a record or an enum as a pair of
    its type's name and its fields (or value)."""
    if isinstance(value, Enum):
        return (type(value).__name__, value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, {field.name: _plain(getattr(value, field.name))
                                       for field in dataclasses.fields(value)})
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if type(value) in _SCALARS:
        return value
    raise ValueError(f"a bank holds {type(value).__name__}, which the cache cannot keep")


def _built(data: Any) -> Any:
    """The value `_plain` made `data` from; anything else is an error. (Scalars are taken
    as they are without a call: a bank is some ten thousand of them.)"""
    kind = type(data)
    if kind is list:
        return tuple(item if type(item) in _SCALARS else _built(item) for item in data)
    if kind is dict:
        return {key: item if type(item) in _SCALARS else _built(item)
                for key, item in data.items()}
    if kind is tuple and len(data) == 2:
        name, inner = data
        if name in _ENUMS:
            return _ENUMS[name](inner)
        if type(inner) is dict:
            return _RECORDS[name](**_built(inner))
    raise ValueError("not an entry of this layout")
