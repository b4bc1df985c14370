"""Arazzo workflows run on Temporal, end to end: a real dev server, workers started with
``arazzo-engine worker`` in processes of their own, real HTTP servers (moto with SigV4
authentication for ECR). Same RunResult as in process; a worker killed during a 5-second
``retryAfter`` and the run still completing with each request sent once; no secret in the
history; batches whose re-submission starts nothing new."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("temporalio", reason="pip install 'arazzo-engine[temporal]'")
from temporalio.client import Client

from arazzo_engine import InputError, RunResult, run_workflow
from arazzo_engine.temporal.client import fetch_result, run_on_temporal, start_run
from arazzo_engine.temporal.devserver import DevServer
from tests.support.history import expand
from tests.support.http_server import Reply, ScriptedServer
from tests.support.items_server import ItemsServer

from .conftest import ROOT, WorkerProcess

DATA = ROOT / "tests" / "data" / "batch"
ITEMS = DATA / "items.arazzo.yaml"
RETRY = DATA / "retry.arazzo.yaml"
API_KEY = "flaky-key-93c1d7e2b4a6"


@pytest.fixture
def items() -> Iterator[ItemsServer]:
    with ItemsServer() as server:
        yield server


def _queue() -> str:
    return f"q-{uuid.uuid4().hex[:8]}"


def _same_run(a: RunResult, b: RunResult) -> None:
    """The same run: verdict, outputs, and every step's record but times and dates."""
    assert (a.workflow_id, a.success, a.outputs, a.error) == (
        b.workflow_id,
        b.success,
        b.outputs,
        b.error,
    )

    def steps(result: RunResult) -> list[Any]:
        out = []
        for step in result.steps:
            request, response = step.request, step.response
            out.append(
                (
                    step.step_id,
                    step.success,
                    step.status_code,
                    step.attempt,
                    step.outputs,
                    step.error,
                    step.action,
                    [(c.condition, c.passed) for c in step.criteria],
                    request and (request.method, request.url, request.body),
                    response and response.body,
                    response and sorted((k, v) for k, v in response.headers if k.lower() != "date"),
                )
            )
        return out

    assert steps(a) == steps(b)


async def _history(address: str, run_id: str) -> str:
    client = await Client.connect(address)
    history = await client.get_workflow_handle(run_id).fetch_history()
    return expand(history.to_json_dict())


def test_a_run_on_temporal_returns_the_in_process_result(
    temporal_server: DevServer, items: ItemsServer
) -> None:
    queue = _queue()
    worker = WorkerProcess(temporal_server.address, queue, cli=[])
    servers = {"items": items.url}

    async def go() -> tuple[RunResult, RunResult, str]:
        client = await Client.connect(temporal_server.address)
        ok = await run_on_temporal(
            client, ITEMS, "make-item", {"name": "t", "n": 5}, task_queue=queue, servers=servers
        )
        failed = await run_on_temporal(
            client, ITEMS, "make-item", {"name": "t", "n": -5}, task_queue=queue, servers=servers
        )
        with pytest.raises(InputError):  # refused before any request, as in process
            await run_on_temporal(client, ITEMS, "make-item", {"name": "t"}, task_queue=queue)
        return ok, failed, ""

    try:
        ok, failed, _ = asyncio.run(go())
    finally:
        worker.stop()
    _same_run(ok, run_workflow(ITEMS, "make-item", {"name": "t", "n": 5}, servers=servers))
    _same_run(failed, run_workflow(ITEMS, "make-item", {"name": "t", "n": -5}, servers=servers))
    assert ok.success and ok.outputs == {"id": "t-5", "double": 10}
    assert not failed.success and failed.steps[-1].step_id == "create"
    # the reports work on it
    assert "testcase" in ok.to_junit() and ok.to_har()["log"]["entries"]


def test_worker_killed_during_retry_after_the_run_completes_each_request_once(
    temporal_server: DevServer,
) -> None:
    queue = _queue()
    env = {"ARAZZO_AUTH_FLAKY_KEY_VALUE": API_KEY}
    with ScriptedServer() as api:
        api.route("GET", "/flaky", Reply(503, {"later": True}), Reply(200, {"value": 7}))
        first = WorkerProcess(temporal_server.address, queue, env=env, cli=[])
        second = None
        run_id = f"retry-{uuid.uuid4().hex[:8]}"
        try:

            async def start() -> None:
                client = await Client.connect(temporal_server.address)
                await start_run(
                    client,
                    RETRY,
                    "wait-and-retry",
                    task_queue=queue,
                    run_id=run_id,
                    servers={"flaky": api.url},
                )
                handle = client.get_workflow_handle(run_id)
                while True:  # the 503 is recorded and the 5-second timer started
                    history = await handle.fetch_history()
                    if any(e.HasField("timer_started_event_attributes") for e in history.events):
                        return
                    ended = history.events and history.events[-1].HasField(
                        "workflow_execution_completed_event_attributes"
                    )
                    assert not ended, await fetch_result(client, run_id)
                    await asyncio.sleep(0.1)

            asyncio.run(asyncio.wait_for(start(), 120))
            first.kill()
            assert len(api.received) == 1
            second = WorkerProcess(temporal_server.address, queue, env=env, cli=[])

            async def finish() -> tuple[RunResult, str]:
                client = await Client.connect(temporal_server.address)
                result = await asyncio.wait_for(fetch_result(client, run_id), 120)
                return result, await _history(temporal_server.address, run_id)

            result, history = asyncio.run(finish())
        finally:
            first.kill()
            if second is not None:
                second.stop()
        received = list(api.received)
    assert result.success, result.error
    assert result.outputs == {"value": 7}
    assert [(s.step_id, s.status_code, s.success) for s in result.steps] == [
        ("fetch", 503, False),
        ("fetch", 200, True),
    ]
    assert result.steps[1].started_at - result.steps[0].started_at >= 5.0
    # the 503 once, the retry once: nothing sent twice, nothing lost
    assert [r.path for r in received] == ["/flaky", "/flaky"]
    assert all(r.headers.get("x-api-key") == API_KEY for r in received)
    assert API_KEY not in history and "x-api-key ***" in history
    assert API_KEY not in json.dumps(result.to_dict())


