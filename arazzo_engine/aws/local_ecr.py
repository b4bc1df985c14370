"""A local Amazon ECR for examples and tests: moto's server with request authentication on.

`LocalEcr` starts ``python -m moto.server`` as a subprocess on 127.0.0.1, creates an
IAM user with an access key and an ``ecr:*`` policy during moto's first three unauthenticated
actions (``INITIAL_NO_AUTH_ACTION_COUNT=3``), then creates a repository signed with that key.
From then on moto verifies every request's SigV4 signature with botocore, so a wrong secret
gives 403 ``SignatureDoesNotMatch`` and an unknown key 403 ``InvalidClientTokenId``.

All calls are raw httpx requests signed by
[`arazzo_engine.auth.SigV4Auth`][arazzo_engine.auth.SigV4Auth]. moto runs with an isolated
environment: no ``AWS_*``/``MOTO_*`` variables from the caller, no shared
config files, instance metadata disabled. Needs the ``local`` extra
(``pip install 'arazzo-engine[local]'``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import botocore.credentials
import httpx

from arazzo_engine.auth.sigv4 import SigV4Auth
from arazzo_engine.aws.settings import AwsSettings
from arazzo_engine.errors import ArazzoError

__all__ = ["LocalAws", "LocalEcr", "LocalEcrError", "TemporaryCredentials"]

_Local = TypeVar("_Local", bound="LocalAws")

_HOST = "127.0.0.1"
_ECR_TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921"
_IAM_USER = "arazzo-local"
_BOOTSTRAP_KEY = ("testing", "testing")  # moto's no-auth window accepts any key


class LocalEcrError(ArazzoError):
    """The local ECR (moto) is not installed, did not start, or could not be bootstrapped."""


@dataclass(frozen=True, repr=False)
class TemporaryCredentials:
    """An access key with a session token (from STS AssumeRole on the local server)."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    def __repr__(self) -> str:
        return f"TemporaryCredentials(access_key_id={self.access_key_id!r}, ...)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((_HOST, port))
        except OSError:
            return False
        return True


def _missing_modules() -> list[str]:
    return [m for m in ("moto", "flask", "werkzeug") if importlib.util.find_spec(m) is None]


