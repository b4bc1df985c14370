"""Batch runs (arazzo_engine.batch and ``run --batch``) against a real local HTTP server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine.batch import BadRow, arun_batch, read_rows, run_batch
from arazzo_engine.cli import main
from tests.support.items_server import ItemsServer

DOC = Path(__file__).parents[1] / "data" / "batch" / "items.arazzo.yaml"
WF = "make-item"


@pytest.fixture
def items() -> Iterator[ItemsServer]:
    with ItemsServer() as server:
        yield server


def _servers(server: ItemsServer) -> dict[str, str]:
    return {"items": server.url}


def test_rows_finish_out_of_order_and_come_back_in_order(items: ItemsServer) -> None:
    # the first rows are the slowest: unordered, they finish last; ordered, they come first
    rows = [{"name": f"r{i}", "n": i, "delay": 0.3 if i < 2 else 0} for i in range(8)]
    unordered = list(run_batch(DOC, WF, iter(rows), concurrency=4, servers=_servers(items)))
    assert sorted(r.row for r in unordered) == list(range(1, 9))
    assert {r.row for r in unordered[:2]}.isdisjoint({1, 2})
    ordered = list(
        run_batch(DOC, WF, iter(rows), concurrency=4, ordered=True, servers=_servers(items))
    )
    assert [r.row for r in ordered] == list(range(1, 9))
    assert all(r.success for r in ordered)
    assert [r.outputs["double"] for r in ordered] == [2 * i for i in range(8)]
    # every call crossed the wire once per run
    assert items.counts[("POST", "/items")] == 16
    assert items.counts[("GET", "/items/r5-5")] == 2


def test_bad_rows_are_reported_per_row(items: ItemsServer) -> None:
    rows: list[object] = [
        {"name": "a", "n": 1},
        BadRow("line 2: not JSON (Expecting value)"),
        {"name": "b"},  # misses the required n: refused before any request
        {"name": "c", "n": -1},  # the server answers 400: the create step fails
        ["not", "a", "mapping"],
        {"name": "d", "n": 4},
    ]
    out = list(
        run_batch(DOC, WF, rows, concurrency=3, ordered=True, servers=_servers(items))  # type: ignore[arg-type]
    )
    assert [r.success for r in out] == [True, False, False, False, False, True]
    assert "not JSON" in (out[1].error or "")
    assert out[2].error is not None and "n" in out[2].error and out[2].result is None
    assert out[3].failed_step == "create" and out[3].result is not None
    assert "not an object" in (out[4].error or "")
    assert items.counts[("POST", "/items")] == 3  # rows a, c, d only


def test_base_inputs_are_merged_under_each_row(items: ItemsServer) -> None:
    async def collect() -> list[dict[str, object]]:
        rows = [{"n": 1}, {"n": 2, "name": "own"}]
        got = []
        async for row in arun_batch(
            DOC, WF, rows, inputs={"name": "base"}, servers=_servers(items), ordered=True
        ):
            got.append(dict(row.outputs))
        return got

    assert asyncio.run(collect()) == [
        {"id": "base-1", "double": 2},
        {"id": "own-2", "double": 4},
    ]


def test_read_rows_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"name": "a", "n": 1}\n\nnot json\n[1]\n{"name": "b", "n": 2}\n')
    got = list(read_rows(jsonl))
    assert got[0] == {"name": "a", "n": 1} and got[3] == {"name": "b", "n": 2}
    assert isinstance(got[1], BadRow) and got[1].reason.startswith("line 3: not JSON")
    assert isinstance(got[2], BadRow) and "line 4" in got[2].reason
    table = tmp_path / "rows.csv"
    table.write_text('name,n,tag\na,1,x\n"b, c",2,\nd,zz,y\ne,5\n')
    schema = {"properties": {"name": {"type": "string"}, "n": {"type": "integer"}}}
    got = list(read_rows(table, schema=schema))
    assert got[0] == {"name": "a", "n": 1, "tag": "x"}
    assert got[1] == {"name": "b, c", "n": 2}  # an empty cell is an input not given
    assert got[2] == {"name": "d", "n": "zz", "tag": "y"}  # the schema will refuse it
    assert isinstance(got[3], BadRow) and "2 cell(s)" in got[3].reason


def _cli(*args: str) -> list[str]:
    return ["run", str(DOC), WF, *args]


def test_cli_batch_jsonl_results_in_order(
    items: ItemsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.jsonl"
    lines = [json.dumps({"name": f"x{i}", "n": i, "delay": 0.2 if i == 0 else 0}) for i in range(6)]
    rows.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    code = main(
        [
            *_cli("--batch", str(rows), "--concurrency", "3", "--results", str(out)),
            *("--server", f"items={items.url}"),
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["row"] for r in results] == [1, 2, 3, 4, 5, 6]
    assert results[2] == {
        "row": 3,
        "success": True,
        "outputs": {"id": "x2-2", "double": 4},
        "error": None,
        "failedStep": None,
    }
    assert "6 row(s), 6 succeeded, 0 failed" in printed.out


def test_cli_batch_csv_with_bad_rows_exits_1(
    items: ItemsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("name,n\na,1\nb,-3\nc,notanumber\nd,4\n")
    code = main(_cli("--batch", str(rows), "--server", f"items={items.url}"))
    printed = capsys.readouterr()
    assert code == 1
    results = [json.loads(line) for line in printed.out.splitlines()]  # results on stdout
    assert [r["success"] for r in results] == [True, False, False, True]
    assert results[1]["failedStep"] == "create"
    assert results[2]["failedStep"] is None and "inputs" in results[2]["error"]
    assert "4 row(s), 2 succeeded, 2 failed" in printed.err


def test_cli_batch_from_stdin_in_another_process(items: ItemsServer, tmp_path: Path) -> None:
    rows = "".join(json.dumps({"name": "s", "n": i}) + "\n" for i in range(20))
    rows += "{oops\n"
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "arazzo_engine"),
            *_cli("--batch", "-", "--results", str(out)),
            *("--server", f"items={items.url}", "--input", "name=base", "--concurrency", "5"),
        ],
        input=rows,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(results) == 21 and [r["row"] for r in results] == list(range(1, 22))
    assert all(r["success"] for r in results[:20])
    assert results[20]["error"].startswith("row 21: line 21: not JSON")
    assert "21 row(s), 20 succeeded, 1 failed" in done.stdout
    assert items.counts[("POST", "/items")] == 20


def test_cli_batch_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_cli("--batch", str(tmp_path / "missing.jsonl"))) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(_cli("--results", str(tmp_path / "o.jsonl"))) == 2
    assert "--batch" in capsys.readouterr().err
    assert main(_cli("--batch", "-", "--concurrency", "0")) == 2
    assert "--concurrency" in capsys.readouterr().err


def test_progress_plain_lines_when_piped_and_one_line_on_a_terminal() -> None:
    import io

    from arazzo_engine.batch import BatchRow, _Progress, write_batch

    rows = [BatchRow(i, i % 3 != 0, {}) for i in range(1, 7)]
    piped = io.StringIO()
    summary = write_batch(iter(rows), io.StringIO(), _Progress(piped, total=6, every=0.0))
    assert (summary.rows, summary.failed) == (6, 2)
    lines = piped.getvalue().splitlines()
    assert lines and all("rows," in line and "failed" in line for line in lines)
    assert "\r" not in piped.getvalue() and lines[-1].startswith("6/6 rows, 2 failed")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    progress = _Progress(terminal, total=None)
    progress.every = 0.0
    write_batch(iter(rows), io.StringIO(), progress)
    text = terminal.getvalue()
    assert text.startswith("\r\x1b[2K") and "\n" not in text and "rows/s" in text
    assert text.endswith("\r\x1b[2K")  # the line is cleared before the summary
