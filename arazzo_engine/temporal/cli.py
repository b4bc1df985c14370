"""The command line's Temporal commands (``arazzo-engine worker``, ``run --temporal``,
``result``, ``run --batch --temporal``); `arazzo_engine.cli` parses, these run."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..batch import BatchRow, Row, bounded, check_source, iterate, read_rows, write_results
from ..document.model import Document
from ..errors import ArazzoError
from ..redact import secret_input_values
from ..results import RunResult
from .client import batch_run_id, connect, fetch_result, start_run
from .config import WorkerConfig, configure

__all__ = ["batch", "result", "run", "worker"]


def _refuse_secret_inputs(document: Document, workflow_id: str, inputs: Mapping[str, Any]) -> None:
    secret = secret_input_values(document.plan(workflow_id).inputs_schema, inputs)
    if secret:
        raise ArazzoError(
            f"input(s) {', '.join(secret)} are secret (format: password or writeOnly): on "
            "Temporal give them to the workers (arazzo-engine worker --secret-inputs FILE), "
            "never in a run's input (it is kept in the history)"
        )


def worker(
    address: str,
    *,
    namespace: str,
    task_queue: str,
    settings: Mapping[str, Any],
    secret_inputs: Mapping[str, Any],
    imports: Sequence[str] = (),
    out: TextIO,
) -> int:
    """Run a worker until interrupted (exit 0)."""
    from .worker import run_worker

    configure(WorkerConfig(dict(settings), dict(secret_inputs)))
    for module in imports:
        importlib.import_module(module)

    async def serve() -> None:
        from ..api import _run_options
        from ..transport import make_async_client
        from .activities import HttpExchanger

        # the worker's TLS trust, client certificate and proxy apply to every call it sends
        _, _, transport = _run_options("worker", settings, False)
        exchanger = HttpExchanger(make_async_client(transport), own=True)
        ready = asyncio.Event()

        async def announce() -> None:
            await ready.wait()
            print(f"worker ready: {address} namespace {namespace} queue {task_queue}", file=out)
            out.flush()

        announcing = asyncio.ensure_future(announce())
        try:
            await run_worker(
                address,
                namespace=namespace,
                task_queue=task_queue,
                exchanger=exchanger,
                ready=ready,
            )
        finally:
            announcing.cancel()

    asyncio.run(serve())
    return 0


def run(
    document: Document,
    workflow_id: str,
    inputs: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    address: str,
    namespace: str,
    task_queue: str,
    detach: bool,
    run_id: str | None,
) -> tuple[str, RunResult | None]:
    """Start a run on Temporal; wait for its result unless ``detach``."""
    _refuse_secret_inputs(document, workflow_id, inputs)

    async def go() -> tuple[str, RunResult | None]:
        client = await connect(address, namespace)
        started = await start_run(
            client,
            document.uri,
            workflow_id,
            inputs,
            task_queue=task_queue,
            run_id=run_id,
            **_plain(settings),
        )
        if detach:
            return started, None
        return started, await fetch_result(client, started)

    return asyncio.run(go())


def result(run_id: str, *, address: str, namespace: str) -> RunResult:
    """The result of the run ``run_id`` (waits for it to end)."""

    async def go() -> RunResult:
        return await fetch_result(await connect(address, namespace), run_id)

    return asyncio.run(go())


def _plain(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The run settings that may travel (credential settings left unset are dropped)."""
    return {k: v for k, v in settings.items() if v is not None and v != {} and k != "redact"}


def batch_name(document: Document, workflow_id: str, source: str) -> str:
    """A stable name for a batch: the document, workflow and rows file (not stdin's)."""
    where = "-" if source == "-" else str(Path(source).resolve())
    digest = hashlib.sha256(f"{document.uri}\n{workflow_id}\n{where}".encode()).hexdigest()
    return f"arazzo-batch-{workflow_id}-{digest[:10]}"


async def abatch(
    document: Document,
    workflow_id: str,
    rows: Iterable[Row],
    base_inputs: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    address: str,
    namespace: str,
    task_queue: str,
    concurrency: int,
    name: str,
) -> AsyncGenerator[BatchRow, None]:
    """One Temporal run per row (run id: `batch_run_id`), results in input order."""
    client = await connect(address, namespace)
    plain = _plain(settings)

    async def one(number: int, row: Mapping[str, Any]) -> BatchRow:
        inputs = {**base_inputs, **row}
        try:
            _refuse_secret_inputs(document, workflow_id, inputs)
            started = await start_run(
                client,
                document.uri,
                workflow_id,
                inputs,
                task_queue=task_queue,
                run_id=batch_run_id(name, number, inputs),
                **plain,
            )
            outcome = await fetch_result(client, started)
        except ArazzoError as exc:
            return BatchRow(number, False, {}, f"row {number}: {exc}")
        failed = next((s.step_id for s in reversed(outcome.steps) if not s.success), None)
        return BatchRow(
            number,
            outcome.success,
            outcome.outputs,
            outcome.error,
            None if outcome.success else failed,
            outcome,
        )

    async for finished in bounded(rows, one, concurrency, ordered=True):
        yield finished


def batch(
    document: Document,
    workflow_id: str,
    source: str,
    base_inputs: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    address: str,
    namespace: str,
    task_queue: str,
    concurrency: int,
    results_path: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """``run --batch ROWS --temporal``: like a local batch, each row a durable run."""
    check_source(source)
    rows = read_rows(source, schema=document.plan(workflow_id).inputs_schema)
    name = batch_name(document, workflow_id, source)
    generator = abatch(
        document,
        workflow_id,
        rows,
        base_inputs,
        settings,
        address=address,
        namespace=namespace,
        task_queue=task_queue,
        concurrency=concurrency,
        name=name,
    )
    return write_results(iterate(generator), source, results_path, out, err)
