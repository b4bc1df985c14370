"""SigV4 beyond ECR: a workflow against the generated DynamoDB description, on moto's server
with request authentication on (moto recomputes every signature and checks session tokens)."""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine import AwsSettings, run_workflow
from arazzo_engine.api import resolve_urls
from arazzo_engine.auth import resolve_aws, sigv4_scheme
from arazzo_engine.aws.local_ecr import LocalAws
from tests.conftest import DATA, ROOT

DOC = DATA / "auth" / "dynamodb.arazzo.yaml"
DESCRIPTION = ROOT / "specs" / "openapi" / "amazon-dynamodb-openapi.yml"


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAws]:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        pytest.skip("moto[server] is not installed: pip install 'arazzo-engine[local]'")
    with LocalAws(actions=["dynamodb:*", "iam:*", "sts:*"]) as aws:
        yield aws


def _inputs() -> dict[str, str]:
    return {"tableName": f"t-{uuid.uuid4().hex[:10]}", "id": "k1", "message": "hello dynamo"}


def _settings(aws: LocalAws, **over: str) -> AwsSettings:
    values = {
        "region": aws.region,
        "access_key_id": aws.access_key_id,
        "secret_access_key": aws.secret_access_key,
        "endpoint_url": aws.endpoint_url,
        **over,
    }
    return AwsSettings(**values)


def test_description_is_recognised_as_sigv4() -> None:
    import yaml

    scheme = sigv4_scheme(yaml.safe_load(DESCRIPTION.read_text(encoding="utf-8")))
    assert scheme is not None
    assert (scheme.signing_name, scheme.service_id) == ("dynamodb", "DynamoDB")


def test_round_trip_with_a_long_term_key(local_aws: LocalAws) -> None:
    inputs = _inputs()
    result = run_workflow(DOC, "put-and-get", inputs, aws=_settings(local_aws))
    assert result.success, result.error
    assert result.outputs == {"message": "hello dynamo", "tableStatus": "ACTIVE"}
    step = result.step("putItem")
    assert step.request is not None
    headers = dict(step.request.headers)
    assert headers["x-amz-target"] == "DynamoDB_20120810.PutItem"
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=***")
    assert "/dynamodb/" not in headers["authorization"]  # the scope is masked with the key
    # the item is really there: read it back with a raw signed call
    raw = local_aws.json_call(
        "dynamodb",
        "DynamoDB_20120810.GetItem",
        {"TableName": inputs["tableName"], "Key": {"id": {"S": "k1"}}},
    )
    assert raw.json()["Item"]["message"] == {"S": "hello dynamo"}


def test_session_token_credentials_work_and_stay_secret(local_aws: LocalAws) -> None:
    temporary = local_aws.assume_role(["dynamodb:*"])
    settings = _settings(
        local_aws,
        access_key_id=temporary.access_key_id,
        secret_access_key=temporary.secret_access_key,
        session_token=temporary.session_token,
    )
    result = run_workflow(DOC, "put-and-get", _inputs(), aws=settings)
    assert result.success, result.error
    headers = dict(result.steps[0].request.headers)  # type: ignore[union-attr]
    assert headers["x-amz-security-token"] == "***"
    dumped = json.dumps(result.to_dict())
    assert temporary.session_token not in dumped
    assert temporary.secret_access_key not in dumped


def test_wrong_session_token_fails_with_the_servers_error(local_aws: LocalAws) -> None:
    temporary = local_aws.assume_role(["dynamodb:*"], role_name="arazzo-wrong-token")
    settings = _settings(
        local_aws,
        access_key_id=temporary.access_key_id,
        secret_access_key=temporary.secret_access_key,
        session_token=temporary.session_token[:-4] + "AAAA",
    )
    result = run_workflow(DOC, "put-and-get", _inputs(), aws=settings)
    assert not result.success
    first = result.steps[0]
    assert first.status_code == 403
    assert "InvalidClientTokenId" in (first.error or "")
    assert len(result.steps) == 1


def test_wrong_secret_fails_with_the_servers_error(local_aws: LocalAws) -> None:
    settings = _settings(local_aws, secret_access_key="not-the-secret-key")
    result = run_workflow(DOC, "put-and-get", _inputs(), aws=settings)
    assert not result.success
    assert result.steps[0].status_code == 403
    assert "SignatureDoesNotMatch" in (result.error or "")


def test_profile_and_endpoint_from_the_standard_aws_configuration(
    local_aws: LocalAws, isolated_aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = local_aws.assume_role(["dynamodb:*"], role_name="arazzo-profile-role")
    (isolated_aws_env / "credentials").write_text(
        "[arazzo-test]\n"
        f"aws_access_key_id = {temporary.access_key_id}\n"
        f"aws_secret_access_key = {temporary.secret_access_key}\n"
        f"aws_session_token = {temporary.session_token}\n",
        encoding="utf-8",
    )
    (isolated_aws_env / "config").write_text(
        "[profile arazzo-test]\nregion = us-east-1\n", encoding="utf-8"
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", local_aws.endpoint_url)
    result = run_workflow(DOC, "put-and-get", _inputs(), aws=AwsSettings(profile="arazzo-test"))
    assert result.success, result.error
    urls = resolve_urls(DOC, "put-and-get", aws=AwsSettings(profile="arazzo-test"))
    assert [u[0] for u in urls] == ["createTable", "putItem", "getItem"]
    assert all(u[2] == local_aws.endpoint_url + "/" for u in urls)
    assert all("AWS SigV4" in (u[3] or "") for u in urls)
    assert resolve_aws  # the same resolution path the ECR workflow uses
