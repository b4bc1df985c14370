"""Run the message examples end to end on a broker started here, in one command:

    python examples/messages/run_example.py                  # pet purchase over MQTT (amqtt)
    python examples/messages/run_example.py --protocol nats  # over NATS (needs nats-server)
    python examples/messages/run_example.py --flow mixed     # HTTP + an event on the broker

It starts a local broker on a free 127.0.0.1 port (`arazzo_engine.protocols.local`), starts the
responder (the pet shop: `responder.py`), runs the workflow with `run_workflow`, prints each
step and the outputs, and stops everything. Needs ``pip install -e '.[mqtt,nats]' amqtt``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from pathlib import Path

from arazzo_engine import run_workflow
from arazzo_engine.protocols.local import free_port, start_mqtt, start_nats

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a message example on a local broker.")
    parser.add_argument("--protocol", choices=["mqtt", "nats"], default="mqtt")
    parser.add_argument("--flow", choices=["pet", "mixed"], default="pet")
    args = parser.parse_args(argv)
    broker = start_mqtt(lifetime=300) if args.protocol == "mqtt" else start_nats(lifetime=300)
    http_port = free_port()
    responder = subprocess.Popen(
        [
            *(sys.executable, str(HERE / "responder.py"), "--broker", broker.url),
            *("--http-port", str(http_port), "--lifetime", "300"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert responder.stdout is not None
        ready = responder.stdout.readline().decode().strip()
        if not ready.startswith("ready"):
            print(f"the responder did not start: {ready!r}", file=sys.stderr)
            return 1
        if args.flow == "pet":
            result = run_workflow(
                HERE / "pet-purchase.arazzo.yaml",
                "purchasePet",
                {"petId": 7, "orderRequestId": f"order-{uuid.uuid4().hex[:8]}"},
                servers={"petOrders": broker.url},
            )
        else:
            result = run_workflow(
                HERE / "mixed.arazzo.yaml",
                "orderAndTrack",
                {"petId": 7},
                servers={"shop": f"http://127.0.0.1:{http_port}", "shopEvents": broker.url},
            )
        for step in result.steps:
            print(f"{'ok ' if step.success else 'FAIL'} {step.step_id}")
        print(json.dumps(result.outputs, indent=2))
        return 0 if result.success else 1
    finally:
        if responder.stdin:
            responder.stdin.close()
        responder.wait(10)
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
