"""Page skeletons kept between runs in the user's cache folder (`page_skeleton.py`).

With its skeleton on disk, a process writes graded copies' pages without importing
nbconvert at all: about a fifth of the reports worker's CPU (its import and first
renderings), which competes with the kernels while grading runs (bench/nbgrader_bench.py).

A skeleton is valid only for the renderer that made it, so each is filed under a stamp
of everything that renders a page: the installed versions of nbconvert and the packages
its template rendering runs (read from their `.dist-info` folders' names, without
importing them), every file of the `lab` and `base` templates on nbconvert's template
path (a user's own copy in `~/.local/share/jupyter` included: name, size, time), and the
source of `html_export.py`, `page_skeleton.py` and this module. When any of that
changes, the stamp changes and the page is rendered and checked again as on a first run.
When the stamp cannot be made (a package found without its metadata), nothing is kept.
A file that is missing, damaged or does not match its shape only means rendering again.
The folder keeps the `LIMIT` newest skeletons.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

#: what renders a page: nbconvert, its template engine and the filters our pages run
RENDERING_PACKAGES = ("nbconvert", "jinja2", "markupsafe", "pygments", "mistune",
                      "bleach", "nbformat", "traitlets")
#: the template folders our offline template extends
TEMPLATE_FOLDERS = ("lab", "base")
#: our own modules that decide a page
_RENDERING_SOURCES = ("html_export.py", "page_skeleton.py", "skeleton_store.py")
#: skeleton files kept
LIMIT = 256
#: how a skeleton's marks begin: random for each process that renders skeletons
MARK_PREFIX = re.compile(r"wb[0-9a-f]{24}m")


def new_mark_prefix() -> str:
    """A fresh `MARK_PREFIX`, for one process's skeletons."""
    from secrets import token_hex

    return f"wb{token_hex(12)}m"


def _distribution(name: str) -> str | None:
    """The `.dist-info` folder name (name and version) of the installed package `name`,
    found beside it; None when there is not exactly one."""
    from importlib.util import find_spec

    try:
        spec = find_spec(name)  # a top-level name: found, not imported
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    site = Path(next(iter(spec.submodule_search_locations))).parent
    try:
        names = os.listdir(site)
    except OSError:
        return None
    wanted = name.lower().replace("-", "_") + "-"
    found = [n for n in names if n.lower().startswith(wanted) and n.endswith(".dist-info")]
    return found[0] if len(found) == 1 else None


def _template_files() -> list[str] | None:
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return None  # nbconvert's template path cannot be known
    files = []
    for base in jupyter_path("nbconvert", "templates"):
        for folder in TEMPLATE_FOLDERS:
            try:
                entries = sorted(os.scandir(os.path.join(base, folder)), key=lambda e: e.name)
            except OSError:
                continue  # not on this machine
            for entry in entries:
                try:
                    found = entry.stat()
                except OSError:
                    continue
                files.append(f"{entry.path}\0{found.st_size}\0{found.st_mtime_ns}")
    return files


def renderer_stamp() -> str | None:
    """A digest of everything that renders a page, or None when it cannot be known."""
    parts = []
    for name in RENDERING_PACKAGES:
        distribution = _distribution(name)
        if distribution is None:
            return None
        parts.append(distribution)
    templates = _template_files()
    if templates is None:
        return None
    parts += templates
    here = Path(__file__).resolve().parent
    try:
        parts += [hashlib.sha256((here / source).read_bytes()).hexdigest()
                  for source in _RENDERING_SOURCES]
    except OSError:
        return None
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class StoredSkeleton:
    #: the marks' prefix the page was rendered with
    prefix: str
    page: str
    kinds: tuple[str, ...]


class SkeletonStore:
    """Skeletons in `folder` for the renderer `stamp` (`renderer_stamp`)."""

    def __init__(self, folder: Path, stamp: str) -> None:
        self.folder = folder
        self.stamp = stamp

    @classmethod
    def in_cache(cls) -> SkeletonStore | None:
        """The store in the user's cache folder, or None when the renderer is unknown."""
        from workbook.parsed_code import cache_dir

        stamp = renderer_stamp()
        return None if stamp is None else cls(cache_dir() / "page-skeletons", stamp)

    def _path(self, key: str) -> Path:
        name = hashlib.sha256(f"{self.stamp}\0{key}".encode("utf-8", "surrogatepass"))
        return self.folder / f"{name.hexdigest()[:40]}.json"

    def load(self, key: str, kinds: tuple[str, ...]) -> StoredSkeleton | None:
        """The skeleton kept for the shape `key` whose values are of `kinds`, if any."""
        try:
            kept = json.loads(self._path(key).read_text(encoding="utf-8"))
            stored = StoredSkeleton(prefix=kept["prefix"], page=kept["page"],
                                    kinds=tuple(kept["kinds"]))
            if kept["stamp"] != self.stamp or kept["key"] != key:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if stored.kinds != kinds or not isinstance(stored.page, str) \
                or not isinstance(stored.prefix, str) or not MARK_PREFIX.fullmatch(stored.prefix):
            return None
        return stored

    def save(self, key: str, skeleton: StoredSkeleton) -> None:
        """Keep `skeleton` for the shape `key`; a folder that cannot be written keeps
        nothing."""
        path = self._path(key)
        entry = json.dumps({"stamp": self.stamp, "key": key, "prefix": skeleton.prefix,
                            "page": skeleton.page, "kinds": list(skeleton.kinds)},
                           ensure_ascii=False)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_text(entry, encoding="utf-8", errors="surrogatepass")
            partial.replace(path)  # a reader finds the whole file or none
            self._prune()
        except OSError:
            pass

    def _prune(self) -> None:
        kept = []
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".json"):
                try:
                    kept.append((entry.stat().st_mtime_ns, entry.path))
                except OSError:
                    continue
        for _time, path in sorted(kept)[:-LIMIT] if len(kept) > LIMIT else []:
            with contextlib.suppress(OSError):  # another process removed it first
                os.unlink(path)
