"""A small shop API on 127.0.0.1 (stdlib ``http.server`` in a thread) and the Arazzo documents
the MCP tests serve: it checks an API key for real, echoes it back (so a leak would show) and
records every request it receives."""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SECRET = "shop-key-6b1d93e0aa"
#: The item whose answer the API holds until the test releases it (or the client goes away).
SLOW_ITEM = 999

OPENAPI = """
openapi: 3.1.0
info: {title: Shop, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /items/{itemId}:
    get:
      operationId: getItem
      parameters:
      - {name: itemId, in: path, required: true, schema: {type: integer}}
      - {name: X-Api-Key, in: header, required: true, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
  /orders:
    post:
      operationId: createOrder
      parameters:
      - {name: X-Api-Key, in: header, required: true, schema: {type: string}}
      requestBody:
        content: {application/json: {schema: {type: object}}}
      responses:
        "201": {description: created, content: {application/json: {schema: {type: object}}}}
        "409": {description: refused, content: {application/json: {schema: {type: object}}}}
"""

ARAZZO = """
arazzo: 1.0.1
info: {title: Shop flows, version: 1.0.0}
sourceDescriptions:
- {name: shop, url: shop.openapi.yaml, type: openapi}
components:
  inputs:
    itemInputs:
      type: object
      required: [itemId, apiKey]
      properties:
        itemId: {$ref: '#/components/inputs/itemId'}
        apiKey: {type: string, format: password, description: The shop API key}
    itemId: {type: integer, minimum: 1, description: The item to read}
workflows:
- workflowId: get-item
  summary: Read one item of the shop.
  description: Reads the item and returns its name and price.
  inputs: {$ref: '#/components/inputs/itemInputs'}
  steps:
  - stepId: readItem
    operationId: getItem
    parameters:
    - {name: itemId, in: path, value: $inputs.itemId}
    - {name: X-Api-Key, in: header, value: $inputs.apiKey}
    successCriteria:
    - condition: $statusCode == 200
    outputs:
      name: $response.body#/name
      price: $response.body#/price
      echoed: $response.body#/echo
  outputs:
    name: $steps.readItem.outputs.name
    price: $steps.readItem.outputs.price
    keyEcho: $steps.readItem.outputs.echoed
- workflowId: place.order
  summary: Order some items.
  inputs:
    type: object
    required: [quantity]
    properties:
      quantity: {type: integer, minimum: 1}
      apiKey: {type: string, format: password}
  steps:
  - stepId: createOrder
    operationId: createOrder
    parameters:
    - {name: X-Api-Key, in: header, value: $inputs.apiKey}
    requestBody:
      contentType: application/json
      payload: {quantity: $inputs.quantity}
    successCriteria:
    - condition: $statusCode == 201
    outputs:
      orderId: $response.body#/orderId
  outputs:
    orderId: $steps.createOrder.outputs.orderId
- workflowId: needs-token
  summary: A workflow whose secret is not configured.
  inputs:
    type: object
    required: [token]
    properties:
      token: {type: string, x-secret: true}
  steps:
  - stepId: readItem
    operationId: getItem
    parameters:
    - {name: itemId, in: path, value: 1}
    - {name: X-Api-Key, in: header, value: $inputs.token}
"""

OTHER = """
arazzo: 1.0.1
info: {title: Other shop flows, version: 1.0.0}
sourceDescriptions:
- {name: shop, url: shop.openapi.yaml, type: openapi}
workflows:
- workflowId: get-item
  summary: The other document's get-item.
  inputs:
    type: object
    properties:
      apiKey: {type: string, writeOnly: true}
  steps:
  - stepId: readFirst
    operationId: getItem
    parameters:
    - {name: itemId, in: path, value: 1}
    - {name: X-Api-Key, in: header, value: $inputs.apiKey}
    outputs:
      name: $response.body#/name
  outputs:
    name: $steps.readFirst.outputs.name
"""


SLOW = """
arazzo: 1.0.1
info: {title: Slow shop flows, version: 1.0.0}
sourceDescriptions:
- {name: shop, url: shop.openapi.yaml, type: openapi}
workflows:
- workflowId: two-items
  summary: Read two items, one after the other.
  inputs:
    type: object
    required: [first, second]
    properties:
      first: {type: integer}
      second: {type: integer}
      apiKey: {type: string, format: password}
  steps:
  - stepId: readFirst
    operationId: getItem
    parameters:
    - {name: itemId, in: path, value: $inputs.first}
    - {name: X-Api-Key, in: header, value: $inputs.apiKey}
  - stepId: readSecond
    operationId: getItem
    parameters:
    - {name: itemId, in: path, value: $inputs.second}
    - {name: X-Api-Key, in: header, value: $inputs.apiKey}
"""


def write_documents(folder: Path) -> tuple[Path, Path]:
    """The shop's OpenAPI description and two Arazzo documents in ``folder``."""
    (folder / "shop.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    shop = folder / "shop.arazzo.yaml"
    shop.write_text(ARAZZO, encoding="utf-8")
    other = folder / "other.arazzo.yaml"
    other.write_text(OTHER, encoding="utf-8")
    (folder / "slow.arazzo.yaml").write_text(SLOW, encoding="utf-8")
    return shop, other


class ShopApi:
    """The shop on a free 127.0.0.1 port, for a ``with`` block."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.slow_started = threading.Event()
        self.release = threading.Event()
        self.abandoned = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> bool:
                api.seen.append((self.command, self.path, dict(self.headers.items())))
                if self.headers.get("X-Api-Key") != SECRET:
                    self._answer(401, {"error": "bad or missing API key"})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._record():
                    return
                found = re.fullmatch(r"/items/(\d+)", self.path)
                if found is None:
                    self._answer(404, {"error": "no such path"})
                    return
                number = int(found.group(1))
                if number == SLOW_ITEM and not self._wait_for_release():
                    return
                key = self.headers["X-Api-Key"]
                self._answer(200, {"name": f"item {number}", "price": number * 2.5, "echo": key})

            def _wait_for_release(self) -> bool:
                """Hold the answer until the test releases it; False (and ``abandoned``
                set) when the client closes the connection first."""
                api.slow_started.set()
                deadline = time.monotonic() + 30
                while not api.release.wait(0.05):
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                        api.abandoned.set()
                        self.close_connection = True
                        return False
                    if time.monotonic() > deadline:
                        return False
                return True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self._record():
                    return
                if body.get("quantity", 0) > 10:
                    self._answer(409, {"error": "out of stock"})
                else:
                    self._answer(201, {"orderId": "o-1"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ShopApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