def _isolated_env(tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "BOTO_"))}
    env.update(
        {
            "INITIAL_NO_AUTH_ACTION_COUNT": "3",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(tmpdir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmpdir / "credentials"),
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the moto process and its process group; escalate to SIGKILL after 5 s."""
    if process.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=5)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        process.wait(timeout=5)


class LocalAws:
    """Throw-away AWS services on 127.0.0.1 (moto's server) that verify SigV4, as a context
    manager: every JSON-protocol service moto implements (DynamoDB, ECR, SQS...).

    ``with LocalAws() as aws:`` starts moto and creates an IAM user whose key may call
    ``actions`` (default: everything), exposing ``endpoint_url``, ``region``,
    ``access_key_id`` and ``secret_access_key``; `aws_settings` packs them for
    ``run_workflow(aws=...)``, `json_call` sends one signed awsJson request, and
    `assume_role` returns temporary credentials with a session token (STS).
    ``port=None`` picks a free port. `close` stops the server.
    """

    startup_timeout: float = 30.0

    def __init__(
        self,
        region: str = "us-east-1",
        port: int | None = None,
        actions: Sequence[str] = ("*",),
    ) -> None:
        self.region = region
        self.actions = list(actions)
        self._requested_port = port
        self.port: int | None = None
        self.endpoint_url = ""
        self.access_key_id = ""
        self.secret_access_key = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def __repr__(self) -> str:
        state = "running" if self._process and self._process.poll() is None else "stopped"
        return f"{type(self).__name__}(endpoint_url={self.endpoint_url!r}, {state})"

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self: _Local) -> _Local:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start moto and bootstrap the IAM key (idempotent)."""
        if self._process is not None:
            return
        missing = _missing_modules()
        if missing:
            raise LocalEcrError(
                f"the local ECR needs moto's server ({', '.join(missing)} not installed): "
                "pip install 'arazzo-engine[local]'"
            )
        try:
            self._launch()
            self._bootstrap()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the moto subprocess (its whole process group) and remove temporary files."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def _launch(self) -> None:
        self._tmpdir = tempfile.TemporaryDirectory(prefix="arazzo-local-ecr-")
        tmp = Path(self._tmpdir.name)
        attempts = 1 if self._requested_port is not None else 3
        if self._requested_port is not None and not _port_is_free(self._requested_port):
            raise LocalEcrError(f"port {self._requested_port} on {_HOST} is already in use")
        for attempt in range(attempts):
            port = self._requested_port or _free_port()
            log_path = tmp / f"moto-{attempt}.log"
            self._log = log_path.open("w+b")
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", _HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=_isolated_env(tmp),
                cwd=tmp,
                start_new_session=(os.name == "posix"),
            )
            self._process = process
            self._finalizer = weakref.finalize(self, _stop, process)
            self.port = port
            self.endpoint_url = f"http://{_HOST}:{port}"
            if self._wait_until_ready(process, log_path):
                return
            tail = self._log_tail(log_path)
            self._finalizer()
            self._process = None
            self._log.close()
            self._log = None
            if "address already in use" not in tail.lower() or attempt == attempts - 1:
                raise LocalEcrError(
                    f"moto's server did not start on {self.endpoint_url}; its output ends "
                    f"with:\n{tail}"
                )

    def _wait_until_ready(self, process: subprocess.Popen[bytes], log_path: Path) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    return False
                try:
                    client.get(f"{self.endpoint_url}/moto-api/")
                    return True
                except httpx.TransportError:
                    time.sleep(0.05)
        return False

    @staticmethod
    def _log_tail(log_path: Path, lines: int = 20) -> str:
        try:
            text = log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"

    # -- bootstrap ------------------------------------------------------------------------

    def _iam(self, client: httpx.Client, action: str, **params: str) -> ElementTree.Element:
        form = {"Action": action, "Version": "2010-05-08", **params}
        response = client.post(
            f"{self.endpoint_url}/",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        if response.status_code != 200:
            raise LocalEcrError(
                f"IAM {action} on the local ECR failed with HTTP {response.status_code}"
            )
        return ElementTree.fromstring(response.content)

    def _bootstrap(self) -> None:
        dummy = botocore.credentials.Credentials(*_BOOTSTRAP_KEY)
        iam_auth = SigV4Auth(dummy, "iam", "us-east-1", label="local ECR bootstrap")
        with httpx.Client(auth=iam_auth, timeout=10.0) as client:
            self._iam(client, "CreateUser", UserName=_IAM_USER)
            key = self._iam(client, "CreateAccessKey", UserName=_IAM_USER)
            key_id = key.find(".//{*}AccessKeyId")
            secret = key.find(".//{*}SecretAccessKey")
            if key_id is None or secret is None or not key_id.text or not secret.text:
                raise LocalEcrError("IAM CreateAccessKey on the local ECR returned no key")
            self.access_key_id = key_id.text
            self.secret_access_key = secret.text
            policy = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": self.actions, "Resource": "*"}],
            }
            self._iam(
                client,
                "PutUserPolicy",
                UserName=_IAM_USER,
                PolicyName="arazzo-local",
                PolicyDocument=json.dumps(policy),
            )

    # -- use ------------------------------------------------------------------------------

    def aws_settings(self) -> AwsSettings:
        """The region, key and endpoint of this local server, for ``run_workflow(aws=...)``."""
        return AwsSettings(
            region=self.region,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            endpoint_url=self.endpoint_url,
        )

    def json_call(
        self,
        signing_name: str,
        target: str,
        payload: dict[str, Any],
        content_type: str = "application/x-amz-json-1.0",
    ) -> httpx.Response:
        """POST one awsJson request (``X-Amz-Target: target``) signed with this server's key."""
        if not self.endpoint_url:
            raise LocalEcrError("the local AWS server is not running")
        credentials = botocore.credentials.Credentials(self.access_key_id, self.secret_access_key)
        auth = SigV4Auth(credentials, signing_name, self.region, label="local AWS")
        with httpx.Client(auth=auth, timeout=10.0) as client:
            return client.post(
                f"{self.endpoint_url}/",
                content=json.dumps(payload).encode("utf-8"),
                headers={"Content-Type": content_type, "X-Amz-Target": target},
            )

    def assume_role(
        self, actions: Sequence[str] = ("*",), role_name: str = "arazzo-local-role"
    ) -> TemporaryCredentials:
        """Create a role allowed ``actions`` and assume it (STS): credentials with a session
        token, which moto checks on every request signed with them."""
        credentials = botocore.credentials.Credentials(self.access_key_id, self.secret_access_key)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ],
        }
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
        with httpx.Client(
            auth=SigV4Auth(credentials, "iam", "us-east-1", label="local IAM"), timeout=10.0
        ) as client:
            role = self._iam(
                client,
                "CreateRole",
                RoleName=role_name,
                AssumeRolePolicyDocument=json.dumps(trust),
            )
            arn = role.find(".//{*}Arn")
            self._iam(
                client,
                "PutRolePolicy",
                RoleName=role_name,
                PolicyName="arazzo-local-role",
                PolicyDocument=json.dumps(policy),
            )
        sts_auth = SigV4Auth(credentials, "sts", self.region, label="local STS")
        with httpx.Client(auth=sts_auth, timeout=10.0) as client:
            response = client.post(
                f"{self.endpoint_url}/",
                data={
                    "Action": "AssumeRole",
                    "Version": "2011-06-15",
                    "RoleArn": arn.text if arn is not None and arn.text else "",
                    "RoleSessionName": "arazzo",
                },
            )
        if response.status_code != 200:
            raise LocalEcrError(f"STS AssumeRole on the local server: HTTP {response.status_code}")
        tree = ElementTree.fromstring(response.content)
        names = ("AccessKeyId", "SecretAccessKey", "SessionToken")
        found = [tree.find(f".//{{*}}{name}") for name in names]
        values = [f.text if f is not None and f.text else "" for f in found]
        if not all(values):
            raise LocalEcrError("STS AssumeRole on the local server returned no credentials")
        return TemporaryCredentials(*values)


