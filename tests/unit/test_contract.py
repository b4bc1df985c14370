"""Contract checks (jsonschema underneath) against the operation a step called."""

from __future__ import annotations

import gc
import json
import threading
import weakref

import httpx
import pytest

from arazzo_engine import load
from arazzo_engine.contract import check_response, checker_for
from arazzo_engine.document.loader import load_text
from arazzo_engine.openapi.description import OpenAPIDescription
from tests.conftest import ROOT, SPEC

SHOP = ROOT / "tests" / "cli" / "data" / "shop.arazzo.yaml"


def _response(status: int, body: object, content_type: str = "application/json") -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = httpx.Request("POST", "http://127.0.0.1:1/orders")
    return httpx.Response(
        status, content=data, headers={"content-type": content_type}, request=request
    )


@pytest.fixture(scope="module")
def order():  # type: ignore[no-untyped-def]
    document = load(SHOP)
    step = document.plan("order").steps[0]
    assert step.operation is not None
    return document.sources["shop"].openapi, step.operation


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (_response(201, {"id": 1, "status": "open"}), []),
        (_response(201, {"id": "1", "status": "open"}), ["body id: fails type 'integer'"]),
        (_response(201, {"id": 1}), ["body (root): required property 'status' is missing"]),
        (_response(201, {"id": 1, "status": "gone"}), ['body status: fails enum ["open", "paid"]']),
        (_response(418, {}), ["status 418 is not documented for this operation"]),
        (
            _response(201, b"<x/>", "text/xml"),
            ["content type 'text/xml' is not documented for status 201"],
        ),
        (_response(201, b"{oops"), ["the body is not valid application/json"]),
    ],
)
def test_findings(order, response: httpx.Response, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    description, operation = order
    assert check_response(description, operation, response.request, response) == expected


def test_findings_never_quote_body_values(order) -> None:  # type: ignore[no-untyped-def]
    description, operation = order
    response = _response(201, {"id": "super-secret-value", "status": "open"})
    findings = check_response(description, operation, response.request, response)
    assert findings and "super-secret-value" not in " ".join(findings)


def test_aws_json_responses_and_the_cache() -> None:
    document = load(SPEC)
    description = document.sources["amazonEcrApi"].openapi
    operation = document.plan("publish-image").steps[1].operation
    assert description is not None and operation is not None
    ok = _response(
        200,
        {
            "image": {
                "registryId": "123456789012",
                "repositoryName": "a/b",
                "imageId": {"imageTag": "v1"},
            }
        },
        "application/x-amz-json-1.1",
    )
    assert check_response(description, operation, ok.request, ok) == []
    bad = _response(200, {"image": {"registryId": 5}}, "application/x-amz-json-1.1")
    assert check_response(description, operation, bad.request, bad) == [
        "body image/registryId: fails type 'string'"
    ]
    checker = checker_for(description)
    assert checker is checker_for(description)
    compiled = dict(checker._validators)
    assert len(compiled) == 1  # one validator, compiled by the first check
    for _ in range(5):
        assert check_response(description, operation, ok.request, ok) == []
    assert checker._validators == compiled  # later checks reuse it


def test_a_head_reply_has_no_body_to_miss(order) -> None:  # type: ignore[no-untyped-def]
    description, operation = order
    get = httpx.Response(201, request=httpx.Request("GET", "http://127.0.0.1:1/orders"))
    head = httpx.Response(201, request=httpx.Request("HEAD", "http://127.0.0.1:1/orders"))
    assert check_response(description, operation, get.request, get) == [
        "the body is missing (status 201 documents one)"
    ]
    assert check_response(description, operation, head.request, head) == []


def test_checks_from_many_threads_share_one_checker() -> None:
    document = load(SHOP)
    description = document.sources["shop"].openapi
    operation = document.plan("order").steps[0].operation
    assert description is not None and operation is not None
    bad = _response(201, {"id": "1", "status": "open"})
    results: list[list[str]] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        results.append(check_response(description, operation, bad.request, bad))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [["body id: fails type 'integer'"]] * 8
    assert len(checker_for(description)._validators) == 1


def test_the_checker_lives_as_long_as_its_description() -> None:
    path = SHOP.parent / "shop.openapi.yaml"
    description = OpenAPIDescription("shop", load_text(path.read_text(), str(path)))
    checker = checker_for(description)
    assert checker.description is description
    gone = weakref.ref(checker)
    del description, checker
    gc.collect()
    assert gone() is None


EDGES = """
openapi: 3.1.0
jsonSchemaDialect: http://json-schema.org/draft-07/schema#
info: {title: edges, version: "1"}
paths:
  /e:
    get:
      operationId: edges
      responses:
        "200":
          $ref: "#/components/responses/Ok"
        "201":
          description: a reference that goes nowhere
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Missing"}
        "202":
          description: a schema jsonschema cannot use
          content:
            application/json:
              schema: {type: string, pattern: "(unclosed"}
        "203":
          description: no content documented
components:
  responses:
    Ok:
      description: through a reference
      content:
        application/json:
          schema:
            type: object
            additionalProperties: false
            properties:
              never: false
              nested: {type: array, items: {$ref: "#/components/schemas/Nest"}}
              exclusive: {type: number, exclusiveMaximum: 5}
    Nope: {}
  schemas:
    Nest: {type: array, items: {$ref: "#/components/schemas/Nest"}}
"""


@pytest.fixture(scope="module")
def edges():  # type: ignore[no-untyped-def]
    description = OpenAPIDescription("edges", load_text(EDGES, "/tmp/edges.yaml"))
    return description, description.find_operation("edges")


def _deep(levels: int) -> object:
    value: object = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (_response(200, {"nested": [[[]]], "exclusive": 4}), []),
        (
            _response(200, {"never": 1, "exclusive": 5, "secret-name": 1}),
            [
                "body (root): Additional properties are not allowed",
                "body: has a value where the schema allows none (false schema)",
                "body exclusive: fails exclusiveMaximum 5",  # draft-07, the document's dialect
            ],
        ),
        (_response(200, {"nested": [[["x"]]]}), ["body nested/0/0/0: fails type 'array'"]),
        (
            _response(200, {"nested": [_deep(200)]}),
            ["the response could not be checked: the body nests deeper than 128 levels"],
        ),
        (
            _response(200, b'{"nested": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
            ["the response could not be checked: the body nests deeper than 128 levels"],
        ),
        (
            _response(201, {}),
            [
                "the response could not be checked: its schema is not usable "
                "(the reference '#/components/schemas/Missing' does not resolve)"
            ],
        ),
        (
            _response(202, "x"),
            [
                "the response could not be checked: its schema is not usable "
                "(a pattern is not a valid regular expression)"
            ],
        ),
        (_response(203, b"\x00\x01", "application/octet-stream"), []),
    ],
)
def test_edges(edges, response: httpx.Response, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    description, operation = edges
    findings = check_response(description, operation, response.request, response)
    assert findings == expected
    assert "secret-name" not in " ".join(findings)
