"""Workflow diagrams: the steps of workflows and the edges between them, as Mermaid, DOT or SVG.

A diagram has a cluster per workflow (the workflows asked for, and every workflow they reach:
workflow steps, ``goto`` a workflow, ``dependsOn``). Inside a cluster, a start node leads to the
first step; each step leads to the next one (the default when no success action fires), and each
``onSuccess`` / ``onFailure`` action is an edge labelled with its name and type: ``goto`` to a step
or to another workflow's start, ``retry`` as a loop on the step (with its ``retryLimit``), ``end``
to the workflow's end (success) or failed node. Workflow-level actions apply to every step that
does not override them by name, as they do in a run. A workflow step calls its target workflow
(a dashed edge); ``dependsOn`` is a dashed edge from the dependency to the workflow that waits
for it.

Mermaid and DOT are text; SVG is drawn by Graphviz (the ``dot`` program), never by us. Node ids
are generated (``w0_s1``), so names with any characters are safe; labels are escaped per format.
The same graph, given the records of a run (`RunPath`), highlights the path the run took: the
HTML report draws it that way.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ArazzoError
from ..run.actions import effective_actions

if TYPE_CHECKING:
    from ..document.model import Document
    from ..document.plan import ActionPlan, StepPlan, WorkflowPlan
    from ..results import RunResult, StepResult

__all__ = [
    "FORMATS",
    "Edge",
    "Graph",
    "GraphvizMissing",
    "Node",
    "RunPath",
    "build_graph",
    "render",
    "run_path",
    "short_target",
    "to_dot",
    "to_mermaid",
    "to_svg",
]

#: The output formats of `render` (and ``arazzo-engine graph --format``).
FORMATS = ("mermaid", "dot", "svg")

#: Step kinds drawn as messages. Message steps (send / receive) do not exist in the plan yet:
#: `_step_kind` is the one hook that will recognise them, and every renderer already draws them
#: with their own shape.
MESSAGE_KINDS = ("send", "receive")

GRAPHVIZ_HINT = (
    "drawing SVG needs Graphviz's 'dot' program: install Graphviz "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz), "
    "or use --format mermaid or dot"
)


class GraphvizMissing(ArazzoError):
    """Graphviz's ``dot`` program is not installed (or failed): SVG cannot be drawn."""


@dataclass(frozen=True)
class Node:
    """A box of the diagram: a workflow's start, end or failed node, or a step."""

    id: str
    label: str
    kind: str  # start | end | failed | operation | workflow | send | receive
    workflow_id: str
    step_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Edge:
    """An arrow of the diagram."""

    id: str
    source: str
    target: str
    kind: str  # start | next | goto | retry | end | calls | dependsOn | first
    label: str = ""
    #: the action's name (``goto``, ``retry`` and ``end`` edges)
    action: str | None = None
    #: ``success`` or ``failure`` for action edges
    on: str | None = None


@dataclass
class Cluster:
    """One workflow's nodes."""

    id: str
    workflow_id: str
    title: str
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Graph:
    """Workflows as a directed graph (see the module docstring)."""

    clusters: list[Cluster]
    edges: list[Edge]
    _steps: dict[tuple[str, str], Node] | None = field(default=None, init=False, repr=False)
    _out: dict[str, list[Edge]] | None = field(default=None, init=False, repr=False)

    def nodes(self) -> list[Node]:
        """Every node, cluster by cluster."""
        return [n for c in self.clusters for n in c.nodes]

    def step_node(self, workflow_id: str, step_id: str) -> Node | None:
        """The node of a step (the first workflow of that id when several documents have it)."""
        if self._steps is None:
            self._steps = {}
            for node in self.nodes():
                if node.step_id is not None:
                    self._steps.setdefault((node.workflow_id, node.step_id), node)
        return self._steps.get((workflow_id, step_id))

    def edges_from(self, node_id: str) -> list[Edge]:
        """The edges leaving a node, in drawing order."""
        if self._out is None:
            self._out = {}
            for edge in self.edges:
                self._out.setdefault(edge.source, []).append(edge)
        return self._out.get(node_id, [])


