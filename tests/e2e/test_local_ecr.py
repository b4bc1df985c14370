"""End to end over real sockets: raw awsJson1.1 ECR calls signed by the project's SigV4Auth
against moto with request authentication on (moto recomputes every signature with botocore).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from botocore.credentials import Credentials

from arazzo_engine.auth import SigV4Auth, resolve_aws, sigv4_scheme
from arazzo_engine.aws.local_ecr import LocalEcr

ROOT = Path(__file__).resolve().parents[2]
TARGET = "AmazonEC2ContainerRegistry_V20150921"
JSON_11 = "application/x-amz-json-1.1"


def ecr_call(
    endpoint_url: str, auth: httpx.Auth, operation: str, payload: dict[str, Any]
) -> httpx.Response:
    with httpx.Client(auth=auth, timeout=10.0) as client:
        return client.post(
            f"{endpoint_url}/",
            content=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": JSON_11, "X-Amz-Target": f"{TARGET}.{operation}"},
        )


def signed_headers(response: httpx.Response) -> str:
    authorization = response.request.headers["Authorization"]
    return authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0]


def good_auth(ecr: LocalEcr) -> SigV4Auth:
    return SigV4Auth(Credentials(ecr.access_key_id, ecr.secret_access_key), "ecr", ecr.region)


def test_describe_repositories_is_signed_and_accepted(local_ecr: LocalEcr) -> None:
    response = ecr_call(
        local_ecr.endpoint_url,
        good_auth(local_ecr),
        "DescribeRepositories",
        {"repositoryNames": [local_ecr.repository]},
    )
    assert response.status_code == 200, response.text
    repositories = response.json()["repositories"]
    assert [r["repositoryName"] for r in repositories] == [local_ecr.repository]
    assert signed_headers(response) == "content-type;host;x-amz-date;x-amz-target"
    assert "user-agent" in response.request.headers


def test_wrong_secret_is_rejected(local_ecr: LocalEcr) -> None:
    auth = SigV4Auth(Credentials(local_ecr.access_key_id, "not-the-secret"), "ecr", "us-east-1")
    response = ecr_call(local_ecr.endpoint_url, auth, "DescribeRepositories", {})
    assert response.status_code == 403
    assert "SignatureDoesNotMatch" in response.text


def test_unknown_key_is_rejected(local_ecr: LocalEcr) -> None:
    auth = SigV4Auth(Credentials("AKIAUNKNOWNKEY000000", "whatever"), "ecr", "us-east-1")
    response = ecr_call(local_ecr.endpoint_url, auth, "DescribeRepositories", {})
    assert response.status_code == 403
    assert "InvalidClientTokenId" in response.text


def test_put_image_then_batch_get_image_round_trips_the_manifest(local_ecr: LocalEcr) -> None:
    inputs = json.loads((ROOT / "examples" / "publish-image.inputs.json").read_text("utf-8"))
    manifest_file = json.loads((ROOT / "examples" / "oci-image-manifest.json").read_text("utf-8"))
    manifest: str = inputs["imageManifest"]
    assert json.loads(manifest) == manifest_file
    tag = f"e2e-{uuid.uuid4().hex[:12]}"  # the session-wide server may hold other tags
    auth = good_auth(local_ecr)

    put = ecr_call(
        local_ecr.endpoint_url,
        auth,
        "PutImage",
        {
            "repositoryName": local_ecr.repository,
            "imageManifest": manifest,
            "imageManifestMediaType": inputs["imageManifestMediaType"],
            "imageTag": tag,
        },
    )
    assert put.status_code == 200, put.text
    assert signed_headers(put) == "content-type;host;x-amz-date;x-amz-target"
    image = put.json()["image"]
    assert image["imageId"]["imageTag"] == tag
    assert image["imageManifest"] == manifest

    got = ecr_call(
        local_ecr.endpoint_url,
        auth,
        "BatchGetImage",
        {"repositoryName": local_ecr.repository, "imageIds": [{"imageTag": tag}]},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["failures"] == []
    assert [i["imageManifest"] for i in body["images"]] == [manifest]
    assert body["images"][0]["imageId"]["imageDigest"] == image["imageId"]["imageDigest"]


def test_env_configuration_path_reaches_the_local_ecr(
    local_ecr: LocalEcr, isolated_aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production path: scheme from the ECR description, keys/region/endpoint from env."""
    spec_file = ROOT / "specs" / "openapi" / "amazon-ecr-openapi.yml"
    if not spec_file.is_file():
        pytest.skip(f"{spec_file} is not generated yet")
    scheme = sigv4_scheme(yaml.safe_load(spec_file.read_text("utf-8")))
    assert scheme is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", local_ecr.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", local_ecr.secret_access_key)
    monkeypatch.setenv("AWS_REGION", local_ecr.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", local_ecr.endpoint_url)
    binding = resolve_aws(scheme)
    assert binding.endpoint_url == local_ecr.endpoint_url
    response = ecr_call(binding.endpoint_url, binding.auth, "DescribeRepositories", {})
    assert response.status_code == 200, response.text
    names = [r["repositoryName"] for r in response.json()["repositories"]]
    assert local_ecr.repository in names


def test_body_changed_after_signing_is_rejected(local_ecr: LocalEcr) -> None:
    auth = good_auth(local_ecr)
    request = httpx.Request(
        "POST",
        f"{local_ecr.endpoint_url}/",
        content=b'{"repositoryNames": ["arazzo/demo"]}',
        headers={"Content-Type": JSON_11, "X-Amz-Target": f"{TARGET}.DescribeRepositories"},
    )
    auth.sign(request)
    tampered = httpx.Request(
        "POST",
        request.url,
        headers=request.headers,
        content=b'{"repositoryNames": ["arazzo/xxxx"]}',
    )
    with httpx.Client(timeout=10.0) as client:
        response = client.send(tampered)
    assert response.status_code == 403
    assert "SignatureDoesNotMatch" in response.text
