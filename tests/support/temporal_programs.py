"""A small program of run-core commands for the Temporal driver's tests (imported by the
worker process with ``--import tests.support.temporal_programs``).

``calls-and-wait``: the time, a POST with a named auth, a durable wait, a GET with the same
auth, the time again; returns what it saw. The worker's credential for the auth ``"items-key"``
comes from the worker's environment (``ITEMS_API_KEY``), never from the run's input.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from arazzo_engine.run.commands import (
    Command,
    HttpExchange,
    HttpReply,
    Now,
    Result,
    Time,
    Wait,
    header_values,
)
from arazzo_engine.temporal import programs


class ApiKey(httpx.Auth):
    def __init__(self, key: str) -> None:
        self.key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Api-Key"] = self.key
        yield request


def calls_and_wait(args: Mapping[str, Any]) -> Generator[Command, Result, dict[str, Any]]:
    url = str(args["url"])
    start = yield Now()
    assert isinstance(start, Time)
    body = json.dumps({"name": args["name"], "n": args["n"]}).encode()
    created = yield HttpExchange(
        "create",
        "POST",
        f"{url}/items",
        (("Content-Type", "application/json"),),
        body,
        auth="items-key",
    )
    if not isinstance(created, HttpReply):
        return {"failed": created.reason}
    item = json.loads(created.body)["id"]
    yield Wait("create", float(args["wait"]))
    read = yield HttpExchange("read", "GET", f"{url}/items/{item}", auth="items-key")
    if not isinstance(read, HttpReply):
        return {"failed": read.reason}
    end = yield Now()
    assert isinstance(end, Time)
    return {
        "created": created.status,
        "read": read.status,
        "double": json.loads(read.body)["double"],
        "waited": end.at - start.at,
        "sentKey": header_values(read.sent.headers, "x-api-key"),
    }


def _auth(args: Mapping[str, Any], key: str) -> httpx.Auth | None:
    secret = os.environ.get("ITEMS_API_KEY")
    return ApiKey(secret) if key == "items-key" and secret else None


programs.register("test.calls-and-wait", calls_and_wait, _auth)
