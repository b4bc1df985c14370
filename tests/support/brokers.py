"""Real brokers and the example responder for message tests (all on 127.0.0.1, bounded)."""

from __future__ import annotations

import importlib.util
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from arazzo_engine.protocols.local import (
    LocalBroker,
    mosquitto_binary,
    nats_server_binary,
    start_mosquitto,
    start_mqtt,
    start_nats,
)

ROOT = Path(__file__).resolve().parents[2]
RESPONDER = ROOT / "examples" / "messages" / "responder.py"


def require_mqtt() -> None:
    """Skip unless amqtt (the broker) and aiomqtt (the client) are installed."""
    if importlib.util.find_spec("amqtt") is None or importlib.util.find_spec("aiomqtt") is None:
        pytest.skip("MQTT test needs amqtt and aiomqtt: pip install -e '.[test]'")


def mqtt_broker() -> LocalBroker:
    """An amqtt broker, or skip when amqtt is not installed."""
    require_mqtt()
    return start_mqtt(lifetime=600)


def nats_broker(**options: object) -> LocalBroker:
    """A nats-server, or skip with the reason when it is not installed."""
    if importlib.util.find_spec("nats") is None:
        pytest.skip("NATS test needs nats-py: pip install -e '.[test]'")
    if nats_server_binary() is None:
        pytest.skip("nats-server is not installed (apt-get install nats-server; .ci/run does)")
    return start_nats(lifetime=600, **options)  # type: ignore[arg-type]


def mqtt5_broker(users: dict[str, str] | None = None) -> LocalBroker:
    """mosquitto (MQTT 5.0), or skip with the reason when it is not installed."""
    if importlib.util.find_spec("aiomqtt") is None:
        pytest.skip("MQTT test needs aiomqtt: pip install -e '.[test]'")
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto; .ci/run does)")
    return start_mosquitto(lifetime=600, users=users)


def start_broker(protocol: str) -> LocalBroker:
    """A broker for ``protocol`` (``mqtt`` or ``nats``)."""
    return mqtt_broker() if protocol == "mqtt" else nats_broker()


@contextmanager
def responder(broker_url: str, mode: str = "normal", http_port: int | None = None) -> Iterator[str]:
    """Run examples/messages/responder.py until the block ends; yields its first line."""
    args = [sys.executable, str(RESPONDER), "--broker", broker_url, "--mode", mode]
    args += ["--lifetime", "300"]
    if http_port is not None:
        args += ["--http-port", str(http_port)]
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 20
        line = b""
        while time.monotonic() < deadline and not line:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                line = process.stdout.readline()
            elif process.poll() is not None:
                break
        if not line.startswith(b"ready"):
            process.kill()
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"responder did not start: {line!r} {err[-2000:]}")
        yield line.decode().strip()
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
