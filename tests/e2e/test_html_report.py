"""The HTML report opened in a real headless Chromium: runs over real sockets against a local
server, the rendered DOM read back, a screenshot taken, and no request leaving the machine.

Chromium (Debian's ``chromium``) is installed by ``.ci/run``; without it the browser tests skip
and say so. Graphviz (``dot``) draws the diagram as SVG when present; without it the report draws
the same graph as HTML lists, and these tests check whichever the report holds.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_engine import RunResult, load, run_workflow
from arazzo_engine.cli import main
from arazzo_engine.reports.graph import build_graph
from arazzo_engine.reports.json import to_report
from tests.support.http_server import Reply, ScriptedServer

API_KEY = "s3cr3t-KEY-4242"
TOKEN = "tok-SECRET-9191"

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "shop", "version": "1"},
    "paths": {
        "/login": {"post": {"operationId": "login", "responses": {"200": {"description": "ok"}}}},
        "/flaky": {"get": {"operationId": "flaky", "responses": {"200": {"description": "ok"}}}},
        "/status": {"get": {"operationId": "status", "responses": {"200": {"description": "ok"}}}},
        "/report": {"get": {"operationId": "report", "responses": {"200": {"description": "ok"}}}},
        "/done": {"post": {"operationId": "finish", "responses": {"200": {"description": "ok"}}}},
    },
}


def _arazzo() -> dict[str, Any]:
    return {
        "arazzo": "1.0.1",
        "info": {"title": "shop", "version": "1"},
        "sourceDescriptions": [{"name": "api", "url": "./api.yaml", "type": "openapi"}],
        "workflows": [
            {
                "workflowId": "shop",
                "inputs": {
                    "type": "object",
                    "required": ["apiKey"],
                    "properties": {"apiKey": {"type": "string", "format": "password"}},
                },
                "steps": [
                    {
                        "stepId": "login",
                        "operationId": "login",
                        "parameters": [
                            {"name": "X-Api-Key", "in": "header", "value": "$inputs.apiKey"}
                        ],
                        "successCriteria": [{"condition": "$statusCode == 200"}],
                        "outputs": {"token": "$response.body#/token"},
                    },
                    {
                        "stepId": "flaky",
                        "operationId": "flaky",
                        "parameters": [
                            {
                                "name": "Authorization",
                                "in": "header",
                                "value": "Bearer {$steps.login.outputs.token}",
                            }
                        ],
                        "successCriteria": [{"condition": "$statusCode == 200"}],
                        "onFailure": [{"name": "again", "type": "retry", "retryLimit": 3}],
                    },
                    {
                        "stepId": "poll",
                        "operationId": "status",
                        "outputs": {"state": "$response.body#/state"},
                        "onSuccess": [
                            {
                                "name": "wait",
                                "type": "goto",
                                "stepId": "poll",
                                "criteria": [{"condition": "$response.body#/state != 'done'"}],
                            }
                        ],
                    },
                    {
                        "stepId": "check",
                        "operationId": "report",
                        "successCriteria": [
                            {"condition": "$statusCode == 200"},
                            {"condition": "$response.body#/total == 3"},
                        ],
                    },
                    {"stepId": "finish", "operationId": "finish"},
                ],
            }
        ],
    }


def _write(directory: Path, url: str) -> Path:
    spec = dict(OPENAPI, servers=[{"url": url}])
    (directory / "api.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    document = directory / "shop.arazzo.yaml"
    document.write_text(yaml.safe_dump(_arazzo(), sort_keys=False), encoding="utf-8")
    return document


def _script(server: ScriptedServer, total: int) -> None:
    server.route("POST", "/login", Reply(200, {"token": TOKEN}))
    server.route("GET", "/flaky", Reply(503, {"busy": True}), Reply(200, {"ok": True}))
    server.route("GET", "/status", Reply(200, {"state": "queued"}), Reply(200, {"state": "done"}))
    server.route("GET", "/report", Reply(200, {"total": total, "items": ["x"] * 200}))
    server.route("POST", "/done", Reply(200, {}))


# -- reading the DOM ------------------------------------------------------------------------------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text: list[str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def content(self) -> str:
        return " ".join("".join(self.text).split())


class Dom(HTMLParser):
    """Every element with its attributes and its whole text (nested text included)."""

    VOID = frozenset(
        {"meta", "br", "img", "input", "link", "hr", "path", "polygon", "ellipse", "polyline"}
    )

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text.append(data)

    def by_id(self, ident: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    def select(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


# -- the browser ----------------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run does it)")


class RecordingProxy:
    """A proxy on 127.0.0.1 that answers nothing and records every request line sent to it:
    the browser is pointed at it, so any request the page makes is seen here."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b""
                self.seen.append(data.split(b"\r\n", 1)[0].decode("latin-1") or "(connect)")

    def __enter__(self) -> RecordingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def _hosts(request_lines: list[str]) -> set[str]:
    """The hosts of proxy request lines (``GET http://host/...``, ``CONNECT host:443``)."""
    found = set()
    for line in request_lines:
        parts = line.split()
        if len(parts) < 2:
            found.add(line)
            continue
        target = parts[1]
        target = target.split("://", 1)[1] if "://" in target else target
        found.add(target.split("/", 1)[0].rsplit(":", 1)[0].lower())
    return found