class LocalEcr(LocalAws):
    """A throw-away Amazon ECR on 127.0.0.1 that verifies SigV4, as a context manager.

    ``with LocalEcr() as ecr:`` starts moto, creates the IAM key and ``repository`` (in
    ``region``) and exposes ``endpoint_url``, ``region``, ``access_key_id``,
    ``secret_access_key`` and ``repository``; `aws_settings` packs them for
    [`resolve_aws`][arazzo_engine.aws.config.resolve_aws]. ``port=None`` picks a
    free port. `close` (called on exit, and on any error while starting) stops the server.
    """

    def __init__(
        self,
        repository: str = "arazzo/demo",
        region: str = "us-east-1",
        port: int | None = None,
    ) -> None:
        super().__init__(region=region, port=port, actions=["ecr:*"])
        self.repository = repository

    def __repr__(self) -> str:
        state = "running" if self._process and self._process.poll() is None else "stopped"
        return (
            f"LocalEcr(endpoint_url={self.endpoint_url!r}, region={self.region!r}, "
            f"repository={self.repository!r}, {state})"
        )

    def _bootstrap(self) -> None:
        super()._bootstrap()
        response = self.call("CreateRepository", {"repositoryName": self.repository})
        if response.status_code != 200:
            raise LocalEcrError(
                f"CreateRepository {self.repository!r} on the local ECR failed with "
                f"HTTP {response.status_code}: {response.text[:500]}"
            )

    def auth(self) -> SigV4Auth:
        """A [`SigV4Auth`][arazzo_engine.auth.SigV4Auth] signing for ECR with this local key."""
        credentials = botocore.credentials.Credentials(self.access_key_id, self.secret_access_key)
        return SigV4Auth(credentials, "ecr", self.region, label="local ECR")

    def call(self, operation: str, payload: dict[str, Any]) -> httpx.Response:
        """POST one signed awsJson1.1 ECR operation (``"DescribeRepositories"``...) to moto."""
        if not self.endpoint_url:
            raise LocalEcrError("the local ECR is not running")
        with httpx.Client(auth=self.auth(), timeout=10.0) as client:
            return client.post(
                f"{self.endpoint_url}/",
                content=json.dumps(payload).encode("utf-8"),
                headers={
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": f"{_ECR_TARGET_PREFIX}.{operation}",
                },
            )
