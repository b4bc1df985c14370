"""The other side of the message examples: a pet shop that answers on a broker and over HTTP.

    python examples/messages/responder.py --broker mqtt://127.0.0.1:1883 [--http-port 8080]

- Every order on ``pets/place-order`` gets a confirmation on ``pets/confirm-order`` with the
  same ``orderRequestId`` (payload, and header when the order had one: NATS, MQTT 5).
  ``--mode wrong-first`` sends a confirmation of another order first; ``--mode silent`` never
  answers; ``--mode reject`` answers with ``status: rejected``; ``--mode ignore-first``
  leaves the first order unanswered and answers the others.
- With ``--http-port``: ``POST /orders`` answers 201 ``{"orderId": n}`` and, *before* it
  answers, publishes ``{"orderId": n, "status": "shipped", "trackingCode": ...}`` on
  ``shop/order-events``; ``GET /shipments/{trackingCode}`` answers the shipment.

It prints ``ready`` (and the HTTP URL) once it listens, and stops after ``--lifetime`` seconds
or when its standard input closes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from arazzo_engine.protocols.session import SyncMessageSession
from arazzo_engine.run.commands import (
    Failure,
    Message,
    Publish,
    Receive,
    Subscribe,
    header_values,
)

ORDERS = "pets/place-order"
CONFIRMATIONS = "pets/confirm-order"
EVENTS = "shop/order-events"


class Shop:
    """The responder's state: the broker session, the order counter and the shipments."""

    def __init__(self, broker: str, mode: str) -> None:
        self.protocol = urlsplit(broker).scheme
        self.broker = broker
        self.mode = mode
        self.session = SyncMessageSession()
        self.ids = itertools.count(1001)
        self.lock = threading.Lock()
        self.shipments: dict[str, dict[str, Any]] = {}
        self.stopped = threading.Event()

    def publish(self, address: str, payload: Any, headers: tuple[tuple[str, str], ...]) -> None:
        result = self.session.execute(
            Publish(
                "responder",
                self.protocol,
                self.broker,
                address,
                headers=headers,
                payload=json.dumps(payload).encode(),
                content_type="application/json",
            )
        )
        if isinstance(result, Failure):
            print(f"publish failed: {result}", file=sys.stderr, flush=True)

    def answer(self, order: Message) -> None:
        try:
            body = json.loads(order.payload)
        except ValueError:
            return
        request_id = header_values(order.headers, "orderRequestId") or [
            str(body.get("orderRequestId", ""))
        ]
        headers = (("orderRequestId", request_id[0]),) if order.headers else ()
        with self.lock:
            order_id = next(self.ids)
        if self.mode == "silent" or (self.mode == "ignore-first" and order_id == 1001):
            return
        if self.mode == "wrong-first":
            wrong = "not-" + request_id[0]
            self.publish(
                CONFIRMATIONS,
                {"orderRequestId": wrong, "orderId": 1, "status": "confirmed"},
                (("orderRequestId", wrong),) if headers else (),
            )
        status = "rejected" if self.mode == "reject" else "confirmed"
        self.publish(
            CONFIRMATIONS,
            {"orderRequestId": request_id[0], "orderId": order_id, "status": status},
            headers,
        )

    def serve_orders(self) -> None:
        while not self.stopped.is_set():
            result = self.session.execute(Receive("responder", "orders", 0.2))
            if isinstance(result, Message):
                self.answer(result)

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            order_id = next(self.ids)
        tracking = f"TRK-{order_id}"
        shipment = {"orderId": order_id, "trackingCode": tracking, "status": "shipped"}
        self.shipments[tracking] = {**shipment, "status": "in transit", "petId": body.get("petId")}
        # Published before the HTTP answer: the event races ahead of the step waiting for it.
        self.publish(EVENTS, shipment, ())
        return {"orderId": order_id}


def http_handler(shop: Shop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path != "/orders":
                self.reply(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self.reply(400, {"error": "bad JSON"})
                return
            self.reply(201, shop.create_order(body))

        def do_GET(self) -> None:
            prefix = "/shipments/"
            found = (
                shop.shipments.get(self.path[len(prefix) :])
                if self.path.startswith(prefix)
                else None
            )
            if found is None:
                self.reply(404, {"error": "not found"})
            else:
                self.reply(200, found)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", required=True, help="e.g. mqtt://127.0.0.1:1883")
    parser.add_argument("--http-port", type=int, default=None)
    parser.add_argument(
        "--mode",
        choices=["normal", "wrong-first", "silent", "reject", "ignore-first"],
        default="normal",
    )
    parser.add_argument("--lifetime", type=float, default=300.0)
    args = parser.parse_args(argv)
    shop = Shop(args.broker, args.mode)
    subscribed = shop.session.execute(Subscribe("orders", shop.protocol, args.broker, ORDERS))
    if isinstance(subscribed, Failure):
        print(f"cannot subscribe: {subscribed}", file=sys.stderr, flush=True)
        return 1
    server = None
    if args.http_port is not None:
        server = ThreadingHTTPServer(("127.0.0.1", args.http_port), http_handler(shop))
        threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = threading.Thread(target=shop.serve_orders, daemon=True)
    worker.start()

    def watch_stdin() -> None:
        sys.stdin.read()
        shop.stopped.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    url = f" http://127.0.0.1:{server.server_address[1]}" if server else ""
    print(f"ready{url}", flush=True)
    shop.stopped.wait(args.lifetime)
    shop.stopped.set()
    if server is not None:
        server.shutdown()
    worker.join(5)
    shop.session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
