"""Arazzo 1.1 message workflows end to end: `run_workflow` and `arun_workflow` over real
brokers (amqtt for MQTT, nats-server for NATS), with the example pet shop answering."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_engine import arun_workflow, run_workflow, validate
from arazzo_engine.protocols.local import LocalBroker, free_port
from arazzo_engine.results import RunResult
from tests.support.brokers import responder, start_broker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "messages"


@pytest.fixture(scope="module", params=["mqtt", "nats"])
def broker(request: pytest.FixtureRequest) -> Iterator[LocalBroker]:
    with start_broker(request.param) as started:
        yield started


def _order_id() -> str:
    return f"order-{uuid.uuid4().hex[:8]}"


def _purchase(
    broker: LocalBroker, path: Path | None = None, *, run_async: bool = False
) -> RunResult:
    document = path or EXAMPLES / "pet-purchase.arazzo.yaml"
    inputs = {"petId": 7, "orderRequestId": _order_id()}
    servers = {"petOrders": broker.url}
    if run_async:
        return asyncio.run(arun_workflow(document, "purchasePet", inputs, servers=servers))
    return run_workflow(document, "purchasePet", inputs, servers=servers)


def _variant(tmp_path: Path, change: Any) -> Path:
    """A copy of the pet purchase example with its confirmOrder step changed."""
    for name in ("pet-purchase.asyncapi.yaml", "pet-purchase.messages.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    document = yaml.safe_load((EXAMPLES / "pet-purchase.arazzo.yaml").read_text())
    steps = document["workflows"][0]["steps"]
    change(steps[1])
    path = tmp_path / "pet-purchase.arazzo.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_the_examples_validate() -> None:
    for name in ("pet-purchase.arazzo.yaml", "mixed.arazzo.yaml"):
        report = validate(EXAMPLES / name)
        assert report.ok and not report.warnings, [str(p) for p in report.problems]


@pytest.mark.parametrize("run_async", [False, True], ids=["sync", "async"])
def test_pet_purchase(broker: LocalBroker, run_async: bool) -> None:
    with responder(broker.url):
        result = _purchase(broker, run_async=run_async)
    assert result.success, result.error
    assert isinstance(result.outputs["orderId"], int)
    send, receive = result.steps
    assert send.message.action == "send" and send.message.address == "pets/place-order"
    assert receive.message.address == "pets/confirm-order"
    assert receive.message.correlation_id == result.inputs["orderRequestId"]
    assert receive.outputs == {"orderId": result.outputs["orderId"], "status": "confirmed"}
    shown = result.to_dict()["steps"][1]["message"]
    assert shown["payload"]["status"] == "confirmed" and shown["skippedCount"] == 0


def test_a_wrong_correlation_id_is_skipped(broker: LocalBroker) -> None:
    with responder(broker.url, mode="wrong-first"):
        result = _purchase(broker)
    assert result.success, result.error
    record = result.steps[1].message
    assert record.skipped_count == 1
    assert record.skipped[0]["correlationId"] == "not-" + result.inputs["orderRequestId"]


def test_no_reply_fails_the_step_and_retry_runs(broker: LocalBroker, tmp_path: Path) -> None:
    def retry(step: dict[str, Any]) -> None:
        step["timeout"] = 400
        step["onFailure"] = [{"name": "again", "type": "retry", "retryLimit": 1}]

    with responder(broker.url, mode="silent"):
        result = _purchase(broker, _variant(tmp_path, retry))
    assert not result.success
    receives = [s for s in result.steps if s.step_id == "confirmOrder"]
    assert [s.attempt for s in receives] == [1, 2]
    assert all("no message with correlation id" in (s.error or "") for s in receives)
    assert receives[0].message.waited >= 0.4


def test_goto_sends_again_and_the_second_order_is_confirmed(
    broker: LocalBroker, tmp_path: Path
) -> None:
    def goto(step: dict[str, Any]) -> None:
        step["timeout"] = 400
        step["onFailure"] = [{"name": "resend", "type": "goto", "stepId": "placeOrder"}]

    with responder(broker.url, mode="ignore-first"):
        result = _purchase(broker, _variant(tmp_path, goto))
    assert result.success, result.error
    assert [(s.step_id, s.success) for s in result.steps] == [
        ("placeOrder", True),
        ("confirmOrder", False),
        ("placeOrder", True),
        ("confirmOrder", True),
    ]


def test_criteria_judge_the_received_message(broker: LocalBroker) -> None:
    with responder(broker.url, mode="reject"):
        result = _purchase(broker)
    assert not result.success
    assert "criterion" in (result.steps[1].error or "")
    assert result.steps[1].message.payload["status"] == "rejected"


@pytest.mark.parametrize("run_async", [False, True], ids=["sync", "async"])
def test_mixed_http_and_message_flow(broker: LocalBroker, run_async: bool) -> None:
    """The shop publishes the event before it answers the POST: the receive step only catches
    it because the run listened on the channel before its first step."""
    port = free_port()
    servers = {"shop": f"http://127.0.0.1:{port}", "shopEvents": broker.url}
    document = EXAMPLES / "mixed.arazzo.yaml"
    with responder(broker.url, http_port=port):
        if run_async:
            result = asyncio.run(
                arun_workflow(document, "orderAndTrack", {"petId": 3}, servers=servers)
            )
        else:
            result = run_workflow(document, "orderAndTrack", {"petId": 3}, servers=servers)
    assert result.success, result.error
    created, shipped, shipment = result.steps
    assert shipped.message.correlation_id == created.outputs["orderId"]
    assert result.outputs == {
        "trackingCode": f"TRK-{created.outputs['orderId']}",
        "status": "in transit",
    }
    assert shipment.status_code == 200


def test_a_broker_url_needs_a_supported_protocol(broker: LocalBroker) -> None:
    from arazzo_engine.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="mqtt, mqtts, nats, secure-mqtt"):
        run_workflow(
            EXAMPLES / "pet-purchase.arazzo.yaml",
            "purchasePet",
            {"petId": 1, "orderRequestId": "x"},
            servers={"petOrders": "kafka://127.0.0.1:9092"},
        )


def test_broker_user_and_password_from_the_run_credentials(tmp_path: Path) -> None:
    from tests.support.brokers import nats_broker

    secret = "br0ker-Pa55word"
    _variant(tmp_path, lambda step: None)
    description = yaml.safe_load((tmp_path / "pet-purchase.asyncapi.yaml").read_text())
    description["servers"]["nats"]["security"] = [
        {"$ref": "#/components/securitySchemes/brokerUser"}
    ]
    description["components"] = {"securitySchemes": {"brokerUser": {"type": "userPassword"}}}
    (tmp_path / "pet-purchase.asyncapi.yaml").write_text(yaml.safe_dump(description))
    document = tmp_path / "pet-purchase.arazzo.yaml"
    with nats_broker(user="shop", password=secret) as broker:
        inside = broker.url.replace("nats://", f"nats://shop:{secret}@")
        inputs = {"petId": 7, "orderRequestId": _order_id()}
        with responder(inside):
            refused = run_workflow(
                document, "purchasePet", inputs, servers={"petOrders": broker.url}
            )
            result = run_workflow(
                document,
                "purchasePet",
                inputs,
                servers={"petOrders": broker.url},
                auth={"petOrders:brokerUser": {"username": "shop", "password": secret}},
            )
            in_url = run_workflow(
                document,
                "purchasePet",
                {**inputs, "orderRequestId": _order_id()},
                servers={"petOrders": inside},
                auth={"petOrders:brokerUser": {"username": "shop", "password": secret}},
            )
    assert in_url.success, in_url.error
    assert secret not in json.dumps(in_url.to_dict())
    assert not refused.success
    assert "no credentials for 'petOrders:brokerUser'" in (refused.steps[0].error or "")
    assert result.success, result.error
    assert secret not in json.dumps(result.to_dict()) + json.dumps(refused.to_dict())


def test_cli_runs_a_message_workflow(
    broker: LocalBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from arazzo_engine.cli import main

    har = tmp_path / "run.har"
    argv = [
        "run",
        str(EXAMPLES / "pet-purchase.arazzo.yaml"),
        "purchasePet",
        "--server",
        f"petOrders={broker.url}",
        "--input",
        "petId=7",
        "--input",
        f"orderRequestId={_order_id()}",
        "--har",
        str(har),
        "-v",
    ]
    with responder(broker.url):
        code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "send pets/place-order" in out and "receive pets/confirm-order" in out
    assert "correlation id" in out
    log = json.loads(har.read_text())["log"]
    assert log["entries"] == [] and "2 message step(s) not listed" in log["comment"]


def test_dry_run_and_junit_show_message_steps(broker: LocalBroker, tmp_path: Path) -> None:
    from arazzo_engine.cli import main

    junit = tmp_path / "junit.xml"
    inputs = ["--input", "petId=7", "--input", "orderRequestId=dry-1"]
    document = str(EXAMPLES / "pet-purchase.arazzo.yaml")
    server = ["--server", f"petOrders={broker.url}"]
    assert main(["run", document, "purchasePet", "--dry-run", *server, *inputs]) == 0
    with responder(broker.url):
        assert main(["run", document, "purchasePet", "--junit", str(junit), *server, *inputs]) == 0
    xml = junit.read_text()
    assert "send pets/place-order on" in xml
    assert "receive pets/confirm-order on" in xml and "correlation id dry-1" in xml


def test_dry_run_lists_broker_channel_and_payload(capsys: pytest.CaptureFixture[str]) -> None:
    from arazzo_engine.cli import main

    document = str(EXAMPLES / "pet-purchase.arazzo.yaml")
    argv = ["run", document, "purchasePet", "--dry-run", "--input", "petId=7"]
    argv += ["--input", "orderRequestId=abc", "--server", "petOrders=nats://u:pw@127.0.0.1:4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "SEND nats://127.0.0.1:4 pets/place-order" in out
    assert '{"orderRequestId": "abc", "petId": 7}' in out
    assert "correlation id == 'abc'" in out and "pw" not in out


@pytest.mark.parametrize("flow", ["pet", "mixed"])
def test_the_one_command_example_runs(flow: str) -> None:
    import subprocess
    import sys

    from tests.support.brokers import require_mqtt

    require_mqtt()
    script = EXAMPLES / "run_example.py"
    done = subprocess.run(
        [sys.executable, str(script), "--flow", flow],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout and "ok " in done.stdout


def test_a_recorded_message_run_replays_to_the_same_result(broker: LocalBroker) -> None:
    from arazzo_engine import load
    from arazzo_engine.redact import Redactor
    from arazzo_engine.run.commands import Result
    from arazzo_engine.run.core import RunOptions, execute
    from arazzo_engine.run.drivers import drive_replay, drive_sync
    from arazzo_engine.run.services import default_services
    from arazzo_engine.run.setup import bind
    from arazzo_engine.transport import TransportOptions, make_client

    def options() -> RunOptions:
        return RunOptions(
            services=default_services(), redactor=Redactor(), servers={"petOrders": broker.url}
        )

    plan = load(EXAMPLES / "pet-purchase.arazzo.yaml").plan("purchasePet")
    inputs = {"petId": 7, "orderRequestId": _order_id()}
    prepared = bind(plan, options())
    recorded: list[Result] = []
    with responder(broker.url, mode="wrong-first"), make_client(TransportOptions()) as client:
        live = drive_sync(
            execute(plan, inputs, options(), binding=prepared.binding),
            client,
            record=recorded,
            messages={},
        )
    assert live.success, live.error
    kinds = [type(r).__name__ for r in recorded]
    assert kinds.count("Subscribed") == 1 and kinds.count("Published") == 1
    assert kinds.count("Message") == 2  # the wrong correlation id, then the right one
    replayed = drive_replay(execute(plan, inputs, options(), binding=prepared.binding), recorded)
    assert json.dumps(replayed.to_dict()) == json.dumps(live.to_dict())
