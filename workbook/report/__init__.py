"""What the hiring team reads after grading: graded copies, the cohort report, ATS exports.

    records.py        CandidateReport and its parts: the one calculation every view reads
    assemble.py       grading results + bank + live scores -> CandidateReport (pure)
    submitted.py      the returned notebook's saved outputs, reduced to safe text and PNG
    from_gradebook.py CandidateReports from a gradebook, without running anything
    copy_parts.py     the graded copy's header, scorecard and questions as notebook outputs
    graded_copy.py    the papermill template, parameterised and filled (papermill adapter)
    template_view.py  what the template's cells call when papermill runs it in a kernel
    html_export.py    notebook -> offline HTML (nbconvert adapter)
    charts.py         bar charts and histograms as embedded PNG (matplotlib adapter)
    cohort.py         cohort statistics: ranking, pass rates, distributions, check failures
    cohort_page.py    the cohort's HTML page, CSV and JSON
    cohort_ranking.py the page's ranking: rows as JSON, a page at a time, first page as HTML
    ats.py            one JSON record per candidate (documented schema) and a flat CSV
    stage.py          everything above for a whole gradebook, as `workbook grade` runs it
"""
