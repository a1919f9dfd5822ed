"""The similarity step of the reports: compute from the gradebook, write the files, and
give the cohort page its section. Thresholds come from the bank's `bank.toml`:

    [similarity]
    threshold = 0.6          # list pairs from this score (0 < x <= 1)
    min_fingerprints = 5     # answers with fewer kept hashes are too small to compare
"""

from __future__ import annotations

import html
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.errors import BankError
from workbook.model import Bank
from workbook.similarity.cache import KeptFiles, KeptLines, SimilarityCache, inputs_digest
from workbook.similarity.cohort import (
    SimilarityReport,
    compared_questions,
    owned_answers,
    similarity_report,
)
from workbook.similarity.compare import SimilaritySettings
from workbook.similarity.findings import Findings
from workbook.similarity.page import CSV, JSON, PAGE, cohort_section, write_similarity
from workbook.similarity.sources import given_code, known_sources

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


def _settings(bank: Bank, threshold: float | None) -> tuple[Path | None, SimilaritySettings]:
    from workbook.report.stage import bank_folder

    folder = Path(bank_folder(bank)) if bank_folder(bank) else None
    settings = bank_settings(folder)
    if threshold is not None:
        settings = replace(settings, threshold=threshold)
    return folder, settings


def write_similarity_files(gradebook: Gradebook, bank: Bank, outdir: Path, *, title: str,
                           question_id: str | None = None,
                           threshold: float | None = None) -> SimilarityFiles:
    folder, settings = _settings(bank, threshold)
    with SimilarityCache.of(outdir) as cache:
        return _compute(_answers_of(gradebook), bank, folder, outdir, cache, title=title,
                        question_id=question_id, settings=settings)


def _answers_of(gradebook: Gradebook) -> Findings:
    """Every candidate's latest answers, read from the gradebook into a new `Findings`."""
    findings = Findings()
    findings.add_answers(owned_answers(gradebook.iter_answers()))
    return findings


def _compute(findings: Findings, bank: Bank, folder: Path | None, outdir: Path,
             cache: SimilarityCache, *, title: str, question_id: str | None,
             settings: SimilaritySettings) -> SimilarityFiles:
    """Compare and write the files, with the fingerprints the cache holds."""
    report = similarity_report(findings, bank, folder, question_id=question_id,
                               settings=settings, fingerprints=cache.fingerprints)
    files = write_similarity(report, outdir, title=title)
    cache.forget_unused()
    return SimilarityFiles(report=report, files=files, section=cohort_section(report))


@dataclass(frozen=True, kw_only=True)
class ReportSimilarity:
    """What the reports need of the similarity step: its files, the cohort page's section
    and what each candidate's graded copy lists. `close` when done with it."""

    files: list[Path]
    section: str
    #: answer owner -> lines of their graded copy (an owner not here has none): read
    #: from the cache as asked, or held here when the cache cannot keep them
    lines: Mapping[str, tuple[str, ...]]

    def lines_for(self, candidate: str) -> tuple[str, ...]:
        return self.lines.get(candidate, ())

    def close(self) -> None:
        if isinstance(self.lines, KeptLines):
            self.lines.close()


#: the cache's entry for the files the report stage writes
_REPORT_STAGE = "report-stage"


def similarity_for_reports(gradebook: Gradebook, bank: Bank, outdir: Path, *,
                           title: str) -> ReportSimilarity:
    """The similarity files for the report stage, kept as they are when nothing they are
    made from changed and nobody touched them (`cache.py`). If similarity cannot be
    computed (a bad `[similarity]` table, say), the reports are written anyway, the cohort
    page's section says why, and a one-line warning goes to stderr."""
    import sys

    from grading.text import one_line

    try:
        return _for_reports(gradebook, bank, outdir, title=title)
    except Exception as error:
        reason = one_line(str(error) or type(error).__name__)
        print(f"warning: similar answers not computed: {reason}", file=sys.stderr)
        return ReportSimilarity(
            files=[], lines={},
            section=f'<h2 id="similarity">Similar answers</h2><p>Not computed: '
                    f"{html.escape(reason)}</p>")


def _for_reports(gradebook: Gradebook, bank: Bank, outdir: Path, *,
                 title: str) -> ReportSimilarity:
    folder, settings = _settings(bank, None)
    findings = _answers_of(gradebook)
    try:
        inputs = inputs_digest(_inputs(findings, bank, folder, title, settings))
        paths = [outdir / name for name in (PAGE, CSV, JSON)]
        lines: Mapping[str, tuple[str, ...]] | None = None
        with SimilarityCache.of(outdir) as cache:
            kept = cache.kept_files(_REPORT_STAGE)
            if kept is not None and kept.inputs == inputs and kept.stamps == _stamps(paths):
                lines = cache.kept_lines(kept)
                if lines is not None:
                    return ReportSimilarity(files=paths, section=kept.section, lines=lines)
            found = _compute(findings, bank, folder, outdir, cache, title=title,
                             question_id=None, settings=settings)
            report = found.report
            kept = KeptFiles(inputs=inputs, stamps=_stamps(found.files), section=found.section)
            kept = cache.keep_files(_REPORT_STAGE, kept, ((owner, report.lines_for(owner))
                                                          for owner in report.owners()))
            if kept is not None:
                lines = cache.kept_lines(kept)
            if lines is None:  # the cache cannot keep them: held here
                lines = {owner: report.lines_for(owner) for owner in report.owners()}
            return ReportSimilarity(files=found.files, section=found.section, lines=lines)
    finally:
        findings.close()


def _inputs(findings: Findings, bank: Bank, folder: Path | None, title: str,
            settings: SimilaritySettings) -> Iterator[object]:
    """Everything the files are made from: per question compared, whether the bank has
    it, the code its candidates were given and the sources they are compared with; then
    every answer."""
    yield title
    yield settings
    for qid, question in compared_questions(findings.questions(), bank):
        yield (qid, question is not None,
               given_code(question) if question is not None else None,
               known_sources(question, qid, folder))
    yield from findings.answer_rows()


def _stamps(paths: list[Path]) -> tuple[int, ...]:
    """Each file's modification time; () when one is missing."""
    try:
        return tuple(path.stat().st_mtime_ns for path in paths)
    except OSError:
        return ()
