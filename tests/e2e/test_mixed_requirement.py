"""A security requirement that needs an API key AND a bearer token together: the step sends
its own Authorization header, the configured API key fills the rest. A local server on
127.0.0.1 enforces both."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from arazzo_engine import AuthError, run_workflow

API_KEY = "key-7f3a9c21"
TOKEN = "tok-0b9e44d1"

OPENAPI = """openapi: 3.1.0
info: {title: both, version: '1'}
servers: [{url: 'http://127.0.0.1:{port}', variables: {port: {default: '9'}}}]
paths:
  /items:
    get:
      operationId: listItems
      security: [{apiKey: [], bearer: []}]
      responses: {'200': {description: ok}, '401': {description: no}}
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: X-API-Key}
    bearer: {type: http, scheme: bearer}
"""

ARAZZO = """arazzo: 1.0.1
info: {title: both, version: '1'}
sourceDescriptions: [{name: api, url: ./both.openapi.yaml, type: openapi}]
workflows:
  - workflowId: list
    inputs: {type: object, properties: {token: {type: string, format: password}}}
    steps:
      - stepId: list
        operationId: listItems
        parameters:
          - {name: Authorization, in: header, value: 'Bearer {$inputs.token}'}
        successCriteria: [{condition: $statusCode == 200}]
"""


class _Both(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        _Both.seen.append(headers)
        ok = headers.get("x-api-key") == API_KEY and headers.get("authorization") == (
            f"Bearer {TOKEN}"
        )
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def port() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Both)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    _Both.seen = []
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def document(tmp_path: Path) -> Path:
    (tmp_path / "both.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    path = tmp_path / "both.arazzo.yaml"
    path.write_text(ARAZZO, encoding="utf-8")
    return path


def test_step_sent_bearer_and_configured_api_key_together(document: Path, port: int) -> None:
    result = run_workflow(
        document,
        "list",
        {"token": TOKEN},
        server_variables={"api": {"port": str(port)}},
        auth={"apiKey": API_KEY},
    )
    assert result.success, result.error
    [headers] = _Both.seen
    assert headers["x-api-key"] == API_KEY
    assert headers["authorization"] == f"Bearer {TOKEN}"  # the step's own, not replaced


def test_the_missing_part_is_still_refused_before_any_request(document: Path, port: int) -> None:
    with pytest.raises(AuthError, match="apiKey"):
        run_workflow(
            document, "list", {"token": TOKEN}, server_variables={"api": {"port": str(port)}}
        )
    assert _Both.seen == []
