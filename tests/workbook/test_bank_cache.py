"""A bank kept between runs is the bank its files make now, whatever changed since."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook.bank import load_bank
from workbook.bank_cache import entry_file

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "tests" / "grading" / "bank"


@contextmanager
def _cache_home(folder: Path) -> Iterator[None]:
    """The user's cache folder (the kept banks among it) is `folder` meanwhile."""
    before = os.environ.get("WORKBOOK_CACHE_DIR")
    os.environ["WORKBOOK_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            del os.environ["WORKBOOK_CACHE_DIR"]
        else:
            os.environ["WORKBOOK_CACHE_DIR"] = before


def _outcome(folder: Path, cache: Path) -> str:
    """What loading `folder` gives with `cache` as the cache folder: the bank, every field
    of every question shown, or the error."""
    with _cache_home(cache):
        try:
            return repr(load_bank(folder))
        except Exception as error:
            return f"{type(error).__name__}: {error}"


def _questions(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.md"))


def _edit(folder: Path, kind: str, pick: int, text: str) -> Path:
    """One change of a kind a bank folder sees; returns the folder (moved, for "move")."""
    files = _questions(folder)
    target = files[pick % len(files)]
    if kind == "insert":  # anywhere, even where it makes the file invalid
        data = target.read_bytes()
        at = pick % (len(data) + 1)
        target.write_bytes(data[:at] + text.encode() + data[at:])
    elif kind == "same size and time":  # a byte changed, its size and mtime kept
        stat = target.stat()
        changed = bytearray(target.read_bytes())
        at = changed.index(b"## Prompt") + 12 + pick % 20
        changed[at] = ord("x") if changed[at] != ord("x") else ord("y")
        target.write_bytes(bytes(changed))
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif kind == "add":
        source = target.read_text(encoding="utf-8")
        name = f"added-{pick}"
        copied = source.replace(f'id = "{target.stem}"', f'id = "{name}"', 1)
        (folder / f"{name}.md").write_text(copied, encoding="utf-8")
    elif kind == "remove" and len(files) > 1:
        target.unlink()
    elif kind == "rename":
        (folder / "sub").mkdir(exist_ok=True)
        target.rename(folder / "sub" / f"{pick}-{target.name}")
    elif kind == "bank.toml":
        (folder / "bank.toml").write_text(f'name = "grading"\nversion = "{pick}"\n',
                                          encoding="utf-8")
    elif kind == "move":
        moved = folder.with_name(f"{folder.name}-{pick}")
        folder.rename(moved)
        return moved
    return folder


EDITS = st.lists(st.tuples(
    st.sampled_from(["insert", "same size and time", "add", "remove", "rename", "bank.toml",
                     "move"]),
    st.integers(min_value=0, max_value=10_000),
    st.text("abc \n=#`+\"", min_size=1, max_size=5)), min_size=1, max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_a_kept_bank_is_never_used_once_any_file_or_the_folder_changed(
        edits: list[tuple[str, int, str]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = root / "bank"
        shutil.copytree(BANK, folder)
        assert _outcome(folder, root / "cache").startswith("Bank(")  # now kept

        for kind, pick, text in edits:
            folder = _edit(folder, kind, pick, text)
        kept = _outcome(folder, root / "cache")
        fresh = _outcome(folder, root / f"empty-{len(edits)}")

        assert kept == fresh
        assert _outcome(folder, root / "cache") == fresh  # and again, from what was kept


def test_a_damaged_entry_means_the_bank_is_parsed_again(tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    shutil.copytree(BANK, folder)
    fresh = _outcome(folder, tmp_path / "cache")
    with _cache_home(tmp_path / "cache"):
        entry = entry_file(folder)
    for damage in (b"", b"\x00garbage", entry.read_bytes()[:-40], b"\xe9" * 100):
        entry.write_bytes(damage)

        assert _outcome(folder, tmp_path / "cache") == fresh


def test_a_second_load_of_an_unchanged_bank_parses_no_question_file(tmp_path: Path) -> None:
    script = ("import sys\nfrom pathlib import Path\nfrom workbook.bank import load_bank\n"
              f"load_bank(Path({str(BANK)!r}))\n"
              "print('workbook.questionfile' in sys.modules)\n")
    environment = {**os.environ, "WORKBOOK_CACHE_DIR": str(tmp_path / "cache")}

    parsed = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=True, cwd=REPO, env=environment).stdout.strip()
              for _ in range(2)]

    assert parsed == ["True", "False"]
