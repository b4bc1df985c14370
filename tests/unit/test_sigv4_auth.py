"""SigV4Auth on httpx requests, credential/region/endpoint resolution and scheme recognition."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import botocore.auth
import botocore.awsrequest
import httpx
import pytest
from botocore.credentials import Credentials, ReadOnlyCredentials

from arazzo_engine.auth import (
    AwsSettings,
    SigV4Auth,
    SigV4Scheme,
    resolve_aws,
    sigv4_scheme,
)
from arazzo_engine.errors import AuthError, DocumentError

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN//////////"
PINNED = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
TARGET = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
ECR = SigV4Scheme(signing_name="ecr", service_id="ECR", scheme_name="awsSigV4")


def shared_dir() -> Path:
    env = os.environ.get("ARAZZO_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


class Recorder:
    """A transport that records the requests exactly as httpx hands them over."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(200, json={})


def send(auth: httpx.Auth, **kwargs: Any) -> httpx.Request:
    recorder = Recorder()
    with httpx.Client(auth=auth, transport=httpx.MockTransport(recorder)) as client:
        client.post("https://api.ecr.us-east-1.amazonaws.com/", **kwargs)
    assert len(recorder.requests) == 1
    return recorder.requests[0]


def ecr_post(
    auth: httpx.Auth, body: bytes = b'{"repositoryNames": ["arazzo/demo"]}'
) -> httpx.Request:
    return send(
        auth,
        content=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET},
    )


def parse_authorization(value: str) -> dict[str, str]:
    algorithm, _, rest = value.partition(" ")
    assert algorithm == "AWS4-HMAC-SHA256"
    return dict(part.strip().split("=", 1) for part in rest.split(","))


def verify_like_a_server(request: httpx.Request, secret: str, token: str | None = None) -> bool:
    """Recompute the signature from the request as sent, the way moto does, with botocore."""
    fields = parse_authorization(request.headers["Authorization"])
    access_key, _date, region, service, _scope_end = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    aws_request = botocore.awsrequest.AWSRequest(
        method=request.method,
        url=str(request.url),
        data=request.content,
        headers={name: request.headers[name] for name in signed},
    )
    aws_request.context["timestamp"] = request.headers["X-Amz-Date"]
    signer = botocore.auth.SigV4Auth(Credentials(access_key, secret, token), service, region)
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    return bool(expected == fields["Signature"])


# -- signing ---------------------------------------------------------------------------------


def test_signs_awsjson_request_with_expected_headers() -> None:
    auth = SigV4Auth(Credentials(KEY, SECRET), "ecr", "us-east-1", clock=lambda: PINNED)
    sent = ecr_post(auth)
    assert sent.headers["X-Amz-Date"] == "20261127T120000Z"
    fields = parse_authorization(sent.headers["Authorization"])
    assert fields["Credential"] == f"{KEY}/20261127/us-east-1/ecr/aws4_request"
    assert fields["SignedHeaders"] == "content-type;host;x-amz-date;x-amz-target"
    assert len(fields["Signature"]) == 64
    assert "X-Amz-Security-Token" not in sent.headers
    assert verify_like_a_server(sent, SECRET)


def test_signature_is_deterministic_with_pinned_clock() -> None:
    auth = SigV4Auth(Credentials(KEY, SECRET), "ecr", "us-east-1", clock=lambda: PINNED)
    first = ecr_post(auth).headers["Authorization"]
    second = ecr_post(auth).headers["Authorization"]
    assert first == second


def test_session_token_is_added_and_signed() -> None:
    auth = SigV4Auth(Credentials(KEY, SECRET, TOKEN), "ecr", "us-east-1", clock=lambda: PINNED)
    sent = ecr_post(auth)
    assert sent.headers.get_list("X-Amz-Security-Token") == [TOKEN]
    fields = parse_authorization(sent.headers["Authorization"])
    assert fields["SignedHeaders"] == (
        "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
    )
    assert verify_like_a_server(sent, SECRET, TOKEN)


def test_user_agent_and_transport_headers_are_not_signed() -> None:
    auth = SigV4Auth(Credentials(KEY, SECRET), "ecr", "us-east-1", clock=lambda: PINNED)
    sent = send(
        auth,
        content=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET,
            "User-Agent": "custom-agent/1.0",
            "X-Custom": "kept",
        },
    )
    signed = parse_authorization(sent.headers["Authorization"])["SignedHeaders"].split(";")
    assert "user-agent" not in signed
    assert not {"accept", "accept-encoding", "connection", "content-length"} & set(signed)
    assert "x-custom" in signed
    assert sent.headers["User-Agent"] == "custom-agent/1.0"
    assert verify_like_a_server(sent, SECRET)


