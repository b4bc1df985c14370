"""Batch runs: one workflow, run once per row of inputs, many at a time, in one process.

>>> from arazzo_engine.batch import run_batch
>>> for row in run_batch("shop.arazzo.yaml", "buy", [{"sku": "a"}, {"sku": "b"}], concurrency=8):
...     print(row.row, row.success, row.outputs)

The document is loaded and validated once; each row is the inputs of one run, merged over the
base ``inputs``; every run goes through the public [`arun_workflow`][arazzo_engine.arun_workflow]
on one shared connection pool, at most ``concurrency`` at a time. A row that fails, or that is
not valid (not JSON, not an object, failing the inputs schema), is reported on its own
`BatchRow` and never stops the others.

Memory stays flat however many rows there are: ``rows`` is read lazily (an iterator, a file
read line by line), and only the runs in flight are held, plus, when results come out in input
order (``ordered=True``), the finished rows waiting for an earlier one (a row starts only when
it is at most ``window`` rows ahead of the next row to come out).

Rows are numbered from 1 (``BatchRow.row``): the first row of data is row 1 (a CSV header row
is not a row).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import json
import os
import sys
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .api import _run_options, arun_workflow, runnable_document
from .document.model import Document, load
from .errors import ArazzoError
from .results import RunResult

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Unpack

    from .api import RunSettings

__all__ = [
    "BadRow",
    "BatchRow",
    "BatchSummary",
    "arun_batch",
    "bounded",
    "check_source",
    "cli_batch",
    "iterate",
    "read_rows",
    "run_batch",
    "write_batch",
    "write_results",
]

#: Runs at once when no ``concurrency`` is given.
DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class BadRow:
    """A row that could not be read as inputs (not JSON, not an object); ``reason`` says why
    and where, without the row's content (it may hold secrets)."""

    reason: str


Row = Mapping[str, Any] | BadRow


@dataclass(frozen=True)
class BatchRow:
    """The outcome of one row: ``row`` (from 1, in input order), ``success``, the workflow's
    ``outputs``, ``error`` (why the run failed or the row was refused), ``failed_step`` (the
    stepId whose failure ended the run) and the whole ``result`` (``None`` when the row never
    ran: bad row, inputs refused)."""

    row: int
    success: bool
    outputs: Mapping[str, Any]
    error: str | None = None
    failed_step: str | None = None
    result: RunResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as one line of a results file: row, success, outputs, error, failedStep."""
        return {
            "row": self.row,
            "success": self.success,
            "outputs": dict(self.outputs),
            "error": self.error,
            "failedStep": self.failed_step,
        }


def _failed_step(result: RunResult) -> str | None:
    for step in reversed(result.steps):
        if not step.success:
            return step.step_id
    return None


def _from_result(row: int, result: RunResult) -> BatchRow:
    return BatchRow(
        row,
        result.success,
        result.outputs,
        result.error,
        None if result.success else _failed_step(result),
        result,
    )


async def _rows_of(rows: Iterable[Row] | AsyncIterable[Row]) -> AsyncGenerator[Row, None]:
    if isinstance(rows, AsyncIterable):
        async for item in rows:
            yield item
    else:
        for item in rows:
            yield item


async def arun_batch(
    spec: str | os.PathLike[str] | Document,
    workflow_id: str,
    rows: Iterable[Row] | AsyncIterable[Row],
    *,
    inputs: Mapping[str, Any] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    ordered: bool = False,
    window: int | None = None,
    client: httpx.AsyncClient | None = None,
    **settings: Unpack[RunSettings],
) -> AsyncGenerator[BatchRow, None]:
    """Run ``workflow_id`` once per row and yield each row's `BatchRow` as it finishes
    (``ordered=True``: in input order).

    Args:
        spec: the Arazzo document (path, URL or loaded `Document`); loaded and validated once.
        workflow_id: the workflow to run.
        rows: the inputs of each run (mappings; `BadRow` for rows that could not be read),
            read lazily from any iterable or async iterable.
        inputs: base inputs; each row's inputs are merged over them.
        concurrency: the most runs at once (at least 1).
        ordered: yield in input order rather than as rows finish.
        window: with ``ordered``, how far ahead of the next row to yield a row may start
            (``4 * concurrency``): bounds the results held back for order.
        client: an ``httpx.AsyncClient`` every run shares (by default one is made from the
            TLS and proxy settings and closed at the end).
        **settings: as for [`run_workflow`][arazzo_engine.run_workflow], the same for every row.

    Raises:
        DocumentError / WorkflowNotFoundError: before any row, when the document or workflow
        cannot run. Errors of one row (bad inputs, missing credentials) are reported on its row.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    document = runnable_document(spec if isinstance(spec, Document) else load(spec), workflow_id)
    document.plan(workflow_id)  # an unknown workflow fails here, before any row
    base = dict(inputs or {})

    async def one(number: int, row: Mapping[str, Any]) -> BatchRow:
        assert client is not None
        try:
            result = await arun_workflow(
                document, workflow_id, {**base, **row}, client=client, **settings
            )
        except ArazzoError as exc:  # inputs refused, credentials missing: this row only
            return BatchRow(number, False, {}, f"row {number}: {exc}")
        finally:
            # runs keep their own cookie jars; the shared client's jar is never read: keep it
            # from growing
            client.cookies.clear()
        return _from_result(number, result)

    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            from .transport import make_async_client

            _, _, transport = _run_options("arun_batch", settings, False)
            transport = dataclasses.replace(
                transport, max_connections=max(transport.max_connections, concurrency)
            )
            client = await stack.enter_async_context(make_async_client(transport))
        async for finished in bounded(rows, one, concurrency, ordered=ordered, window=window):
            yield finished