def _operation_label(step: StepPlan) -> str:
    return short_target(step.target)


def short_target(target: str) -> str:
    """``POST /#X-Amz-Target=... (putImage)`` shown as ``POST / (putImage)``."""
    if "#" not in target:
        return target
    head, _, rest = target.partition("#")
    operation = rest.rsplit(" (", 1)[1] if " (" in rest else ""
    return f"{head} ({operation}" if operation else head


def _step_kind(step: StepPlan) -> str:
    """How a step is drawn. The hook for message steps: once the plan marks a step as a message
    (an attribute ``kind`` / ``message_kind`` of ``send`` or ``receive``), it is drawn as one."""
    for name in ("message_kind", "kind"):
        kind = getattr(step, name, None)
        if isinstance(kind, str) and kind in MESSAGE_KINDS:
            return kind
    return "workflow" if step.workflow is not None else "operation"


class _Builder:
    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], int] = {}
        self.plans: list[WorkflowPlan] = []
        self.clusters: list[Cluster] = []
        self.edges: list[Edge] = []

    def key(self, document: Document, workflow_id: str) -> tuple[str, str]:
        return (document.uri, workflow_id)

    def add(self, document: Document, workflow_id: str) -> int:
        key = self.key(document, workflow_id)
        if key in self.keys:
            return self.keys[key]
        index = len(self.plans)
        self.keys[key] = index
        plan = document.plan(workflow_id)
        self.plans.append(plan)
        title = f"workflow {workflow_id}"
        if self.plans and document is not self.plans[0].document:
            title += f" ({document.uri.rsplit('/', 1)[-1]})"
        cluster = Cluster(f"w{index}", workflow_id, title)
        self.clusters.append(cluster)
        cluster.nodes.append(Node(f"w{index}_start", workflow_id, "start", workflow_id))
        for step in plan.steps:
            cluster.nodes.append(
                Node(
                    f"w{index}_s{step.index}",
                    step.step_id,
                    _step_kind(step),
                    workflow_id,
                    step.step_id,
                    _operation_label(step),
                )
            )
        for referenced in self.references(plan):
            self.add(*referenced)
        return index

    @staticmethod
    def references(plan: WorkflowPlan) -> list[tuple[Document, str]]:
        found = list(plan.depends_on)
        for step in plan.steps:
            if step.workflow is not None:
                found.append(step.workflow)
            for action in (*(step.on_success or ()), *(step.on_failure or ())):
                if action.workflow is not None:
                    found.append(action.workflow)
        for action in (*plan.success_actions, *plan.failure_actions):
            if action.workflow is not None:
                found.append(action.workflow)
        return found

    def edge(self, source: str, target: str, kind: str, label: str = "", **extra: str) -> None:
        self.edges.append(Edge(f"e{len(self.edges)}", source, target, kind, label, **extra))

    def terminal(self, index: int, kind: str) -> str:
        cluster = self.clusters[index]
        node_id = f"w{index}_{kind}"
        if not any(n.id == node_id for n in cluster.nodes):
            label = "end" if kind == "end" else "failed"
            cluster.nodes.append(Node(node_id, label, kind, cluster.workflow_id))
        return node_id

    def wire(self, index: int) -> None:
        plan = self.plans[index]
        prefix = f"w{index}"
        self.edge(f"{prefix}_start", f"{prefix}_s0", "first")
        for dependency in plan.depends_on:
            other = self.keys[self.key(*dependency)]
            self.edge(f"w{other}_start", f"{prefix}_start", "dependsOn", "dependsOn")
        for step in plan.steps:
            here = f"{prefix}_s{step.index}"
            if step.workflow is not None:
                other = self.keys[self.key(*step.workflow)]
                self.edge(here, f"w{other}_start", "calls", "calls")
            success = effective_actions(step.on_success, plan.success_actions)
            failure = effective_actions(step.on_failure, plan.failure_actions)
            for action in success:
                self.action(index, here, step, action, "success")
            for action in failure:
                self.action(index, here, step, action, "failure")
            if not any(not a.criteria for a in success):  # no unconditional success action
                last = step.index == len(plan.steps) - 1
                target = self.terminal(index, "end") if last else f"{prefix}_s{step.index + 1}"
                self.edge(here, target, "next")

    def action(self, index: int, here: str, step: StepPlan, action: ActionPlan, on: str) -> None:
        plan = self.plans[index]
        conditional = ""
        if action.criteria:
            condition = " && ".join(c.text for c in action.criteria)
            condition = condition if len(condition) <= 40 else condition[:39] + "…"
            conditional = f" if {condition}"
        mark = "✗ " if on == "failure" else ""
        if action.type == "end":
            target = self.terminal(index, "end" if on == "success" else "failed")
            self.edge(
                here,
                target,
                "end",
                f"{mark}{action.name}: end{conditional}",
                action=action.name,
                on=on,
            )
            return
        if action.workflow is not None:
            goal = f"w{self.keys[self.key(*action.workflow)]}_start"
        elif action.step_id is not None:
            goal = f"w{index}_s{plan.step_index[action.step_id]}"
        else:
            goal = here
        if action.type == "goto":
            self.edge(
                here,
                goal,
                "goto",
                f"{mark}{action.name}: goto{conditional}",
                action=action.name,
                on=on,
            )
            return
        limit = f" ≤{action.retry_limit}"
        self.edge(
            here,
            here,
            "retry",
            f"{mark}{action.name}: retry{limit}{conditional}",
            action=action.name,
            on=on,
        )
        if goal != here:  # retry runs that step or workflow first
            self.edge(
                here, goal, "retry", f"{mark}{action.name}: runs first", action=action.name, on=on
            )