_BASELINE: set[str] = set()


def page_requests(seen: list[str], work: Path) -> set[str]:
    """The hosts a page made the browser ask for: what it asked for, less what Chromium asks for
    by itself on an empty page (its own update and time services, which the switches above do not
    all silence)."""
    if not _BASELINE:
        blank = work / "blank.html"
        blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
        _, own = browse(blank, work / "baseline")
        _BASELINE.update(_hosts(own) | {"(none)"})
    return _hosts(seen) - _BASELINE


def browse(page: Path, work: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """The DOM Chromium renders for ``page`` (a file), and the requests the browser sent (to the
    recording proxy: nothing else resolves)."""
    chromium = _chromium()
    with RecordingProxy() as proxy:
        base = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-features=OptimizationHints,MediaRouter",
            f"--user-data-dir={work / 'profile'}",
            f"--proxy-server=http://127.0.0.1:{proxy.port}",
            "--proxy-bypass-list=<-loopback>",
            # nothing resolves but the proxy: a request can only go to it
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1366,900",
        ]
        started = time.perf_counter()
        done = subprocess.run(
            [*base, "--dump-dom", page.as_uri()], capture_output=True, timeout=180, check=False
        )
        print(f"chromium rendered {page.name} in {time.perf_counter() - started:.2f} s")
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        if screenshot is not None:
            subprocess.run(
                [*base, f"--screenshot={screenshot}", "--hide-scrollbars", page.as_uri()],
                capture_output=True,
                timeout=180,
                check=True,
            )
            assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        time.sleep(0.3)  # a connection the browser opened just before exiting is recorded
        return done.stdout.decode("utf-8"), list(proxy.seen)


