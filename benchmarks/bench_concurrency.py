"""Many concurrent async runs: one AsyncClient per run (the default) vs one shared client.

Runs the bundled ECR workflow ``--concurrency`` times at once with ``arun_workflow`` against a
canned-response ECR stub on 127.0.0.1, in rounds, and prints wall time per run for both
choices and their ratio, beside raw httpx sending the same signed requests concurrently.
A measurement, not a test.

    python benchmarks/bench_concurrency.py [--concurrency 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from bench_publish_image import INPUTS, KEY, RAW_CALLS, SECRET, SPEC, signed, stub_ecr
from botocore.credentials import Credentials

from arazzo_engine import AwsSettings, arun_workflow, load


async def raw_run(client: httpx.AsyncClient, endpoint: str) -> None:
    """The workflow's three calls, signed by botocore, sent with plain httpx."""
    for operation, payload in RAW_CALLS:
        body, headers = signed(endpoint, Credentials(KEY, SECRET), operation, payload)
        (await client.post(endpoint + "/", content=body, headers=headers)).json()


async def rounds(n: int, rounds_: int, endpoint: str, mode: str) -> float:
    doc = load(SPEC)
    settings = AwsSettings(
        region="us-east-1", access_key_id=KEY, secret_access_key=SECRET, endpoint_url=endpoint
    )
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    times = []
    async with httpx.AsyncClient(limits=limits) as shared:
        for _ in range(rounds_ + 1):  # the first round warms up
            start = time.perf_counter()
            if mode == "per-run":
                results = await asyncio.gather(
                    *(arun_workflow(doc, "publish-image", INPUTS, aws=settings) for _ in range(n))
                )
            elif mode == "shared":
                results = await asyncio.gather(
                    *(
                        arun_workflow(doc, "publish-image", INPUTS, aws=settings, client=shared)
                        for _ in range(n)
                    )
                )
            else:
                await asyncio.gather(*(raw_run(shared, endpoint) for _ in range(n)))
                results = []
            assert all(r.success for r in results)
            times.append((time.perf_counter() - start) / n)
    return statistics.median(times[1:]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with stub_ecr() as endpoint:
        raw = asyncio.run(rounds(args.concurrency, args.rounds, endpoint, "raw"))
        per_run = asyncio.run(rounds(args.concurrency, args.rounds, endpoint, "per-run"))
        shared = asyncio.run(rounds(args.concurrency, args.rounds, endpoint, "shared"))
    print(f"{args.concurrency} concurrent runs x {args.rounds} rounds, wall ms per run (median)")
    print(f"raw httpx, shared client      : {raw:8.3f}")
    print(f"engine, client per run        : {per_run:8.3f}  ({per_run / raw:5.2f}x raw)")
    print(f"engine, one shared AsyncClient: {shared:8.3f}  ({shared / raw:5.2f}x raw)")


if __name__ == "__main__":
    main()
