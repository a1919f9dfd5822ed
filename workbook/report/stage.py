"""Everything the hiring team reads, for a whole gradebook: copies, cohort page, exports.

`write_reports` is the stage `workbook grade` runs once grading ends, and what
`workbook report --cohort` runs on its own. Graded copies are rendered in this process
(see `graded_copy`), one after another under a progress bar, or by worker processes for a
large cohort. A rerun renders again only the files whose inputs changed (`unchanged`).

The cohort is walked one candidate at a time (`from_gradebook.iter_reports`): each full
report is rendered into its copy and let go; the cohort page, CSV/JSON and ATS exports
are made from summaries that keep what they show (points, checks, events, competencies)
and drop what only a copy shows (answers, their outputs, timelines), kept on disk and
ranked there (`cohort_spool`), so no stage holds the cohort.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from datetime import date as _date
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.model import Bank
from workbook.report.ats import write_ats
from workbook.report.cohort_page import write_cohort
from workbook.report.cohort_spool import CohortSpool
from workbook.report.drafts import Drafts
from workbook.report.from_gradebook import iter_reports
from workbook.report.graded_copy import CopySettings, report_paths, write_copy
from workbook.report.lean_imports import skip_iri_checker
from workbook.report.naming import GRADED_DIR, ReportFiles
from workbook.report.records import CandidateReport
from workbook.report.unchanged import (
    fingerprint,
    read_manifest,
    stamp,
    unchanged,
    write_manifest,
)
from workbook.similarity.stage import similarity_for_reports

if TYPE_CHECKING:
    from grading.gradebook import Gradebook


def today() -> str:
    return _date.today().isoformat()


def bank_folder(bank: Bank) -> str:
    """The folder the bank was loaded from, for the copies' `bank` parameter."""
    sources = [q.source for q in bank.questions if q.source]
    if not sources:
        return ""
    return os.path.commonpath([str(Path(s).resolve().parent) for s in sources])


#: below this many copies, spawning workers (each imports the stack: ~2 s) costs more than
#: it saves: bench/report_bench.py on 2 cores measured parallel at 0.196 s per copy against
#: serial 0.112 s for 60 candidates, and 0.095 s against 0.112 s for 200
PARALLEL_FROM = 200


def _write_batch(batch: Sequence[CandidateReport], outdir: Path,
                 settings: CopySettings) -> list[Path]:
    """The copies of `batch`; one that cannot be written is left out with a one-line
    warning (its candidate keeps a row, without a link, on the cohort page), so one
    submission cannot stop the others' copies."""
    import sys

    written = []
    for report in batch:
        try:
            written.append(write_copy(report, outdir, settings))
        except Exception as error:
            detail = str(error).splitlines()[0][:200] if str(error) else ""
            print(f"warning: no graded copy for {report.candidate[:200]!r}: "
                  f"{type(error).__name__} {detail}", file=sys.stderr)
    return written


def _copy_files(notebook: Path, settings: CopySettings) -> tuple[Path, ...]:
    """A copy's files: its notebook, and its page beside it (`copy_paths`)."""
    return (notebook, notebook.with_suffix(".html")) if settings.html else (notebook,)


def write_copies(reports: Iterable[CandidateReport], outdir: Path, settings: CopySettings,
                 *, progress: bool | None = None, jobs: int | None = None,
                 drafts: Drafts | None = None) -> int:
    """One graded copy (notebook and HTML) per report, under a progress bar; returns how
    many copies there are, written or kept. A copy whose report, settings and rendering
    code are those it was last written from, and whose files nobody touched since, is
    kept as it is; one drafted while grading ran (`drafts`) is finished from its draft.

    `reports` may be a stream: each is rendered as it comes and let go. A large cohort
    is rendered in batches by `jobs` worker processes (default: the number of cores),
    each loading the template, exporter and chart once, a bounded number of batches
    ahead of the stream.
    """
    folder = outdir / GRADED_DIR
    manifest = read_manifest(folder)
    entries: dict[str, str] = {}
    #: copy's name -> the fingerprint of what it is written from (with each copy's
    #: paths too, this held ~0.5 KB more per candidate until the end)
    prints: dict[str, str] = {}
    kept = 0
    finished: list[Path] = []
    seen = 0

    def changed() -> Iterator[CandidateReport]:
        nonlocal seen, kept
        for report in reports:
            seen += 1
            files = _copy_files(report_paths(outdir, report)[0], settings)
            print_ = fingerprint(report, settings)
            if unchanged(manifest, files[0].name, print_, files):
                entries[files[0].name] = manifest[files[0].name]
                kept += 1
            else:
                prints[files[0].name] = print_
                drafted = _finish_draft(drafts, report, outdir, settings) if drafts else None
                if drafted is None:
                    yield report
                else:
                    finished.append(drafted)

    # the bar counts the copies rendered as they stream past; how many will be is not
    # known before the last report is read
    rendered = _render(changed(), outdir, settings, progress=progress, jobs=jobs)
    for path in chain(finished, rendered):  # one that failed keeps no entry: tried again
        entries[path.name] = stamp(prints[path.name], _copy_files(path, settings))
    if seen:
        write_manifest(folder, entries)
    return kept + len(finished) + len(rendered)


