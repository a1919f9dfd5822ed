"""The cohort page's ranking: every candidate as compact JSON in the page, shown a page at a time.

At 10,000 candidates a table of every row costs the browser seconds to lay out, so the
page carries the rows as one JSON array (a short list of values per candidate) and a small
inline script shows one page of them, sorted and filtered as the reader asks. The first
page is also written as HTML, from the same row values: the top of the ranking is visible
at first paint, before any script runs, and the page stays readable where scripts are
off (a `<noscript>` line says the full ranking is in cohort.csv). The script parses the
JSON only on the first sort, search or page turn, so opening the page parses none of it.

Rows are written as they come (`write_ranking` takes any iterable, in ranking order), so
the page is built without holding the cohort's reports.

Everything a candidate chose (their id, above all) is hostile text. In the HTML it is
escaped; in the JSON every `<`, `>` and `&` is a `\\u` escape, so no text can end the
script element or open a comment in it; the script puts text into the page only as text
nodes and attribute values, never as markup. A lone surrogate (a file name that was not
UTF-8) is shown as the gradebook stores it, as a backslash escape.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, TextIO

from grading.assignment import AssignmentState
from grading.results import SubmissionStatus
from grading.text import storable
from workbook.report.cohort import CohortOverview, RankedCandidate
from workbook.report.records import CandidateReport

#: rows shown per page, and written as HTML for the first page
PAGE_ROWS = 50
#: page sizes the reader can choose
PAGE_SIZES = (50, 100, 250, 1000)
#: entries of the "Not graded" list written as HTML; the status filter shows them all
NOT_GRADED_SHOWN = 200

#: where each value sits in a row's list; per-competency then per-question values follow
FIELDS = {"rank": 0, "name": 1, "status": 2, "reason": 3, "assignment": 4, "conflict": 5,
          "link": 6, "points": 7, "max": 8, "percent": 9, "weighted": 10,
          "recommendation": 11, "why": 12}
_FIRST_EXTRA = len(FIELDS)
#: columns whose values are text, left-aligned
_TEXT_KINDS = {"name", "status", "assignment", "recommendation"}
_LEFT = ' class="name"'

#: a relative path of plain names: no scheme (no colon), no root, nothing a URL parser drops
_RELATIVE_PATH = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")


def shown(text: object) -> str:
    """`text` as it can be shown and written as UTF-8 (`grading.text.storable`: a lone
    surrogate or NUL becomes a visible backslash escape, as in the gradebook)."""
    return storable(str(text))


def escaped(text: object) -> str:
    """`text` as HTML text or a quoted attribute value."""
    return html.escape(shown(text), quote=True)


def _number(value: float | None, digits: int) -> float | int | None:
    """A value as the page stores it: rounded, whole numbers without a fraction."""
    if value is None or not math.isfinite(value):
        return None
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) else rounded


@dataclass(frozen=True)
class Column:
    label: str
    #: how the value is shown: rank, name, status, assignment, total, percent, points,
    #: recommendation (the script renders each kind as `_cell` does)
    kind: str
    #: the row's value this column shows and sorts by
    at: int


def ranking_columns(overview: CohortOverview) -> list[Column]:
    competencies = [Column(c.title, "percent", _FIRST_EXTRA + i)
                    for i, c in enumerate(overview.competencies)]
    first_question = _FIRST_EXTRA + len(overview.competencies)
    questions = [Column(f"{q.title} (/{q.max_points:g})", "points", first_question + i)
                 for i, q in enumerate(overview.questions)]
    return [Column("rank", "rank", FIELDS["rank"]), Column("candidate", "name", FIELDS["name"]),
            Column("status", "status", FIELDS["status"]),
            Column("assignment", "assignment", FIELDS["assignment"]),
            Column("total", "total", FIELDS["points"]),
            Column("percent", "percent", FIELDS["percent"]),
            Column("weighted", "percent", FIELDS["weighted"]), *competencies, *questions,
            Column("recommendation", "recommendation", FIELDS["recommendation"])]


def conflict_text(report: CandidateReport) -> str:
    """Empty, or which other files claim the same candidate (a person must resolve it)."""
    if not report.conflicts:
        return ""
    return (f"CONFLICT: {len(report.conflicts) + 1} files claim this candidate; this is "
            f"{report.source}, also {', '.join(report.conflicts)}")


def not_graded_reason(report: CandidateReport) -> str:
    """The one-line reason a submission was refused, failed or errored; empty when graded."""
    if report.status is SubmissionStatus.GRADED:
        return ""
    return report.events[-1].detail if report.events else "no reason recorded"


def _link(path: str | None) -> str:
    """A graded copy's path relative to the page, or nothing. Copies are named by
    `naming.report_stem` (ASCII letters, digits, `.`, `_`, `-`), so anything else, such as
    a scheme, a root, `//host` or a space or tab a browser would strip, is no copy's link."""
    return path if path and _RELATIVE_PATH.fullmatch(path) else ""


