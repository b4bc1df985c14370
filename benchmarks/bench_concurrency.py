"""32 concurrent ``arun_workflow`` against raw async httpx with one AsyncClient per 4 tasks.

Runs the bundled ECR workflow (from its path, credentials from the environment, no client
passed) ``--concurrency`` times at once, in rounds, against the local ECR-compatible server
answering after 0 ms and after 20 ms, and prints throughput (runs per second) beside raw httpx
sending the same three signed requests per task, one ``AsyncClient`` shared by every four
tasks. A measurement, not a test.

    python benchmarks/bench_concurrency.py [--concurrency 32] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from common import INPUTS, RAW_CALLS, SPEC, aws_environment, environment, local_server, signed

from arazzo_engine import arun_workflow


async def raw_run(client: httpx.AsyncClient, endpoint: str) -> None:
    """The workflow's three calls, signed by botocore, sent with plain httpx."""
    for operation, payload in RAW_CALLS:
        body, headers = signed(endpoint, operation, payload)
        response = await client.post(endpoint + "/", content=body, headers=headers)
        assert response.status_code == 200
        response.json()


async def throughput(n: int, rounds: int, endpoint: str, engine: bool) -> float:
    """Runs per second (median over rounds, after one warm-up round)."""
    clients = [httpx.AsyncClient() for _ in range((n + 3) // 4)]
    rates = []
    try:
        for _ in range(rounds + 1):
            start = time.perf_counter()
            if engine:
                results = await asyncio.gather(
                    *(arun_workflow(str(SPEC), "publish-image", INPUTS) for _ in range(n))
                )
                if not all(r.success for r in results):
                    raise SystemExit(next(r.error for r in results if not r.success))
            else:
                await asyncio.gather(*(raw_run(clients[i // 4], endpoint) for i in range(n)))
            rates.append(n / (time.perf_counter() - start))
    finally:
        for client in clients:
            await client.aclose()
    return statistics.median(rates[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.concurrency
    print(f"{n} concurrent runs x {args.rounds} rounds, runs per second (median)")
    for latency in (0.0, 0.020):
        with local_server(latency) as endpoint, environment(aws_environment(endpoint)):
            raw = asyncio.run(throughput(n, args.rounds, endpoint, engine=False))
            engine = asyncio.run(throughput(n, args.rounds, endpoint, engine=True))
        print(
            f"server latency {latency * 1000:3.0f} ms: raw httpx (AsyncClient per 4 tasks) "
            f"{raw:7.1f}/s, arun_workflow {engine:7.1f}/s, engine/raw {engine / raw:.2f}x"
        )


if __name__ == "__main__":
    main()
