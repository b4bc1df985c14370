"""The contract check's rules, proven by real runs over loopback (ScriptedServer): status
lookup (exact, range, default), media types (wildcards, parameters, vendor JSON), OpenAPI 3.1
and 3.0 schemas (``type`` lists, ``nullable``, ``$ref`` chains and siblings, recursion), and
findings that never quote a value of the body."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

from arazzo_engine import RunResult, run_workflow
from tests.conftest import DATA, ROOT
from tests.support.http_server import Reply, ScriptedServer

DOC = DATA / "contract" / "rules.arazzo.yaml"
SHOP = ROOT / "tests" / "cli" / "data" / "shop.arazzo.yaml"


def _run(server: ScriptedServer, workflow: str) -> RunResult:
    return run_workflow(
        str(DOC),
        workflow,
        servers={"api31": server.url, "api30": server.url},
        contract="warn",
    )


def _findings(result: RunResult) -> dict[str, list[str]]:
    return {step.step_id: step.contract for step in result.steps}


def _json(status: int, body: object, content_type: str, **headers: str) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"Content-Type": content_type, **headers})


def _route(server: ScriptedServer, method: str, path: str, replies: Sequence[Reply]) -> None:
    server.route(method, path, *replies)


def test_status_exact_then_range_then_default(server: ScriptedServer) -> None:
    item = {"id": 1, "note": None}
    _route(
        server,
        "GET",
        "/items",
        [
            _json(200, item, "application/json", **{"X-Rate": "10"}),
            _json(201, {}, "application/json"),  # 2xx: application/*
            _json(503, {}, "text/json"),  # default: */*
            _json(200, {"id": 0, "child": {"id": "1", "note": 3}}, "application/json"),
            _json(
                200,
                {"id": 1, "note": "n", "token": "tok-SECRET-77"},
                "application/json",
                **{"X-Rate": "hdr-SECRET-78"},
            ),
        ],
    )
    result = _run(server, "items")
    assert result.success, result.error
    assert _findings(result) == {
        # the exact entry; its Content-Type header entry is ignored, as OpenAPI says
        "exact": [],
        "ranged": ["body (root): required property 'accepted' is missing"],
        "fallback": ["body (root): required property 'message' is missing"],
        # Item -> ItemBody -> Id, and ItemBody.child -> ItemBody (recursive), 3.1 type lists
        "chain": [
            "body (root): required property 'note' is missing",
            "body id: fails minimum 1",
            "body child/id: fails type 'integer'",
            'body child/note: fails type ["string", "null"]',
            "a documented response header is missing: X-Rate",
        ],
        # neither a body value nor a header value is ever quoted
        "secret": ["body token: fails type 'integer'", "header X-Rate: fails type 'integer'"],
    }
    assert "SECRET" not in " ".join(result.steps[4].contract)


def test_a_status_without_an_entry(server: ScriptedServer) -> None:
    _route(server, "GET", "/things", [_json(404, {"name": "x"}, "application/json")])
    result = run_workflow(str(DOC), "things", servers={"api30": server.url}, contract="warn")
    assert result.steps[0].contract == ["status 404 is not documented for this operation"]


def test_media_types_most_specific_first(server: ScriptedServer) -> None:
    _route(
        server,
        "GET",
        "/wild",
        [
            _json(200, {}, "application/json; charset=UTF-8"),
            _json(200, {}, "application/problem+json"),
            _json(200, {}, "TEXT/JSON"),
            Reply(200, b"abcdef", {"Content-Type": "text/plain; charset=utf-8"}),
            Reply(200, b"\x89PNG", {"Content-Type": "image/png"}),
        ],
    )
    result = _run(server, "wild")
    assert _findings(result) == {
        "json": ["body (root): required property 'json' is missing"],
        "problem": ["body (root): required property 'app' is missing"],
        "textJson": ["body (root): required property 'any' is missing"],
        "plain": ["body (root): fails maxLength 3"],
        "png": [],  # matched by */*; a body that is not JSON or text is not validated
    }


def test_vendor_json_media_types(server: ScriptedServer) -> None:
    _route(
        server,
        "POST",
        "/vendor",
        [
            _json(200, {"count": "7"}, "application/x-amz-json-1.1"),
            _json(200, {"count": 7}, "application/vnd.example+json"),
            Reply(200, b"{not json", {"Content-Type": "application/vnd.example+json"}),
        ],
    )
    result = _run(server, "vendor")
    assert _findings(result) == {
        "amz": ["body count: fails type 'integer'"],
        "vnd": [],
        "vndBad": ["the body is not valid application/vnd.example+json"],
    }


def test_a_schema_that_only_refers_to_itself(server: ScriptedServer) -> None:
    _route(server, "GET", "/loop", [_json(200, {"a": [1, {"b": 2}]}, "application/json")])
    result = _run(server, "loop")
    assert result.success  # a finding, never a broken run
    assert result.steps[0].contract == [
        "the response could not be checked: its schema refers to itself without end"
    ]


def test_openapi_30_schemas(server: ScriptedServer) -> None:
    _route(
        server,
        "GET",
        "/things",
        [
            # nullable: null is allowed besides the type; annotations change nothing
            _json(200, {"name": None, "secret": "s", "size": 3, "level": 4.5}, "application/json"),
            _json(200, {"name": "n", "count": None}, "application/json"),
            # a $ref's siblings are ignored (size is an integer, not a string); boolean
            # exclusiveMaximum; format int32
            _json(200, {"name": "n", "size": "3", "level": 5}, "application/json"),
            _json(200, {"size": 1 << 40}, "application/json"),
        ],
    )
    result = _run(server, "things")
    assert _findings(result) == {
        "nullName": [],
        "nullCount": ["body count: fails type 'integer'"],
        "siblings": ["body size: fails type 'integer'", "body level: fails maximum 5"],
        "missing": [
            "body (root): required property 'name' is missing",
            "body size: fails format 'int32'",
        ],
    }


# --- what a check imports ------------------------------------------------------------------

_RUN = """
import json, sys
from arazzo_engine import run_workflow
result = run_workflow(
    sys.argv[1], "order", {"item": "tea"}, servers={"shop": sys.argv[2]}, contract=sys.argv[3]
)
assert result.success, result.error
libraries = sorted({m.split(".")[0] for m in sys.modules} & {"jsonschema", "openapi_core"})
print("RESULT", json.dumps([libraries, result.steps[-1].contract]))
"""


def _libraries_of_a_run(server: ScriptedServer, contract: str) -> tuple[list[str], list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, str(SHOP), server.url, contract],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "RESULT" in proc.stdout, proc.stderr
    libraries, findings = json.loads(proc.stdout.split("RESULT", 1)[1])
    return libraries, findings


def test_the_module_imports_no_schema_library() -> None:
    code = "import sys, arazzo_engine.contract\nprint(sorted(sys.modules))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert "arazzo_engine.contract" in proc.stdout, proc.stderr
    for library in ("jsonschema", "referencing", "openapi_core", "httpx"):
        assert f"'{library}'" not in proc.stdout


def test_only_a_check_imports_jsonschema_and_nothing_imports_openapi_core(
    server: ScriptedServer,
) -> None:
    server.route("POST", "/login", Reply(200, {"token": "t"}))
    server.route("POST", "/orders", Reply(201, {"id": "7", "status": "open"}))
    # the first run of the document checks its schemas (jsonschema) and remembers the verdict
    # in ARAZZO_CACHE_DIR (tests/conftest.py gives the session its own); after that, a run
    # without contract checks imports no schema library at all
    _libraries_of_a_run(server, "off")
    assert _libraries_of_a_run(server, "off") == ([], [])
    assert _libraries_of_a_run(server, "warn") == (
        ["jsonschema"],
        ["body id: fails type 'integer'"],
    )
    # a body its schema plainly accepts is proven valid without jsonschema (valid_subset)
    server.route("POST", "/orders", Reply(201, {"id": 7, "status": "open"}))
    assert _libraries_of_a_run(server, "warn") == ([], [])
