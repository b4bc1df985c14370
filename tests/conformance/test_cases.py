"""The execution conformance suite: one generic harness over the case files in ``cases/``.

Each case is data (a YAML file): an Arazzo document (inline under ``arazzo``), the OpenAPI
descriptions it names (inline under ``openapi``, written next to it as ``<key>.yaml``), extra
files, the scripted replies of a local HTTP server, the inputs, and the expected outcome: what
the server RECEIVED (method, path, query, headers, body, order, count) and the run's result
(success, outputs, steps, error text). Every case runs over real sockets against a
:class:`~tests.support.http_server.ScriptedServer` on 127.0.0.1. The text ``${SERVER}`` in any
file of a case is replaced by the server's base URL. See ``docs/conformance.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_engine import ArazzoError, InputError, load, run_workflow
from tests.support.http_server import Received, Reply, ScriptedServer

CASES = Path(__file__).parent / "cases"
SHARED_OPENAPI = Path(__file__).parent / "openapi"
CASE_FILES = sorted(CASES.glob("**/*.yaml"))


def _case_id(path: Path) -> str:
    return str(path.relative_to(CASES).with_suffix(""))


@pytest.fixture()
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def _substitute(value: Any, url: str) -> Any:
    if isinstance(value, str):
        return value.replace("${SERVER}", url)
    if isinstance(value, list):
        return [_substitute(v, url) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, url) for k, v in value.items()}
    return value


def _write(directory: Path, case: dict[str, Any], url: str) -> Path:
    for key, spec in (case.get("openapi") or {"api": "@api"}).items():
        if isinstance(spec, str) and spec.startswith("@"):
            spec = yaml.safe_load((SHARED_OPENAPI / f"{spec[1:]}.yaml").read_text())
        spec = _substitute(spec, url)
        spec.setdefault("servers", [{"url": url}])
        (directory / f"{key}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    for name, content in (case.get("files") or {}).items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        (directory / name).write_text(_substitute(text, url))
    document = directory / "case.arazzo.yaml"
    document.write_text(yaml.safe_dump(_substitute(case["arazzo"], url), sort_keys=False))
    return document


def _reply(raw: dict[str, Any]) -> Reply:
    body = raw.get("body")
    if "text" in raw:
        body = str(raw["text"])
    return Reply(
        status=int(raw.get("status", 200)),
        body=body,
        headers={str(k): str(v) for k, v in (raw.get("headers") or {}).items()},
        delay=float(raw.get("delay", 0.0)),
    )


def _check_request(index: int, got: Received, want: dict[str, Any]) -> None:
    where = f"request #{index}"
    if "method" in want:
        assert got.method == want["method"], where
    if "path" in want:
        assert got.path == want["path"], where
    if "query" in want:
        expected = want["query"]
        if isinstance(expected, dict):
            assert dict(got.query) == {k: str(v) for k, v in expected.items()}, where
        else:
            assert got.query == [tuple(pair) for pair in expected], where
    if "raw_query" in want:
        assert got.raw_query == want["raw_query"], where
    for name, value in (want.get("headers") or {}).items():
        if value is None:
            assert name.lower() not in got.headers, f"{where}: header {name} was sent"
        else:
            assert got.headers.get(name.lower()) == str(value), f"{where}: header {name}"
    for name, pattern in (want.get("headers_match") or {}).items():
        assert re.fullmatch(pattern, got.headers.get(name.lower(), "")), f"{where}: {name}"
    if "json" in want:
        assert got.json() == want["json"], where
    if "body" in want:
        assert got.body.decode() == want["body"], where
    for piece in want.get("body_contains") or []:
        assert piece in got.body.decode(), f"{where}: body lacks {piece!r}"
    if want.get("empty_body"):
        assert got.body == b"", where


@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_case(path: Path, server: ScriptedServer, tmp_path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    if case.get("xfail"):
        pytest.xfail(case["xfail"])
    for route in case.get("routes") or []:
        replies = [_reply(r) for r in route.get("replies") or [{}]]
        if "path_pattern" in route:
            server.route_pattern(route["method"], route["path_pattern"], *replies)
        else:
            server.route(route["method"], route["path"], *replies)
    document = _write(tmp_path, case, server.url)
    expect = case.get("expect") or {}

    if "load_error" in expect:
        with pytest.raises(ArazzoError) as info:
            load(document).plan(case["workflow"])
        assert expect["load_error"] in str(info.value)
        if "error_line" in expect:
            assert info.value.location is not None
            assert info.value.location.line == expect["error_line"]
        assert server.received == []
        return

    options = dict(case.get("options") or {})
    if "input_error" in expect:
        with pytest.raises(InputError) as raised:
            run_workflow(load(document), case["workflow"], case.get("inputs") or {}, **options)
        assert expect["input_error"] in str(raised.value)
        assert server.received == []
        return
    result = run_workflow(
        load(document),
        case["workflow"],
        _substitute(case.get("inputs") or {}, server.url),
        **options,
    )
    summary = json.dumps(result.to_dict(), default=str)[:3000]

    if "success" in expect:
        assert result.success is expect["success"], summary
    if "outputs" in expect:
        assert result.outputs == _substitute(expect["outputs"], server.url), summary
    for name, value in (expect.get("outputs_include") or {}).items():
        assert result.outputs.get(name) == value, f"output {name}: {summary}"
    for name in expect.get("outputs_absent") or []:
        assert name not in result.outputs, summary
    if "error" in expect:
        assert expect["error"] in (result.error or ""), summary
    for text in expect.get("warnings") or []:
        assert any(text in w for w in result.warnings), (text, result.warnings)
    if "step_ids" in expect:
        assert [s.step_id for s in result.steps] == expect["step_ids"], summary
    for index, want in enumerate(expect.get("steps") or []):
        got = result.steps[index]
        assert got.step_id == want["id"], summary
        if "success" in want:
            assert got.success is want["success"], summary
        if "status" in want:
            assert got.status_code == want["status"], summary
        if "outputs" in want:
            assert got.outputs == want["outputs"], summary
        if "error" in want:
            assert want["error"] in (got.error or ""), summary
        if "action" in want:
            assert (got.action or "") == want["action"], summary
    if "min_duration" in expect:
        assert result.duration >= expect["min_duration"], summary
    if "max_duration" in expect:
        assert result.duration < expect["max_duration"], summary

    requests = expect.get("requests")
    if requests is not None:
        assert len(server.received) == len(requests), [
            (r.method, r.path, r.raw_query) for r in server.received
        ]
        for index, (got_request, want_request) in enumerate(
            zip(server.received, requests, strict=True)
        ):
            _check_request(index, got_request, want_request)
    if "request_count" in expect:
        assert len(server.received) == expect["request_count"]
