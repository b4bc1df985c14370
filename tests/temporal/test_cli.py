"""The command line on Temporal: ``arazzo-engine worker`` (two of them), ``run --temporal
--detach`` then ``result``, secret inputs that only the workers hold, and ``run --batch
--temporal`` whose re-submission starts nothing new."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("temporalio", reason="pip install 'arazzo-engine[temporal]'")
from temporalio.client import Client

from arazzo_engine.temporal.devserver import DevServer
from tests.support.history import expand
from tests.support.items_server import ItemsServer

from .conftest import ROOT, WorkerProcess

ITEMS = ROOT / "tests" / "data" / "batch" / "items.arazzo.yaml"
TOKEN = "tok-only-on-workers-4e7a1c"


@pytest.fixture
def items() -> Iterator[ItemsServer]:
    with ItemsServer() as server:
        yield server


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arazzo_engine", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_detach_then_result_with_a_secret_input_only_the_workers_hold(
    temporal_server: DevServer, items: ItemsServer, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"make-item-with-token:\n  token: {TOKEN}\n")
    queue = f"q-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(temporal_server.address, queue, cli=["--secret-inputs", str(secrets)])
    where = ("--temporal", temporal_server.address)
    try:
        started = _cli(
            *("run", str(ITEMS), "make-item-with-token", "--input", "name=sec", "--input", "n=2"),
            *("--server", f"items={items.url}", *where, "--task-queue", queue, "--detach"),
        )
        assert started.returncode == 0, started.stderr
        run_id = started.stdout.strip()
        assert run_id.startswith("arazzo-make-item-with-token-")
        junit = tmp_path / "result.xml"
        fetched = _cli(
            *("result", run_id, *where, "--json"),
            *("--document", str(ITEMS), "--junit", str(junit)),
        )
        # giving the secret input at the start is refused: it would enter the history
        refused = _cli(
            *("run", str(ITEMS), "make-item-with-token", "--input", "name=x", "--input", "n=1"),
            *("--input", f"token={TOKEN}", *where, "--task-queue", queue),
        )
    finally:
        worker.stop()
    assert fetched.returncode == 0, fetched.stderr
    shown = json.loads(fetched.stdout)
    assert shown["success"] and shown["outputs"] == {"id": "sec-2"}
    assert "<testcase" in junit.read_text() and TOKEN not in junit.read_text()
    assert refused.returncode == 2 and "secret" in refused.stderr
    assert TOKEN not in refused.stderr
    # the API got the real token, from the worker; nothing else holds it
    assert [h.get("x-token") for h in items.headers] == [TOKEN]
    history = asyncio.run(_history(temporal_server.address, run_id))
    assert TOKEN not in history and TOKEN not in fetched.stdout + started.stdout
    assert "arazzo-secret-input-token" in history  # the placeholder is what travelled


async def _history(address: str, run_id: str) -> str:
    client = await Client.connect(address)
    return expand((await client.get_workflow_handle(run_id).fetch_history()).to_json_dict())


def test_batch_on_two_workers_and_resubmitted(
    temporal_server: DevServer, items: ItemsServer, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.jsonl"
    lines = [json.dumps({"name": "b", "n": i}) for i in range(30)]
    lines.insert(10, "{not json")
    rows.write_text("\n".join(lines) + "\n")
    queue = f"q-{uuid.uuid4().hex[:8]}"
    workers = [WorkerProcess(temporal_server.address, queue, cli=[]) for _ in range(2)]
    command = (
        *("run", str(ITEMS), "make-item", "--batch", str(rows), "--concurrency", "8"),
        *("--server", f"items={items.url}", "--temporal", temporal_server.address),
        *("--task-queue", queue),
    )
    try:
        first = _cli(*command, "--results", str(tmp_path / "first.jsonl"))
        sent = dict(items.counts)
        again = _cli(*command, "--results", str(tmp_path / "again.jsonl"))
    finally:
        for worker in workers:
            worker.stop()
    assert first.returncode == 1, first.stderr  # the bad row
    assert "31 row(s), 30 succeeded, 1 failed" in first.stdout
    results = [json.loads(line) for line in (tmp_path / "first.jsonl").read_text().splitlines()]
    assert [r["row"] for r in results] == list(range(1, 32))
    assert results[10]["error"].startswith("row 11: line 11: not JSON")
    good = [r for r in results if r["success"]]
    assert sorted(r["outputs"]["double"] for r in good) == [2 * i for i in range(30)]
    # every run once: nothing lost, nothing twice (two workers poll the queue)
    assert sent[("POST", "/items")] == 30
    assert all(sent[("GET", f"/items/b-{i}")] == 1 for i in range(30))
    # submitted again: the same runs answer, nothing is sent again
    assert again.returncode == 1
    assert (tmp_path / "again.jsonl").read_text() == (tmp_path / "first.jsonl").read_text()
    assert dict(items.counts) == sent


def test_no_server_or_no_such_run_is_a_one_line_error(temporal_server: DevServer) -> None:
    from arazzo_engine.temporal.devserver import free_port

    nobody = _cli("result", "some-run", "--temporal", f"127.0.0.1:{free_port()}")
    assert nobody.returncode == 2 and nobody.stderr.startswith("error: cannot connect to Temporal")
    unknown = _cli("result", "no-such-run", "--temporal", temporal_server.address)
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: run no-such-run")
    assert "Traceback" not in nobody.stderr + unknown.stderr
