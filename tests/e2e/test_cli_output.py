"""The command line as a person sees it: plain piped output (golden files), exit codes, and
every report format read back and validated. Real HTTP over loopback (ScriptedServer)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
from junitparser import JUnitXml

from arazzo_engine.cli import main
from tests.support.http_server import Reply, ScriptedServer

HERE = Path(__file__).resolve().parents[1] / "cli"
DOC = HERE / "data" / "shop.arazzo.yaml"
GOLDEN = HERE / "golden"
HAR_SCHEMA = json.loads((HERE / "har-1.2.schema.json").read_text(encoding="utf-8"))


def normalise(text: str) -> str:
    """Ports, timings, dates and request ids vary between runs."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r" +\d+\.\d+ ms| +\d+\.\d\d s\b", " T", text)
    text = re.sub(r"(?m)^(.*date: ).*$", r"\1DATE", text)
    text = re.sub(r"(?m)^(.*server: ).*$", r"\1SERVER", text)
    return text


def golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    text = normalise(text)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= 80, "wider than 80 columns"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def shop(server: ScriptedServer) -> ScriptedServer:
    server.route("POST", "/login", Reply(200, {"token": "tok-secret-1"}))
    server.route("POST", "/orders", Reply(201, {"id": 42, "status": "open"}))
    return server


def test_run_success_plain_output(shop: ScriptedServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "run", str(DOC), "order", "--server", f"shop={shop.url}", "--input", "item=tea"
    )
    assert code == 0, err
    assert "\033[" not in out  # no colour when piped
    golden("run-success", out)


def test_run_failure_shows_criteria_values(
    server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("POST", "/login", Reply(200, {"token": "tok-secret-1"}))
    server.route("POST", "/orders", Reply(201, {"id": 42, "status": "paid"}))
    code, out, _ = run_cli(
        capsys, "run", str(DOC), "order", "--server", f"shop={server.url}", "--input", "item=tea"
    )
    assert code == 1
    assert '$response.body#/status = "paid"' in out
    golden("run-failure", out)


def test_contract_findings_warn_and_fail(
    server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("POST", "/login", Reply(200, {"token": 5}))
    server.route("POST", "/orders", Reply(201, {"id": "x", "status": "open"}))
    args = ["run", str(DOC), "order", "--server", f"shop={server.url}", "--input", "item=tea"]
    code, out, _ = run_cli(capsys, *args)
    assert code == 0  # warn: findings never change the outcome
    golden("run-contract-warn", out)
    code, out, _ = run_cli(capsys, *args, "--contract", "fail")
    assert code == 1
    assert "contract check failed" in out
    code, out, _ = run_cli(capsys, *args, "--contract", "off")
    assert code == 0 and "contract" not in out


def test_verbose_shows_exchanges_and_trace(
    shop: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        capsys,
        "run",
        str(DOC),
        "order",
        "-v",
        "--server",
        f"shop={shop.url}",
        "--input",
        "item=tea",
    )
    assert code == 0
    assert "> POST http://127.0.0.1:" in out and "< 201" in out
    assert "trace $inputs.item" in out
    assert "tok-secret-1" in out  # a response body value is data, shown as received
    assert "Bearer tok-secret-1" not in out  # the Authorization header is masked
    assert "authorization: Bearer ***" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_reports_are_written_and_valid(
    shop: ScriptedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report, junit, har = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.har"
    code, _, err = run_cli(
        capsys,
        "run",
        str(DOC),
        "--all",
        "--server",
        f"shop={shop.url}",
        "--inputs",
        str(HERE / "data" / "shop.inputs.json"),
        "--report",
        str(report),
        "--junit",
        str(junit),
        "--har",
        str(har),
    )
    assert code == 0, err
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [w["workflowId"] for w in data["workflows"]] == ["login", "order"]
    assert data["workflows"][0]["inputs"] == {"user": "bob", "password": "***"}
    step = data["workflows"][1]["steps"][-1]
    assert step["request"]["method"] == "POST" and step["response"]["statusCode"] == 201
    assert [c["passed"] for c in step["criteria"]] == [True, True]
    text = report.read_text(encoding="utf-8") + har.read_text(encoding="utf-8")
    assert "hunter2" not in text and "Bearer tok-secret-1" not in text

    xml = JUnitXml.fromfile(str(junit))
    suites = list(xml)
    assert [s.name for s in suites] == ["login", "order"]
    cases = [c.name for c in suites[1]]
    # one run: `order` depends on `login`, which already ran, so it does not run again
    assert cases == ["order", "order / create"]
    assert all(c.is_passed for s in suites for c in s)

    har_data = json.loads(har.read_text(encoding="utf-8"))
    jsonschema.validate(har_data, HAR_SCHEMA)
    entries = har_data["log"]["entries"]
    assert [e["_stepId"] for e in entries] == ["login", "create"]
    assert entries[-1]["response"]["status"] == 201


def test_junit_failure_carries_the_reason(
    server: ScriptedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server.route("POST", "/login", Reply(200, {"token": "t"}))
    server.route("POST", "/orders", Reply(500, {"message": "down"}))
    junit = tmp_path / "r.xml"
    code, _, _ = run_cli(
        capsys,
        "run",
        str(DOC),
        "order",
        "--server",
        f"shop={server.url}",
        "--input",
        "item=tea",
        "--junit",
        str(junit),
    )
    assert code == 1
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    failed = {c.name: c.result[0].message for c in suite if c.result}
    assert set(failed) == {"order", "order / create"}
    assert "$statusCode == 201" in failed["order / create"]


def test_list_describe_and_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "list", str(DOC))
    assert code == 0
    golden("list", out)
    code, out, _ = run_cli(capsys, "describe", str(DOC), "order")
    assert code == 0
    golden("describe", out)
    code, out, _ = run_cli(
        capsys,
        "run",
        str(DOC),
        "order",
        "--dry-run",
        "--input",
        "item=tea",
        "--server",
        "shop=http://127.0.0.1:9",
    )
    assert code == 0
    assert "<$workflows.login.outputs.token>" in out or "***" in out
    golden("dry-run", out)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", str(DOC)],
        ["run", str(DOC), "nope"],
        ["run", str(DOC), "order"],  # required input missing
        ["run", str(DOC), "order", "--input", "item"],
        ["describe", str(HERE / "data" / "missing.arazzo.yaml"), "x"],
    ],
)
def test_usage_and_input_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err


def test_several_workflows_run_in_depends_on_order(
    shop: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        capsys,
        "run",
        str(DOC),
        "order",
        "login",
        "--server",
        f"shop={shop.url}",
        "--input",
        "item=tea",
    )
    assert code == 0
    assert out.index("workflow login") < out.index("workflow order")
    assert "2 workflow(s): 2 succeeded, 0 failed" in out
