"""What a run on Temporal carries, and what a worker brings to it (no run-core dependency).

A run's workflow input (kept in Temporal's history: **no secrets**), made by `run_args`::

    {"document": "/abs/path/or/URL", "workflowId": "...", "inputs": {...},
     "settings": {"servers": {...}, "serverVariables": {...}, "timeout": 30, ...,
                  "aws": {"region": ..., "endpointUrl": ..., "profile": ...}}}

A worker's own configuration (`WorkerConfig`, set with `configure`): credentials (``auth``, a
credentials file, ``ARAZZO_AUTH_*`` variables, the AWS credential chain or keys), TLS client
certificates, proxies, and *secret inputs*: the values of inputs whose schema marks them secret
(``format: password`` / ``writeOnly``). The core sees a placeholder for each secret input
(`placeholder`); the HTTP activity swaps the real value in on the worker and masks it again in
what it answers, so a secret input never enters the history. A secret input must be a string,
and criteria and outputs see the placeholder, not the value.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..auth.sigv4 import AwsSettings
from ..document.model import Document, load
from ..errors import ConfigurationError

__all__ = [
    "PREPARE",
    "PROGRAM",
    "WORKER_SETTINGS",
    "WorkerConfig",
    "configure",
    "current",
    "document",
    "placeholder",
    "run_args",
    "run_settings",
]

PROGRAM = "arazzo"
PREPARE = "arazzo.prepare"

#: The settings a starter may send (none of them is a secret), by their JSON name.
PLAIN_SETTINGS: dict[str, str] = {
    "servers": "servers",
    "serverVariables": "server_variables",
    "timeout": "timeout",
    "connectTimeout": "connect_timeout",
    "readTimeout": "read_timeout",
    "stepTimeouts": "step_timeouts",
    "maxSteps": "max_steps",
    "maxWait": "max_wait",
    "contract": "contract",
    "maxBody": "max_body",
    "stepMaxBody": "step_max_body",
}
#: Settings that hold or lead to secrets: the worker's own, never a starter's.
WORKER_SETTINGS = frozenset({"auth", "credentials_file", "verify", "cert", "proxy"})


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker brings to every run: ``settings`` (credentials: ``auth``,
    ``credentials_file``; TLS: ``verify``, ``cert``; ``proxy``; ``aws``: an `AwsSettings` whose
    unset fields the starter's region/endpoint may fill) and ``secret_inputs`` (input name ->
    value, or workflowId -> {name: value})."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    secret_inputs: Mapping[str, Any] = field(default_factory=dict)

    def secrets_for(self, workflow_id: str) -> dict[str, str]:
        """The secret inputs for ``workflow_id`` (its own entry over the shared ones)."""
        shared = {k: v for k, v in self.secret_inputs.items() if not isinstance(v, Mapping)}
        own = self.secret_inputs.get(workflow_id)
        merged = {**shared, **(own if isinstance(own, Mapping) else {})}
        return {str(k): str(v) for k, v in merged.items()}


_CONFIG = WorkerConfig()
LOCK = threading.Lock()
_DOCUMENTS: dict[str, tuple[Document, str]] = {}
#: Bound runs per (document, workflow, settings) on this worker (their auth flows keep tokens).
PREPARED: dict[str, Any] = {}


def configure(config: WorkerConfig) -> None:
    """Set this worker process's configuration (before the worker starts)."""
    global _CONFIG
    _CONFIG = config
    PREPARED.clear()


def current() -> WorkerConfig:
    """This worker process's configuration."""
    return _CONFIG


def placeholder(name: str) -> str:
    """What the core sees for the secret input ``name`` (the worker swaps the real value in)."""
    return f"arazzo-secret-input-{name}"


def run_args(
    document: str | os.PathLike[str],
    workflow_id: str,
    inputs: Mapping[str, Any] | None,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The workflow input for a run: ``settings`` are `RunSettings` without secrets (a
    credential setting raises ConfigurationError: credentials live on the workers)."""
    refused = sorted(k for k in settings if k in WORKER_SETTINGS and settings[k])
    if refused:
        raise ConfigurationError(
            f"{', '.join(refused)}: credentials, certificates and proxies are the workers' own "
            "on Temporal (give them to `arazzo-engine worker`), never a run's input"
        )
    names = {v: k for k, v in PLAIN_SETTINGS.items()}
    plain: dict[str, Any] = {}
    for key, value in settings.items():
        if value is None or key in WORKER_SETTINGS or key in ("observer", "redact"):
            continue
        if key == "aws":
            aws = value
            if aws.access_key_id or aws.secret_access_key or aws.session_token:
                raise ConfigurationError(
                    "AWS keys are the workers' own on Temporal, never a run's input"
                )
            plain["aws"] = {
                k: v
                for k, v in (
                    ("region", aws.region),
                    ("profile", aws.profile),
                    ("endpointUrl", aws.endpoint_url),
                )
                if v
            }
            continue
        if key not in names:
            raise ConfigurationError(f"the setting {key!r} cannot be used on Temporal")
        plain[names[key]] = value
    text = os.fspath(document)
    uri = text if urlsplit(text).scheme in ("http", "https") else str(Path(text).resolve())
    return {
        "document": uri,
        "workflowId": workflow_id,
        "inputs": dict(inputs or {}),
        "settings": plain,
    }


def document(uri: str) -> tuple[Document, str]:
    """The document at ``uri`` (loaded once per worker process) and its digest."""
    with LOCK:
        found = _DOCUMENTS.get(uri)
        if found is None:
            data = b""
            if urlsplit(uri).scheme not in ("http", "https"):
                data = Path(uri).read_bytes()
            found = (load(uri), hashlib.sha256(data).hexdigest() if data else uri)
            _DOCUMENTS[uri] = found
        return found


def run_settings(args: Mapping[str, Any]) -> dict[str, Any]:
    """RunSettings: the starter's plain settings, the worker's own credentials."""
    given = args.get("settings") or {}
    out: dict[str, Any] = {PLAIN_SETTINGS[k]: v for k, v in given.items() if k in PLAIN_SETTINGS}
    worker = dict(_CONFIG.settings)
    aws_given = given.get("aws") or {}
    aws = worker.pop("aws", None) or AwsSettings()
    if aws_given:
        aws = replace(
            aws,
            region=aws.region or aws_given.get("region"),
            profile=aws.profile or aws_given.get("profile"),
            endpoint_url=aws.endpoint_url or aws_given.get("endpointUrl"),
        )
    out["aws"] = aws
    out.update({k: v for k, v in worker.items() if k in WORKER_SETTINGS})
    return out
