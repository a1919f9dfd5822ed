"""Notebook to HTML that opens offline: nbconvert's lab template minus everything it fetches.

The stock template loads require.js, MathJax and Mermaid from a CDN and the widget
manager from unpkg; a graded copy needs none of them (its outputs are HTML, text and
PNG), so those blocks are emptied. Its 250 kB JupyterLab stylesheet is swapped for a few
lines: the report's outputs carry their own styles, and a cohort of a thousand copies
should not carry a quarter of a gigabyte of CSS. nbconvert is imported here and nowhere else.
"""

from __future__ import annotations

from functools import cache
from typing import Any

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
"""


@cache
def _exporter() -> Any:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    # one exporter per process: building it parses the templates and CSS (~0.2 s)
    return HTMLExporter(extra_loaders=[DictLoader({"offline.html.j2": _OFFLINE_TEMPLATE})],
                        template_file="offline.html.j2", exclude_input=True,
                        exclude_input_prompt=True, exclude_output_prompt=True)


def notebook_html(nb: Any) -> str:
    """The HTML page of a notebook node, with code inputs hidden and nothing fetched."""
    body, _resources = _exporter().from_notebook_node(nb)
    return str(body)
