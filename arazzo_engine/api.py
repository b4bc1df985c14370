"""The public entry points: run a workflow, synchronously or asynchronously."""

from __future__ import annotations

import dataclasses
import os
import ssl
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from .auth.credentials import CredentialStore, load_credentials_file
from .auth.sigv4 import AwsSettings
from .auth.sources import SourceAuth
from .document.model import Document, load
from .errors import ArazzoError, DocumentError
from .redact import Redactor
from .results import RunResult
from .run.core import DEFAULT_MAX_STEPS, Command, Reply, RunOptions, execute
from .run.drivers import drive_async, drive_sync
from .run.events import Observer
from .transport import ClientCert, TransportOptions, make_async_client, make_client

__all__ = ["arun_workflow", "resolve_urls", "run_workflow"]

Spec = str | os.PathLike[str] | Document


def runnable_document(spec: Spec, workflow_id: str) -> Document:
    """The document, refused when validation finds errors that affect ``workflow_id``.

    The validation report is computed once per Document and kept on it.
    """
    from .validation import cached_report

    document = _document(spec)
    if workflow_id in document.workflows:
        errors = cached_report(document).errors_for(workflow_id)
        if errors:
            lines = "".join(f"\n  {problem}" for problem in errors)
            raise DocumentError(
                f"workflow {workflow_id!r} cannot run: {len(errors)} validation error(s){lines}",
                document.location(document.workflows[workflow_id][0]),
            )
    return document


def _document(spec: Spec) -> Document:
    return spec if isinstance(spec, Document) else load(spec)


def _options(
    servers: Mapping[str, str] | None,
    server_variables: Mapping[str, Mapping[str, str]] | None,
    aws: AwsSettings | None,
    auth: Any,
    timeout: float,
    max_steps: int,
    contract: str,
    observer: Observer | None,
    **more: Any,
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
        **more,
    )


def _connection(
    auth: Any,
    credentials_file: str | os.PathLike[str] | None,
    cert: ClientCert | None,
    redact: bool,
    has_client: bool,
) -> tuple[dict[str, Any], ClientCert | None, Redactor]:
    """The auth-related run options, the client certificate to use, and the run's redactor."""
    store = CredentialStore(
        auth, load_credentials_file(credentials_file) if credentials_file else None
    )
    if cert is None:
        found = store.client_certificate()
        if found is not None:
            cert = found
    redactor = Redactor(redact)
    if cert is not None and not isinstance(cert, str) and len(cert) > 2:
        redactor.add_value(cert[2])
    more = {
        "credential_store": store,
        "client_cert": cert is not None or has_client,
        "redact": redact,
        "redactor": redactor,
    }
    return more, cert, redactor


def _prepare(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None,
    has_client: bool,
    servers: Mapping[str, str] | None,
    server_variables: Mapping[str, Mapping[str, str]] | None,
    aws: AwsSettings | None,
    auth: Any,
    timeout: float,
    max_steps: int,
    contract: str,
    observer: Observer | None,
    credentials_file: str | os.PathLike[str] | None,
    verify: str | os.PathLike[str] | ssl.SSLContext | None,
    cert: ClientCert | None,
    proxy: str | None,
    connect_timeout: float | None,
    read_timeout: float | None,
    step_timeouts: Mapping[str, float] | None,
    redact: bool,
) -> tuple[Generator[Command, Reply, RunResult], Redactor, TransportOptions]:
    """What the sync and async front ends share: the checked plan, the run generator, the
    run's redactor and the transport settings of a client made for the run."""
    plan = runnable_document(spec, workflow_id).plan(workflow_id)
    more, cert, redactor = _connection(auth, credentials_file, cert, redact, has_client)
    options = _options(
        servers, server_variables, aws, auth, timeout, max_steps, contract, observer,
        connect_timeout=connect_timeout, read_timeout=read_timeout,
        step_timeouts=dict(step_timeouts or {}), **more,
    )  # fmt: skip
    settings = TransportOptions(verify=verify, cert=cert, proxy=proxy)
    return execute(plan, inputs, options), redactor, settings


