"""The bundled workflow against a second ECR emulator, MiniStack, which (unlike moto) checks
clock skew, answers auth errors in AWS's JSON shape and computes image digests as AWS does.

MiniStack pins its own botocore, so it lives in a venv of its own: CI builds one and points
``ARAZZO_MINISTACK_BIN`` at its ``ministack`` executable; without it these tests are skipped.
MiniStack trusts its root keys without checking signatures, so the tests sign with an IAM
user's key created for the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from arazzo_engine import AwsSettings, load, run_workflow
from arazzo_engine.auth import sigv4
from tests.conftest import ROOT, SPEC

INPUTS = json.loads((ROOT / "examples" / "publish-image.inputs.json").read_text())
REPOSITORY = "arazzo/demo"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def ministack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsSettings]:
    binary = os.environ.get("ARAZZO_MINISTACK_BIN")
    if not binary or not Path(binary).exists():
        pytest.skip("set ARAZZO_MINISTACK_BIN to a MiniStack executable (CI does)")
    port = _free_port()
    tmp = tmp_path_factory.mktemp("ministack")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AUTH": "true",
        "BIND_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "TMPDIR": str(tmp),
        "HOME": str(tmp),
    }
    log = (tmp / "ministack.log").open("wb")
    process = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(endpoint + "/_ministack/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "MiniStack did not start:\n" + (tmp / "ministack.log").read_text()[-2000:]
                )
            time.sleep(0.2)
        root = {
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        }
        iam = boto3.client("iam", **root)
        iam.create_user(UserName="arazzo-ci")
        key = iam.create_access_key(UserName="arazzo-ci")["AccessKey"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["ecr:*"], "Resource": "*"}],
        }
        iam.put_user_policy(
            UserName="arazzo-ci", PolicyName="ecr", PolicyDocument=json.dumps(policy)
        )
        boto3.client("ecr", **root).create_repository(repositoryName=REPOSITORY)
        yield AwsSettings(
            region="us-east-1",
            access_key_id=key["AccessKeyId"],
            secret_access_key=key["SecretAccessKey"],
            endpoint_url=endpoint,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _inputs() -> dict[str, Any]:
    return {**INPUTS, "imageTag": f"ms-{uuid.uuid4().hex[:8]}"}


def test_publish_image_digest_is_the_manifests_sha256(ministack: AwsSettings) -> None:
    inputs = _inputs()
    result = run_workflow(SPEC, "publish-image", inputs, aws=ministack)
    assert result.success, result.error
    expected = "sha256:" + hashlib.sha256(inputs["imageManifest"].encode()).hexdigest()
    assert result.outputs["image"]["imageId"]["imageDigest"] == expected
    assert result.outputs["images"][0]["imageManifest"] == inputs["imageManifest"]


def test_wrong_secret_gets_awss_json_signature_error(ministack: AwsSettings) -> None:
    settings = AwsSettings(
        region=ministack.region,
        access_key_id=ministack.access_key_id,
        secret_access_key="not-the-secret",
        endpoint_url=ministack.endpoint_url,
    )
    result = run_workflow(SPEC, "publish-image", _inputs(), aws=settings)
    assert not result.success
    assert result.steps[0].status_code == 400
    assert "InvalidSignatureException" in (result.steps[0].error or "")


@pytest.mark.parametrize(("minutes", "passes"), [(0, True), (-10, True), (-20, False)])
def test_signing_time_is_checked_for_skew(
    ministack: AwsSettings, monkeypatch: pytest.MonkeyPatch, minutes: int, passes: bool
) -> None:
    skewed = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    monkeypatch.setattr(sigv4, "_utc_now", lambda: skewed)
    result = run_workflow(load(SPEC), "publish-image", _inputs(), aws=ministack)
    assert result.success is passes, result.error
    if not passes:
        assert "Signature expired" in (result.steps[0].error or "")
