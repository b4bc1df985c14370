"""Loading the bundled ECR workflow and its 359 KB generated OpenAPI description.

Prints the median time of: parsing the ECR OpenAPI text (``load_text``), a first load of the
workflow document with its source (``load(path, cache=False)``), and a repeated load of the same
unchanged files (``load(path)``, served by the in-process cache), beside PyYAML's own C loader
(``yaml.CSafeLoader``, which keeps no positions) and ``json.loads`` of the same data as
references. A measurement, not a test.

    python benchmarks/bench_load.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import yaml
from common import ECR_OPENAPI, SPEC

from arazzo_engine import load
from arazzo_engine.document.loader import load_text


def _median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    text = ECR_OPENAPI.read_text()
    as_json = json.dumps(yaml.load(text, Loader=yaml.CSafeLoader))
    spec = str(SPEC)
    load(spec)  # warm imports

    def cached_load() -> object:
        try:
            return load(spec, cache=True)
        except TypeError:  # an engine without the cache argument
            return load(spec)

    def first_load() -> object:
        try:
            return load(spec, cache=False)
        except TypeError:
            return load(spec)

    rows = [
        ("load_text(ECR OpenAPI, 359 KB YAML)", lambda: load_text(text, "ecr.yml")),
        ("load(workflow path), first load", first_load),
        ("load(workflow path), unchanged files again", cached_load),
        (
            "reference: yaml.load(CSafeLoader), no positions",
            lambda: yaml.load(text, Loader=yaml.CSafeLoader),
        ),
        ("reference: json.loads of the same data", lambda: json.loads(as_json)),
    ]
    print(f"median of {args.runs} runs, ms")
    for label, action in rows:
        print(f"{label:50s} {_median_ms(action, args.runs):9.2f}")


if __name__ == "__main__":
    main()
