"""Running a worker: the workflow, the HTTP activity, and the programs it can drive.

    python -m arazzo_engine.temporal.worker --temporal 127.0.0.1:7233 [--namespace default]
        [--task-queue arazzo] [--import MODULE ...]

``--import`` imports modules that register programs (see
[`programs`][arazzo_engine.temporal.programs]) before the worker starts. The worker runs until
it is interrupted (SIGINT/SIGTERM: it stops taking work and shuts down).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from .activities import HttpExchanger
from .client import connect
from .workflow import CommandsWorkflow

__all__ = ["DEFAULT_TASK_QUEUE", "make_worker", "run_worker"]

#: The task queue workers poll and runs are started on when none is named.
DEFAULT_TASK_QUEUE = "arazzo"


def make_worker(
    client: Client,
    exchanger: HttpExchanger,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    **options: Any,
) -> Worker:
    """A worker for ``client`` on ``task_queue``, with the workflow and ``exchanger``'s activity.

    Workflow code runs in Temporal's sandbox with every module passed through (imported once,
    shared): the run core is deterministic by design (no clock, no I/O, no randomness)."""
    from .arazzo import prepare  # the "arazzo" program and its activity

    # every module passes through: the core and the libraries it calls (httpx models,
    # jsonschema for inputs and contract checks) are imported once, outside the sandbox
    restrictions = SandboxRestrictions.default.with_passthrough_all_modules()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CommandsWorkflow],
        activities=[exchanger.http_exchange, prepare],
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
        **options,
    )


async def run_worker(
    address: str,
    *,
    namespace: str = "default",
    task_queue: str = DEFAULT_TASK_QUEUE,
    client: Client | None = None,
    exchanger: HttpExchanger | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Connect to ``address`` and run a worker until SIGINT/SIGTERM (or cancellation)."""
    client = client or await connect(address, namespace)
    exchanger = exchanger or HttpExchanger()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with make_worker(client, exchanger, task_queue=task_queue):
            if ready is not None:
                ready.set()
            await stop.wait()
    finally:
        await exchanger.aclose()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m arazzo_engine.temporal.worker``."""
    parser = argparse.ArgumentParser(prog="python -m arazzo_engine.temporal.worker")
    parser.add_argument("--temporal", required=True, metavar="HOST:PORT")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default=DEFAULT_TASK_QUEUE)
    parser.add_argument("--import", dest="imports", action="append", default=[])
    args = parser.parse_args(argv)
    for module in args.imports:
        importlib.import_module(module)
    asyncio.run(_announced(args.temporal, args.namespace, args.task_queue))
    # skip interpreter teardown: the client's Rust threads can abort a finalising
    # interpreter (temporalio/sdk-python#300)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


async def _announced(address: str, namespace: str, task_queue: str) -> None:
    ready = asyncio.Event()

    async def announce() -> None:
        await ready.wait()
        print(f"worker ready: {address} namespace {namespace} queue {task_queue}", flush=True)

    announcing = asyncio.ensure_future(announce())
    try:
        await run_worker(address, namespace=namespace, task_queue=task_queue, ready=ready)
    finally:
        announcing.cancel()


if __name__ == "__main__":  # pragma: no cover
    main()
