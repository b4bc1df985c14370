"""The public entry points: run a workflow, synchronously or asynchronously."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from .auth.sigv4 import AwsSettings
from .document.model import Document, load
from .results import RunResult
from .run.core import DEFAULT_MAX_STEPS, RunOptions, execute
from .run.drivers import drive_async, drive_sync
from .run.events import Observer
from .transport import TransportOptions, make_async_client, make_client

__all__ = ["arun_workflow", "run_workflow"]

Spec = str | os.PathLike[str] | Document


def _document(spec: Spec) -> Document:
    return spec if isinstance(spec, Document) else load(spec)


def _options(
    servers: Mapping[str, str] | None,
    server_variables: Mapping[str, Mapping[str, str]] | None,
    aws: AwsSettings | None,
    auth: Mapping[str, Any] | None,
    timeout: float,
    max_steps: int,
    contract: str,
    observer: Observer | None,
) -> RunOptions:
    return RunOptions(
        servers=dict(servers or {}),
        server_variables={k: dict(v) for k, v in (server_variables or {}).items()},
        aws=aws,
        auth=auth,
        timeout=timeout,
        max_steps=max_steps,
        contract=contract,
        observer=observer,
    )


def run_workflow(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    servers: Mapping[str, str] | None = None,
    server_variables: Mapping[str, Mapping[str, str]] | None = None,
    aws: AwsSettings | None = None,
    auth: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
    max_steps: int = DEFAULT_MAX_STEPS,
    contract: str = "off",
    observer: Observer | None = None,
    client: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
) -> RunResult:
    """Run one workflow of an Arazzo document and return its result.

    Args:
        spec: a path or URL of an Arazzo document (YAML or JSON), or a loaded
            :class:`~arazzo_engine.Document` (load once, run many times).
        workflow_id: the ``workflowId`` to run.
        inputs: the workflow's inputs; validated against its ``inputs`` schema first.
        servers: base URL per source description name, over the OpenAPI ``servers``.
        server_variables: values of OpenAPI server variables per source description name.
        aws: AWS settings (region, profile, keys, endpoint) for SigV4 sources; by default
            botocore's standard chain (environment, config files, profiles) is used.
        auth: credentials for the OpenAPI security schemes, by source or scheme name.
        timeout: seconds each HTTP call may take (a step's ``timeout`` overrides it).
        max_steps: the most step executions the run may make (guards goto loops).
        contract: ``off``, ``warn`` or ``fail``: check each response against its operation.
        observer: a callable that receives :mod:`~arazzo_engine.run.events` as the run goes.
        client: an httpx client to send with (the caller keeps ownership).
        transport: an httpx transport for a client created for this run (e.g. MockTransport).

    Returns:
        A :class:`~arazzo_engine.RunResult`: ``success``, ``outputs``, ``steps`` and ``error``.
        A failed run still carries every step that ran.

    Raises:
        DocumentError: the document or a source cannot be read, or the workflow cannot be bound.
        WorkflowNotFoundError: no workflow with that id.
        InputError: the inputs do not satisfy the workflow's inputs schema.
        AuthError: an operation needs credentials that are not configured.
    """
    plan = _document(spec).plan(workflow_id)
    options = _options(servers, server_variables, aws, auth, timeout, max_steps, contract, observer)
    run = execute(plan, inputs, options)
    if client is not None:
        return drive_sync(run, client)
    with make_client(TransportOptions(transport=transport)) as own:
        return drive_sync(run, own)


async def arun_workflow(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    servers: Mapping[str, str] | None = None,
    server_variables: Mapping[str, Mapping[str, str]] | None = None,
    aws: AwsSettings | None = None,
    auth: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
    max_steps: int = DEFAULT_MAX_STEPS,
    contract: str = "off",
    observer: Observer | None = None,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunResult:
    """Asynchronous :func:`run_workflow`, on an ``httpx.AsyncClient``; same arguments."""
    plan = _document(spec).plan(workflow_id)
    options = _options(servers, server_variables, aws, auth, timeout, max_steps, contract, observer)
    run = execute(plan, inputs, options)
    if client is not None:
        return await drive_async(run, client)
    async with make_async_client(TransportOptions(async_transport=transport)) as own:
        return await drive_async(run, own)