def row_values(ranked: RankedCandidate, overview: CohortOverview,
               copies: Mapping[tuple[str, str], str]) -> list[Any]:
    """One candidate as the page stores it, laid out as `FIELDS` says."""
    report = ranked.report
    by_competency = {c.competency: c.percent for c in report.competencies}
    by_question = {q.question_id: q.points for q in report.questions}
    chosen = report.recommendation
    return [ranked.rank, shown(report.candidate), str(report.status),
            shown(not_graded_reason(report)), str(report.assignment),
            shown(conflict_text(report)), _link(copies.get(report.key)),
            _number(report.points, 2), _number(report.max_points, 2),
            _number(report.percent, 1), _number(report.weighted_percent, 1),
            shown(chosen.label) if chosen else "", shown(chosen.reason) if chosen else "",
            *(_number(by_competency.get(c.competency), 1) for c in overview.competencies),
            *(_number(by_question.get(q.question_id), 2) for q in overview.questions)]


def _show_number(value: float | int | None) -> str:
    # as JavaScript's String(value) writes the stored (rounded) number
    return "" if value is None else repr(value)


def _show_percent(value: float | int | None) -> str:
    # as JavaScript's value.toFixed(1) writes a number already rounded to one decimal
    return "" if value is None else f"{value:.1f}"


def _cell(column: Column, row: list[Any]) -> str:
    """One cell as HTML; the script builds the very same elements (`_SCRIPT`'s cell)."""
    value, kind = row[column.at], column.kind
    if kind == "name":
        name = escaped(value)
        if row[FIELDS["link"]]:
            name = f'<a href="{escaped(row[FIELDS["link"]])}">{name}</a>'
        if row[FIELDS["conflict"]]:
            name += f'<br><strong class="flag">{escaped(row[FIELDS["conflict"]])}</strong>'
        content = name
    elif kind == "status":
        content = escaped(value)
        if row[FIELDS["reason"]]:
            content += f'<br><small>{escaped(row[FIELDS["reason"]])}</small>'
    elif kind == "assignment":
        content = (escaped(value) if value == AssignmentState.VERIFIED
                   else f'<strong class="flag">{escaped(value)}</strong>')
    elif kind == "recommendation":
        content = (f'<span title="{escaped(row[FIELDS["why"]])}">{escaped(value)}</span>'
                   if value else "")
    elif kind == "total":
        content = f"{_show_number(value)} / {_show_number(row[FIELDS['max']])}"
    elif kind == "percent":
        content = _show_percent(value)
    else:  # rank, points
        content = _show_number(value)
    return f"<td{_LEFT if kind in _TEXT_KINDS else ''}>{content}</td>"


def row_html(row: list[Any], columns: list[Column]) -> str:
    css = "" if row[FIELDS["rank"]] is not None else ' class="unranked"'
    return f"<tr{css}>{''.join(_cell(c, row) for c in columns)}</tr>"


def _json(value: object) -> str:
    """JSON that cannot end or comment out the script element it is written in."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass
class NotGraded:
    """The candidates who were not graded, as the page's list shows them (capped)."""

    shown: list[tuple[str, str, str]] = field(default_factory=list)
    total: int = 0

    def add(self, row: list[Any]) -> None:
        self.total += 1
        if len(self.shown) < NOT_GRADED_SHOWN:
            self.shown.append((row[FIELDS["name"]], row[FIELDS["status"]],
                               row[FIELDS["reason"]]))

    def html(self) -> str:
        if not self.total:
            return ""
        items = "".join(f'<li><span class="name">{escaped(name)}</span>: {escaped(status)} '
                        f"({escaped(reason)})</li>" for name, status, reason in self.shown)
        more = self.total - len(self.shown)
        rest = (f"<p>{more} more: choose “not graded” in the ranking's status filter.</p>"
                if more else "")
        return f"<h2>Not graded</h2><ul>{items}</ul>{rest}"


