"""The public entry points: run a workflow, synchronously or asynchronously.

Both front ends take the same keyword settings (`RunSettings`) and share everything but
the driver: the document is validated and compiled once, the run is the I/O-free generator of
[`arazzo_engine.run.core`][arazzo_engine.run.core], and its requests go through the process's
shared connection pools (see `arazzo_engine.transport`: connections
are reused across runs, cookies and credentials never are) unless the caller brings a client or
a transport.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import ssl
from collections.abc import Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import httpx

from .auth.credentials import CredentialStore, load_credentials_file
from .aws.settings import AwsSettings
from .document.model import Document, load
from .errors import DocumentError
from .redact import Redactor
from .results import RunResult
from .run.binding import reachable
from .run.commands import Command, Result
from .run.context import RunMemory
from .run.core import (
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_STEPS,
    DEFAULT_MAX_WAIT,
    RunOptions,
    check_inputs,
    execute,
)
from .run.drivers import drive_async, drive_sync
from .run.events import Observer
from .run.services import default_services
from .run.setup import AuthTable, bind, bind_for_dry_run
from .transport import (
    ClientCert,
    TransportOptions,
    make_async_client,
    make_client,
    shared_async_client,
    shared_client,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .compile.plan import WorkflowPlan

__all__ = [
    "RunSettings",
    "arun_workflow",
    "resolve_urls",
    "run_workflow",
    "run_workflows",
    "runnable_document",
]

Spec = str | os.PathLike[str] | Document


class RunSettings(TypedDict, total=False):
    """The keyword settings of `run_workflow`, `arun_workflow` and
    `resolve_urls`; every one is optional.

    - ``servers``: base URL per source description name, over the OpenAPI ``servers``.
    - ``server_variables``: values of OpenAPI server variables per source description name.
    - ``aws``: [`AwsSettings`][arazzo_engine.AwsSettings] (region, profile, keys, endpoint)
      for SigV4 sources; by default botocore's standard chain (environment, config files, profiles).
    - ``auth``: credentials for the OpenAPI security schemes: a mapping by ``"SOURCE:SCHEME"``,
      source or scheme name, or a provider ``f(source, scheme, definition)``; see
      [`arazzo_engine.auth.credentials`][arazzo_engine.auth.credentials] (files and
      ``ARAZZO_AUTH_*`` variables too).
    - ``credentials_file``: a YAML/JSON file of credentials (the shape of ``auth``).
    - ``timeout``: seconds each HTTP call may take in all (30; a step's ``timeout`` wins).
    - ``connect_timeout`` / ``read_timeout``: seconds to connect / to wait for each part of a
      response (default: ``timeout``).
    - ``step_timeouts``: total seconds per call for particular stepIds, over ``timeout``.
    - ``max_steps``: the most step executions the run may make (1000; guards goto loops).
    - ``max_wait``: the longest a retry may wait, in seconds (600); a ``retryAfter`` or
      ``Retry-After`` asking for more fails the step instead of stalling the run.
    - ``max_body``: the most bytes of one response body the run reads, counted after
      decompression (100 MiB); a larger body fails its step.
    - ``step_max_body``: ``max_body`` for particular stepIds.
    - ``contract``: ``off`` (default), ``warn`` or ``fail``: check each response against its
      operation in the OpenAPI description.
    - ``observer``: a callable that receives [`events`][arazzo_engine.run.events] as the run goes.
    - ``verify``: a CA bundle (file or directory) or an ``ssl.SSLContext`` to verify TLS
      servers with; verification itself is never turned off.
    - ``cert``: a client certificate for mutual TLS: a PEM path, ``(cert, key)`` or
      ``(cert, key, password)``.
    - ``proxy``: a proxy URL (``http://``, ``https://``, ``socks5://`` as httpx supports); by
      default the ``HTTP(S)_PROXY`` / ``NO_PROXY`` variables apply.
    - ``redact``: mask secrets in the result, events and logs (True; ``False`` only to debug).

    Connections: without a ``client=`` or ``transport=``, runs in one process share pooled
    clients, one per set of ``verify`` / ``cert`` / ``proxy`` settings (and proxy environment
    variables); async runs per event loop, spread over several pools. A later run reuses the
    open connections of an earlier one, and nothing else: the shared clients store no cookies
    (each run has its own cookie jar) and hold no credentials (auth is applied per request from
    the run's own settings). They are closed at interpreter exit (async ones when their event
    loop shuts down). A ``client=`` is used as given; a ``transport=`` gets a client of its
    own for that run.
    """

    servers: Mapping[str, str]
    server_variables: Mapping[str, Mapping[str, str]]
    aws: AwsSettings | None
    auth: Any
    credentials_file: str | os.PathLike[str] | None
    timeout: float
    connect_timeout: float | None
    read_timeout: float | None
    step_timeouts: Mapping[str, float]
    max_steps: int
    max_wait: float
    max_body: int
    step_max_body: Mapping[str, int]
    contract: str
    observer: Observer | None
    verify: str | os.PathLike[str] | ssl.SSLContext | None
    cert: ClientCert | None
    proxy: str | None
    redact: bool


_SETTINGS = frozenset(RunSettings.__optional_keys__)


def runnable_document(spec: Spec, workflow_id: str) -> Document:
    """The document, refused when validation finds errors that affect ``workflow_id``.

    The validation report is computed once per Document and kept on it; an error in one
    workflow does not block another workflow of the same document.
    """
    from .validation import cached_report

    document = spec if isinstance(spec, Document) else load(spec)
    if workflow_id in document.workflows:
        errors = cached_report(document).errors_for(workflow_id)
        if errors:
            lines = "".join(f"\n  {problem}" for problem in errors)
            raise DocumentError(
                f"workflow {workflow_id!r} cannot run: {len(errors)} validation error(s){lines}",
                document.location(document.workflows[workflow_id][0]),
            )
    return document


def _run_options(
    function: str, settings: Mapping[str, Any], has_client: bool
) -> tuple[RunOptions, Redactor, TransportOptions]:
    """The run's options, its redactor, and the transport settings of a client made for it."""
    unknown = sorted(set(settings) - _SETTINGS)
    if unknown:
        raise TypeError(f"{function}() got unexpected keyword argument(s): {', '.join(unknown)}")
    redact = bool(settings.get("redact", True))
    auth = settings.get("auth")
    credentials_file = settings.get("credentials_file")
    store = CredentialStore(
        auth, load_credentials_file(credentials_file) if credentials_file else None
    )
    cert = settings.get("cert") or store.client_certificate()
    redactor = Redactor(redact)
    if cert is not None and not isinstance(cert, str) and len(cert) > 2:
        redactor.add_value(cert[2])  # a key password
    options = RunOptions(
        servers=dict(settings.get("servers") or {}),
        server_variables={k: dict(v) for k, v in (settings.get("server_variables") or {}).items()},
        aws=settings.get("aws"),
        auth=auth,
        timeout=settings.get("timeout", 30.0),
        connect_timeout=settings.get("connect_timeout"),
        read_timeout=settings.get("read_timeout"),
        step_timeouts=dict(settings.get("step_timeouts") or {}),
        max_steps=settings.get("max_steps", DEFAULT_MAX_STEPS),
        max_wait=settings.get("max_wait", DEFAULT_MAX_WAIT),
        max_body=settings.get("max_body", DEFAULT_MAX_BODY),
        step_max_body=dict(settings.get("step_max_body") or {}),
        services=default_services(),
        contract=settings.get("contract", "off"),
        observer=settings.get("observer"),
        credential_store=store,
        client_cert=cert is not None or has_client,
        redact=redact,
        redactor=redactor,
    )
    transport = TransportOptions(
        verify=settings.get("verify"), cert=cert, proxy=settings.get("proxy")
    )
    return options, redactor, transport


def _start(
    function: str,
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None,
    settings: Mapping[str, Any],
    has_client: bool,
) -> tuple[
    Generator[Command, Result, RunResult],
    AuthTable,
    Redactor,
    TransportOptions,
    dict[str, Any] | None,
]:
    """Compile and bind a run: the core's generator, the drivers' auth table, the run's
    redactor and transport settings. Bad inputs, options or credentials raise here, before
    any request."""
    plan = runnable_document(spec, workflow_id).plan(workflow_id)
    options, redactor, transport = _run_options(function, settings, has_client)
    checked = check_inputs(plan, inputs, options)
    prepared = bind(plan, options)
    run = execute(plan, checked, options, binding=prepared.binding, checked=True)
    return run, prepared.auth, redactor, transport, _messages(plan, options, transport)


def _messages(
    plan: WorkflowPlan, options: RunOptions, transport: TransportOptions
) -> dict[str, Any] | None:
    """The message session settings of a run that has message steps (None otherwise)."""
    plans = reachable(plan)
    if not any(step.message is not None for p in plans for step in p.steps):
        return None
    from .protocols.settings import message_settings

    documents = {id(p.document): p.document for p in plans}.values()
    return message_settings(
        documents,
        options.credential_store,
        options.redactor,
        transport.verify,
        transport.cert,
        options.servers,
    )


def run_workflow(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    client: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Run one workflow of an Arazzo document and return its result.

    Args:
        spec: a path or URL of an Arazzo document (YAML or JSON), or a loaded
            [`Document`][arazzo_engine.Document] (load once, run many times).
        workflow_id: the ``workflowId`` to run.
        inputs: the workflow's inputs; validated against its ``inputs`` schema first.
        client: an httpx client to send with (the caller keeps ownership).
        transport: an httpx transport for a client created for this run (e.g. MockTransport).
        **settings: servers, server variables, AWS settings, credentials, timeouts, TLS,
            proxy, contract checks, an observer, redaction: see `RunSettings`.

    Returns:
        A [`RunResult`][arazzo_engine.RunResult]: ``success``, ``outputs``, ``steps`` and ``error``.
        A failed run still carries every step that ran.

    Raises:
        DocumentError: the document or a source cannot be read, or validation finds errors
            that affect this workflow (all of them are listed, with their locations).
        WorkflowNotFoundError: no workflow with that id.
        InputError: the inputs do not satisfy the workflow's inputs schema.
        AuthError: an operation needs credentials that are not configured.
    """
    run, auth, redactor, options, messages = _start(
        "run_workflow", spec, workflow_id, inputs, settings, client is not None
    )
    with redactor.logging_filter():
        if client is not None:
            return drive_sync(run, client, auth=auth, messages=messages)
        options = dataclasses.replace(options, transport=transport)
        pooled = shared_client(options)
        if pooled is not None:
            return drive_sync(run, pooled, auth=auth, messages=messages)
        with make_client(options) as own:
            return drive_sync(run, own, auth=auth, messages=messages)


def run_workflows(
    spec: Spec,
    workflow_ids: Sequence[str],
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    client: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    **settings: Unpack[RunSettings],
) -> list[RunResult]:
    """Run several workflows of one document as one run, in the order given (put dependencies
    first), and return their results in that order.

    They share one connection pool and the run's memory: a workflow that several others
    ``dependsOn`` runs once, and ``$workflows.<id>.outputs`` reads the outputs of one run
    earlier. ``inputs`` maps each workflowId to its inputs. Settings as for
    [`run_workflow`][arazzo_engine.run_workflow]; every workflow is validated before the first
    request.
    """
    document = spec if isinstance(spec, Document) else load(spec)
    plans = [runnable_document(document, w).plan(w) for w in workflow_ids]
    options, redactor, transport_options = _run_options(
        "run_workflows", settings, client is not None
    )
    memory = RunMemory()
    given = inputs or {}
    options = dataclasses.replace(options, dependency_inputs=dict(given))
    checked = [check_inputs(plan, given.get(plan.workflow_id), options) for plan in plans]
    prepared = [bind(plan, options) for plan in plans]
    with redactor.logging_filter(), contextlib.ExitStack() as stack:
        transport_options = dataclasses.replace(transport_options, transport=transport)
        sender = (
            client
            or shared_client(transport_options)
            or stack.enter_context(make_client(transport_options))
        )
        return [
            drive_sync(
                execute(plan, inputs_of, options, memory, bound.binding, checked=True),
                sender,
                auth=bound.auth,
                messages=_messages(plan, options, transport_options),
            )
            for plan, inputs_of, bound in zip(plans, checked, prepared, strict=True)
        ]


async def arun_workflow(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Unpack[RunSettings],
) -> RunResult:
    """Asynchronous `run_workflow`, on an ``httpx.AsyncClient``; same arguments."""
    run, auth, redactor, options, messages = _start(
        "arun_workflow", spec, workflow_id, inputs, settings, client is not None
    )
    with redactor.logging_filter():
        if client is not None:
            return await drive_async(run, client, auth=auth, messages=messages)
        options = dataclasses.replace(options, async_transport=transport)
        pooled = shared_async_client(options)
        if pooled is not None:
            return await drive_async(run, pooled, auth=auth, messages=messages)
        async with make_async_client(options) as own:
            return await drive_async(run, own, auth=auth, messages=messages)


def resolve_urls(
    spec: Spec, workflow_id: str, **settings: Unpack[RunSettings]
) -> list[tuple[str, str, str, str | None]]:
    """Which URL each operation step of a workflow (and of the workflows it can start) would
    call, without sending anything: ``(step_id, METHOD, url, scheme)`` tuples.

    The URL is the resolved base URL (``servers`` overrides, server variables, the operation's
    or path's ``servers`` over the description's, AWS endpoint settings) joined with the path
    template (path parameters stay as ``{name}``). ``scheme`` names the security scheme(s) the
    request would use, or the ones it needs followed by ``(no credentials)``; never a secret.
    """
    document = spec if isinstance(spec, Document) else load(spec)
    plan = document.plan(workflow_id)
    options, _, _ = _run_options("resolve_urls", settings, False)
    binding = bind_for_dry_run(plan, options)
    return [(b.step_id, b.method, b.url, b.security) for b in binding.steps.values()]