def build_graph(document: Document, workflow_ids: Sequence[str] | None = None) -> Graph:
    """The diagram of ``workflow_ids`` (every workflow of the document when empty) and of every
    workflow they reach. Raises `ArazzoError` for an unknown workflow or a document that does
    not compile."""
    builder = _Builder()
    wanted = list(dict.fromkeys(workflow_ids or document.workflow_ids()))
    for workflow_id in wanted:
        document.raw_workflow(workflow_id)  # WorkflowNotFoundError (an ArazzoError) if unknown
    for workflow_id in wanted:
        builder.add(document, workflow_id)
    for index in range(len(builder.plans)):
        builder.wire(index)
    return Graph(builder.clusters, builder.edges)


# -- the path a run took ------------------------------------------------------------------------

#: The multiplication sign of counts (as in 3 times).
TIMES = "\u00d7"

_ACTION = re.compile(r"^(?P<name>.*): (?P<type>end|goto|retry)(?: (?P<target>.*))?$", re.DOTALL)


@dataclass
class RunPath:
    """What a run did on a graph: how often each node ran (and failed), which edges it took."""

    runs: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    last_failed: set[str] = field(default_factory=set)
    taken: dict[str, int] = field(default_factory=dict)
    #: per step record (in order): the node it ran and the edge it left by (if known)
    steps: list[tuple[str | None, str | None]] = field(default_factory=list)

    def take(self, edge: Edge | None) -> str | None:
        if edge is None:
            return None
        self.taken[edge.id] = self.taken.get(edge.id, 0) + 1
        return edge.id


def _parse_action(text: str | None) -> tuple[str, str] | None:
    """``name: type target`` (StepResult.action) as (name, type)."""
    if not text:
        return None
    found = _ACTION.match(text)
    return (found["name"], found["type"]) if found else None