def test_bytes_signed_are_bytes_sent() -> None:
    body = json.dumps({"repositoryNames": ["ünïcode/ok"]}, ensure_ascii=False).encode("utf-8")
    auth = SigV4Auth(Credentials(KEY, SECRET), "ecr", "us-east-1", clock=lambda: PINNED)
    sent = ecr_post(auth, body)
    assert sent.content == body
    assert verify_like_a_server(sent, SECRET)
    assert not verify_like_a_server(sent, "wrong-secret")


def test_query_is_reencoded_and_signed_as_sent() -> None:
    auth = SigV4Auth(Credentials(KEY, SECRET), "ecr", "us-east-1", clock=lambda: PINNED)
    recorder = Recorder()
    with httpx.Client(auth=auth, transport=httpx.MockTransport(recorder)) as client:
        client.get(
            "https://example.amazonaws.com/a%20b/",
            params={"q": "a b+c/d", "z": "~ok", "k": "ሴ"},
        )
    sent = recorder.requests[0]
    assert sent.url.query == b"q=a%20b%2Bc%2Fd&z=~ok&k=%E1%88%B4"
    assert sent.url.raw_path.startswith(b"/a%20b/?")
    assert verify_like_a_server(sent, SECRET)


def test_existing_auth_headers_are_replaced_not_duplicated() -> None:
    auth = SigV4Auth(Credentials(KEY, SECRET, TOKEN), "ecr", "us-east-1", clock=lambda: PINNED)
    sent = send(
        auth,
        content=b"{}",
        headers={
            "Authorization": "stale",
            "X-Amz-Date": "20000101T000000Z",
            "X-Amz-Security-Token": "stale-token",
        },
    )
    assert sent.headers.get_list("Authorization") != ["stale"]
    assert len(sent.headers.get_list("Authorization")) == 1
    assert sent.headers.get_list("X-Amz-Date") == ["20261127T120000Z"]
    assert sent.headers.get_list("X-Amz-Security-Token") == [TOKEN]


def test_frozen_credentials_are_taken_per_request() -> None:
    class Rotating:
        def __init__(self) -> None:
            self.calls = 0

        def get_frozen_credentials(self) -> ReadOnlyCredentials:
            self.calls += 1
            return ReadOnlyCredentials(f"AKIDROT{self.calls}", SECRET, None)

    source = Rotating()
    auth = SigV4Auth(source, "ecr", "us-east-1", clock=lambda: PINNED)
    first = parse_authorization(ecr_post(auth).headers["Authorization"])["Credential"]
    second = parse_authorization(ecr_post(auth).headers["Authorization"])["Credential"]
    assert source.calls == 2
    assert first.startswith("AKIDROT1/") and second.startswith("AKIDROT2/")


def test_failing_credentials_never_send_an_unsigned_request() -> None:
    class Broken:
        def get_frozen_credentials(self) -> ReadOnlyCredentials:
            from botocore.exceptions import CredentialRetrievalError

            raise CredentialRetrievalError(provider="custom-process", error_msg="boom")

    recorder = Recorder()
    auth = SigV4Auth(Broken(), "ecr", "us-east-1", label="security scheme 'awsSigV4'")
    with (
        httpx.Client(auth=auth, transport=httpx.MockTransport(recorder)) as client,
        pytest.raises(AuthError, match=r"security scheme 'awsSigV4'.*'ecr'.*boom"),
    ):
        client.post("https://api.ecr.us-east-1.amazonaws.com/", content=b"{}")
    assert recorder.requests == []


def test_repr_of_auth_has_no_secret() -> None:
    auth = SigV4Auth(Credentials(KEY, SECRET, TOKEN), "ecr", "us-east-1")
    assert SECRET not in repr(auth) and TOKEN not in repr(auth)


# -- settings and resolution ------------------------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS_* variables, empty temp config/credentials files, instance metadata disabled."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    (tmp_path / "config").write_text("", encoding="utf-8")
    (tmp_path / "credentials").write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def test_settings_repr_masks_secret_and_token() -> None:
    settings = AwsSettings(
        region="eu-west-1",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key=SECRET,
        session_token=TOKEN,
    )
    text = repr(settings)
    assert SECRET not in text and TOKEN not in text
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "MPLE" in text
    assert "eu-west-1" in text
    assert str(settings) == text