_OUTSIDE = re.compile(
    r"""(?:\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.IGNORECASE,
)


def assert_self_contained(text: str) -> None:
    assert not _OUTSIDE.search(text), _OUTSIDE.search(text)
    assert "<script" not in text.lower()  # the essentials work without JavaScript
    assert "default-src 'none'" in text  # and the page may load nothing at all


# -- the tests ------------------------------------------------------------------------------------


def _run(tmp_path: Path, server: ScriptedServer, total: int) -> tuple[Any, Any]:
    document = load(_write(tmp_path, server.url))
    result = run_workflow(document, "shop", {"apiKey": API_KEY})
    return document, result


def test_the_proxy_sees_a_page_that_reaches_out(tmp_path: Path) -> None:
    """The detector works: a page with an outside image makes a request the proxy records."""
    page = tmp_path / "leaky.html"
    page.write_text('<html><body><img src="http://example.test/x.png">leak</body></html>')
    dom, seen = browse(page, tmp_path)
    assert "leak" in dom
    assert page_requests(seen, tmp_path) == {"example.test"}, seen


def test_passing_run_report_in_chromium(
    tmp_path: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _script(server, total=3)
    document_path = _write(tmp_path, server.url)
    report = tmp_path / "report.html"
    code = main(
        ["run", str(document_path), "shop", "--input", f"apiKey={API_KEY}", "--html", str(report)]
    )
    assert code == 0, capsys.readouterr()
    text = report.read_text(encoding="utf-8")
    assert API_KEY not in text and TOKEN not in text
    assert_self_contained(text)

    dom_text, seen = browse(report, tmp_path, screenshot=tmp_path / "passing.png")
    assert page_requests(seen, tmp_path) == set(), f"the page sent requests: {seen}"
    dom = Dom(dom_text)
    assert "passed" in dom.select("body")[0].classes
    cards = [e for e in dom.elements if e.tag == "article"]
    assert [c.attrs["data-step"] for c in cards] == [
        "login",
        "flaky",
        "flaky",
        "poll",
        "poll",
        "check",
        "finish",
    ]
    assert [c.attrs["data-status"] for c in cards] == [
        "passed",
        "failed",
        "passed",
        "passed",
        "passed",
        "passed",
        "passed",
    ]
    graph = build_graph(load(document_path), ["shop"])
    for step in ("login", "flaky", "poll", "check", "finish"):
        node = graph.step_node("shop", step)
        assert node is not None
        assert "visited" in dom.by_id(node.id).classes, step
    taken = {e.id for e in graph.edges if "taken" in dom.by_id(e.id).classes}
    kinds = {
        (e.kind, e.label.split(":")[0].lstrip("\u2717 ")) for e in graph.edges if e.id in taken
    }
    assert ("retry", "again") in kinds and ("goto", "wait") in kinds
    # every edge of the graph is drawn, and exactly the ones the run took are highlighted
    assert {e.id for e in graph.edges if "nottaken" in dom.by_id(e.id).classes} == {
        e.id for e in graph.edges
    } - taken


def test_failing_run_report_in_chromium(tmp_path: Path, server: ScriptedServer) -> None:
    _script(server, total=2)
    document, result = _run(tmp_path, server, 2)
    assert not result.success
    text = result.to_html(document)
    report = tmp_path / "failing.html"
    report.write_text(text, encoding="utf-8")
    assert_self_contained(text)
    # secrets: nothing the JSON report masks is in the HTML report either
    json_text = str(to_report([result], schemas={"shop": document.plan("shop").inputs_schema}))
    assert API_KEY not in text and API_KEY not in json_text
    for secret in (TOKEN, API_KEY):
        if secret not in json_text:
            assert secret not in text

    dom_text, seen = browse(report, tmp_path, screenshot=tmp_path / "failing.png")
    assert page_requests(seen, tmp_path) == set(), f"the page sent requests: {seen}"
    dom = Dom(dom_text)
    assert "failed" in dom.select("body")[0].classes
    graph = build_graph(document, ["shop"])
    ids = {s: graph.step_node("shop", s) for s in ("login", "flaky", "poll", "check", "finish")}
    assert all(n is not None for n in ids.values())
    classes = {s: dom.by_id(n.id).classes for s, n in ids.items() if n is not None}
    assert "failed" in classes["check"]
    assert "unvisited" in classes["finish"]
    assert all("visited" in classes[s] for s in ("login", "flaky", "poll"))
    check = dom.select("article", data_step="check")
    assert [c.attrs["data-status"] for c in check] == ["failed"]
    failed = [e for e in dom.elements if e.tag == "tr" and {"criterion", "failed"} <= e.classes]
    # the retried 503 and the wrong total
    assert len(failed) == 2
    assert "$statusCode = 503" in failed[0].content()
    assert "$response.body#/total == 3" in failed[1].content()
    left = [e for e in dom.elements if e.tag == "span" and "left" in e.classes]
    right = [e for e in dom.elements if e.tag == "span" and "right" in e.classes]
    assert any(e.content() == "$response.body#/total = 2" for e in left), [
        e.content() for e in left
    ]
    assert any(e.content() == "3" for e in right), [e.content() for e in right]
    timeline = [e for e in dom.elements if e.tag == "tr" and e.attrs.get("data-step") == "check"]
    assert [t.attrs["data-status"] for t in timeline] == ["failed"]
    # a large body is collapsed, not shown open
    assert any(e.tag == "details" and "response body" in e.content() for e in dom.elements)


@pytest.fixture
def loop_server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def test_thousand_step_report_stays_small_and_renders(
    tmp_path: Path, loop_server: ScriptedServer
) -> None:
    loop_server.route("POST", "/login", Reply(200, {"token": TOKEN}))
    loop_server.route("GET", "/flaky", Reply(200, {"ok": True}))
    loop_server.route(
        "GET",
        "/status",
        *([Reply(200, {"state": "queued", "pad": "x" * 500})] * 996),
        Reply(200, {"state": "done"}),
    )
    loop_server.route("GET", "/report", Reply(200, {"total": 3}))
    loop_server.route("POST", "/done", Reply(200, {}))
    document = load(_write(tmp_path, loop_server.url))
    result = run_workflow(document, "shop", {"apiKey": API_KEY}, max_steps=2000)
    assert result.success, result.error
    assert len(result.steps) >= 1000
    started = time.perf_counter()
    text = result.to_html(document)
    print(
        f"report of {len(result.steps)} steps: {len(text) / 1e6:.2f} MB "
        f"written in {time.perf_counter() - started:.2f} s"
    )
    assert len(text.encode("utf-8")) < 3_000_000
    report = tmp_path / "loop.html"
    report.write_text(text, encoding="utf-8")
    dom_text, seen = browse(report, tmp_path)
    assert page_requests(seen, tmp_path) == set(), f"the page sent requests: {seen}"
    dom = Dom(dom_text)
    graph = build_graph(document, ["shop"])
    poll = graph.step_node("shop", "poll")
    assert poll is not None
    assert "visited" in dom.by_id(poll.id).classes
    goto = next(e for e in graph.edges if e.kind == "goto")
    assert "taken" in dom.by_id(goto.id).classes
    row = next(e for e in dom.elements if e.tag == "tr" and e.attrs.get("data-step") == "poll")
    polls = sum(1 for s in result.steps if s.step_id == "poll")
    assert polls == 997
    assert f"poll \u00d7{polls}" in row.content()


def test_report_without_graphviz_draws_the_graph_as_lists(
    tmp_path: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``dot`` program: the same nodes and edges, highlighted the same way, as HTML lists."""
    _script(server, total=2)
    document, result = _run(tmp_path, server, 2)
    chromium = shutil.which("chromium")
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without Graphviz
    text = result.to_html(document)
    assert "<svg" not in text and "Graphviz is not installed" in text
    assert_self_contained(text)
    dom = Dom(text)
    graph = build_graph(document, ["shop"])
    for node in graph.nodes():
        assert dom.by_id(node.id).tag == "li"
    check, finish = graph.step_node("shop", "check"), graph.step_node("shop", "finish")
    assert check is not None and finish is not None
    assert "failed" in dom.by_id(check.id).classes
    assert "unvisited" in dom.by_id(finish.id).classes
    retry = next(e for e in graph.edges if e.kind == "retry")
    assert "taken" in dom.by_id(retry.id).classes
    if chromium:
        monkeypatch.setenv("PATH", str(Path(chromium).parent))
        report = tmp_path / "lists.html"
        report.write_text(text, encoding="utf-8")
        dom_text, seen = browse(report, tmp_path, screenshot=tmp_path / "lists.png")
        assert page_requests(seen, tmp_path) == set(), seen
        assert "failed" in Dom(dom_text).by_id(check.id).classes


@pytest.mark.parametrize(
    "case", ["workflows/depends-on", "workflows/workflow-step", "actions/goto-workflow"]
)
def test_report_highlights_paths_across_workflows(
    case: str, tmp_path: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """dependsOn, workflow steps and goto a workflow: every workflow that ran is highlighted,
    and the links between them that the run followed."""
    from tests.conformance.test_cases import CASES, _reply
    from tests.conformance.test_cases import _write as write_case

    spec = yaml.safe_load((CASES / f"{case}.yaml").read_text(encoding="utf-8"))
    for route in spec["routes"]:
        server.route(route["method"], route["path"], *(_reply(r) for r in route["replies"]))
    document_path = write_case(tmp_path, spec, server.url)
    report = tmp_path / "report.html"
    assert main(["run", str(document_path), spec["workflow"], "--html", str(report)]) in (0, 1)
    capsys.readouterr()
    text = report.read_text(encoding="utf-8")
    assert_self_contained(text)
    dom = Dom(text)
    graph = build_graph(load(document_path), [spec["workflow"]])
    links = [e for e in graph.edges if e.kind in ("dependsOn", "calls", "goto")]
    assert links
    for edge in links:
        assert "taken" in dom.by_id(edge.id).classes, edge
    for node in graph.nodes():  # every step ran, but the one a goto jumped over
        if node.step_id is not None:
            classes = dom.by_id(node.id).classes
            if node.label == "not-reached":
                assert "unvisited" in classes, node
            else:  # ran: its last execution passed, or failed and an action took over
                assert classes & {"visited", "failed"}, node


def test_html_needs_a_real_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document_path = _write(tmp_path, "http://127.0.0.1:9")
    code = main(["run", str(document_path), "shop", "--dry-run", "--html", str(tmp_path / "r")])
    assert code == 2 and "--html" in capsys.readouterr().err
    code = main(["run", str(document_path), "shop", "--html", str(tmp_path / "no" / "r.html")])
    assert code == 2 and "cannot write" in capsys.readouterr().err


def test_long_alternating_run_stays_small(tmp_path: Path) -> None:
    """A two-step loop does not fold into one timeline row: the timeline and the detailed
    executions are capped instead, and each body is cut."""
    from arazzo_engine.results import RecordedRequest, RecordedResponse, StepResult

    document = load(_write(tmp_path, "http://127.0.0.1:9"))
    steps = []
    for index in range(2000):
        step_id = ("poll", "check")[index % 2]
        steps.append(
            StepResult(
                step_id,
                "shop",
                index % 7 != 0,
                "GET /status",
                attempt=index // 2 + 1,
                status_code=200,
                request=RecordedRequest("GET", "http://127.0.0.1:9/status", [], None),
                response=RecordedResponse(200, [], {"pad": "y" * 50_000}),
                started_at=1000.0 + index * 0.01,
                duration=0.005,
            )
        )
    result = RunResult("shop", False, steps=steps, error="stopped")
    text = result.to_html(document)
    size = len(text.encode("utf-8"))
    print(f"2,000 alternating executions with 50 kB bodies: {size / 1e6:.2f} MB")
    assert size < 3_000_000
    dom = Dom(text)
    assert len([e for e in dom.elements if e.tag == "article"]) <= 2 * 6 + 40
    assert any("executions not listed" in e.content() for e in dom.elements if e.tag == "td")