def _controls(total: int, html_rows: int) -> str:
    sizes = "".join(f"<option{' selected' if n == PAGE_ROWS else ''}>{n}</option>"
                    for n in PAGE_SIZES)
    statuses = "".join(f"<option>{s}</option>" for s in SubmissionStatus)
    shown_rows = min(total, html_rows)
    where = f"rows 1–{shown_rows} of {total}" if total else "no candidates"
    return (f'<div class="controls"><span id="ranking-tools" hidden>'
            f'<input id="ranking-search" type="search" placeholder="search candidates" '
            f'aria-label="search candidates"> '
            f'<select id="ranking-status" aria-label="status"><option value="">every status'
            f'</option>{statuses}<option value="not graded">not graded</option></select> '
            f'<select id="ranking-size" aria-label="rows per page">{sizes}</select> rows '
            f'per page <button type="button" data-go="first">« first</button>'
            f'<button type="button" data-go="previous">‹ previous</button></span> '
            f'<span id="ranking-where">{where}</span> '
            f'<span id="ranking-turn" hidden><button type="button" data-go="next">next ›'
            f'</button><button type="button" data-go="last">last »</button></span></div>'
            + (f"<noscript><p>Without JavaScript this page shows the first {shown_rows} "
               f"candidates of {total}; cohort.csv holds the whole ranking.</p></noscript>"
               if total > shown_rows else ""))


def write_ranking(out: TextIO, overview: CohortOverview, rows: Iterable[RankedCandidate],
                  copies: Mapping[tuple[str, str], str], *, html_rows: int = PAGE_ROWS
                  ) -> NotGraded:
    """Write the ranking (controls, the first `html_rows` rows as HTML, every row as JSON)
    to `out`, reading `rows` (in ranking order) once; returns who was not graded, for the
    page's list. More `html_rows` than a page is only for measuring what paging saves."""
    columns = ranking_columns(overview)
    not_graded = NotGraded()

    def values() -> Iterator[list[Any]]:
        for ranked in rows:
            row = row_values(ranked, overview, copies)
            if row[FIELDS["status"]] != SubmissionStatus.GRADED:
                not_graded.add(row)
            yield row

    stream = values()
    first = list(islice(stream, html_rows))
    heads = "".join(f"<th{_LEFT if c.kind in _TEXT_KINDS else ''} tabindex=\"0\">"
                    f"{escaped(c.label)}</th>" for c in columns)
    out.write(_controls(overview.candidates, html_rows))
    out.write(f'<div class="scroll"><table id="ranking" data-rows="{overview.candidates}">'
              f"<thead><tr>{heads}</tr></thead>"
              f"<tbody>{''.join(row_html(r, columns) for r in first)}</tbody></table></div>")
    spec = [{"kind": c.kind, "at": c.at} for c in columns]
    out.write(f'<script type="application/json" id="ranking-data">{{"columns":{_json(spec)},'
              f'"rows":[')
    for i, row in enumerate(chain(first, stream)):
        out.write(("," if i else "") + "\n" + _json(row))
    out.write("]}</script>")
    out.write(f"<script>{_SCRIPT}</script>")
    return not_graded