def _finish_draft(drafts: Drafts, report: CandidateReport, outdir: Path,
                  settings: CopySettings) -> Path | None:
    """The copy written from its draft, or None: a draft that cannot be finished leaves
    the copy to be rendered as usual, which says what is wrong, if anything is."""
    try:
        return drafts.finish(report, outdir, settings)
    except Exception:
        return None


#: copies rendered per task by a worker process
BATCH = 16


def _render(reports: Iterable[CandidateReport], outdir: Path, settings: CopySettings,
            *, progress: bool | None, jobs: int | None) -> list[Path]:
    stream = iter(reports)
    # the first PARALLEL_FROM say whether worker processes pay for themselves
    first = list(islice(stream, PARALLEL_FROM))
    if not first:  # every copy kept: no bar, and no import of tqdm
        return []
    import sys

    from tqdm import tqdm

    jobs = jobs or os.cpu_count() or 1
    written: list[Path] = []
    with tqdm(unit="copy", desc="graded copies", file=sys.stderr,
              disable=None if progress is None else not progress,
              dynamic_ncols=True) as bar:
        if jobs == 1 or len(first) < PARALLEL_FROM:
            for report in chain(first, stream):
                written += _write_batch([report], outdir, settings)
                bar.update(1)
            return written
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

        # spawn: the parent holds a database engine and maybe threads, unsafe to fork
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            pending: set[Future[list[Path]]] = set()

            def collect(done: set[Future[list[Path]]]) -> None:
                nonlocal written
                for future in done:
                    paths = future.result()
                    written += paths
                    bar.update(len(paths))

            source = chain(first, stream)
            del first
            while batch := list(islice(source, BATCH)):
                pending.add(pool.submit(_write_batch, batch, outdir, settings))
                if len(pending) >= 2 * jobs:  # the stream waits for a worker
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    collect(done)
            collect(wait(pending).done)
    return written


def for_cohort(report: CandidateReport) -> CandidateReport:
    """`report` with what only its graded copy shows dropped (answers, outputs, timelines):
    what the cohort page, its CSV/JSON and the ATS exports are made from."""
    return replace(report, questions=tuple(
        replace(question, answer="", answer_outputs=(), public_check_outputs=(),
                timeline=None, notebook_history=None)
        for question in report.questions))


def write_reports(gradebook: Gradebook, bank: Bank, outdir: Path, *, copies: bool = True,
                  html: bool = True, date: str | None = None, progress: bool | None = None,
                  jobs: int | None = None, drafts: Drafts | None = None) -> ReportFiles:
    """Graded copies of every candidate's latest submission, the cohort report and the ATS
    exports, all in `outdir` (copies under `outdir/graded/`); copies drafted while
    grading ran are finished from `drafts` (`workbook.report.ahead`)."""
    skip_iri_checker()
    date = date or today()
    stream = iter_reports(gradebook, bank)
    first = next(stream, None)
    title = f"Cohort report: {first.workbook}" if first else "Cohort report"
    similar = similarity_for_reports(gradebook, bank, outdir, title=f"Similar answers: {title}")
    settings = CopySettings(gradebook=gradebook.url, date=date, bank=bank_folder(bank),
                            html=html)
    with closing(similar), CohortSpool() as spool:
        def each() -> Iterator[CandidateReport]:
            for report in chain([first] if first else [], stream):
                report = replace(report, similar=similar.lines_for(report.candidate))
                _notebook, page = report_paths(outdir, report)
                spool.add(for_cohort(report), page.relative_to(outdir).as_posix())
                yield report

        if copies:
            written = write_copies(each(), outdir, settings, progress=progress, jobs=jobs,
                                   drafts=drafts)
        else:
            written = 0
            for _report in each():
                pass
        spool.drop_missing_copies(outdir)
        # the cohort page, its CSV/JSON and the ATS exports are made from these alone
        print_ = fingerprint("cohort", title, date, similar.section, spool.digest())
        manifest = read_manifest(outdir)
        names = [n for n in manifest.get("cohort-files", "").split("\n") if n]
        files = [outdir / name for name in names]
        if names and unchanged(manifest, "cohort", print_, files):
            count = int(manifest.get("cohort-pages", "0"))
            return ReportFiles(copies=written,
                               cohort=(*files[:count], *similar.files),
                               exports=tuple(files[count:]))
        links = spool.copies
        pages = write_cohort(spool, outdir, title=title, report_date=date, copies=links,
                             sections=(similar.section,))
        exports = write_ats(spool, outdir, report_date=date, copies=links)
    made = [*pages, *exports]
    write_manifest(outdir, {"cohort": stamp(print_, made), "cohort-pages": str(len(pages)),
                            "cohort-files": "\n".join(p.relative_to(outdir).as_posix()
                                                      for p in made)})
    return ReportFiles(copies=written, cohort=(*pages, *similar.files),
                       exports=tuple(exports))