def test_bundled_ecr_workflow_on_temporal_with_moto(
    temporal_server: DevServer, tmp_path: Path
) -> None:
    if importlib_missing("moto"):
        pytest.skip("moto[server] is not installed: pip install 'arazzo-engine[local]'")
    import boto3

    from arazzo_engine.aws.local_ecr import LocalEcr
    from tests.conftest import SPEC

    inputs = json.loads((ROOT / "examples" / "publish-image.inputs.json").read_text())
    tag = f"tmp-{uuid.uuid4().hex[:8]}"
    inputs = {**inputs, "imageTag": tag}
    queue = _queue()
    (tmp_path / "empty").write_text("")
    with LocalEcr() as ecr:
        env = {
            "AWS_ACCESS_KEY_ID": ecr.access_key_id,
            "AWS_SECRET_ACCESS_KEY": ecr.secret_access_key,
            "AWS_CONFIG_FILE": str(tmp_path / "empty"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "empty"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        # the worker's own AWS configuration: keys in its environment, the endpoint
        aws = ["--aws-region", ecr.region, "--aws-endpoint-url", ecr.endpoint_url]
        worker = WorkerProcess(temporal_server.address, queue, env=env, cli=aws)
        run_id = f"ecr-{uuid.uuid4().hex[:8]}"
        (tmp_path / "in.json").write_text(json.dumps(inputs))
        try:
            done = subprocess.run(
                [
                    *(sys.executable, "-m", "arazzo_engine", "run", str(SPEC), "publish-image"),
                    *("--temporal", temporal_server.address, "--task-queue", queue),
                    *("--run-id", run_id, "--json", "--inputs", str(tmp_path / "in.json")),
                ],
                cwd=ROOT,
                env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
                capture_output=True,
                text=True,
                timeout=180,
            )
            history = asyncio.run(_history(temporal_server.address, run_id))
        finally:
            worker.stop()
        assert done.returncode == 0, done.stderr + done.stdout
        shown = json.loads(done.stdout)[0]  # run --json: a list of runs
        assert shown["success"] and [s["stepId"] for s in shown["steps"]] == [
            "confirmRepository",
            "putImage",
            "verifyImage",
        ]
        found = boto3.client(
            "ecr",
            endpoint_url=ecr.endpoint_url,
            region_name=ecr.region,
            aws_access_key_id=ecr.access_key_id,
            aws_secret_access_key=ecr.secret_access_key,
        ).batch_get_image(repositoryName=ecr.repository, imageIds=[{"imageTag": tag}])
        assert found["images"][0]["imageManifest"] == inputs["imageManifest"]
        assert ecr.secret_access_key not in history
        assert ecr.access_key_id not in history  # masked in the signed Authorization header
        assert "AWS4-HMAC-SHA256 Credential=***" in history
        assert ecr.secret_access_key not in done.stdout + done.stderr


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


def test_worker_lost_during_a_call_is_a_failed_step_never_a_second_send(
    temporal_server: DevServer, items: ItemsServer
) -> None:
    queue = _queue()
    first = WorkerProcess(temporal_server.address, queue, cli=[])
    second = None
    run_id = f"lost-{uuid.uuid4().hex[:8]}"

    async def start() -> None:
        client = await Client.connect(temporal_server.address)
        await start_run(
            client,
            ITEMS,
            "make-item",
            {"name": "slow", "n": 1, "delay": 4},
            task_queue=queue,
            run_id=run_id,
            servers={"items": items.url},
            timeout=5,
        )

    async def finish() -> RunResult:
        client = await Client.connect(temporal_server.address)
        return await asyncio.wait_for(fetch_result(client, run_id), 180)

    try:
        asyncio.run(start())
        deadline = time.monotonic() + 60
        while items.counts[("POST", "/items")] == 0:  # the call is on the wire
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first.kill()  # the worker dies while the API is still answering
        second = WorkerProcess(temporal_server.address, queue, cli=[])
        result = asyncio.run(finish())
    finally:
        first.kill()
        if second is not None:
            second.stop()
    assert not result.success
    step = result.steps[0]
    assert step.step_id == "create" and not step.success
    assert "was not sent again" in (step.error or "") + (result.error or "")
    # Temporal did not resend the call on its own: the API saw it once
    assert items.counts[("POST", "/items")] == 1
    assert items.counts[("GET", "/items/slow-1")] == 0
