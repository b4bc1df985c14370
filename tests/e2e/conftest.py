"""Fixtures for end-to-end tests against a local, SigV4-verifying Amazon ECR (moto)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine.aws.local_ecr import LocalEcr

AWS_ENV_PREFIXES = ("AWS_",)


@pytest.fixture(scope="session")
def local_ecr() -> Iterator[LocalEcr]:
    """A started :class:`arazzo_engine.aws.local_ecr.LocalEcr`, shared by the whole session.

    It has the repository ``arazzo/demo`` in ``us-east-1``; tests that push images should use
    their own tags so that they do not depend on each other.
    """
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        pytest.skip("moto[server] is not installed: pip install 'arazzo-engine[local]'")
    with LocalEcr() as ecr:
        yield ecr


@pytest.fixture
def isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Clear every ``AWS_*`` variable and point botocore at empty temporary config files.

    Instance metadata is disabled, so nothing reads ``~/.aws`` or waits for IMDS. Returns the
    directory holding ``config`` and ``credentials`` (both empty; tests may write them).
    """
    for name in list(os.environ):
        if name.startswith(AWS_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").write_text("", encoding="utf-8")
    (tmp_path / "credentials").write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path
