"""The runner fixtures of jentic/arazzo-engine that come with a ``test_config.yaml``.

Each configured workflow runs over real sockets against a ScriptedServer that answers with the
fixture's mocked responses (``custom_mocks``); the test checks success, the expected outputs
(``name`` = a workflow output, ``stepId.name`` = a step output), the number of API calls, and
the query parameters each mock expects. Fixtures whose expectations do not follow the spec are
marked xfail with the reason (see ``DEVIATIONS``). The corpus lives in ``../shared``; the tests
are skipped when it is not there.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from arazzo_engine import load, run_workflow
from tests.support.http_server import Reply, ScriptedServer

FIXTURES = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "arazzo-corpus"
    / "jentic-arazzo-engine"
    / "runner"
    / "tests"
    / "fixtures"
)

_LENIENT_BODY = (
    "document not per spec: '$response.body.x' (dot after body; the grammar needs #/x) and "
    "'$steps.<id>.<name>' without '.outputs.'; refused by validation"
)
_LENIENT_PATH = (
    "document not per spec: operationPath 'source#/paths/...' (needs "
    "'{$sourceDescriptions.<name>.url}#/...') and a stepId with spaces in '$steps.' "
    "(ids are [A-Za-z0-9_-]+); refused by validation"
)

#: (fixture, workflow id) -> why its expectation does not follow the spec.
DEVIATIONS: dict[tuple[str, str], str] = {
    ("newyork_times", "Search Articles by Keyword"): _LENIENT_PATH,
    # Accepted by validation since issue 8 (stepIds with spaces in a 1.0 document, a warning).
    ("train", "Search Stations"): (
        "query parameter 'coordinates' takes an optional input the test does not give: the "
        "request builder refuses it, the Jentic runner leaves the parameter out"
    ),
    ("xkcd", "getCurrentComic"): _LENIENT_PATH + "; " + _LENIENT_BODY,
    ("xkcd", "getComicById"): _LENIENT_PATH + "; " + _LENIENT_BODY,
}

#: fixture -> (file, old text, new text, why): corrections applied to a copy before running.
OVERRIDES: dict[str, list[tuple[str, str, str, str]]] = {
    "pet_coupons": [
        (
            "pet-coupons.arazzo.yaml",
            "- name: pet_id\n            in: path",
            "- name: petId\n            in: path",
            "the OpenAPI path parameter of getPetCoupons is 'petId'; the document says "
            "'pet_id', so the required parameter would never be sent",
        ),
    ],
}

#: fixture -> credentials for its security schemes (the mocks accept anything).
AUTH: dict[str, dict[str, Any]] = {
    "pet_coupons": {"petstore_auth": {"access_token": "test-token"}},
    "train": {"OAuth2": {"access_token": "test-token"}},
}


def _configs() -> list[Any]:
    if not FIXTURES.is_dir():
        return [
            pytest.param(
                None,
                None,
                None,
                marks=pytest.mark.skip(
                    reason="the Arazzo corpus is not in this clone: see tests/README.md"
                ),
            )
        ]
    found = []
    for config_path in sorted(FIXTURES.glob("*/test_config.yaml")):
        config = yaml.safe_load(config_path.read_text())
        for index, workflow in enumerate(config.get("workflows") or []):
            key = (config_path.parent.name, str(workflow["id"]))
            marks = (
                [pytest.mark.xfail(reason=DEVIATIONS[key], strict=True)]
                if key in DEVIATIONS
                else []
            )
            found.append(
                pytest.param(
                    config_path, config, index, marks=marks, id=f"{key[0]}:{key[1]}:{index}"
                )
            )
    return found


@pytest.fixture()
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def _prepared(fixture: Path, tmp_path: Path) -> Path:
    """The fixture folder, or a corrected copy of it when OVERRIDES has entries for it."""
    fixes = OVERRIDES.get(fixture.name)
    if not fixes:
        return fixture
    copy = tmp_path / fixture.name
    shutil.copytree(fixture, copy)
    for name, old, new, _why in fixes:
        target = copy / name
        text = target.read_text()
        assert old in text, f"override for {name} no longer applies"
        target.write_text(text.replace(old, new))
    return copy


def _document(fixture: Path, workflow: dict[str, Any]) -> Path:
    if "arazzo_spec" in workflow:
        return fixture / str(workflow["arazzo_spec"])
    candidates = sorted(fixture.glob("*.arazzo.yaml")) or sorted(fixture.glob("*workflow*.yaml"))
    return candidates[0]


def _mocks(config: dict[str, Any], workflow: dict[str, Any]) -> list[dict[str, Any]]:
    mocks: list[dict[str, Any]] = list(workflow.get("custom_mocks") or [])
    shared = config.get("custom_mocks") or {}
    for group in shared.values() if isinstance(shared, dict) else [shared]:
        mocks.extend(group or [])
    return mocks  # workflow-specific mocks first: they take precedence


def _path_of(url: str) -> str:
    return urlsplit(url).path if "://" in url else url


@pytest.mark.parametrize(("config_path", "config", "index"), _configs())
def test_jentic_fixture(
    config_path: Path | None,
    config: dict[str, Any] | None,
    index: int | None,
    server: ScriptedServer,
    tmp_path: Path,
) -> None:
    assert config_path is not None and config is not None and index is not None
    workflow = config["workflows"][index]
    mocks = _mocks(config, workflow)
    seen: set[tuple[str, str]] = set()
    for mock in mocks:
        method = str(mock.get("method", "get")).upper()
        path = _path_of(str(mock["path"]))
        if (method, path) in seen:
            continue
        seen.add((method, path))
        reply = Reply(int(mock.get("status_code", 200)), mock.get("response"))
        if "{" in path:
            pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path))
            server.route_pattern(method, pattern, reply)
        else:
            server.route(method, path, reply)

    fixture = _prepared(config_path.parent, tmp_path)
    document = load(_document(fixture, workflow))
    servers = {}
    for name, source in document.sources.items():
        if source.openapi is not None:
            declared = (source.openapi.data.get("servers") or [{"url": ""}])[0]["url"]
            servers[name] = server.url + urlsplit(declared).path.rstrip("/")
    result = run_workflow(
        document,
        str(workflow["id"]),
        workflow.get("inputs") or {},
        servers=servers,
        auth=AUTH.get(fixture.name),
    )

    assert result.success is bool(workflow.get("expect_success", True)), result.error
    for name, value in (workflow.get("expected_outputs") or {}).items():
        step_id, dot, output = str(name).partition(".")
        if dot and step_id not in result.outputs and name not in result.outputs:
            step = next(
                s for s in result.steps if s.step_id == step_id and s.workflow_id == workflow["id"]
            )
            assert step.outputs.get(output) == value, name
        else:
            assert result.outputs.get(name) == value, (name, result.outputs)
    if "expected_api_calls" in workflow:
        assert len(server.received) == workflow["expected_api_calls"]
    for mock in mocks:
        wanted = mock.get("query_params")
        if not wanted:
            continue
        path = _path_of(str(mock["path"]))
        for got in (r for r in server.received if r.path == path):
            for key, value in wanted.items():
                values = [v for k, v in got.query if k == key]
                expected = (
                    [str(v) for v in value]
                    if isinstance(value, list)
                    else [str(value).lower() if isinstance(value, bool) else str(value)]
                )
                assert values == expected or values == [",".join(expected)], (key, got.query)