def _edge_for(
    graph: Graph,
    node: Node,
    record: StepResult,
    following: StepResult | None,
) -> Edge | None:
    edges = graph.edges_from(node.id)
    on = "success" if record.success else "failure"
    fired = _parse_action(getattr(record, "action", None))
    if fired is not None:
        name, kind = fired
        for edge in edges:
            if (
                edge.action == name
                and edge.kind == kind
                and edge.on == on
                and (kind != "retry" or edge.target == node.id)
            ):
                return edge
        return None
    # No action recorded: the default, unless the next record of this workflow says otherwise
    # (a result from a core that does not record the action: derive it from the records).
    if following is not None:
        target = graph.step_node(following.workflow_id, following.step_id or "")
        if target is not None:
            if target.id == node.id:  # a retry after a failure, a goto to itself after a success
                kind = "goto" if record.success else "retry"
                return next((e for e in edges if e.kind == kind and e.target == node.id), None)
            nxt = next((e for e in edges if e.kind == "next"), None)
            if nxt is not None and nxt.target == target.id and record.success:
                return nxt
            return next((e for e in edges if e.kind == "goto" and e.target == target.id), None)
    if record.success:
        return next((e for e in edges if e.kind == "next"), None)
    return None


def run_path(graph: Graph, results: Iterable[RunResult]) -> RunPath:
    """The path the runs took through ``graph``: step records mapped to nodes, and for each
    record the edge it left by (the action it records, else the default next step)."""
    path = RunPath()
    for result in results:
        records = list(result.steps)
        # the next record of the same workflow, for each record (scanning backwards once)
        following: list[StepResult | None] = [None] * len(records)
        later: dict[str, StepResult] = {}
        for position in range(len(records) - 1, -1, -1):
            following[position] = later.get(records[position].workflow_id)
            later[records[position].workflow_id] = records[position]
        for position, record in enumerate(records):
            node = graph.step_node(record.workflow_id, record.step_id)
            if node is None:
                path.steps.append((None, None))
                continue
            path.runs[node.id] = path.runs.get(node.id, 0) + 1
            if not record.success:
                path.failures[node.id] = path.failures.get(node.id, 0) + 1
                path.last_failed.add(node.id)
            else:
                path.last_failed.discard(node.id)
            edge = _edge_for(graph, node, record, following[position])
            path.steps.append((node.id, path.take(edge)))
            for call in graph.edges_from(node.id):
                if call.kind == "calls" and call.id not in path.taken:
                    path.take(call)
        ran = {n.workflow_id for n in graph.nodes() if n.id in path.runs}
        for cluster in graph.clusters:
            if cluster.workflow_id in ran:
                start = f"{cluster.id}_start"
                path.runs.setdefault(start, 1)
                for edge in graph.edges_from(start):
                    if edge.kind == "first" and edge.id not in path.taken:
                        path.take(edge)
                    target_cluster = edge.target.rsplit("_", 1)[0]
                    if edge.kind == "dependsOn" and any(
                        c.id == target_cluster and c.workflow_id in ran for c in graph.clusters
                    ):
                        path.taken.setdefault(edge.id, 1)
        for edge in graph.edges:
            if edge.kind in ("end", "next") and edge.id in path.taken:
                path.runs.setdefault(edge.target, 1)
    return path


# -- Mermaid -------------------------------------------------------------------------------------

