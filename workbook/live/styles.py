"""The panels' stylesheet, scoped to `.workbook-panel` and `.workbook-summary`.

Shown once per panel in an HTML widget (a notebook has no other way to bring CSS).

Two rules carry meaning rather than looks:
- the selected score is filled, bold and ticked, so it cannot be mistaken at a glance;
- `.workbook-dead` is the "kernel stopped" cover. The panel's kernel rewrites it every
  second (`html.liveness`), which restarts its CSS animation; when the kernel dies or
  restarts nothing rewrites it, the animation runs to its end, and the cover shows over
  the panel and takes its clicks, so a dead panel never looks usable. When ipywidgets
  itself marks the view disconnected (a kernel restart it heard of), the cover shows at
  once.
"""

from __future__ import annotations

#: seconds without a heartbeat before a panel says its kernel stopped
DEAD_AFTER_SECONDS = 8

PANEL_CSS = f"""<style>
.workbook-panel {{ position: relative; }}
.workbook-panel .widget-checkbox {{ height: auto; width: 100%; }}
.workbook-panel .widget-checkbox label {{ white-space: normal; line-height: 1.3;
  display: flex; gap: 6px; align-items: flex-start; overflow: visible; height: auto; }}
.workbook-panel .widget-checkbox input {{ margin: 2px 0 0 0; flex: none; }}
.workbook-panel .widget-html-content {{ line-height: 1.3; }}
.workbook-panel .widget-toggle-buttons .widget-toggle-button {{ width: 52px; }}
.workbook-panel .widget-toggle-buttons button.mod-active,
.workbook-summary .widget-toggle-buttons button.mod-active {{
  background: #0969da; color: #fff; font-weight: 700;
  box-shadow: inset 0 0 0 2px #0a3069; }}
.workbook-panel .widget-toggle-buttons button.mod-active::before,
.workbook-summary .widget-toggle-buttons button.mod-active::before {{ content: "\\2713\\00a0"; }}
.workbook-answer pre {{ margin: 0; padding: 6px 8px; background: #f6f8fa;
  border: 1px solid #d0d7de; max-height: 260px; overflow: auto; font-size: 12px;
  line-height: 1.35; white-space: pre; }}
.workbook-verdict-code {{ margin: 2px 0 0 0; padding: 2px 6px; background: #f6f8fa;
  font-size: 11px; white-space: pre; overflow: hidden; max-height: 4.2em; }}
.workbook-panel .jupyter-widget-Collapse-header {{ font-size: 12px; padding: 2px 8px; }}
.workbook-panel .jupyter-widget-Collapse-contents {{ padding: 0 8px 4px 8px; }}
.workbook-dead {{ position: absolute; inset: 0; z-index: 20; display: flex;
  flex-direction: column; align-items: center; justify-content: center; gap: 10px;
  background: rgba(255, 255, 255, 0.92); border: 2px solid #cf222e; opacity: 0;
  pointer-events: none;
  animation: workbook-dead-show 0.2s linear {DEAD_AFTER_SECONDS}s forwards; }}
/* ipywidgets positions its HTML widgets: the cover must cover the panel, not its line */
.workbook-liveness, .workbook-liveness .widget-html-content {{ position: static; }}
/* ipywidgets marks views whose kernel it lost: no need to wait for the heartbeat */
.jupyter-widgets-disconnected .workbook-dead {{ animation: none; opacity: 1;
  pointer-events: auto; }}
.workbook-dead b {{ color: #cf222e; font-size: 15px; }}
@keyframes workbook-dead-show {{ to {{ opacity: 1; pointer-events: auto; }} }}
</style>"""