def run_workflow(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    servers: Mapping[str, str] | None = None,
    server_variables: Mapping[str, Mapping[str, str]] | None = None,
    aws: AwsSettings | None = None,
    auth: Any = None,
    timeout: float = 30.0,
    max_steps: int = DEFAULT_MAX_STEPS,
    contract: str = "off",
    observer: Observer | None = None,
    client: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    credentials_file: str | os.PathLike[str] | None = None,
    verify: str | os.PathLike[str] | ssl.SSLContext | None = None,
    cert: ClientCert | None = None,
    proxy: str | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    step_timeouts: Mapping[str, float] | None = None,
    redact: bool = True,
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
        auth: credentials for the OpenAPI security schemes: a mapping by ``"SOURCE:SCHEME"``,
            source or scheme name, or a provider ``f(source, scheme, definition)``; see
            :mod:`arazzo_engine.auth.credentials` (files and ``ARAZZO_AUTH_*`` variables too).
        timeout: seconds each HTTP call may take in all (a step's ``timeout`` overrides it).
        max_steps: the most step executions the run may make (guards goto loops).
        contract: ``off``, ``warn`` or ``fail``: check each response against its operation.
        observer: a callable that receives :mod:`~arazzo_engine.run.events` as the run goes.
        client: an httpx client to send with (the caller keeps ownership).
        transport: an httpx transport for a client created for this run (e.g. MockTransport).
        credentials_file: a YAML/JSON file of credentials (the shape of ``auth``).
        verify: a CA bundle (file or directory) or an ``ssl.SSLContext`` to verify TLS
            servers with; verification itself is never turned off.
        cert: a client certificate for mutual TLS: a PEM path, ``(cert, key)`` or
            ``(cert, key, password)``.
        proxy: a proxy URL (``http://``, ``https://``, ``socks5://`` as httpx supports);
            by default the ``HTTP(S)_PROXY`` / ``NO_PROXY`` variables apply.
        connect_timeout: seconds to establish a connection (default: ``timeout``).
        read_timeout: seconds to wait for each part of a response (default: ``timeout``).
        step_timeouts: total seconds per call for particular stepIds, over ``timeout``.
        redact: mask secrets in the result, events and logs (``False`` only to debug).

    Returns:
        A :class:`~arazzo_engine.RunResult`: ``success``, ``outputs``, ``steps`` and ``error``.
        A failed run still carries every step that ran.

    Raises:
        DocumentError: the document or a source cannot be read, or the workflow cannot be bound.
        WorkflowNotFoundError: no workflow with that id.
        InputError: the inputs do not satisfy the workflow's inputs schema.
        AuthError: an operation needs credentials that are not configured.
    """
    run, redactor, settings = _prepare(
        spec, workflow_id, inputs, client is not None, servers, server_variables, aws, auth,
        timeout, max_steps, contract, observer, credentials_file, verify, cert, proxy,
        connect_timeout, read_timeout, step_timeouts, redact,
    )  # fmt: skip
    with redactor.logging_filter():
        if client is not None:
            return drive_sync(run, client)
        with make_client(dataclasses.replace(settings, transport=transport)) as own:
            return drive_sync(run, own)


async def arun_workflow(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    servers: Mapping[str, str] | None = None,
    server_variables: Mapping[str, Mapping[str, str]] | None = None,
    aws: AwsSettings | None = None,
    auth: Any = None,
    timeout: float = 30.0,
    max_steps: int = DEFAULT_MAX_STEPS,
    contract: str = "off",
    observer: Observer | None = None,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    credentials_file: str | os.PathLike[str] | None = None,
    verify: str | os.PathLike[str] | ssl.SSLContext | None = None,
    cert: ClientCert | None = None,
    proxy: str | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    step_timeouts: Mapping[str, float] | None = None,
    redact: bool = True,
) -> RunResult:
    """Asynchronous :func:`run_workflow`, on an ``httpx.AsyncClient``; same arguments."""
    run, redactor, settings = _prepare(
        spec, workflow_id, inputs, client is not None, servers, server_variables, aws, auth,
        timeout, max_steps, contract, observer, credentials_file, verify, cert, proxy,
        connect_timeout, read_timeout, step_timeouts, redact,
    )  # fmt: skip
    with redactor.logging_filter():
        if client is not None:
            return await drive_async(run, client)
        settings = dataclasses.replace(settings, async_transport=transport)
        async with make_async_client(settings) as own:
            return await drive_async(run, own)


def resolve_urls(
    spec: Spec,
    workflow_id: str,
    *,
    servers: Mapping[str, str] | None = None,
    server_variables: Mapping[str, Mapping[str, str]] | None = None,
    aws: AwsSettings | None = None,
    auth: Any = None,
    credentials_file: str | os.PathLike[str] | None = None,
) -> list[tuple[str, str, str, str | None]]:
    """Which URL each operation step of a workflow (and of the workflows it can start) would
    call, without sending anything: ``(step_id, METHOD, url, scheme)`` tuples.

    The URL is the resolved base URL (``servers`` overrides, server variables, the operation's
    or path's ``servers`` over the description's, AWS endpoint settings) joined with the path
    template (path parameters stay as ``{name}``). ``scheme`` names the security scheme(s) the
    request would use, or the ones it needs followed by ``(no credentials)``; never a secret.
    """
    from .run.core import _reachable, _Runner

    plan = _document(spec).plan(workflow_id)
    more, _, _ = _connection(auth, credentials_file, None, True, False)
    options = _options(
        servers, server_variables, aws, auth, 30.0, DEFAULT_MAX_STEPS, "off", None, **more
    )
    runner = _Runner(options)
    out: list[tuple[str, str, str, str | None]] = []
    for reachable in _reachable(plan):
        for step in reachable.steps:
            operation = step.operation
            if operation is None:
                continue
            description = reachable.document.sources[operation.source_name].openapi
            assert description is not None
            label = runner.auth.scheme_label(description, operation)
            try:
                source_auth = runner.auth.for_operation(description, operation)
            except ArazzoError:
                source_auth = SourceAuth()
            base = runner.base_url(reachable, step, source_auth)
            out.append(
                (
                    step.step_id,
                    operation.method.upper(),
                    base.rstrip("/") + operation.request_path,
                    label,
                )
            )
    return out
