"""A RunResult survives the trip through JSON (what Temporal returns) field for field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine import run_workflow
from arazzo_engine.temporal.runresult import run_result_from_data, run_result_to_data
from tests.support.items_server import ItemsServer

DOC = Path(__file__).parents[1] / "data" / "batch" / "items.arazzo.yaml"


@pytest.fixture
def items() -> Iterator[ItemsServer]:
    with ItemsServer() as server:
        yield server


@pytest.mark.parametrize("n", [3, -1])
def test_round_trip_of_a_real_run(items: ItemsServer, n: int) -> None:
    result = run_workflow(DOC, "make-item", {"name": "rt", "n": n}, servers={"items": items.url})
    assert result.success is (n >= 0)
    data = json.loads(json.dumps(run_result_to_data(result)))
    back = run_result_from_data(data)
    assert back == result
    assert back.to_dict() == result.to_dict()
    assert back.to_junit() == result.to_junit()
