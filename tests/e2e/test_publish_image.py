"""The bundled ECR publish-image workflow end to end, against moto with request authentication
on: through ``run_workflow`` and through the command line, then read back with boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from arazzo_engine import AuthError, AwsSettings, load, run_workflow
from arazzo_engine.aws.local_ecr import LocalEcr
from tests.conftest import ROOT, SHARED, SPEC

INPUTS = json.loads((ROOT / "examples" / "publish-image.inputs.json").read_text())


def _inputs(tag: str) -> dict[str, Any]:
    return {**INPUTS, "imageTag": tag}


def _read_back(ecr: LocalEcr, tag: str) -> dict[str, Any]:
    client = boto3.client(
        "ecr",
        endpoint_url=ecr.endpoint_url,
        region_name=ecr.region,
        aws_access_key_id=ecr.access_key_id,
        aws_secret_access_key=ecr.secret_access_key,
    )
    found = client.batch_get_image(repositoryName=ecr.repository, imageIds=[{"imageTag": tag}])
    assert found["failures"] == []
    image: dict[str, Any] = found["images"][0]
    return image


def test_bundled_document_is_the_users_byte_for_byte() -> None:
    original = SHARED / "example" / "amazon-ecr-publish-image-workflow.yml"
    if not original.exists():
        pytest.skip(
            f"shared example not found at {original}"
            " (not in this clone: see tests/README.md, ARAZZO_SHARED_DIR)"
        )
    assert SPEC.read_bytes() == original.read_bytes()


def test_publish_image_with_run_workflow(local_ecr: LocalEcr, isolated_aws_env: Path) -> None:
    tag = f"api-{uuid.uuid4().hex[:8]}"
    result = run_workflow(SPEC, "publish-image", _inputs(tag), aws=local_ecr.aws_settings())
    assert result.success, result.error
    assert [(s.step_id, s.status_code) for s in result.steps] == [
        ("confirmRepository", 200),
        ("putImage", 200),
        ("verifyImage", 200),
    ]
    assert result.outputs["repositories"][0]["repositoryName"] == local_ecr.repository
    assert result.outputs["image"]["imageId"]["imageTag"] == tag
    assert result.outputs["images"][0]["imageManifest"] == INPUTS["imageManifest"]
    # What crossed the wire: a signed awsJson1.1 POST to "/" with the step's X-Amz-Target.
    put = result.step("putImage").request
    assert put is not None and put.method == "POST"
    assert put.url == local_ecr.endpoint_url + "/"
    headers = dict(put.headers)
    assert headers["x-amz-target"] == "AmazonEC2ContainerRegistry_V20150921.PutImage"
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target," in headers["authorization"]
    assert local_ecr.secret_access_key not in json.dumps(result.to_dict())
    # Read back independently with boto3: the manifest is the one sent.
    image = _read_back(local_ecr, tag)
    assert image["imageManifest"] == INPUTS["imageManifest"]
    assert image["imageManifestMediaType"] == INPUTS["imageManifestMediaType"]


def test_optional_media_type_is_left_out_when_not_given(
    local_ecr: LocalEcr, isolated_aws_env: Path
) -> None:
    tag = f"nomt-{uuid.uuid4().hex[:8]}"
    inputs = _inputs(tag)
    del inputs["imageManifestMediaType"]
    result = run_workflow(SPEC, "publish-image", inputs, aws=local_ecr.aws_settings())
    assert result.success, result.error
    body = result.step("putImage").request.body  # type: ignore[union-attr]
    assert "imageManifestMediaType" not in body
    assert body["imageTag"] == tag


def test_wrong_secret_fails_with_the_servers_signature_error(
    local_ecr: LocalEcr, isolated_aws_env: Path
) -> None:
    settings = AwsSettings(
        region=local_ecr.region,
        access_key_id=local_ecr.access_key_id,
        secret_access_key="wrong-secret-key",
        endpoint_url=local_ecr.endpoint_url,
    )
    result = run_workflow(SPEC, "publish-image", _inputs("never"), aws=settings)
    assert not result.success
    assert [s.step_id for s in result.steps] == ["confirmRepository"]
    step = result.steps[0]
    assert step.status_code == 403
    assert "SignatureDoesNotMatch" in (step.error or "")
    assert "SignatureDoesNotMatch" in json.dumps(step.response.body)  # type: ignore[union-attr]
    assert "wrong-secret-key" not in json.dumps(result.to_dict())


def test_no_credentials_is_a_clear_error_before_any_request(isolated_aws_env: Path) -> None:
    with pytest.raises(AuthError) as info:
        run_workflow(
            SPEC,
            "publish-image",
            _inputs("x"),
            aws=AwsSettings(region="us-east-1", endpoint_url="http://127.0.0.1:9"),
        )
    message = str(info.value)
    assert message.startswith("no AWS credentials found: set AWS_ACCESS_KEY_ID"), message
    assert "ecr" in message.lower() and len(message) < 250


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arazzo_engine", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def _run_bundled(*extra: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI on the bundled workflow with the example inputs, plus ``extra`` options."""
    inputs = "examples/publish-image.inputs.json"
    return _cli("run", str(SPEC), "publish-image", "--inputs", inputs, *extra, env=env)


