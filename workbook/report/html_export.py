"""Notebook to HTML that opens offline: nbconvert's lab template minus everything it fetches.

The stock template loads require.js, MathJax and Mermaid from a CDN and the widget
manager from unpkg; a graded copy needs none of them (its outputs are HTML, text and
PNG), so those blocks are emptied. Its 250 kB JupyterLab stylesheet is swapped for a few
lines: the report's outputs carry their own styles, and a cohort of a thousand copies
should not carry a quarter of a gigabyte of CSS. nbconvert is imported here and nowhere else.

Rendering a copy costs what the template costs: the notebook is neither copied nor
validated again (it is the checked template plus outputs of our own making: see
`notebook_html`), and the page is not parsed again afterwards (nbconvert's lab exporter
re-reads it with BeautifulSoup to add alt text to images and focus to cells: this
template writes the alt text itself, and a copy's outputs need no focus order); together
those were most of a copy's HTML time (bench/report_bench.py).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from workbook.report.page_skeleton import PageSkeletons

#: blocks of nbconvert's lab template that would reach the network
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block notebook_css -%}<style>
body{font-family:system-ui,sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#222}
.jp-Cell{margin:.6em 0}
a.anchor-link{display:none}
.jp-RenderedImage img{max-width:100%}
pre{font-family:ui-monospace,monospace;font-size:90%}
</style>{%- endblock notebook_css -%}
{%- block data_png scoped -%}
<div class="jp-RenderedImage jp-OutputArea-output"><img
 alt="{{ output.data.get('text/plain', 'chart') | escape_html }}"
 src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"></div>
{%- endblock data_png -%}
"""


@cache
def _exporter() -> Any:
    from jinja2 import DictLoader, FileSystemBytecodeCache
    from nbconvert import HTMLExporter

    from workbook.parsed_code import cache_dir

    # one exporter per process: building it parses the templates and CSS (~0.2 s)
    exporter = HTMLExporter(
        extra_loaders=[DictLoader({"offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="offline.html.j2", exclude_input=True, exclude_input_prompt=True,
        exclude_output_prompt=True, optimistic_validation=True)
    # The templates' compiled code is kept between runs in the user's cache folder (Jinja
    # compares each template's source with what it was compiled from): compiling nbconvert's
    # lab templates was 45 of the 55 ms a process's first page took (issue 13).
    try:
        folder = cache_dir() / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return exporter  # no cache folder: the templates are compiled in each process
    exporter.environment.bytecode_cache = FileSystemBytecodeCache(str(folder))
    return exporter


def notebook_html(nb: Any) -> str:
    """The HTML page of a notebook node, with code inputs hidden and nothing fetched:
    `rendered_page`'s, written into the page of the first notebook of the same shape
    (`page_skeleton`: the template's walk over the same cells was most of a page)."""
    return _skeletons().page(nb)


@cache
def _skeletons() -> PageSkeletons:
    import html

    from workbook.report.skeleton_store import SkeletonStore

    # nbconvert's escape_html filter is html.escape: each skeleton's probe checks it, and
    # a skeleton from the store is used without importing nbconvert
    return PageSkeletons(rendered_page, html.escape, SkeletonStore.in_cache())


def rendered_page(nb: Any) -> str:
    """The HTML page of a notebook node as nbconvert's template renders it:
    what `HTMLExporter.from_notebook_node` renders, less what it spends on a notebook it
    cannot trust. It deep-copies the notebook twice, normalises and validates it against
    the schema, and parses its page again with BeautifulSoup; a graded copy is the checked
    template plus outputs of our own making, used by nothing once its page is rendered, and
    its enabled preprocessors (magics' highlighting, the Pygments CSS) change only
    `resources`. tests/report/test_why_not_html_exporter.py shows that nbconvert still
    copies and validates, and that the pages are the same bytes; skipping that took a
    copy's page from 6.3 to 4.0 ms of CPU (the 40 copies of bench/report_bench.py)."""
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    exporter = _exporter()
    resources = exporter._init_resources(None)
    exporter.register_filter("highlight_code", Highlight2HTML(parent=exporter))
    exporter.register_filter("filter_data_type", WidgetsDataTypeFilter(
        notebook_metadata=exporter._nb_metadata, parent=exporter, resources=resources))
    if "language" in nb["metadata"]:
        resources["language"] = nb["metadata"]["language"].lower()
    for preprocessor in exporter._preprocessors:
        nb, resources = preprocessor(nb, resources)
    exporter._nb_metadata[""] = nb.metadata  # the widget filter's view of an unnamed notebook
    resources.setdefault("raw_mimetypes", exporter.raw_mimetypes)
    resources.setdefault("output_mimetype", exporter.output_mimetype)
    resources["global_content_filter"] = {
        "include_code": not exporter.exclude_code_cell,
        "include_markdown": not exporter.exclude_markdown,
        "include_raw": not exporter.exclude_raw,
        "include_unknown": not exporter.exclude_unknown,
        "include_input": not exporter.exclude_input,
        "include_output": not exporter.exclude_output,
        "include_output_stdin": not exporter.exclude_output_stdin,
        "include_input_prompt": not exporter.exclude_input_prompt,
        "include_output_prompt": not exporter.exclude_output_prompt,
        "no_prompt": exporter.exclude_input_prompt and exporter.exclude_output_prompt,
    }
    return str(exporter.template.render(nb=nb, resources=resources).lstrip("\r\n"))
