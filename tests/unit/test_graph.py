"""Workflow diagrams: the bundled ECR workflow and conformance documents with goto, retry,
workflow steps and dependsOn, drawn as Mermaid (checked by parsing its structure), DOT (checked
by Graphviz itself) and SVG (well-formed XML, one node per step); the `graph` command."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from arazzo_engine import load
from arazzo_engine.cli import main
from arazzo_engine.document.model import Document
from arazzo_engine.document.plan import StepPlan
from arazzo_engine.reports.graph import (
    Graph,
    build_graph,
    render,
    run_path,
    to_dot,
    to_mermaid,
)
from arazzo_engine.results import RunResult, StepResult
from tests.conformance.test_cases import CASES, _write

ROOT = Path(__file__).resolve().parents[2]
ECR = ROOT / "specs" / "arazzo" / "amazon-ecr-publish-image-workflow.yml"
DOCUMENTS = [
    "ecr",
    "actions/goto-step-loop",
    "actions/retry-limit",
    "actions/retry-with-step",
    "actions/retry-with-workflow",
    "actions/goto-workflow",
    "actions/end-on-failure",
    "actions/workflow-level-actions",
    "workflows/workflow-step",
    "workflows/depends-on",
]
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's 'dot' is not installed (Debian: apt-get install graphviz; .ci/run does it)",
)


def _case_document(name: str, directory: Path) -> Path:
    if name == "ecr":
        return ECR
    case = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    return _write(directory, case, "http://127.0.0.1:9")


@pytest.fixture(params=DOCUMENTS)
def document(request: pytest.FixtureRequest, tmp_path: Path) -> Document:
    return load(_case_document(request.param, tmp_path))


# -- a structural Mermaid parser ------------------------------------------------------------------

_ID = r"[A-Za-z][A-Za-z0-9_]*"
_SHAPES = [
    (r'\(\["(?P<l>[^"]*)"\]\)', "start"),
    (r'\(\("(?P<l>[^"]*)"\)\)', "circle"),
    (r'\[\["(?P<l>[^"]*)"\]\]', "workflow"),
    (r'\["(?P<l>[^"]*)"\]', "operation"),
    (r'>"(?P<l>[^"]*)"\]', "send"),
    (r'\[/"(?P<l>[^"]*)"/\]', "receive"),
]
_EDGE = re.compile(rf'^(?P<a>{_ID}) (?P<arrow>-->|-\.->|==>)(?:\|"(?P<l>[^"]*)"\|)? (?P<b>{_ID})$')


@dataclass
class Flowchart:
    nodes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id: shape, label, sub
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # a, arrow, label, b
    subgraphs: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)


def _unescape(label: str) -> str:
    """Mermaid's entity codes (``#quot;``, ``#35;``) back to text, ``<br/>`` to a new line."""
    text = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), label)
    text = re.sub(r"#([a-z]+);", lambda m: html.unescape(f"&{m[1]};"), text)
    return text.replace("<br/>", "\n")