def _aws_env(ecr: LocalEcr, tmp: Path, secret: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ecr.access_key_id,
        AWS_SECRET_ACCESS_KEY=secret or ecr.secret_access_key,
        AWS_REGION=ecr.region,
        AWS_ENDPOINT_URL_ECR=ecr.endpoint_url,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "credentials"),
    )
    return env


def test_cli_json_with_the_usual_aws_environment(
    local_ecr: LocalEcr, isolated_aws_env: Path
) -> None:
    tag = f"cli-{uuid.uuid4().hex[:8]}"
    proc = _run_bundled(
        "--input", f"imageTag={tag}", "--json", env=_aws_env(local_ecr, isolated_aws_env)
    )
    assert proc.returncode == 0, proc.stderr
    [payload] = json.loads(proc.stdout)  # --json is always a list of runs
    assert payload["workflowId"] == "publish-image"
    assert payload["success"] is True
    assert [s["stepId"] for s in payload["steps"]] == [
        "confirmRepository",
        "putImage",
        "verifyImage",
    ]
    assert {s["statusCode"] for s in payload["steps"]} == {200}
    assert payload["outputs"]["images"][0]["imageId"]["imageTag"] == tag
    assert _read_back(local_ecr, tag)["imageManifest"] == INPUTS["imageManifest"]


def test_cli_wrong_secret_exits_1_with_the_reason(
    local_ecr: LocalEcr, isolated_aws_env: Path
) -> None:
    proc = _run_bundled(env=_aws_env(local_ecr, isolated_aws_env, secret="not-the-secret"))
    assert proc.returncode == 1, proc.stderr
    assert "SignatureDoesNotMatch" in proc.stdout
    assert "not-the-secret" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_local_ecr_runs_the_main_job(isolated_aws_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = _run_bundled("--local-ecr", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "local ECR" in proc.stderr
    assert "workflow publish-image succeeded" in proc.stdout
    assert INPUTS["imageManifest"][:40].replace('"', '\\"') in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.yaml", "publish-image"], "file not found"),
        (["run", str(SPEC), "nope"], "no workflow 'nope'"),
        (["run", str(SPEC), "publish-image", "--input", "imageTag=v1"], "is a required property"),
        (["run", str(SPEC), "publish-image", "--input", "noequals"], "expects NAME=VALUE"),
    ],
)
def test_cli_usage_errors_exit_2_in_one_line(args: list[str], message: str) -> None:
    proc = _cli(*args, env=dict(os.environ))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_loaded_document_is_reusable(local_ecr: LocalEcr, isolated_aws_env: Path) -> None:
    doc = load(SPEC)
    results = [
        run_workflow(
            doc,
            "publish-image",
            _inputs(f"r{i}-{uuid.uuid4().hex[:6]}"),
            aws=local_ecr.aws_settings(),
        )
        for i in range(3)
    ]
    assert all(r.success for r in results)


def test_const_header_of_the_description_is_sent_when_the_step_omits_it(
    local_ecr: LocalEcr, isolated_aws_env: Path, tmp_path: Path
) -> None:
    """The generated description pins X-Amz-Target with `const`: a step may leave it out."""
    import yaml

    data = yaml.safe_load(SPEC.read_text())
    for step in data["workflows"][0]["steps"]:
        del step["parameters"]
    (tmp_path / "arazzo").mkdir()
    (tmp_path / "openapi").mkdir()
    (tmp_path / "openapi" / "amazon-ecr-openapi.yml").write_bytes(
        (ROOT / "specs" / "openapi" / "amazon-ecr-openapi.yml").read_bytes()
    )
    document = tmp_path / "arazzo" / "flow.yml"
    document.write_text(yaml.safe_dump(data, sort_keys=False))
    from arazzo_engine import validate

    assert validate(document).ok
    tag = f"const-{uuid.uuid4().hex[:8]}"
    result = run_workflow(document, "publish-image", _inputs(tag), aws=local_ecr.aws_settings())
    assert result.success, result.error
    sent = dict(result.step("verifyImage").request.headers)  # type: ignore[union-attr]
    assert sent["x-amz-target"] == "AmazonEC2ContainerRegistry_V20150921.BatchGetImage"


def test_cli_local_ecr_follows_aws_region(isolated_aws_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = _run_bundled("--local-ecr", "--aws-region", "eu-west-1", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    arn = json.loads(proc.stdout)[0]["outputs"]["repositories"][0]["repositoryArn"]
    assert arn.startswith("arn:aws:ecr:eu-west-1:")


def test_resolve_urls_shows_the_aws_endpoint_without_credentials(
    isolated_aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arazzo_engine import resolve_urls

    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:4566")
    urls = resolve_urls(SPEC, "publish-image", aws=AwsSettings(region="eu-west-1"))
    assert {url for _, _, url, _ in urls} == {"http://127.0.0.1:4566/"}
    assert all("(no credentials)" in (label or "") for *_, label in urls)
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR")
    urls = resolve_urls(SPEC, "publish-image", aws=AwsSettings(region="eu-west-1"))
    assert {url for _, _, url, _ in urls} == {"https://api.ecr.eu-west-1.amazonaws.com/"}