_MERMAID_ENTITIES = {
    "&": "#amp;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "#": "#35;",
    "|": "#124;",
    "`": "#96;",
}


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes; line breaks as ``<br/>``)."""
    escaped = "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in text)
    return "<br/>".join(line for line in escaped.replace("\r", "").split("\n"))


_MERMAID_SHAPES = {
    "start": ('(["', '"])'),
    "end": ('(("', '"))'),
    "failed": ('(("', '"))'),
    "operation": ('["', '"]'),
    "workflow": ('[["', '"]]'),
    "send": ('>"', '"]'),
    "receive": ('[/"', '"/]'),
}

_MERMAID_ARROWS = {
    "first": "-->",
    "next": "-->",
    "goto": "-->",
    "end": "-->",
    "retry": "-.->",
    "calls": "-.->",
    "dependsOn": "-.->",
}


_MERMAID_CLASSES = {
    "start": "wfstart",
    "workflow": "wfcall",
    "send": "wfmessage",
    "receive": "wfmessage",
    "end": "wfend",
    "failed": "wffailed",
}


def _mermaid_node_label(node: Node) -> str:
    label = mermaid_text(node.label)
    if node.detail and node.kind not in ("start", "end", "failed"):
        label += "<br/>" + mermaid_text(node.detail)
    return label


def to_mermaid(graph: Graph, path: RunPath | None = None) -> str:
    """The graph as a Mermaid flowchart (``flowchart TD``, a subgraph per workflow)."""
    lines = ["flowchart TD"]
    for cluster in graph.clusters:
        lines.append(f'  subgraph {cluster.id}["{mermaid_text(cluster.title)}"]')
        lines.append("    direction TB")
        for node in cluster.nodes:
            opening, closing = _MERMAID_SHAPES[node.kind]
            lines.append(f"    {node.id}{opening}{_mermaid_node_label(node)}{closing}")
        lines.append("  end")
    for edge in graph.edges:
        arrow = _MERMAID_ARROWS[edge.kind]
        if path is not None and edge.id in path.taken:
            arrow = "==>"
        label = edge.label
        if path is not None and path.taken.get(edge.id, 0) > 1:
            label = f"{label} {TIMES}{path.taken[edge.id]}".strip()
        shown = f'|"{mermaid_text(label)}"|' if label else ""
        lines.append(f"  {edge.source} {arrow}{shown} {edge.target}")
    lines.extend(
        [
            "  classDef wfstart fill:#eef2ff,stroke:#4f46e5",
            "  classDef wfcall fill:#fef9c3,stroke:#a16207",
            "  classDef wfmessage fill:#ecfeff,stroke:#0e7490",
            "  classDef wfend fill:#dcfce7,stroke:#15803d",
            "  classDef wffailed fill:#fee2e2,stroke:#b91c1c",
        ]
    )
    groups: dict[str, list[str]] = {}
    for node in graph.nodes():
        # Mermaid class names of our own ("end" is a Mermaid keyword)
        css = _MERMAID_CLASSES.get(node.kind)
        if css is not None:
            groups.setdefault(css, []).append(node.id)
    if path is not None:
        lines.append("  classDef visited fill:#dbeafe,stroke:#1d4ed8,stroke-width:3px")
        lines.append("  classDef stepfailed fill:#fecaca,stroke:#b91c1c,stroke-width:3px")
        for node in graph.nodes():
            if node.id in path.last_failed:
                groups.setdefault("stepfailed", []).append(node.id)
            elif node.id in path.runs:
                groups.setdefault("visited", []).append(node.id)
    for css, ids in groups.items():
        lines.append(f"  class {','.join(ids)} {css}")
    return "\n".join(lines) + "\n"


# -- DOT -----------------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """Text safe inside a quoted DOT string (Graphviz escapes; line breaks as ``\\n``)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return out.replace("\n", "\\n")


_DOT_SHAPES = {
    "start": 'shape=box, style="rounded,filled,bold", fillcolor="#eef2ff", color="#4f46e5"',
    "end": 'shape=doublecircle, style=filled, fillcolor="#dcfce7", color="#15803d", width=0.3',
    "failed": 'shape=doublecircle, style=filled, fillcolor="#fee2e2", color="#b91c1c", width=0.3',
    "operation": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "workflow": 'shape=box, peripheries=2, style=filled, fillcolor="#fef9c3", color="#a16207"',
    "send": 'shape=cds, style=filled, fillcolor="#ecfeff", color="#0e7490"',
    "receive": 'shape=invhouse, style=filled, fillcolor="#ecfeff", color="#0e7490"',
}

