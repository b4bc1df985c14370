"""The loading and body limits on the command line (issue 13): ``--no-remote`` and
``--allow-host`` for every command that reads a document, ``validate(allow_remote=...)``, and
``run --max-body``. A local server serves the source description (and answers the step): what
it received shows whether the source was fetched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine import DocumentError, validate
from arazzo_engine.cli import _parser, main
from tests.conftest import ROOT
from tests.support.http_server import Reply, ScriptedServer

API = (
    """openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses: {'200': {description: ok}}
x-padding: '"""
    + "x" * 4000
    + """'
"""
)

COMMANDS = [
    ["list", "{doc}"],
    ["list", "--json", "{doc}"],
    ["describe", "{doc}", "w"],
    ["graph", "{doc}"],
    ["tools", "{doc}"],
    ["validate", "{doc}"],
    ["run", "{doc}", "w"],
    ["run", "--dry-run", "{doc}", "w"],
]


@pytest.fixture
def served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ScriptedServer, Path]]:
    monkeypatch.setenv("ARAZZO_CACHE", "0")
    with ScriptedServer() as server:
        server.route("GET", "/api.yaml", Reply(200, API))
        server.route("GET", "/pets", Reply(200, {"pets": ["x" * 5000]}))
        path = tmp_path / "flow.arazzo.yaml"
        path.write_text(
            "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
            f"sourceDescriptions: [{{name: api, url: '{server.url}/api.yaml', type: openapi}}]\n"
            "workflows:\n  - workflowId: w\n    steps:\n"
            "      - {stepId: s, operationId: listPets}\n"
        )
        yield server, path


def _fetched(server: ScriptedServer) -> list[str]:
    return [r.path for r in server.received if r.path == "/api.yaml"]


def _argv(command: list[str], doc: Path, *options: str) -> list[str]:
    return [part.format(doc=doc) for part in command] + list(options)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_remote_reads_no_remote_source(
    served: tuple[ScriptedServer, Path], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    server, doc = served
    code = main(_argv(command, doc, "--no-remote"))
    output = capsys.readouterr()
    assert _fetched(server) == []
    assert not any(r.path == "/pets" for r in server.received)
    text = output.out + output.err
    if command[0] in ("describe", "graph", "run", "tools", "validate"):
        assert "remote sources are turned off" in text
    if command[0] in ("describe", "graph", "run"):
        assert code == 2
    assert code != 3


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_allow_host_reads_from_that_host_only(
    served: tuple[ScriptedServer, Path], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    server, doc = served
    assert main(_argv(command, doc, "--allow-host", "127.0.0.1")) == 0
    assert _fetched(server) == ["/api.yaml"]
    capsys.readouterr()
    code = main(_argv(command, doc, "--allow-host", "example.org"))
    text = "".join(capsys.readouterr())
    assert _fetched(server) == ["/api.yaml"]  # not fetched again
    if command[0] != "list":
        assert "'127.0.0.1' is not in the allowed hosts" in text
    assert code != 3


def test_no_remote_and_allow_host_contradict(
    served: tuple[ScriptedServer, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server, doc = served
    assert main(["list", str(doc), "--no-remote", "--allow-host", "127.0.0.1"]) == 2
    assert "contradict" in capsys.readouterr().err
    assert server.received == []


def test_mcp_takes_the_loading_options() -> None:
    args = _parser().parse_args(["mcp", "a.yaml", "--no-remote", "--max-body", "10"])
    assert args.no_remote and args.max_body == 10
    args = _parser().parse_args(["mcp", "a.yaml", "--allow-host", "h1", "--allow-host", "h2"])
    assert args.allow_host == ["h1", "h2"]


def _mcp_tools(doc: Path, *options: str) -> tuple[list[str], str]:
    """The tool names ``arazzo-engine mcp DOC OPTIONS`` serves to the MCP SDK's stdio client,
    and the text of calling the first one."""
    pytest.importorskip("mcp", reason="the mcp extra is not installed: pip install '.[mcp]'")
    import anyio
    from mcp import ClientSession, StdioServerParameters, stdio_client

    found: list[str] = []
    called: list[str] = []

    async def main() -> None:
        args = ["-m", "arazzo_engine", "mcp", str(doc), *options]
        env = {**os.environ, "ARAZZO_CACHE": "0"}
        params = StdioServerParameters(command=sys.executable, args=args, cwd=str(ROOT), env=env)
        with anyio.fail_after(60), open(os.devnull, "w") as log:
            async with (
                stdio_client(params, errlog=log) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                found.extend(t.name for t in (await session.list_tools()).tools)
                if found:
                    result = await session.call_tool(found[0], {})
                    called.append(json.dumps(result.model_dump(), default=str))

    anyio.run(main)
    return found, "".join(called)


def test_mcp_loading_and_body_options(served: tuple[ScriptedServer, Path]) -> None:
    server, doc = served
    refused = subprocess.run(
        [sys.executable, "-m", "arazzo_engine", "mcp", str(doc), "--no-remote"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "ARAZZO_CACHE": "0"},
        check=False,
    )
    assert refused.returncode == 2, refused.stderr
    assert "remote sources are turned off" in refused.stderr
    assert "no workflow can be served as a tool" in refused.stderr
    assert _fetched(server) == []
    tools, called = _mcp_tools(doc, "--allow-host", "127.0.0.1", "--max-body", "1000")
    assert tools == ["w"] and _fetched(server) == ["/api.yaml"]
    assert "larger than 1000 bytes" in called


def test_validate_passes_the_load_options(served: tuple[ScriptedServer, Path]) -> None:
    server, doc = served
    report = validate(doc, allow_remote=False)
    assert [p.code for p in report.warnings] == ["source-unreadable"]
    assert "allow_remote=False" in report.warnings[0].message
    assert _fetched(server) == []
    assert validate(doc, allow_remote=["127.0.0.1"]).problems == []
    assert _fetched(server) == ["/api.yaml"]
    with pytest.raises(DocumentError, match="limit"):
        validate(doc, max_bytes=10)  # the document itself
    small = validate(doc, max_bytes=2000)  # the document, not its 4 kB source
    assert "limit" in small.warnings[0].message and "api.yaml" in small.warnings[0].message
    # a document that is not even a valid model: its sources are read with the options too
    doc.write_text(doc.read_text().replace("workflows:", "workflows: 1\nx:"))
    broken = validate(doc, allow_remote=False)
    assert any("allow_remote=False" in p.message for p in broken.problems)
    assert _fetched(server) == ["/api.yaml", "/api.yaml"]  # none more


def test_max_body_bounds_a_response(
    served: tuple[ScriptedServer, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = served
    assert main(["run", "--json", str(doc), "w", "--max-body", "1000"]) == 1
    [run] = json.loads(capsys.readouterr().out)
    assert "larger than 1000 bytes" in run["steps"][0]["error"]
    assert main(["run", "--json", str(doc), "w", "--max-body", "100000"]) == 0
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(doc), "w", "--max-body", "0"])
    assert exit_.value.code == 2
    assert "--max-body: must be greater than 0" in capsys.readouterr().err