# The ranking's behaviour. `cell` builds exactly the elements `_cell` writes as HTML, so the
# first page looks the same before and after the script redraws it (a browser test checks).
_SCRIPT = ("const F=" + json.dumps(FIELDS) + ",PAGE=" + str(PAGE_ROWS) + ";" + """
(()=>{
const table=document.getElementById('ranking'),source=document.getElementById('ranking-data'),
where=document.getElementById('ranking-where'),tools=document.getElementById('ranking-tools'),
turn=document.getElementById('ranking-turn'),TEXT=new Set(['name','status','assignment',
'recommendation']);
const state={col:-1,up:true,query:'',status:'',size:PAGE,page:0};
let data=null,order=null;
function load(){if(!data)data=JSON.parse(source.textContent);return data}
function el(tag,text,css){const e=document.createElement(tag);if(css)e.className=css;
if(text!==undefined)e.textContent=text;return e}
const number=v=>v===null?'':String(v),percent=v=>v===null?'':v.toFixed(1);
function cell(c,r){const td=el('td'),v=r[c.at];if(TEXT.has(c.kind))td.className='name';
switch(c.kind){
case 'name':if(r[F.link]){const a=el('a',v);a.setAttribute('href',r[F.link]);td.append(a)}
else td.append(v);if(r[F.conflict])td.append(el('br'),el('strong',r[F.conflict],'flag'));break;
case 'status':td.append(v);if(r[F.reason])td.append(el('br'),el('small',r[F.reason]));break;
case 'assignment':if(v==='verified')td.append(v);else td.append(el('strong',v,'flag'));break;
case 'recommendation':if(v){const s=el('span',v);s.setAttribute('title',r[F.why]);
td.append(s)}break;
case 'total':td.append(number(v)+' / '+number(r[F.max]));break;
case 'percent':td.append(percent(v));break;
default:td.append(number(v))}
return td}
function line(r,columns){const tr=el('tr');if(r[F.rank]===null)tr.className='unranked';
for(const c of columns)tr.append(cell(c,r));return tr}
function visible(){if(order)return order;const d=load(),q=state.query.toLowerCase();
order=[];d.rows.forEach((r,i)=>{
if(q&&!r[F.name].toLowerCase().includes(q))return;
if(state.status==='not graded'?r[F.status]==='graded':state.status&&r[F.status]!==state.status)
return;order.push(i)});
if(state.col>=0){const at=d.columns[state.col].at,s=state.up?1:-1,empty=v=>v===null||v==='';
order.sort((a,b)=>{const x=d.rows[a][at],y=d.rows[b][at];
if(empty(x)||empty(y))return empty(x)-empty(y)||a-b;return(x<y?-s:x>y?s:0)||a-b})}
return order}
function render(){const d=load(),rows=visible(),
pages=Math.max(1,Math.ceil(rows.length/state.size));
state.page=Math.max(0,Math.min(state.page,pages-1));const from=state.page*state.size,
part=rows.slice(from,from+state.size),body=el('tbody');
for(const i of part)body.append(line(d.rows[i],d.columns));
table.replaceChild(body,table.tBodies[0]);
where.textContent=rows.length?'rows '+(from+1)+'–'+(from+part.length)+' of '+rows.length+
(rows.length<d.rows.length?' (filtered from '+d.rows.length+')':''):'no candidate matches';
for(const b of document.querySelectorAll('[data-go]'))b.disabled=
(b.dataset.go==='first'||b.dataset.go==='previous')?state.page===0:state.page>=pages-1;
table.querySelectorAll('th').forEach((th,i)=>{if(i===state.col)
th.setAttribute('aria-sort',state.up?'ascending':'descending');
else th.removeAttribute('aria-sort')})}
table.querySelectorAll('th').forEach((th,i)=>{const sort=()=>{
state.up=state.col===i?!state.up:true;state.col=i;state.page=0;order=null;render()};
th.addEventListener('click',sort);th.addEventListener('keydown',e=>{
if(e.key==='Enter'||e.key===' '){e.preventDefault();sort()}})});
document.getElementById('ranking-search').addEventListener('input',e=>{
state.query=e.target.value;state.page=0;order=null;render()});
document.getElementById('ranking-status').addEventListener('change',e=>{
state.status=e.target.value;state.page=0;order=null;render()});
document.getElementById('ranking-size').addEventListener('change',e=>{
state.page=Math.floor(state.page*state.size/Number(e.target.value));
state.size=Number(e.target.value);render()});
for(const b of document.querySelectorAll('[data-go]'))b.addEventListener('click',()=>{
const go=b.dataset.go;state.page=go==='first'?0:go==='previous'?state.page-1:
go==='next'?state.page+1:Infinity;render()});
const single=Number(table.dataset.rows)<=PAGE;
for(const b of document.querySelectorAll('[data-go]'))b.disabled=
b.dataset.go==='first'||b.dataset.go==='previous'||single;
tools.hidden=false;turn.hidden=false;
})();
""")
