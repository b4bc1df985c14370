"""Engine overhead per step, as a ratio against raw httpx doing the same signed requests.

Runs the bundled ECR publish-image workflow N times against a local server (a canned-response
ECR stub on 127.0.0.1 by default, or moto with ``--target moto``) and, in the same process,
sends the same three SigV4-signed requests with plain httpx + botocore's signer. Prints time per
step for both and their ratio. A measurement, not a test: nothing here asserts a number.

    python benchmarks/bench_publish_image.py [--runs 300] [--target stub|moto]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from botocore.auth import SigV4Auth as BotocoreSigV4
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from arazzo_engine import AwsSettings, load, run_workflow

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "arazzo" / "amazon-ecr-publish-image-workflow.yml"
INPUTS: dict[str, Any] = json.loads((ROOT / "examples" / "publish-image.inputs.json").read_text())
TARGET = "AmazonEC2ContainerRegistry_V20150921"
KEY, SECRET = "AKIDBENCHMARK", "bench-secret"


def _canned(target: str, body: dict[str, Any]) -> dict[str, Any]:
    image = {
        "registryId": "123456789012",
        "repositoryName": body.get("repositoryName", "arazzo/demo"),
        "imageId": {"imageDigest": "sha256:" + "0" * 64, "imageTag": INPUTS["imageTag"]},
        "imageManifest": INPUTS["imageManifest"],
        "imageManifestMediaType": INPUTS["imageManifestMediaType"],
    }
    if target.endswith("DescribeRepositories"):
        return {"repositories": [{"repositoryName": "arazzo/demo", "registryId": "123456789012"}]}
    if target.endswith("PutImage"):
        return {"image": image}
    return {"images": [image], "failures": []}


@contextmanager
def stub_ecr() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if "Signature=" not in self.headers.get("Authorization", ""):
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = json.dumps(_canned(self.headers.get("X-Amz-Target", ""), body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(ThreadingHTTPServer):
        request_queue_size = 512  # the default backlog of 5 resets concurrent connections
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


#: The three calls of the workflow, as a raw client would make them.
RAW_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("DescribeRepositories", {"repositoryNames": [INPUTS["repositoryName"]]}),
    (
        "PutImage",
        {
            "repositoryName": INPUTS["repositoryName"],
            "imageManifest": INPUTS["imageManifest"],
            "imageManifestMediaType": INPUTS["imageManifestMediaType"],
            "imageTag": INPUTS["imageTag"],
        },
    ),
    (
        "BatchGetImage",
        {
            "repositoryName": INPUTS["repositoryName"],
            "imageIds": [{"imageTag": INPUTS["imageTag"]}],
        },
    ),
]


def signed(
    endpoint: str, credentials: Credentials, operation: str, payload: dict[str, Any]
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one awsJson1.1 call, signed by botocore's own signer."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGET}.{operation}",
        },
    )
    BotocoreSigV4(credentials, "ecr", "us-east-1").add_auth(request)
    return body, dict(request.headers.items())


def raw_httpx_run(client: httpx.Client, endpoint: str, credentials: Credentials) -> None:
    """The same three requests, built and signed by hand."""
    for operation, payload in RAW_CALLS:
        body, headers = signed(endpoint, credentials, operation, payload)
        response = client.post(endpoint + "/", content=body, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"baseline {operation}: HTTP {response.status_code}")
        response.json()


def measure(runs: int, endpoint: str, key: str, secret: str) -> None:
    doc = load(SPEC)
    settings = AwsSettings(
        region="us-east-1", access_key_id=key, secret_access_key=secret, endpoint_url=endpoint
    )
    credentials = Credentials(key, secret)
    steps = 3
    with httpx.Client() as client:
        # warm up both paths (connections, caches, imports)
        for _ in range(5):
            assert run_workflow(doc, "publish-image", INPUTS, aws=settings, client=client).success
            raw_httpx_run(client, endpoint, credentials)
        engine_times: list[float] = []
        own_client_times: list[float] = []
        raw_times: list[float] = []
        gc.collect()
        for _ in range(runs):  # interleaved, so both see the same machine state
            start = time.perf_counter()
            result = run_workflow(doc, "publish-image", INPUTS, aws=settings, client=client)
            engine_times.append(time.perf_counter() - start)
            if not result.success:
                raise SystemExit(f"engine run failed: {result.error}")
            start = time.perf_counter()
            raw_httpx_run(client, endpoint, credentials)
            raw_times.append(time.perf_counter() - start)
            start = time.perf_counter()  # the default: a client (connection pool) per run
            run_workflow(doc, "publish-image", INPUTS, aws=settings)
            own_client_times.append(time.perf_counter() - start)
        # memory: does a reused document grow across runs?
        tracemalloc.start()
        run_workflow(doc, "publish-image", INPUTS, aws=settings, client=client)
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(50):
            run_workflow(doc, "publish-image", INPUTS, aws=settings, client=client)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    def per_step_ms(times: list[float]) -> float:
        return statistics.median(times) / steps * 1000

    engine, raw = per_step_ms(engine_times), per_step_ms(raw_times)
    print(f"runs: {runs} x {steps} steps against {endpoint}")
    print(f"raw httpx + botocore signer : {raw:8.3f} ms/step (median)")
    print(f"arazzo-engine run_workflow  : {engine:8.3f} ms/step (median)")
    print(f"ratio engine/raw            : {engine / raw:8.2f}x")
    own = per_step_ms(own_client_times)
    print(
        f"engine, new client per run  : {own:8.3f} ms/step ({own / raw:.2f}x raw; new connections)"
    )
    print(f"engine overhead             : {engine - raw:8.3f} ms/step")
    print(f"memory after 50 more runs   : {(after - before) / 1024:+8.1f} KiB (reused Document)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--target", choices=("stub", "moto"), default="stub")
    args = parser.parse_args()
    if args.target == "moto":
        from arazzo_engine.aws.local_ecr import LocalEcr

        with LocalEcr() as ecr:
            measure(args.runs, ecr.endpoint_url, ecr.access_key_id, ecr.secret_access_key)
    else:
        with stub_ecr() as endpoint:
            measure(args.runs, endpoint, KEY, SECRET)


if __name__ == "__main__":
    main()