def test_explicit_settings_win(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    binding = resolve_aws(
        ECR,
        AwsSettings(
            region="eu-central-1",
            access_key_id=KEY,
            secret_access_key=SECRET,
            endpoint_url="http://127.0.0.1:2",
        ),
    )
    assert binding.region == "eu-central-1"
    assert binding.server_variables == {"region": "eu-central-1"}
    assert binding.endpoint_url == "http://127.0.0.1:2"
    assert binding.signing_name == "ecr"
    sent = ecr_post(binding.auth)
    assert parse_authorization(sent.headers["Authorization"])["Credential"].startswith(f"{KEY}/")
    assert "/eu-central-1/ecr/" in sent.headers["Authorization"]


def test_region_order(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    (aws_env / "config").write_text("[default]\nregion = ap-southeast-2\n", encoding="utf-8")
    assert resolve_aws(ECR).region == "ap-southeast-2"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert resolve_aws(ECR).region == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert resolve_aws(ECR).region == "us-west-2"
    assert resolve_aws(ECR, AwsSettings(region="sa-east-1")).region == "sa-east-1"


def test_missing_region_is_an_auth_error(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    with pytest.raises(AuthError, match=r"no AWS region configured.*set AWS_REGION") as info:
        resolve_aws(ECR)
    assert SECRET not in str(info.value)


def test_invalid_region_is_rejected(aws_env: Path) -> None:
    with pytest.raises(AuthError, match="invalid AWS region"):
        resolve_aws(
            ECR,
            AwsSettings(region="evil.example.com/", access_key_id=KEY, secret_access_key=SECRET),
        )


def test_endpoint_order(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert resolve_aws(ECR).endpoint_url is None
    (aws_env / "config").write_text(
        "[default]\nendpoint_url = http://127.0.0.1:9001\n", encoding="utf-8"
    )
    assert resolve_aws(ECR).endpoint_url == "http://127.0.0.1:9001"
    (aws_env / "config").write_text(
        "[default]\nservices = local\nendpoint_url = http://127.0.0.1:9001\n"
        "[services local]\necr =\n  endpoint_url = http://127.0.0.1:9002\n",
        encoding="utf-8",
    )
    assert resolve_aws(ECR).endpoint_url == "http://127.0.0.1:9002"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9003")
    assert resolve_aws(ECR).endpoint_url == "http://127.0.0.1:9003"
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9004")
    assert resolve_aws(ECR).endpoint_url == "http://127.0.0.1:9004"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert resolve_aws(ECR).endpoint_url is None
    explicit = AwsSettings(endpoint_url="http://127.0.0.1:9005")
    assert resolve_aws(ECR, explicit).endpoint_url == "http://127.0.0.1:9005"


def test_service_id_with_spaces_maps_to_env_name(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = SigV4Scheme(signing_name="ecr-public", service_id="ECR PUBLIC", scheme_name="s")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR_PUBLIC", "http://127.0.0.1:9006")
    assert resolve_aws(scheme).endpoint_url == "http://127.0.0.1:9006"


def test_env_credentials(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "envtoken")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    sent = ecr_post(resolve_aws(ECR).auth)
    assert sent.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDENV/")
    assert sent.headers["X-Amz-Security-Token"] == "envtoken"
    assert verify_like_a_server(sent, "envsecret", "envtoken")


def test_profile_from_temp_credentials_file(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_env / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = defsecret\n"
        "[ci]\naws_access_key_id = AKIDCIPROFILE\naws_secret_access_key = cisecret\n",
        encoding="utf-8",
    )
    (aws_env / "config").write_text(
        "[default]\nregion = eu-west-1\n[profile ci]\nregion = ap-northeast-1\n",
        encoding="utf-8",
    )
    default = resolve_aws(ECR)
    assert default.region == "eu-west-1"
    assert "Credential=AKIDDEFAULT/" in ecr_post(default.auth).headers["Authorization"]

    ci = resolve_aws(ECR, AwsSettings(profile="ci"))
    assert ci.region == "ap-northeast-1"
    sent = ecr_post(ci.auth)
    assert "Credential=AKIDCIPROFILE/" in sent.headers["Authorization"]
    assert verify_like_a_server(sent, "cisecret")

    monkeypatch.setenv("AWS_PROFILE", "ci")
    assert resolve_aws(ECR).region == "ap-northeast-1"


def test_no_credentials_is_a_clear_auth_error(aws_env: Path) -> None:
    with pytest.raises(AuthError) as info:
        resolve_aws(ECR, AwsSettings(region="us-east-1"))
    message = str(info.value)
    assert message.startswith("no AWS credentials found: set AWS_ACCESS_KEY_ID")
    assert len(message) < 200


def test_missing_profile_is_an_auth_error(aws_env: Path) -> None:
    with pytest.raises(AuthError, match="nope"):
        resolve_aws(ECR, AwsSettings(profile="nope"))


def test_partial_explicit_credentials(aws_env: Path) -> None:
    with pytest.raises(AuthError, match="both access_key_id and secret_access_key") as info:
        resolve_aws(ECR, AwsSettings(region="us-east-1", secret_access_key=SECRET))
    assert SECRET not in str(info.value)
    with pytest.raises(AuthError, match="session token"):
        resolve_aws(ECR, AwsSettings(region="us-east-1", session_token=TOKEN))


# -- OpenAPI recognition ----------------------------------------------------------------------


def test_scheme_from_project_style_description() -> None:
    doc = {
        "info": {
            "x-aws-signingName": "ecr",
            "x-aws-serviceId": "ECR",
            "x-aws-endpointPrefix": "api.ecr",
        },
        "servers": [{"url": "https://api.ecr.{region}.amazonaws.com"}],
        "components": {
            "securitySchemes": {
                "other": {"type": "http", "scheme": "bearer"},
                "awsSigV4": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                    "x-aws-signingName": "ecr",
                },
            }
        },
    }
    assert sigv4_scheme(doc) == SigV4Scheme("ecr", "ECR", "awsSigV4")


def test_scheme_signing_name_precedence_and_case() -> None:
    doc: dict[str, Any] = {
        "info": {"x-aws-signingName": "from-info"},
        "components": {"securitySchemes": {"s": {"x-amazon-apigateway-authtype": "AWSSIGV4"}}},
    }
    assert sigv4_scheme(doc) == SigV4Scheme("from-info", None, "s")
    doc["components"]["securitySchemes"]["s"]["x-aws-signingName"] = "from-scheme"
    assert sigv4_scheme(doc) == SigV4Scheme("from-scheme", None, "s")


def test_scheme_signing_name_from_server_host() -> None:
    def doc(url: str) -> dict[str, Any]:
        return {
            "servers": [{"url": url}],
            "components": {"securitySchemes": {"s": {"x-amazon-apigateway-authtype": "awsSigv4"}}},
        }

    assert sigv4_scheme(doc("https://api.ecr.{region}.amazonaws.com")) == SigV4Scheme(
        "ecr", None, "s"
    )
    scheme = sigv4_scheme(doc("https://dynamodb.us-east-1.amazonaws.com"))
    assert scheme is not None and scheme.signing_name == "dynamodb"
    scheme = sigv4_scheme(doc("https://{id}.execute-api.{region}.amazonaws.com/prod"))
    assert scheme is not None and scheme.signing_name == "execute-api"
    with pytest.raises(DocumentError, match="no signing name"):
        sigv4_scheme(doc("https://example.com/"))


def test_no_sigv4_scheme() -> None:
    assert sigv4_scheme({}) is None
    assert sigv4_scheme({"components": {"securitySchemes": {"k": {"type": "apiKey"}}}}) is None


def test_scheme_from_apis_guru_description() -> None:
    path = shared_dir() / "aws-openapi" / "amazonaws.com" / "ecr" / "2015-09-21" / "openapi.json"
    if not path.is_file():
        pytest.skip(
            f"APIs-guru ECR description not found at {path}"
            " (not in this clone: see tests/README.md, ARAZZO_SHARED_DIR)"
        )
    scheme = sigv4_scheme(json.loads(path.read_text(encoding="utf-8")))
    assert scheme == SigV4Scheme(signing_name="ecr", service_id="ecr", scheme_name="hmac")


def test_scheme_from_generated_ecr_description() -> None:
    yaml = pytest.importorskip("yaml")
    path = Path(__file__).resolve().parents[2] / "specs" / "openapi" / "amazon-ecr-openapi.yml"
    if not path.is_file():
        pytest.skip(f"{path} is not generated yet")
    scheme = sigv4_scheme(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert scheme == SigV4Scheme(signing_name="ecr", service_id="ECR", scheme_name="awsSigV4")
