"""The bundled ECR workflow called the way users call it, against raw httpx doing the same calls.

Against a fast local ECR-compatible server (stdlib, canned answers), in one process, interleaved:

* raw httpx + botocore's SigV4 signer sending the workflow's three signed calls (the limit);
* boto3 doing the same three calls (what a user would pick instead);
* ``run_workflow("specs/arazzo/...yml", "publish-image", inputs)``: credentials from the
  ``AWS_*`` environment variables, no client passed (exactly as in the README);
* ``run_workflow(doc, ...)`` with a loaded document, otherwise the same;
* a two-call JSON workflow (create an item, read it back) from a JSON document path, against
  raw httpx doing the same two calls (the document is written, then left 2 s to settle as a
  document on disk normally has: a file changed less than 2 s before a load is re-hashed at
  every load).

The cases take turns, in a new (seeded) order each round. Prints the median time per run and
the median over the rounds of each round's ratio to its raw baseline (measured in the same
round, moments apart, so that the machine's drift cancels out). A measurement, not a test.

    python benchmarks/bench_publish_image.py [--runs 300]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from common import (
    INPUTS,
    RAW_CALLS,
    SPEC,
    aws_environment,
    environment,
    local_server,
    signed,
    write_json_workflow,
)

from arazzo_engine import load, run_workflow


def _check(result: object) -> None:
    if not getattr(result, "success", False):
        raise SystemExit(f"engine run failed: {getattr(result, 'error', result)}")


def measure(runs: int, endpoint: str, folder: Path) -> None:
    import boto3

    spec = str(SPEC.relative_to(Path.cwd())) if SPEC.is_relative_to(Path.cwd()) else str(SPEC)
    json_doc = str(write_json_workflow(folder))
    # A file changed less than 2 s before it is loaded is hashed again at every load (its
    # timestamps cannot tell a later edit apart; see arazzo_engine/document/cache.py). A
    # document on disk is normally older than that: let this one settle the same way.
    time.sleep(2.1)
    servers = {"items": endpoint}
    raw_client = httpx.Client()
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=endpoint)

    def raw_ecr() -> None:
        for operation, payload in RAW_CALLS:
            body, headers = signed(endpoint, operation, payload)
            response = raw_client.post(endpoint + "/", content=body, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"baseline {operation}: HTTP {response.status_code}")
            response.json()

    def boto3_ecr() -> None:
        ecr.describe_repositories(repositoryNames=[INPUTS["repositoryName"]])
        ecr.put_image(
            repositoryName=INPUTS["repositoryName"],
            imageManifest=INPUTS["imageManifest"],
            imageManifestMediaType=INPUTS["imageManifestMediaType"],
            imageTag=INPUTS["imageTag"],
        )
        ecr.batch_get_image(
            repositoryName=INPUTS["repositoryName"], imageIds=[{"imageTag": INPUTS["imageTag"]}]
        )

    doc = load(spec)

    def engine_path() -> None:
        _check(run_workflow(spec, "publish-image", INPUTS))

    def engine_loaded() -> None:
        _check(run_workflow(doc, "publish-image", INPUTS))

    def raw_json() -> None:
        created = raw_client.post(endpoint + "/items", json={"name": "widget", "price": 3})
        assert created.status_code == 201
        read = raw_client.get(endpoint + "/items/" + created.json()["id"])
        assert read.status_code == 200 and read.json()["name"] == "widget"

    def engine_json() -> None:
        _check(run_workflow(json_doc, "createAndRead", {"name": "widget"}, servers=servers))

    cases: dict[str, Callable[[], None]] = {
        "raw": raw_ecr,
        "boto3": boto3_ecr,
        "path": engine_path,
        "loaded": engine_loaded,
        "raw_json": raw_json,
        "json": engine_json,
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(5):  # warm up every path (connections, caches, imports)
        for case in cases.values():
            case()
    gc.collect()
    order = list(cases.items())
    shuffle = random.Random(0).shuffle
    for _ in range(runs):  # interleaved, so every path sees the same machine state
        shuffle(order)  # in a new order each time: no case always follows the same one
        for name, case in order:
            start = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - start)
    raw_client.close()
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}

    def ratio(name: str, base: str) -> str:
        # each round's time over its baseline's in the same round, then the median: the
        # machine's drift over the run cancels out (both were measured moments apart)
        rounds = [a / b for a, b in zip(times[name], times[base], strict=True)]
        return f"{statistics.median(rounds):.2f}x"

    print(f"{runs} interleaved rounds; median ms per run, and the median of each round's ratio")
    print(f"to its baseline measured in the same round; against {endpoint}")
    print(f"{'raw httpx + botocore signer (3 calls)':62s} {median['raw']:7.3f}   1.00x")
    for label, name in (
        ("boto3 client (3 calls)", "boto3"),
        ("run_workflow(path, 'publish-image', inputs), env credentials", "path"),
        ("run_workflow(doc, ...), loaded document, env credentials", "loaded"),
    ):
        print(f"{label:62s} {median[name]:7.3f}   {ratio(name, 'raw')}")
    print(f"{'raw httpx, two JSON calls':62s} {median['raw_json']:7.3f}   1.00x")
    label = "run_workflow(JSON document path, 2 steps)"
    print(f"{label:62s} {median['json']:7.3f}   {ratio('json', 'raw_json')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    with (
        local_server() as endpoint,
        environment(aws_environment(endpoint)),
        tempfile.TemporaryDirectory() as folder,
    ):
        measure(args.runs, endpoint, Path(folder))


if __name__ == "__main__":
    main()
