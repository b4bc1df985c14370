"""A batch of many rows: ``arun_batch`` against raw httpx making the same calls.

Starts the items API (tests/data/batch) as a small asyncio HTTP/1.1 server in a process of
its own on 127.0.0.1, writes ``--rows`` rows of inputs as JSON Lines (every 1,000th row is bad:
it misses a required input), then

- runs the two-step ``make-item`` workflow once per row with ``arun_batch`` at
  ``--concurrency``, reading the rows from the file and writing the results in input order to
  a file (as ``run --batch --results`` does), and checks every row is there, in order, with the
  bad rows counted;
- sends the same two calls per good row with one ``httpx.AsyncClient`` at the same concurrency.

Prints rows per second of both and their ratio, and the resident memory after the first 1,000
rows and at the end. A measurement, not a test.

    python benchmarks/bench_batch.py [--rows 10000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from arazzo_engine.batch import arun_batch, read_rows

DOC = Path(__file__).resolve().parents[1] / "tests" / "data" / "batch" / "items.arazzo.yaml"


# -- the server (in its own process) --------------------------------------------------------


async def _serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            method, path, _ = line.decode().split(" ", 2)
            length = 0
            while True:
                header = await reader.readline()
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length) if length else b""
            if method == "POST":
                data = json.loads(body)
                status, answer = 201, {"id": f"{data['name']}-{data['n']}"}
            else:
                number = int(path.rpartition("-")[2])
                status, answer = 200, {"id": path[len("/items/") :], "double": 2 * number}
            payload = json.dumps(answer).encode()
            reason = "Created" if status == 201 else "OK"
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_serve_client, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await asyncio.sleep(3600)


# -- the measurement ------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory of this process now (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def write_rows(path: Path, rows: int) -> int:
    bad = 0
    with path.open("w") as out:
        for i in range(rows):
            if i % 1000 == 999:
                out.write(json.dumps({"name": f"bad{i}"}) + "\n")  # no "n": refused
                bad += 1
            else:
                out.write(json.dumps({"name": f"row{i}", "n": i}) + "\n")
    return bad


async def engine(rows_file: Path, results: Path, url: str, concurrency: int) -> dict[str, float]:
    start = time.perf_counter()
    seen = failed = 0
    rss_1000 = 0.0
    with results.open("w") as out:
        async for row in arun_batch(
            DOC,
            "make-item",
            read_rows(rows_file),
            concurrency=concurrency,
            ordered=True,
            servers={"items": url},
            contract="off",
        ):
            seen += 1
            assert row.row == seen, "rows out of order"
            failed += not row.success
            out.write(json.dumps(row.to_dict()) + "\n")
            if seen == 1000:
                rss_1000 = rss_mb()
    return {
        "seconds": time.perf_counter() - start,
        "rows": seen,
        "failed": failed,
        "rss_1000": rss_1000,
        "rss_end": rss_mb(),
    }


async def raw(rows_file: Path, url: str, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue: asyncio.Queue[dict[str, object] | None] = asyncio.Queue(maxsize=concurrency * 4)

    async def worker(client: httpx.AsyncClient) -> None:
        while (row := await queue.get()) is not None:
            created = await client.post(f"{url}/items", json=row)
            assert created.status_code == 201
            item = created.json()["id"]
            got = await client.get(f"{url}/items/{item}")
            assert got.status_code == 200 and "double" in got.json()

    start = time.perf_counter()
    async with httpx.AsyncClient(limits=limits) as client:
        workers = [asyncio.ensure_future(worker(client)) for _ in range(concurrency)]
        with rows_file.open() as lines:
            for line in lines:
                row = json.loads(line)
                if "n" in row:
                    await queue.put(row)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    return time.perf_counter() - start


def main() -> None:
    if sys.argv[1:] == ["--serve"]:
        asyncio.run(_serve())
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory() as folder:
            rows_file, results = Path(folder) / "rows.jsonl", Path(folder) / "results.jsonl"
            bad = write_rows(rows_file, args.rows)
            asyncio.run(raw(rows_file, url, args.concurrency))  # warm up the server
            ours = asyncio.run(engine(rows_file, results, url, args.concurrency))
            raw_seconds = asyncio.run(raw(rows_file, url, args.concurrency))
            lines = sum(1 for _ in results.open())
    finally:
        server.kill()
        server.wait()
    assert ours["rows"] == args.rows == lines, "a row is missing"
    assert ours["failed"] == bad, f"{ours['failed']} failed rows, {bad} bad rows written"
    good = args.rows - bad
    print(f"rows: {args.rows} ({bad} bad, reported and counted), concurrency {args.concurrency}")
    print(f"arun_batch : {args.rows / ours['seconds']:8.0f} rows/s ({ours['seconds']:.2f} s)")
    print(f"raw httpx  : {good / raw_seconds:8.0f} rows/s ({raw_seconds:.2f} s, good rows only)")
    print(f"ratio (arun_batch / raw, good rows per second): {raw_seconds / ours['seconds']:.2f}")
    print(
        f"RSS: {ours['rss_1000']:.1f} MB after 1,000 rows, {ours['rss_end']:.1f} MB at the end "
        f"({ours['rss_end'] - ours['rss_1000']:+.1f} MB)"
    )


if __name__ == "__main__":
    main()
