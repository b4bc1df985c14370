"""The Temporal driver against a real dev server, with workers in processes of their own: a
worker killed during a durable wait, a new one finishing the run, each request sent once, no
credential in the history."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest

pytest.importorskip("temporalio", reason="pip install 'arazzo-engine[temporal]'")
from temporalio.client import Client

from arazzo_engine.temporal.devserver import DevServer
from tests.support.history import expand
from tests.support.items_server import ItemsServer

from .conftest import WorkerProcess

SECRET = "worker-only-key-5f1c2e9a7b"


@pytest.fixture
def items() -> Iterator[ItemsServer]:
    with ItemsServer() as server:
        yield server


async def _timer_started(address: str, run_id: str, timeout: float = 60.0) -> None:
    client = await Client.connect(address)
    handle = client.get_workflow_handle(run_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        history = await handle.fetch_history()
        if any(e.HasField("timer_started_event_attributes") for e in history.events):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the run never reached its wait")


def test_worker_killed_during_a_wait_the_run_completes_once(
    temporal_server: DevServer, items: ItemsServer
) -> None:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    run_id = f"calls-and-wait-{uuid.uuid4().hex[:8]}"
    env = {"ITEMS_API_KEY": SECRET}
    first = WorkerProcess(
        temporal_server.address, queue, "tests.support.temporal_programs", env=env
    )
    second = None
    try:

        async def start() -> None:
            client = await Client.connect(temporal_server.address)
            await client.start_workflow(
                "ArazzoCommands",
                {
                    "program": "test.calls-and-wait",
                    "args": {"url": items.url, "name": "t", "n": 21, "wait": 5},
                },
                id=run_id,
                task_queue=queue,
            )

        asyncio.run(start())
        # the POST went out and its result is recorded: the run is in its 5-second durable
        # timer; crash the worker
        asyncio.run(_timer_started(temporal_server.address, run_id))
        first.kill()
        assert items.counts[("POST", "/items")] == 1
        assert items.counts[("GET", "/items/t-21")] == 0
        second = WorkerProcess(
            temporal_server.address, queue, "tests.support.temporal_programs", env=env
        )

        async def finish() -> tuple[dict[str, object], str]:
            client = await Client.connect(temporal_server.address)
            handle = client.get_workflow_handle(run_id)
            result = await asyncio.wait_for(handle.result(), 120)
            history = await handle.fetch_history()
            return result, expand(history.to_json_dict())

        result, history = asyncio.run(finish())
    finally:
        first.kill()
        if second is not None:
            second.stop()
    assert result["created"] == 201 and result["read"] == 200 and result["double"] == 42
    assert float(result["waited"]) >= 5.0  # type: ignore[arg-type]
    # each request crossed the wire exactly once, with the worker's credential
    assert items.counts == {("POST", "/items"): 1, ("GET", "/items/t-21"): 1}
    assert all(h.get("x-api-key") == SECRET for h in items.headers)
    # the run saw the credential masked, and the history holds it nowhere
    assert result["sentKey"] == ["***"]
    assert SECRET not in history
    # the check is real: the decoded history shows the masked header and the response body
    assert "x-api-key ***" in history
    assert "double 42" in history


def test_an_encrypted_history_holds_no_readable_payload(
    temporal_server: DevServer, items: ItemsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arazzo_engine.temporal.client import KEY_VARIABLE, connect
    from arazzo_engine.temporal.codec import new_key

    key = new_key()
    monkeypatch.setenv(KEY_VARIABLE, key)
    queue = f"q-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(
        temporal_server.address,
        queue,
        "tests.support.temporal_programs",
        env={"ITEMS_API_KEY": SECRET, KEY_VARIABLE: key},
    )

    async def run() -> tuple[dict[str, object], str]:
        client = await connect(temporal_server.address)
        handle = await client.start_workflow(
            "ArazzoCommands",
            {
                "program": "test.calls-and-wait",
                "args": {"url": items.url, "name": "enc", "n": 4, "wait": 0},
            },
            id=f"encrypted-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
        result = await asyncio.wait_for(handle.result(), 120)
        plain = await Client.connect(temporal_server.address)  # no key: what the server keeps
        history = await plain.get_workflow_handle(handle.id).fetch_history()
        return result, expand(history.to_json_dict())

    try:
        result, history = asyncio.run(run())
    finally:
        worker.stop()
    assert result["double"] == 8 and result["sentKey"] == ["***"]
    assert "binary/encrypted" in history
    for readable in ("double", "enc-4", items.url, "calls-and-wait", SECRET):
        assert readable not in history, readable
