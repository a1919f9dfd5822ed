"""Text that came from outside (file names, notebook JSON, kernel messages) made safe to
store and show: every database, CSV and HTML page downstream takes it as it is.

A file name that is not UTF-8 reaches Python with lone surrogates, and so does a JSON
string escape like "\\ud800"; SQLite, PostgreSQL and UTF-8 files all refuse those, and
PostgreSQL also refuses NUL. Here they become visible backslash escapes, so the text is
still recognisable and the same input always gives the same text.
"""

from __future__ import annotations

import hashlib
import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+\s*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_CONTROL = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}" if match.group() == "\x00" else \
        match.group().encode("utf-8", "backslashreplace").decode("ascii")


def storable(text: str) -> str:
    """`text` with lone surrogates and NUL turned into backslash escapes."""
    return _UNSTORABLE.sub(_escape, text) if _UNSTORABLE.search(text) else text


def one_line(text: str, limit: int = 300) -> str:
    """`text` storable, on one line, and at most `limit` characters (cut with "...")."""
    flat = _LINE_BREAKS.sub(" ", storable(text)).strip()
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


def shown_name(text: str) -> str:
    """A file name as it may be shown inside a one-line message: storable, with control
    characters (a newline in a file name, say) as visible escapes rather than lost."""
    return _CONTROL.sub(lambda m: _NAMED_CONTROL.get(m.group(), f"\\x{ord(m.group()):02x}")
                        if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        storable(text))


def bounded_name(text: str, limit: int = 200) -> str:
    """A name (candidate id, file name) storable and at most `limit` characters; a longer one
    keeps its start and gets a digest of the whole, so two long names stay apart."""
    clean = storable(text)
    if len(clean) <= limit:
        return clean
    digest = hashlib.sha256(clean.encode("utf-8")).hexdigest()[:12]
    return f"{clean[:limit - 14]}~{digest}"