RowRunner = Callable[[int, Mapping[str, Any]], Awaitable[BatchRow]]


async def bounded(
    rows: Iterable[Row] | AsyncIterable[Row],
    run: RowRunner,
    concurrency: int,
    *,
    ordered: bool = False,
    window: int | None = None,
) -> AsyncGenerator[BatchRow, None]:
    """``run(number, inputs)`` for every row, at most ``concurrency`` at once, yielding each
    `BatchRow` as it finishes (``ordered``: in input order, a row starting at most ``window``
    rows ahead of the next to yield, ``4 * concurrency`` by default). Rows that are not inputs
    (`BadRow`, not a mapping) are answered as failed rows without calling ``run``."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    ahead = max(window or 4 * concurrency, concurrency)
    source = _rows_of(rows).__aiter__()

    async def one(number: int, row: object) -> BatchRow:
        if isinstance(row, BadRow):
            return BatchRow(number, False, {}, f"row {number}: {row.reason}")
        if not isinstance(row, Mapping):  # callers' data may be anything
            return BatchRow(number, False, {}, f"row {number}: not an object of inputs")
        return await run(number, row)

    pending: set[asyncio.Task[BatchRow]] = set()
    held: dict[int, BatchRow] = {}
    started = 0  # rows taken from the source
    emitted = 0  # rows yielded (ordered)
    exhausted = False
    try:
        while True:
            while (
                not exhausted
                and len(pending) < concurrency
                and (not ordered or started - emitted < ahead)
            ):
                try:
                    row = await source.__anext__()
                except StopAsyncIteration:
                    exhausted = True
                    break
                started += 1
                pending.add(asyncio.ensure_future(one(started, row)))
            if not pending:
                break
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                finished = task.result()
                if not ordered:
                    yield finished
                else:
                    held[finished.row] = finished
            while emitted + 1 in held:
                emitted += 1
                yield held.pop(emitted)
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def run_batch(
    spec: str | os.PathLike[str] | Document,
    workflow_id: str,
    rows: Iterable[Row],
    *,
    inputs: Mapping[str, Any] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    ordered: bool = False,
    window: int | None = None,
    **settings: Unpack[RunSettings],
) -> Iterator[BatchRow]:
    """Synchronous [`arun_batch`][arazzo_engine.batch.arun_batch]: the same arguments, its
    rows yielded as they finish (runs concurrently on an event loop of its own; call it from
    code that is not itself running an event loop)."""
    return iterate(
        arun_batch(
            spec,
            workflow_id,
            rows,
            inputs=inputs,
            concurrency=concurrency,
            ordered=ordered,
            window=window,
            **settings,
        )
    )


def iterate(results: AsyncGenerator[BatchRow, None]) -> Iterator[BatchRow]:
    """The rows of an async generator of rows, driven on an event loop of its own."""
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(results.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(results.aclose())
        loop.close()


# -- reading rows ---------------------------------------------------------------------------


def _types(schema: Mapping[str, Any] | None) -> dict[str, set[str]]:
    """The JSON types each input property allows (empty: any)."""
    out: dict[str, set[str]] = {}
    props = (schema or {}).get("properties") or {}
    if not isinstance(props, Mapping):
        return out
    for name, prop in props.items():
        kind = prop.get("type") if isinstance(prop, Mapping) else None
        out[name] = {kind} if isinstance(kind, str) else {str(k) for k in kind or []}
    return out


def _cell(value: str, types: set[str]) -> Any:
    """A CSV cell, typed by the input's schema: JSON when the input is not a string (a cell
    that is not JSON stays text, and the inputs schema reports it)."""
    if not types or "string" in types:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _jsonl_rows(lines: Iterable[str]) -> Iterator[Row]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not JSON"
            yield BadRow(f"line {number}: not JSON ({reason})")
            continue
        if not isinstance(value, dict):
            yield BadRow(f"line {number}: not a JSON object of inputs")
            continue
        yield value


def _csv_rows(lines: Iterable[str], schema: Mapping[str, Any] | None) -> Iterator[Row]:
    types = _types(schema)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield BadRow(f"line 1: the CSV header cannot be read ({exc})")
        return
    names = [name.strip() for name in header]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadRow(f"line {reader.line_num}: not CSV ({exc})")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            yield BadRow(
                f"line {reader.line_num}: {len(cells)} cell(s), the header has {len(names)}"
            )
            continue
        # an empty cell is an input not given (its default applies)
        yield {
            name: _cell(cell, types.get(name, set()))
            for name, cell in zip(names, cells, strict=True)
            if name and cell != ""
        }


def read_rows(
    source: str | os.PathLike[str] | TextIO,
    *,
    format: str | None = None,
    schema: Mapping[str, Any] | None = None,
) -> Iterator[Row]:
    """The rows of a JSON Lines or CSV source, read lazily: a path, ``"-"`` for stdin, or an
    open text file.

    ``format`` is ``"jsonl"`` or ``"csv"`` (by default from the file's extension; JSON Lines
    otherwise). JSON Lines: one JSON object per line (blank lines skipped). CSV: a header row
    of input names, then one row per run; an empty cell is an input not given, and cells of
    inputs whose ``schema`` type is not ``string`` are read as JSON (``3``, ``true``,
    ``[1,2]``). A row that cannot be read comes as a `BadRow`.
    """
    name = getattr(source, "name", "") if not isinstance(source, (str, os.PathLike)) else source
    kind = format or ("csv" if str(name).lower().endswith(".csv") else "jsonl")
    if kind not in ("jsonl", "csv"):
        raise ValueError(f"unknown rows format {kind!r} (jsonl or csv)")
    with contextlib.ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            if str(source) == "-":
                stream: TextIO = sys.stdin
            else:
                stream = stack.enter_context(
                    Path(source).open(encoding="utf-8-sig", newline="" if kind == "csv" else None)
                )
        else:
            stream = source
        if kind == "csv":
            yield from _csv_rows(stream, schema)
        else:
            yield from _jsonl_rows(stream)


# -- the command line's batch ---------------------------------------------------------------


@dataclass
class BatchSummary:
    """Counts of a finished batch."""

    rows: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def succeeded(self) -> int:
        """Rows whose run succeeded."""
        return self.rows - self.failed

    def line(self) -> str:
        """One line: rows, succeeded, failed, time and rate."""
        rate = self.rows / self.seconds if self.seconds > 0 else 0.0
        return (
            f"batch: {self.rows} row(s), {self.succeeded} succeeded, {self.failed} failed "
            f"in {self.seconds:.1f} s ({rate:.1f} rows/s)"
        )


class _Progress:
    """Rows done, failed, rate and time left: one line redrawn on a terminal, a plain line
    every ``every`` seconds otherwise."""

    def __init__(self, stream: TextIO, total: int | None, every: float = 5.0) -> None:
        self.stream = stream
        self.total = total
        self.tty = stream.isatty()
        self.every = 0.2 if self.tty else every
        self.start = time.monotonic()
        self.last = self.start
        self.drawn = False

    def text(self, done: int, failed: int) -> str:
        elapsed = time.monotonic() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        text = f"{done}{f'/{self.total}' if self.total else ''} rows, {failed} failed"
        text += f", {rate:.1f} rows/s"
        if self.total and rate > 0 and done < self.total:
            left = int((self.total - done) / rate)
            text += f", {left // 60}:{left % 60:02d} left"
        return text

    def update(self, done: int, failed: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        if self.tty:
            self.stream.write(f"\r\x1b[2K{self.text(done, failed)}")
            self.drawn = True
        else:
            self.stream.write(self.text(done, failed) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _count_rows(source: str) -> int | None:
    """Rows in a file (lines, less a CSV header), for the time left; None for stdin."""
    if source == "-":
        return None
    try:
        with Path(source).open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
    except OSError:
        return None
    return max(lines - 1, 0) if source.lower().endswith(".csv") else lines


def write_batch(
    results: Iterable[BatchRow], out: TextIO, progress: _Progress | None = None
) -> BatchSummary:
    """Write each row as one JSON line to ``out`` (as they come) and count them."""
    summary = BatchSummary()
    start = time.monotonic()
    for row in results:
        summary.rows += 1
        if not row.success:
            summary.failed += 1
        out.write(json.dumps(row.to_dict(), ensure_ascii=False, default=str) + "\n")
        if progress is not None:
            progress.update(summary.rows, summary.failed)
    out.flush()
    if progress is not None:
        progress.close()
    summary.seconds = time.monotonic() - start
    return summary


def cli_batch(
    document: Document,
    workflow_id: str,
    source: str,
    base_inputs: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    concurrency: int,
    results_path: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """``arazzo-engine run DOC WF --batch ROWS``: run every row, write results in input order
    (to ``results_path``, else stdout), show progress on stderr, print a summary; 0 when every
    row succeeded, 1 otherwise."""
    check_source(source)
    rows = read_rows(source, schema=document.plan(workflow_id).inputs_schema)
    batch = run_batch(
        document,
        workflow_id,
        rows,
        inputs=base_inputs,
        concurrency=concurrency,
        ordered=True,
        **settings,
    )
    return write_results(batch, source, results_path, out, err)


def check_source(source: str) -> None:
    """Refuse a rows file that is not there, before anything runs."""
    if source != "-" and not Path(source).is_file():
        raise ArazzoError(f"--batch: cannot read {source}: no such file")


def write_results(
    batch: Iterable[BatchRow], source: str, results_path: str | None, out: TextIO, err: TextIO
) -> int:
    """Write a batch's rows (in the order given) as JSON lines to ``results_path`` (else
    ``out``) with progress on ``err``, then the summary; 0 when every row succeeded."""
    progress = _Progress(err, _count_rows(source))
    with contextlib.ExitStack() as stack:
        sink: TextIO = out
        if results_path is not None:
            sink = stack.enter_context(Path(results_path).open("w", encoding="utf-8"))
        summary = write_batch(batch, sink, progress)
    print(summary.line(), file=out if results_path is not None else err)
    return 0 if summary.failed == 0 else 1
