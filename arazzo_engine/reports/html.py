"""The HTML report: one self-contained file showing what a run did.

The file has no outside references: the styles are inline, there is no script at all (every part
works without JavaScript), and a Content-Security-Policy forbids the page to load anything, so it
opens from the file system in any browser without touching the network. It holds:

- the summary of each workflow run (status, steps, retries, duration, error, inputs, outputs);
- the workflow diagram with the path the run took highlighted: the steps run (with their count),
  the edges taken (default next step, the ``goto`` / ``retry`` / ``end`` action that fired), the
  step that failed. Drawn by Graphviz as inline SVG when the ``dot`` program is installed,
  otherwise as an HTML list of the same graph;
- the path as a list, and a timeline of every step execution with its duration;
- each step execution: request, response, criteria with both sides of each comparison, outputs
  and error; large bodies are collapsed (``<details>``).

It is built from the run's records, which are redacted, and inputs are masked again by the JSON
report's rule (`mask_inputs`): the report holds no more than the JSON report does.

A long run stays small: consecutive repeats of a step are one timeline row, the timeline keeps its
first and last rows, and only the first and last executions of each step (and failures) are shown
in full; each shown body is cut at `BODY_LIMIT` characters.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ArazzoError
from ..redact import redact_headers
from .graph import (
    TIMES,
    Graph,
    RunPath,
    build_graph,
    graphviz_available,
    run_path,
    short_target,
    to_dot,
    to_svg,
)
from .json import mask_inputs

if TYPE_CHECKING:
    from ..criteria import CriterionOutcome
    from ..document.model import Document
    from ..results import RunResult, StepResult

__all__ = ["BODY_LIMIT", "to_html"]

#: The most characters of one body (or value) the report shows.
BODY_LIMIT = 20_000
#: Bodies longer than this (or with more lines than `_OPEN_LINES`) are collapsed.
_OPEN_CHARS = 600
_OPEN_LINES = 12
#: Executions of one step shown in full: the first and the last few.
_DETAIL_EACH = 3
#: Failed executions shown in full besides those (the latest ones).
_DETAIL_FAILURES = 40
#: Timeline rows kept at each end of a long run.
_TIMELINE_EDGE = 250
#: Path entries shown.
_PATH_LIMIT = 300

_CSS = """
:root{--ok:#15803d;--okbg:#dcfce7;--bad:#b91c1c;--badbg:#fee2e2;--ink:#111827;--mute:#6b7280;
--line:#e5e7eb;--accent:#1d4ed8;--accentbg:#dbeafe;--code:#f9fafb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--ink);background:#fff}
main{max-width:1200px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid
var(--line);padding-bottom:4px}h3{font-size:15px;margin:0 0 6px}
.meta{color:var(--mute);font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
vertical-align:middle}
.badge.passed{background:var(--okbg);color:var(--ok)}
.badge.failed{background:var(--badbg);color:var(--bad)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--mute);font-weight:600;font-size:12px}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--code);border:1px solid var(--line);padding:6px 8px;margin:4px 0;
overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-word}
details>summary{cursor:pointer;color:var(--accent)}
.overview{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,6fr);gap:0 28px}
@media (max-width:1000px){.overview{grid-template-columns:minmax(0,1fr)}}
.diagram{overflow:auto;max-height:85vh;border:1px solid var(--line);border-radius:6px;padding:8px}
.diagram svg{max-width:100%;height:auto}
.legend{font-size:12px;color:var(--mute);margin:6px 0}
.legend span{margin-right:14px}
.sw{display:inline-block;width:12px;height:12px;border-radius:3px;vertical-align:-2px;
margin-right:4px;border:2px solid}
.flow{display:flex;flex-wrap:wrap;gap:16px}
.flow section{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:260px}
.flow ol{list-style:none;padding:0;margin:0}
.flow li.node{margin:0 0 10px}
.flow .box{display:inline-block;border:1px solid #9ca3af;border-radius:6px;padding:3px 8px;
background:#fff}
.flow li.visited .box{border:3px solid var(--accent);background:var(--accentbg)}
.flow li.failed .box{border:3px solid var(--bad);background:#fecaca}
.flow li.unvisited .box{color:var(--mute);border-color:var(--line)}
.flow ul.edges{list-style:none;margin:2px 0 0 14px;padding:0;font-size:12px;color:var(--mute)}
.flow li.edge.taken{color:var(--accent);font-weight:600}
ol.path{display:flex;flex-wrap:wrap;list-style:none;padding:0;margin:0;gap:4px}
ol.path li{border:1px solid var(--line);border-radius:10px;padding:0 8px;font-size:12px}
ol.path li.failed{border-color:var(--bad);color:var(--bad)}
ol.path li.passed{border-color:var(--ok)}
.bar{position:relative;height:12px;min-width:180px;background:#f3f4f6;border-radius:3px}
.bar i{position:absolute;top:0;height:12px;border-radius:3px;background:var(--ok);min-width:2px}
tr.failed .bar i{background:var(--bad)}
tr.failed td.status{color:var(--bad);font-weight:600}
tr.passed td.status{color:var(--ok)}
article.step{border:1px solid var(--line);border-left:5px solid var(--ok);border-radius:6px;
padding:10px 14px;margin:10px 0}
article.step.failed{border-left-color:var(--bad)}
h4{font-size:13px;margin:10px 0 2px}
table.criteria td:first-child{width:48px}
.error{color:var(--bad);font-weight:600;white-space:pre-wrap}
td.pass{color:var(--ok);font-weight:600}td.fail{color:var(--bad);font-weight:600}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
.note{color:var(--mute);font-style:italic}
@media (max-width:800px){.bar{min-width:80px}}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _block(value: Any, title: str) -> str:
    """A value as a ``<pre>``, collapsed when large, cut at `BODY_LIMIT`."""
    text = _text(value)
    size = len(text)
    if size > BODY_LIMIT:
        text = text[:BODY_LIMIT] + f"\n… ({size - BODY_LIMIT} more characters not shown)"
    pre = f"<pre>{_e(text)}</pre>"
    if size > _OPEN_CHARS or text.count("\n") > _OPEN_LINES:
        return f"<details><summary>{_e(title)} ({size} characters)</summary>{pre}</details>"
    return f"<div><span class=meta>{_e(title)}</span>{pre}</div>"


def _ms(seconds: float) -> str:
    millis = seconds * 1000
    if millis >= 10_000:
        return f"{seconds:.1f} s"
    return f"{millis:.1f} ms" if millis < 100 else f"{millis:.0f} ms"


def _status(success: bool) -> str:
    return "passed" if success else "failed"


def _badge(success: bool) -> str:
    word = _status(success)
    return f'<span class="badge {word}">{word}</span>'


def _headers(headers: Sequence[tuple[str, str]]) -> str:
    headers = redact_headers(headers)  # once more, with the same rules, as the HAR report does
    rows = "".join(
        f"<tr><td><code>{_e(k)}</code></td><td><code>{_e(v)}</code></td></tr>" for k, v in headers
    )
    return f"<details><summary>headers ({len(headers)})</summary><table>{rows}</table></details>"


# -- criteria: both sides of each comparison -----------------------------------------------------


def _sides(outcome: CriterionOutcome) -> list[tuple[str, str, str, str, str]]:
    """(left text, left value, operator, right text, right value) of each comparison of a simple
    condition; the values come from what the run recorded (literals are their own value)."""
    if outcome.type != "simple":
        return []
    from ..errors import ExpressionError
    from ..expressions import parse_condition
    from ..expressions.ast import Comparison, ExpressionOperand

    try:
        parsed = parse_condition(outcome.condition)
    except ExpressionError:
        return []
    recorded = {expression: value for expression, value in outcome.values}
    found: list[tuple[str, str, str, str, str]] = []

    def value_of(operand: Any) -> str:
        if isinstance(operand, ExpressionOperand):
            for key in (operand.text, operand.expression.text):
                if key in recorded:
                    return _short(recorded[key])
            return "(not recorded)"
        return ""  # a literal is its own value

    def walk(node: Any) -> None:
        if isinstance(node, Comparison):
            found.append(
                (
                    node.left.text,
                    value_of(node.left),
                    node.op,
                    node.right.text,
                    value_of(node.right),
                )
            )
            return
        for child in (getattr(node, "operand", None), *getattr(node, "operands", ())):
            if child is not None:
                walk(child)

    walk(parsed.node)
    return found


def _short(value: Any, limit: int = 300) -> str:
    text = (
        value
        if isinstance(value, str) and value != ""
        else json.dumps(value, ensure_ascii=False, default=str)
    )
    if type(value).__name__ == "UnresolvedOperand":
        text = f"unresolved: {getattr(value, 'reason', value)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _side(which: str, text: str, value: str) -> str:
    shown = f"<code>{_e(text)}</code>" + (f" = <code>{_e(value)}</code>" if value else "")
    return f"<span class={which}>{shown}</span>"


def _criteria(step: StepResult) -> str:
    if not step.criteria:
        return ""
    rows = []
    for outcome in step.criteria:
        verdict = "pass" if outcome.passed else "fail"
        sides = _sides(outcome)
        if sides:
            detail = "".join(
                f"<div class=cmp>{_side('left', lt, lv)} <b>{_e(op)}</b> "
                f"{_side('right', rt, rv)}</div>"
                for lt, lv, op, rt, rv in sides
            )
        else:
            detail = "".join(
                f"<div><code>{_e(e)}</code> = <code>{_e(_short(v))}</code></div>"
                for e, v in outcome.values
            )
        if outcome.reason and not outcome.passed:
            detail += f"<div class=error>{_e(outcome.reason)}</div>"
        kind = "" if outcome.type == "simple" else f" <span class=meta>({_e(outcome.type)})</span>"
        rows.append(
            f'<tr class="criterion {verdict}ed"><td class={verdict}>{verdict}</td>'
            f"<td><code>{_e(outcome.condition)}</code>{kind}</td><td>{detail}</td></tr>"
        )
    return (
        "<h4>criteria</h4><table class=criteria><tr><th></th><th>condition</th>"
        "<th>left and right sides, as evaluated</th></tr>" + "".join(rows) + "</table>"
    )


# -- parts ---------------------------------------------------------------------------------------


def _step_card(number: int, step: StepResult, t0: float) -> str:
    status = _status(step.success)
    attempt = f" (attempt {step.attempt})" if step.attempt > 1 else ""
    parts = [
        f'<article class="step {status}" id="r{number}" data-step="{_e(step.step_id)}" '
        f'data-workflow="{_e(step.workflow_id)}" data-status="{status}">',
        f"<h3>#{number} {_e(step.step_id)}{_e(attempt)} {_badge(step.success)} "
        f"<span class=meta>workflow {_e(step.workflow_id)} · "
        f"{_e(short_target(step.target))}</span></h3>",
        "<div class=kv>",
        f"<span class=meta>HTTP status</span><span>{_e(step.status_code or '—')}</span>",
        f"<span class=meta>started</span><span>+{_ms(max(0.0, step.started_at - t0))}</span>",
        f"<span class=meta>duration</span><span>{_ms(step.duration)}</span>",
    ]
    if step.action:
        parts.append(f"<span class=meta>action</span><span>{_e(step.action)}</span>")
    parts.append("</div>")
    if step.error:
        parts.append(f"<div class=error>{_e(step.error)}</div>")
    parts.append(_criteria(step))
    if step.request is not None:
        request = step.request
        parts.append(
            f"<h4>request</h4><div><code>{_e(request.method)} {_e(request.url)}</code></div>"
        )
        parts.append(_headers(request.headers))
        if request.body is not None:
            parts.append(_block(request.body, "request body"))
    if step.response is not None:
        response = step.response
        parts.append(f"<h4>response</h4><div><code>HTTP {response.status_code}</code></div>")
        parts.append(_headers(response.headers))
        if response.body is not None:
            parts.append(_block(response.body, "response body"))
    if step.outputs:
        parts.append(_block(step.outputs, "outputs"))
    if step.contract:
        items = "".join(f"<li>{_e(c)}</li>" for c in step.contract)
        parts.append(f"<h4>contract</h4><ul>{items}</ul>")
    parts.append("</article>")
    return "".join(parts)


def _detailed(steps: Sequence[StepResult]) -> set[int]:
    """Indexes of the executions shown in full: the first and last few of each step, and the
    latest failures."""
    by_step: dict[tuple[str, str], list[int]] = {}
    for index, step in enumerate(steps):
        by_step.setdefault((step.workflow_id, step.step_id), []).append(index)
    chosen: set[int] = set()
    for indexes in by_step.values():
        chosen.update(indexes[:_DETAIL_EACH])
        chosen.update(indexes[-_DETAIL_EACH:])
    failures = [i for i, s in enumerate(steps) if not s.success]
    chosen.update(failures[-_DETAIL_FAILURES:])
    return chosen


def _timeline(
    steps: Sequence[StepResult], first: int, t0: float, total: float, shown: set[int]
) -> str:
    """Rows of consecutive executions of the same step with the same outcome become one row."""
    groups: list[tuple[int, int]] = []  # (start index, count)
    for index, step in enumerate(steps):
        if groups:
            start, count = groups[-1]
            previous = steps[start + count - 1]
            if (previous.workflow_id, previous.step_id, previous.success) == (
                step.workflow_id,
                step.step_id,
                step.success,
            ):
                groups[-1] = (start, count + 1)
                continue
        groups.append((index, 1))
    rows = []
    hidden = 0
    span = total or 1e-9
    for position, (start, count) in enumerate(groups):
        if _TIMELINE_EDGE <= position < len(groups) - _TIMELINE_EDGE:
            hidden += count
            continue
        if hidden:
            rows.append(f"<tr><td colspan=8 class=note>… {hidden} executions not listed</td></tr>")
            hidden = 0
        chunk = steps[start : start + count]
        step = chunk[0]
        status = _status(step.success)
        duration = sum(s.duration for s in chunk)
        offset = max(0.0, step.started_at - t0) if step.started_at else 0.0
        left = min(100.0, offset / span * 100)
        width = max(0.3, min(100.0 - left, duration / span * 100))
        number = first + start
        target = next((first + i for i in range(start, start + count) if i in shown), None)
        name = _e(step.step_id)
        link = f'<a href="#r{target}">{name}</a>' if target is not None else name
        times = f" {TIMES}{count}" if count > 1 else ""
        numbers = f"{number}" if count == 1 else f"{number}-{number + count - 1}"
        codes = sorted({str(s.status_code) for s in chunk if s.status_code is not None})
        actions = sorted({s.action for s in chunk if s.action})
        rows.append(
            f'<tr class="{status}" data-step="{_e(step.step_id)}" data-status="{status}">'
            f"<td class=num>{numbers}</td><td>{_e(step.workflow_id)}</td><td>{link}{times}</td>"
            f"<td class=status>{status}</td><td>{_e(', '.join(codes))}</td>"
            f"<td>{_e('; '.join(actions))}</td><td class=num>{_ms(duration)}</td>"
            f'<td><div class=bar><i style="left:{left:.2f}%;width:{width:.2f}%"></i></div></td>'
            "</tr>"
        )
    if hidden:
        rows.append(f"<tr><td colspan=8 class=note>… {hidden} executions not listed</td></tr>")
    return (
        "<table class=timeline><tr><th>#</th><th>workflow</th><th>step</th><th>status</th>"
        "<th>HTTP</th><th>action</th><th>duration</th><th>when</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _path(steps: Sequence[StepResult]) -> str:
    entries: list[tuple[StepResult, int]] = []
    for step in steps:
        if entries:
            last, count = entries[-1]
            if (last.workflow_id, last.step_id, last.success) == (
                step.workflow_id,
                step.step_id,
                step.success,
            ):
                entries[-1] = (last, count + 1)
                continue
        entries.append((step, 1))
    items = []
    for step, count in entries[:_PATH_LIMIT]:
        times = f" {TIMES}{count}" if count > 1 else ""
        items.append(
            f'<li class="{_status(step.success)}" data-step="{_e(step.step_id)}">'
            f"{_e(step.step_id)}{times} <span class=meta>{_status(step.success)}</span></li>"
        )
    if len(entries) > _PATH_LIMIT:
        items.append(f"<li class=note>… {len(entries) - _PATH_LIMIT} more</li>")
    return '<ol class="path">' + "".join(items) + "</ol>"


def _legend() -> str:
    return (
        '<div class=legend><span><i class=sw style="border-color:#1d4ed8;background:#dbeafe">'
        '</i>ran</span><span><i class=sw style="border-color:#b91c1c;background:#fecaca"></i>'
        'failed (last execution)</span><span><i class=sw style="border-color:#d1d5db"></i>'
        f"not run</span><span>bold blue arrows: the path taken ({TIMES}N: times)</span>"
        "<span>\u2717: an onFailure action</span><span>dashed: retry / calls a workflow</span>"
        "<span>dotted: dependsOn</span></div>"
    )


def _flow(graph: Graph, path: RunPath) -> str:
    """The diagram as HTML lists (when Graphviz is not installed): the same nodes and edges."""
    names = {n.id: n for n in graph.nodes()}
    sections = []
    for cluster in graph.clusters:
        items = []
        for node in cluster.nodes:
            if node.id in path.last_failed:
                state = "failed"
            elif node.id in path.runs:
                state = "visited"
            else:
                state = "unvisited"
            runs = path.runs.get(node.id, 0)
            times = f" {TIMES}{runs}" if node.step_id is not None and runs > 1 else ""
            detail = f"<br><small>{_e(node.detail)}</small>" if node.detail else ""
            edges = []
            for edge in graph.edges_from(node.id):
                taken = path.taken.get(edge.id, 0)
                target = names[edge.target]
                label = edge.label or edge.kind
                count = f" {TIMES}{taken}" if taken > 1 else ""
                edges.append(
                    f'<li class="edge {"taken" if taken else "nottaken"}" id="{edge.id}">'
                    f"→ {_e(target.label)} <span>({_e(label)}){count}</span></li>"
                )
            edge_list = f'<ul class="edges">{"".join(edges)}</ul>' if edges else ""
            items.append(
                f'<li class="node {node.kind} {state}" id="{node.id}">'
                f'<span class="box">{_e(node.label)}{times}{detail}</span>{edge_list}</li>'
            )
        sections.append(f"<section><h3>{_e(cluster.title)}</h3><ol>{''.join(items)}</ol></section>")
    return '<div class="flow">' + "".join(sections) + "</div>"


def _diagram(graph: Graph, path: RunPath, links: Mapping[str, str]) -> str:
    if graphviz_available():
        from .graph import GraphvizMissing

        try:
            svg = to_svg(to_dot(graph, path, links=links))
        except GraphvizMissing as exc:
            return f"<p class=note>{_e(exc)}</p>" + _flow(graph, path)
        return '<div class="diagram graphviz">' + svg[svg.find("<svg") :] + "</div>"
    return (
        "<p class=note>Graphviz is not installed: the diagram is drawn as lists "
        "(install Graphviz for a picture).</p>" + _flow(graph, path)
    )


def _summary(result: RunResult, schema: Mapping[str, Any] | None) -> str:
    failed = sum(1 for s in result.steps if not s.success)
    retries = sum(1 for s in result.steps if s.attempt > 1)
    parts = [
        f'<section class="workflow {_status(result.success)}" '
        f'data-workflow="{_e(result.workflow_id)}">',
        f"<h3>workflow {_e(result.workflow_id)} {_badge(result.success)}</h3>",
        "<div class=kv>",
        f"<span class=meta>step executions</span><span>{len(result.steps)}</span>",
        f"<span class=meta>failed executions</span><span>{failed}</span>",
        f"<span class=meta>repeated executions</span><span>{retries}</span>",
        f"<span class=meta>duration</span><span>{_ms(result.duration)}</span>",
        "</div>",
    ]
    if result.error:
        parts.append(f"<div class=error>{_e(result.error)}</div>")
    for warning in result.warnings:
        parts.append(f"<div class=note>warning: {_e(warning)}</div>")
    inputs = mask_inputs(result.inputs, schema)
    if inputs:
        parts.append(_block(inputs, "inputs"))
    if result.outputs:
        parts.append(_block(result.outputs, "outputs"))
    parts.append("</section>")
    return "".join(parts)


def to_html(
    results: Sequence[RunResult],
    *,
    document: Document | None = None,
    title: str | None = None,
    schemas: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> str:
    """The HTML report of one or more runs (see the module docstring).

    ``document`` draws the workflow diagram with the path highlighted (without it, the report
    shows the path as a list); ``schemas`` maps workflowId to its inputs schema, used to mask
    secret inputs (taken from ``document`` when not given).
    """
    from .. import __version__

    success = all(r.success for r in results)
    heading = title or (document.uri.rsplit("/", 1)[-1] if document is not None else "run")
    steps = [s for r in results for s in r.steps]
    starts = [s.started_at for s in steps if s.started_at]
    t0 = min(starts) if starts else 0.0
    end = max((s.started_at + s.duration for s in steps if s.started_at), default=t0)
    total = max(end - t0, sum(r.duration for r in results) if not starts else 0.0)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

    if schemas is None and document is not None:
        schemas = {}
        for result in results:
            try:
                schemas[result.workflow_id] = document.plan(result.workflow_id).inputs_schema
            except ArazzoError:  # a workflow of another document: no schema known here
                schemas[result.workflow_id] = None

    cards: list[str] = []
    first_card: dict[tuple[str, str], int] = {}
    timelines: list[str] = []
    number = 1
    for result in results:
        shown = _detailed(result.steps)
        timelines.append(
            f"<h3>workflow {_e(result.workflow_id)}</h3>"
            + _timeline(result.steps, number, t0, total, shown)
        )
        skipped: dict[str, int] = {}
        for index, step in enumerate(result.steps):
            if index in shown:
                cards.append(_step_card(number + index, step, t0))
                first_card.setdefault((step.workflow_id, step.step_id), number + index)
            else:
                skipped[step.step_id] = skipped.get(step.step_id, 0) + 1
        for step_id, count in skipped.items():
            cards.append(
                f"<p class=note>{count} more execution(s) of {_e(step_id)} not shown in full "
                "(the JSON report has every one).</p>"
            )
        number += len(result.steps)

    diagram = ""
    if document is not None:
        graph = build_graph(document, list(dict.fromkeys(r.workflow_id for r in results)))
        path = run_path(graph, results)
        links = {}
        for node in graph.nodes():
            if node.step_id is not None and (node.workflow_id, node.step_id) in first_card:
                links[node.id] = f"#r{first_card[(node.workflow_id, node.step_id)]}"
        diagram = "<h2 id=diagram>Diagram</h2>" + _legend() + _diagram(graph, path, links)

    summaries = "".join(_summary(r, (schemas or {}).get(r.workflow_id)) for r in results)
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(heading)}: {_status(success)} · arazzo-engine</title>",
        f"<style>{_CSS}</style></head>",
        f'<body class="{_status(success)}"><main>',
        f"<h1>{_e(heading)} {_badge(success)}</h1>",
        f"<div class=meta>arazzo-engine {_e(__version__)} · report written {stamp} · "
        f"{len(steps)} step execution(s) in {_ms(total)}</div>",
        "<div class=overview><div>",
        "<h2 id=summary>Summary</h2>",
        summaries,
        "<h2 id=path>Path taken</h2>",
        _path(steps),
        "</div><div>",
        diagram,
        "</div></div>",
        "<h2 id=timeline>Timeline</h2>",
        "".join(timelines),
        "<h2 id=steps>Steps</h2>",
        "".join(cards) or "<p class=note>no step ran</p>",
        "</main></body></html>",
    ]
    return "\n".join(body) + "\n"
