"""The similarity step of the reports: compute from the gradebook, write the files, and
give the cohort page its section. Thresholds come from the bank's `bank.toml`:

    [similarity]
    threshold = 0.6          # list pairs from this score (0 < x <= 1)
    min_fingerprints = 5     # answers with fewer kept hashes are too small to compare
"""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.errors import BankError
from workbook.model import Bank
from workbook.similarity.cohort import SimilarityReport, gradebook_similarity
from workbook.similarity.compare import SimilaritySettings
from workbook.similarity.page import cohort_section, write_similarity

if TYPE_CHECKING:
    from grading.gradebook import Gradebook


@dataclass(frozen=True, kw_only=True)
class SimilarityFiles:
    report: SimilarityReport
    files: list[Path]
    #: the cohort page's section, HTML
    section: str


def bank_settings(bank_folder: Path | None) -> SimilaritySettings:
    """The `[similarity]` table of the bank's bank.toml, or the defaults."""
    settings = SimilaritySettings()
    meta = bank_folder / "bank.toml" if bank_folder else None
    if meta is None or not meta.is_file():
        return settings
    try:
        table = tomllib.loads(meta.read_text(encoding="utf-8")).get("similarity", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BankError(f"{meta}: invalid TOML: {exc}") from None
    if not isinstance(table, dict):
        raise BankError(f"{meta}: [similarity] must be a table")
    if "threshold" in table:
        settings = replace(settings, threshold=checked_threshold(
            table["threshold"], f"{meta}: [similarity] threshold"))
    if "min_fingerprints" in table:
        value = table["min_fingerprints"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            raise BankError(f"{meta}: [similarity] min_fingerprints must be a whole number "
                            f"from 1 to 1000, not {value!r}")
        settings = replace(settings, min_fingerprints=value)
    return settings


def checked_threshold(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0 < value <= 1:
        raise BankError(f"{where} must be a number above 0 and at most 1, not {value!r}")
    return float(value)


def write_similarity_files(gradebook: Gradebook, bank: Bank, outdir: Path, *, title: str,
                           question_id: str | None = None,
                           threshold: float | None = None) -> SimilarityFiles:
    from workbook.report.stage import bank_folder

    folder = Path(bank_folder(bank)) if bank_folder(bank) else None
    settings = bank_settings(folder)
    if threshold is not None:
        settings = replace(settings, threshold=threshold)
    report = gradebook_similarity(gradebook, bank, folder, question_id=question_id,
                                  settings=settings)
    files = write_similarity(report, outdir, title=title)
    return SimilarityFiles(report=report, files=files, section=cohort_section(report))


def similarity_for_reports(gradebook: Gradebook, bank: Bank, outdir: Path, *,
                           title: str) -> SimilarityFiles:
    """`write_similarity_files` for the report stage: if similarity cannot be computed (a
    bad `[similarity]` table, say), the reports are written anyway, the cohort page's
    section says why, and a one-line warning goes to stderr."""
    import sys

    from grading.text import one_line

    try:
        return write_similarity_files(gradebook, bank, outdir, title=title)
    except Exception as error:
        reason = one_line(str(error) or type(error).__name__)
        print(f"warning: similar answers not computed: {reason}", file=sys.stderr)
        return SimilarityFiles(
            report=SimilarityReport(settings=SimilaritySettings(), questions=()), files=[],
            section=f'<h2 id="similarity">Similar answers</h2><p>Not computed: '
                    f"{html.escape(reason)}</p>")