_DOT_EDGES = {
    "first": 'color="#4f46e5"',
    "next": 'color="#374151"',
    "goto": 'color="#7c3aed", fontcolor="#7c3aed"',
    "end": 'color="#374151"',
    "retry": 'color="#c2410c", fontcolor="#c2410c", style=dashed',
    "calls": 'color="#a16207", fontcolor="#a16207", style=dashed',
    "dependsOn": 'color="#0f766e", fontcolor="#0f766e", style=dotted',
}


def to_dot(
    graph: Graph,
    path: RunPath | None = None,
    *,
    links: Mapping[str, str] | None = None,
) -> str:
    """The graph in Graphviz DOT. With ``path``, the nodes and edges the run took are drawn
    bold (and given the SVG classes ``visited`` / ``failed`` / ``taken``); ``links`` maps node
    ids to URLs (fragments in the HTML report)."""
    out = [
        "digraph arazzo {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.4, ranksep=0.45];',
        '  node [fontname="Helvetica", fontsize=10, margin="0.12,0.05"];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
    ]
    for cluster in graph.clusters:
        out.append(f"  subgraph cluster_{cluster.id} {{")
        out.append(
            f'    label="{dot_text(cluster.title)}"; style="rounded"; color="#9ca3af"; '
            'fontcolor="#374151";'
        )
        for node in cluster.nodes:
            runs = path.runs.get(node.id, 0) if path is not None else 0
            label = node.label
            if node.step_id is not None and runs > 1:
                label += f" ({TIMES}{runs})"
            if node.detail and node.kind not in ("start", "end", "failed"):
                label += "\n" + node.detail
            attributes = [f'label="{dot_text(label)}"', _DOT_SHAPES[node.kind], f'id="{node.id}"']
            classes = ["step"] if node.step_id is not None else [node.kind]
            if path is not None:
                if node.id in path.last_failed:
                    classes.append("failed")
                    attributes.append('penwidth=3, color="#b91c1c", fillcolor="#fecaca"')
                elif runs:
                    classes.append("visited")
                    attributes.append('penwidth=3, color="#1d4ed8"')
                    if node.kind in ("operation", "workflow", "send", "receive"):
                        attributes.append('fillcolor="#dbeafe"')
                else:
                    classes.append("unvisited")
                    attributes.append('fontcolor="#6b7280", color="#d1d5db"')
            attributes.append(f'class="{" ".join(classes)}"')
            if links and node.id in links:
                attributes.append(f'URL="{dot_text(links[node.id])}"')
                attributes.append(f'tooltip="{dot_text(node.label)}"')
            out.append(f"    {node.id} [{', '.join(attributes)}];")
        out.append("  }")
    for edge in graph.edges:
        attributes = [_DOT_EDGES[edge.kind], f'id="{edge.id}"']
        label = edge.label
        if path is not None:
            count = path.taken.get(edge.id, 0)
            if count:
                attributes.append('penwidth=2.5, color="#1d4ed8", class="taken"')
                if count > 1:
                    label = f"{label} {TIMES}{count}".strip()
            else:
                attributes.append('class="nottaken"')
        if label:
            attributes.insert(0, f'label="{dot_text(label)}"')
        out.append(f"  {edge.source} -> {edge.target} [{', '.join(attributes)}];")
    out.append("}")
    return "\n".join(out) + "\n"


# -- SVG (Graphviz) ------------------------------------------------------------------------------


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def to_svg(dot: str, timeout: float = 60.0) -> str:
    """DOT drawn as SVG by Graphviz's ``dot`` program. Raises `GraphvizMissing` (naming what to
    install) when it is absent, or with its message when it fails."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing(GRAPHVIZ_HINT)
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphvizMissing(f"Graphviz 'dot' could not draw the diagram: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizMissing(
            f"Graphviz 'dot' failed: {message[0] if message else f'exit {done.returncode}'}"
        )
    return done.stdout.decode("utf-8")


def render(graph: Graph, fmt: str) -> str:
    """The graph in one of `FORMATS`."""
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "svg":
        return to_svg(to_dot(graph))
    raise ValueError(f"unknown diagram format {fmt!r} (one of {', '.join(FORMATS)})")
