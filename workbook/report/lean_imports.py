"""Imports the report stack does not need; one costs more than a second on 2 cores.

nbformat and nbconvert import jsonschema, whose format module imports `rfc3987_syntax`
when it is installed (jupyter-events asks for it) to check the "iri" format; importing
it builds an Earley parser for the RFC's grammar: 0.95 s of CPU, two thirds of
importing nbconvert (`python -X importtime -c "import nbconvert"`). No schema nbformat
validates a notebook against uses that format, and reports check no other schema, so a
process that renders reports tells Python the module is absent, before jsonschema is
first imported. jsonschema then leaves out its "iri" checks, as it does wherever the
package is not installed. tests/report/test_lean_imports.py shows the cost is still
there without this, and that rendering does not import it.
"""

from __future__ import annotations

import sys

#: the module jsonschema imports for "iri" format checks
IRI_CHECKER = "rfc3987_syntax"
#: the other format checkers jsonschema imports when installed (jupyter-events asks for
#: them), ~75 ms more: nbformat validates without a format checker, so none of them runs
#: (idna and jsonpointer stay: requests, which papermill imports, needs idna)
FORMAT_CHECKERS = (IRI_CHECKER, "fqdn", "rfc3339_validator", "rfc3986_validator",
                   "webcolors", "uri_template", "isoduration")


def skip_iri_checker() -> None:
    """Make `import rfc3987_syntax` and the other `FORMAT_CHECKERS` fail in this process
    if jsonschema has not imported them yet; once jsonschema is loaded, nothing changes
    (it keeps what it found)."""
    if "jsonschema" in sys.modules:
        return
    for name in FORMAT_CHECKERS:
        # None in sys.modules is how the import system spells "absent": the import
        # raises ModuleNotFoundError, which jsonschema expects of a missing package
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


#: modules nbconvert imports that rendering a graded copy never runs (~45 ms of CPU of
#: the reports worker when it imports nbconvert): soupsieve, which BeautifulSoup needs only
#: for CSS selectors (nbconvert's exporter selects in a page's post-processing, which
#: `html_export.rendered_page` leaves out), and the `--post serve` web server, which
#: nbconvert itself treats as optional
UNUSED_BY_RENDERING = ("soupsieve", "nbconvert.postprocessors.serve")
#: what BeautifulSoup warns when soupsieve is absent: true, and not the user's concern
_SOUPSIEVE_WARNING = "The soupsieve package is not installed"


def skip_unused_renderer_modules() -> None:
    """Leave out `UNUSED_BY_RENDERING` in this process, unless imported already. Only for
    the reports worker, a process that does nothing else: in any other (the `workbook`
    command may be called as a function), a library must not take CSS selectors away
    from BeautifulSoup."""
    import warnings

    skip_iri_checker()
    for name in UNUSED_BY_RENDERING:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    warnings.filterwarnings("ignore", message=_SOUPSIEVE_WARNING, category=UserWarning)
