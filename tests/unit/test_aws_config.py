"""The AWS configuration chain is resolved once and reused; a changed input resolves again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import PartialCredentialsError

from arazzo_engine import AwsSettings
from arazzo_engine.auth import SigV4Scheme
from arazzo_engine.aws.config import clear_aws_cache, resolve_aws
from arazzo_engine.errors import AuthError

ECR = SigV4Scheme(signing_name="ecr", service_id="ECR", scheme_name="awsSigV4")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    (tmp_path / "config").write_text("", encoding="utf-8")
    (tmp_path / "credentials").write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDONE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-one")
    clear_aws_cache()
    return tmp_path


def _key_id(binding_auth: object) -> str:
    credentials = binding_auth._credentials  # type: ignore[attr-defined]
    return str(credentials.get_frozen_credentials().access_key)


def test_the_chain_is_resolved_once_and_reused(aws_env: Path) -> None:
    first = resolve_aws(ECR)
    again = resolve_aws(ECR)
    assert again is first
    assert again.auth._credentials is first.auth._credentials  # type: ignore[attr-defined]


def test_a_changed_environment_is_honoured(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = resolve_aws(ECR)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTWO")
    second = resolve_aws(ECR)
    assert second is not first and _key_id(second.auth) == "AKIDTWO"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert resolve_aws(ECR).region == "us-west-2"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDONE")
    assert resolve_aws(ECR) is first  # back to the first environment: the kept answer


def test_explicit_settings_are_a_different_key(aws_env: Path) -> None:
    default = resolve_aws(ECR)
    explicit = resolve_aws(ECR, AwsSettings(access_key_id="AKIDX", secret_access_key="sx"))
    assert explicit is not default and _key_id(explicit.auth) == "AKIDX"
    assert resolve_aws(ECR, AwsSettings(region="ap-south-1")).region == "ap-south-1"


def test_an_edited_profile_is_honoured(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_REGION")
    config = aws_env / "config"
    config.write_text("[default]\nregion = us-east-2\n", encoding="utf-8")
    (aws_env / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n", encoding="utf-8"
    )
    assert resolve_aws(ECR).region == "us-east-2"
    config.write_text("[default]\nregion = ca-central-1\n", encoding="utf-8")
    os.utime(config, ns=(1, 1_700_000_000_000_000_000))  # a different modification time
    assert resolve_aws(ECR).region == "ca-central-1"


def test_refreshable_credentials_are_kept_as_botocore_objects(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A credential_process profile: botocore's refreshable object is reused, so it renews."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    script = aws_env / "creds.py"
    script.write_text(
        "import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDPROC', "
        "'SecretAccessKey': 's', 'SessionToken': 't', "
        "'Expiration': '2000-01-01T00:00:00Z'}))\n",
        encoding="utf-8",
    )
    (aws_env / "config").write_text(
        f"[default]\ncredential_process = {sys.executable} {script}\n", encoding="utf-8"
    )
    binding = resolve_aws(ECR)
    credentials = binding.auth._credentials  # type: ignore[attr-defined]
    assert isinstance(credentials, RefreshableCredentials)
    assert resolve_aws(ECR).auth._credentials is credentials  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_botocore() -> None:
    code = "import sys, arazzo_engine; print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_environment_keys_need_no_botocore_session(aws_env: Path) -> None:
    from arazzo_engine.aws import config

    (aws_env / "config").unlink()
    binding = resolve_aws(ECR)
    assert _key_id(binding.auth) == "AKIDONE"
    chain = next(iter(config._chains.values()))
    assert chain.session._session is None  # botocore's EnvProvider, as its chain would pick


def test_a_run_from_the_environment_imports_no_botocore_session(aws_env: Path) -> None:
    """A fresh process resolving keys and region from the environment: botocore's session
    (and the client, waiter and docs modules it brings) is never imported."""
    (aws_env / "config").unlink()
    code = (
        "import sys\n"
        "from arazzo_engine.auth import SigV4Scheme\n"
        "from arazzo_engine.aws.config import resolve_aws\n"
        "binding = resolve_aws(SigV4Scheme(signing_name='ecr', service_id='ECR', "
        "scheme_name='s'))\n"
        "print(binding.auth._credentials.get_frozen_credentials().access_key, "
        "'botocore.session' in sys.modules, 'botocore.credentials' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["AKIDONE", "False", "False"]


def test_the_environment_variables_are_botocores() -> None:
    """The variables read without botocore are exactly those its EnvProvider reads."""
    from botocore.credentials import EnvProvider, ReadOnlyCredentials

    from arazzo_engine.aws import config

    assert config.ENV_ACCESS_KEY == EnvProvider.ACCESS_KEY
    assert config.ENV_SECRET_KEY == EnvProvider.SECRET_KEY
    assert list(config.ENV_TOKENS) == EnvProvider.TOKENS
    assert config.ENV_EXPIRY_TIME == EnvProvider.EXPIRY_TIME
    # (botocore before 1.35 reads no account id, and its frozen credentials have no such field)
    assert getattr(EnvProvider, "ACCOUNT_ID", None) in (None, config.ENV_ACCOUNT_ID)
    fields = ReadOnlyCredentials._fields
    assert config.FrozenEnvironmentCredentials._fields[: len(fields)] == fields


FILE_KEYS = "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n"
OTHER_PROFILE = "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other-secret\n"


@pytest.mark.parametrize(
    ("environment", "credentials_file"),
    [
        ({}, ""),
        ({"AWS_SESSION_TOKEN": "token-s"}, ""),
        ({"AWS_SECURITY_TOKEN": "token-x"}, ""),
        ({"AWS_SESSION_TOKEN": "token-s", "AWS_SECURITY_TOKEN": "token-x"}, ""),
        ({}, FILE_KEYS),
        ({"AWS_PROFILE": "other"}, FILE_KEYS + OTHER_PROFILE),
        ({"AWS_ACCESS_KEY_ID": ""}, FILE_KEYS),
        ({"AWS_SECRET_ACCESS_KEY": ""}, FILE_KEYS),
        ({"AWS_SESSION_TOKEN": ""}, FILE_KEYS),
        ({"AWS_SECURITY_TOKEN": "", "AWS_SESSION_TOKEN": "token-s"}, ""),
        ({"AWS_ACCOUNT_ID": "123456789012"}, ""),
        ({"AWS_ACCOUNT_ID": ""}, ""),
    ],
    ids=[
        "keys",
        "session-token",
        "security-token",
        "both-tokens",
        "keys-over-file",
        "profile",
        "empty-key-id",
        "empty-secret",
        "empty-token",
        "empty-security-token",
        "account-id",
        "empty-account-id",
    ],
)
def test_the_answer_is_botocores_own_chain(
    aws_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    credentials_file: str,
) -> None:
    """Whatever path the resolver takes (botocore's environment provider without a session,
    or a session), the credentials are those of botocore's full default chain, with real
    environment variables and shared files."""
    import botocore.session

    (aws_env / "credentials").write_text(credentials_file, encoding="utf-8")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    try:
        expected = botocore.session.Session().get_credentials().get_frozen_credentials()
    except PartialCredentialsError as exc:  # botocore refuses (a key without its secret)
        with pytest.raises(AuthError, match=str(exc.kwargs["cred_var"])):
            resolve_aws(ECR)
        return
    found = resolve_aws(ECR).auth._credentials.get_frozen_credentials()  # type: ignore[attr-defined]
    # keys, token and (botocore >= 1.35) account id
    assert {name: getattr(found, name) for name in expected._fields} == expected._asdict()


def test_expiring_environment_credentials_stay_refreshable(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "t")
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", "2999-01-01T00:00:00Z")
    credentials = resolve_aws(ECR).auth._credentials  # type: ignore[attr-defined]
    assert isinstance(credentials, RefreshableCredentials)
    assert credentials.get_frozen_credentials().access_key == "AKIDONE"