def parse_mermaid(text: str) -> Flowchart:
    """Parse the flowchart subset we write; anything else is an error."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    chart = Flowchart()
    open_subgraph: str | None = None
    for number, raw in enumerate(lines[1:], 2):
        line = raw.strip()
        where = f"line {number}: {raw!r}"
        if not line:
            continue
        found = re.fullmatch(rf'subgraph (?P<id>{_ID})\["(?P<l>[^"]*)"\]', line)
        if found:
            assert open_subgraph is None, f"nested subgraph at {where}"
            open_subgraph = found["id"]
            chart.subgraphs[found["id"]] = _unescape(found["l"])
            continue
        if line == "end":
            assert open_subgraph is not None, f"'end' outside a subgraph at {where}"
            open_subgraph = None
            continue
        if line.startswith("direction "):
            assert line in ("direction TB", "direction LR"), where
            continue
        if line.startswith("classDef "):
            assert re.fullmatch(rf"classDef {_ID} [a-z-]+:[^ ]+", line), where
            continue
        if line.startswith("class "):
            found = re.fullmatch(rf"class (?P<ids>{_ID}(?:,{_ID})*) (?P<c>{_ID})", line)
            assert found, where
            assert found["c"] != "end", "'end' is a Mermaid keyword"
            for ident in found["ids"].split(","):
                chart.classes[ident] = found["c"]
            continue
        edge = _EDGE.match(line)
        if edge:
            chart.edges.append((edge["a"], edge["arrow"], _unescape(edge["l"] or ""), edge["b"]))
            continue
        for pattern, shape in _SHAPES:
            node = re.fullmatch(rf"(?P<id>{_ID}){pattern}", line)
            if node:
                assert open_subgraph is not None, f"node outside a subgraph at {where}"
                assert node["id"] not in chart.nodes, f"node defined twice at {where}"
                chart.nodes[node["id"]] = (shape, _unescape(node["l"]), open_subgraph)
                break
        else:
            raise AssertionError(f"not understood at {where}")
    assert open_subgraph is None, "a subgraph is not closed"
    for a, _, _, b in chart.edges:
        assert a in chart.nodes and b in chart.nodes, f"edge {a} -> {b} to an undefined node"
    for ident in chart.classes:
        assert ident in chart.nodes
    return chart


# -- what every diagram must show -----------------------------------------------------------------


def _reached(document: Document) -> list[tuple[Document, str]]:
    found: list[tuple[Document, str]] = []
    pending = [(document, w) for w in document.workflow_ids()]
    while pending:
        doc, workflow_id = pending.pop(0)
        if any(d is doc and w == workflow_id for d, w in found):
            continue
        found.append((doc, workflow_id))
        plan = doc.plan(workflow_id)
        pending.extend(plan.depends_on)
        for step in plan.steps:
            if step.workflow is not None:
                pending.append(step.workflow)
            for action in (*(step.on_success or ()), *(step.on_failure or ())):
                if action.workflow is not None:
                    pending.append(action.workflow)
    return found


def test_mermaid_has_every_step_action_and_link(document: Document) -> None:
    chart = parse_mermaid(render(build_graph(document), "mermaid"))
    reached = _reached(document)
    assert len(chart.subgraphs) == len(reached)
    by_title = {title: ident for ident, title in chart.subgraphs.items()}
    for doc, workflow_id in reached:
        title = next(t for t in by_title if t.split(" (")[0] == f"workflow {workflow_id}")
        sub = by_title[title]
        plan = doc.plan(workflow_id)
        steps = [(ident, n) for ident, n in chart.nodes.items() if n[2] == sub and n[0] != "start"]
        labels = [label.split("\n")[0] for _, (_, label, _) in steps if _ != "circle"]
        step_nodes = [n for n in steps if n[1][0] != "circle"]
        assert [n[1][1].split("\n")[0] for n in step_nodes] == [s.step_id for s in plan.steps]
        assert labels
        ids = {
            s.step_id: ident
            for ident, (_, label, _) in step_nodes
            for s in plan.steps
            if label.split("\n")[0] == s.step_id
        }
        for step in plan.steps:
            here = ids[step.step_id]
            shape = chart.nodes[here][0]
            assert shape == ("workflow" if step.workflow is not None else "operation")
            out = [(arrow, label, b) for a, arrow, label, b in chart.edges if a == here]
            for action in (*(step.on_success or ()), *(step.on_failure or ())):
                matching = [
                    label for _, label, _ in out if f"{action.name}: {action.type}" in label
                ]
                assert matching, f"no edge for action {action.name} of {step.step_id}: {out}"
                if action.type == "retry":
                    assert any(f"retry \u2264{action.retry_limit}" in m for m in matching)
                    assert any(b == here for _, label, b in out if "retry" in label)
                if action.type == "goto" and action.step_id is not None:
                    goal = ids[action.step_id]
                    assert any(b == goal for _, label, b in out if action.name in label)
            if step.workflow is not None:
                assert any(label == "calls" for _, label, _ in out)
        starts = [i for i, n in chart.nodes.items() if n[2] == sub and n[0] == "start"]
        assert len(starts) == 1
        depends = [a for a, _, label, b in chart.edges if b == starts[0] and label == "dependsOn"]
        assert len(depends) == len(plan.depends_on)


@needs_dot
def test_dot_is_accepted_by_graphviz(document: Document, tmp_path: Path) -> None:
    dot = to_dot(build_graph(document))
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip(), done.stderr.decode()  # no warnings either


def _svg_step_nodes(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg.encode())
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    return [
        g for g in root.iter(f"{ns}g") if {"node", "step"} <= set((g.get("class") or "").split())
    ]


@needs_dot
def test_svg_is_xml_with_one_node_per_step(document: Document) -> None:
    svg = render(build_graph(document), "svg")
    nodes = _svg_step_nodes(svg)
    steps = sum(len(doc.plan(w).steps) for doc, w in _reached(document))
    assert len(nodes) == steps
    assert len({g.get("id") for g in nodes}) == steps


def test_labels_with_any_characters_are_escaped(tmp_path: Path) -> None:
    """Action names are free text: quotes, brackets, pipes, hashes, backslashes, new lines."""
    case = yaml.safe_load((CASES / "actions" / "goto-step-loop.yaml").read_text())
    nasty = 'say "hi" <b>|#1; \\n \\ end\n[x]{y}'
    case["arazzo"]["workflows"][0]["steps"][1]["onSuccess"][0]["name"] = nasty
    document = load(_write(tmp_path, case, "http://127.0.0.1:9"))
    graph = build_graph(document)
    chart = parse_mermaid(to_mermaid(graph))
    assert any(label.startswith(f"{nasty}: goto") for _, _, label, _ in chart.edges)
    if shutil.which("dot"):
        svg = render(graph, "svg")
        text = "".join(ET.fromstring(svg.encode()).itertext())
        for part in nasty.split("\n"):
            assert part in text


def test_message_steps_are_drawn_distinctly(tmp_path: Path) -> None:
    """The hook for message steps: a plan step marked send / receive gets its own shape."""

    @dataclass(frozen=True)
    class MessageStep(StepPlan):
        message_kind: str = "send"

    document = load(_case_document("actions/goto-step-loop", tmp_path))
    plan = document.plan("wf")
    steps = list(plan.steps)
    fields = {f.name: getattr(steps[0], f.name) for f in dataclasses.fields(StepPlan)}
    steps[0] = MessageStep(**fields, message_kind="send")
    fields = {f.name: getattr(steps[2], f.name) for f in dataclasses.fields(StepPlan)}
    steps[2] = MessageStep(**fields, message_kind="receive")
    patched = dataclasses.replace(plan, steps=tuple(steps))
    document.plan = lambda workflow_id: patched  # type: ignore[method-assign]
    graph = build_graph(document)
    chart = parse_mermaid(to_mermaid(graph))
    shapes = {label.split("\n")[0]: shape for shape, label, _ in chart.nodes.values()}
    assert shapes["start"] == "send" and shapes["fetch"] == "receive"
    assert shapes["poll"] == "operation"
    dot = to_dot(graph)
    assert "shape=cds" in dot and "shape=invhouse" in dot


# -- the path of a run ----------------------------------------------------------------------------


def _record(step_id: str, success: bool = True, action: str | None = None) -> StepResult:
    return StepResult(step_id, "wf", success, "GET /x", action=action)


def _taken(graph: Graph, result: RunResult) -> dict[tuple[str, str, str], int]:
    path = run_path(graph, [result])
    names = {n.id: n.label for n in graph.nodes()}
    return {
        (names[e.source], e.kind, names[e.target]): path.taken[e.id]
        for e in graph.edges
        if e.id in path.taken
    }


def test_run_path_follows_recorded_actions(tmp_path: Path) -> None:
    graph = build_graph(load(_case_document("actions/goto-step-loop", tmp_path)))
    result = RunResult(
        "wf",
        True,
        steps=[
            _record("start"),
            _record("poll", action="again: goto poll"),
            _record("poll", action="again: goto poll"),
            _record("poll"),
            _record("fetch"),
        ],
    )
    assert _taken(graph, result) == {
        ("wf", "first", "start"): 1,
        ("start", "next", "poll"): 1,
        ("poll", "goto", "poll"): 2,
        ("poll", "next", "fetch"): 1,
        ("fetch", "next", "end"): 1,
    }


def test_run_path_is_derived_from_records_without_actions(tmp_path: Path) -> None:
    """A result that does not say which action fired: consecutive records tell."""
    graph = build_graph(load(_case_document("actions/goto-step-loop", tmp_path)))
    records = [_record(s) for s in ("start", "poll", "poll", "poll", "fetch")]
    derived = _taken(graph, RunResult("wf", True, steps=records))
    assert derived[("poll", "goto", "poll")] == 2
    (tmp_path / "r").mkdir()
    graph = build_graph(load(_case_document("actions/retry-limit", tmp_path / "r")))
    records = [_record("call", False), _record("call", False), _record("call")]
    derived = _taken(graph, RunResult("wf", True, steps=records))
    assert derived[("call", "retry", "call")] == 2
    assert derived[("call", "next", "end")] == 1


# -- the command line -----------------------------------------------------------------------------


def test_graph_command_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(ECR)]) == 0
    chart = parse_mermaid(capsys.readouterr().out)
    assert [n[1].split("\n")[0] for n in chart.nodes.values() if n[0] == "operation"] == [
        "confirmRepository",
        "putImage",
        "verifyImage",
    ]
    out = tmp_path / "ecr.dot"
    assert main(["graph", str(ECR), "publish-image", "--format", "dot", "-o", str(out)]) == 0
    assert out.read_text().startswith("digraph arazzo {")
    assert main(["describe", str(ECR), "publish-image", "--mermaid"]) == 0
    assert parse_mermaid(capsys.readouterr().out).subgraphs == {"w0": "workflow publish-image"}


def test_graph_command_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["graph", str(ECR), "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no workflow 'nope'") and len(err.splitlines()) == 1
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without Graphviz
    assert main(["graph", str(ECR), "--format", "svg"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "install Graphviz" in err and "apt-get" in err


@needs_dot
def test_graph_command_svg(tmp_path: Path) -> None:
    out = tmp_path / "ecr.svg"
    assert main(["graph", str(ECR), "--format", "svg", "-o", str(out)]) == 0
    assert len(_svg_step_nodes(out.read_text())) == 3


def test_every_conformance_document_draws(tmp_path: Path) -> None:
    """Every case document that compiles draws in Mermaid and DOT; one that does not is an
    ArazzoError (a clean exit 2 on the command line), never a crash."""
    from arazzo_engine import ArazzoError
    from tests.conformance.test_cases import CASE_FILES

    drawn = refused = 0
    for number, path in enumerate(CASE_FILES):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        directory = tmp_path / str(number)
        directory.mkdir()
        try:
            graph = build_graph(load(_write(directory, case, "http://127.0.0.1:9")))
        except ArazzoError:
            refused += 1
            continue
        parse_mermaid(to_mermaid(graph))
        if shutil.which("dot"):
            done = subprocess.run(
                ["dot", "-Tsvg"], input=to_dot(graph).encode(), capture_output=True, check=False
            )
            assert done.returncode == 0 and not done.stderr, (path, done.stderr)
        drawn += 1
    print(f"{drawn} conformance documents drawn, {refused} refused")
    assert drawn > refused
