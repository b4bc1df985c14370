"""Shared pieces of the benchmarks: local servers that answer like the services, raw baselines.

Every benchmark measures the engine and its baseline side by side in one script and prints
ratios; nothing here asserts a number.
"""

from __future__ import annotations

import json
import os
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "arazzo" / "amazon-ecr-publish-image-workflow.yml"
ECR_OPENAPI = ROOT / "specs" / "openapi" / "amazon-ecr-openapi.yml"
INPUTS_FILE = ROOT / "examples" / "publish-image.inputs.json"
INPUTS: dict[str, Any] = json.loads(INPUTS_FILE.read_text())
TARGET = "AmazonEC2ContainerRegistry_V20150921"
KEY, SECRET, REGION = "AKIDBENCHMARK", "bench-secret", "us-east-1"


def _canned(target: str, body: dict[str, Any]) -> dict[str, Any]:
    """What ECR answers: enough for the workflow's criteria ($statusCode == 200) and outputs."""
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


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the default backlog of 5 resets concurrent connections
    daemon_threads = True
    latency = 0.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, data: bytes, content_type: str) -> None:
        latency = self.server.latency  # type: ignore[attr-defined]
        if latency:
            time.sleep(latency)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) or b"{}"
        if self.path.startswith("/items"):  # the two-call JSON API
            item = json.loads(raw)
            self._reply(201, json.dumps({"id": "42", **item}).encode(), "application/json")
            return
        if "Signature=" not in self.headers.get("Authorization", ""):
            self._reply(400, b"{}", "application/json")
            return
        data = json.dumps(_canned(self.headers.get("X-Amz-Target", ""), json.loads(raw)))
        self._reply(200, data.encode(), "application/x-amz-json-1.1")

    def do_GET(self) -> None:
        if self.path.startswith("/items/"):
            item = {"id": self.path.rsplit("/", 1)[1], "name": "widget", "price": 3}
            self._reply(200, json.dumps(item).encode(), "application/json")
        else:
            self._reply(404, b"{}", "application/json")


@contextmanager
def local_server(latency: float = 0.0) -> Iterator[str]:
    """A stdlib HTTP server on 127.0.0.1 answering like ECR (awsJson 1.1) and a small JSON API."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.latency = latency
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def aws_environment(endpoint: str) -> dict[str, str]:
    """The AWS_* variables a user would set: keys, region and the endpoint of the local server."""
    return {
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_ECR": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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


def signed(endpoint: str, operation: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one awsJson1.1 call, signed by botocore's own signer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

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
    SigV4Auth(Credentials(KEY, SECRET), "ecr", REGION).add_auth(request)
    return body, dict(request.headers.items())


#: A two-call JSON workflow (create an item, read it back) and its OpenAPI description.
JSON_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "items", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:1"}],
    "paths": {
        "/items": {
            "post": {
                "operationId": "createItem",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "created"}},
            }
        },
        "/items/{id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "the item"}},
            }
        },
    },
}
JSON_ARAZZO = {
    "arazzo": "1.0.1",
    "info": {"title": "items", "version": "1"},
    "sourceDescriptions": [{"name": "items", "url": "items.openapi.json", "type": "openapi"}],
    "workflows": [
        {
            "workflowId": "createAndRead",
            "inputs": {"type": "object", "properties": {"name": {"type": "string"}}},
            "steps": [
                {
                    "stepId": "create",
                    "operationId": "createItem",
                    "requestBody": {
                        "contentType": "application/json",
                        "payload": {"name": "$inputs.name", "price": 3},
                    },
                    "successCriteria": [{"condition": "$statusCode == 201"}],
                    "outputs": {"id": "$response.body#/id"},
                },
                {
                    "stepId": "read",
                    "operationId": "getItem",
                    "parameters": [
                        {"name": "id", "in": "path", "value": "$steps.create.outputs.id"}
                    ],
                    "successCriteria": [{"condition": "$statusCode == 200"}],
                    "outputs": {"name": "$response.body#/name"},
                },
            ],
            "outputs": {"name": "$steps.read.outputs.name"},
        }
    ],
}


def write_json_workflow(folder: Path) -> Path:
    (folder / "items.openapi.json").write_text(json.dumps(JSON_OPENAPI))
    path = folder / "items.arazzo.json"
    path.write_text(json.dumps(JSON_ARAZZO))
    return path


def rss_mb() -> float:
    """The resident set size of this process now, in MB (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
