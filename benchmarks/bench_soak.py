"""Many sequential runs: does the engine slow down or grow as runs accumulate?

Runs the bundled ECR workflow ``--runs`` times (10,000 by default) from its path, credentials
from the environment, against the local ECR-compatible server, and compares the median time of
the first 10 % of runs with the last 10 %, and the resident memory after the first 10 % with the
memory at the end. A measurement, not a test.

    python benchmarks/bench_soak.py [--runs 10000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from common import INPUTS, SPEC, aws_environment, environment, local_server, rss_mb

from arazzo_engine import run_workflow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    tenth = max(1, args.runs // 10)
    times: list[float] = []
    with local_server() as endpoint, environment(aws_environment(endpoint)):
        for _ in range(20):  # warm up
            run_workflow(str(SPEC), "publish-image", INPUTS)
        gc.collect()
        rss_start = 0.0
        for index in range(args.runs):
            start = time.perf_counter()
            result = run_workflow(str(SPEC), "publish-image", INPUTS)
            times.append(time.perf_counter() - start)
            if not result.success:
                raise SystemExit(f"run {index} failed: {result.error}")
            if index == tenth - 1:
                gc.collect()
                rss_start = rss_mb()
        gc.collect()
        rss_end = rss_mb()
    first = statistics.median(times[:tenth]) * 1000
    last = statistics.median(times[-tenth:]) * 1000
    print(f"{args.runs} sequential runs of run_workflow(path, 'publish-image', inputs)")
    print(f"first 10 %: {first:7.3f} ms/run (median)")
    print(f"last 10 %:  {last:7.3f} ms/run (median)   last/first {last / first:.2f}x")
    print(f"RSS after the first 10 %: {rss_start:7.1f} MB; at the end: {rss_end:7.1f} MB")
    print(f"RSS growth over the last 90 % of runs: {rss_end - rss_start:+.1f} MB")


if __name__ == "__main__":
    main()
