"""Connecting to Temporal, and runs on it from Python: `start_run` (returns the run id),
`fetch_result` (waits, returns the `RunResult`), `run_on_temporal` (both).

``ARAZZO_TEMPORAL_KEY`` (a key from [`new_key`][arazzo_engine.temporal.codec.new_key]), when
set, encrypts every payload (see [`codec`][arazzo_engine.temporal.codec]): set it the same on
every client and worker of a namespace.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

from temporalio.client import Client

from ..errors import (
    ArazzoError,
    AuthError,
    ConfigurationError,
    DocumentError,
    InputError,
    WorkflowNotFoundError,
)
from ..results import RunResult

__all__ = [
    "KEY_VARIABLE",
    "WORKFLOW",
    "batch_run_id",
    "connect",
    "fetch_result",
    "new_run_id",
    "run_on_temporal",
    "start_run",
]

#: The environment variable holding the payload encryption key.
KEY_VARIABLE = "ARAZZO_TEMPORAL_KEY"


#: A client was connected in this process (the command line then ends the process without
#: interpreter teardown: see ``arazzo_engine.cli._exit``).
CONNECTED = False


async def connect(address: str, namespace: str = "default") -> Client:
    """A Temporal client for ``address`` (``HOST:PORT``), encrypting payloads when
    ``ARAZZO_TEMPORAL_KEY`` is set."""
    global CONNECTED
    CONNECTED = True
    key = os.environ.get(KEY_VARIABLE)
    try:
        if key:
            from .codec import encrypted_converter

            return await Client.connect(
                address, namespace=namespace, data_converter=encrypted_converter(key)
            )
        return await Client.connect(address, namespace=namespace)
    except RuntimeError as exc:  # temporalio's word for a failed connection
        raise ConfigurationError(f"cannot connect to Temporal at {address}: {exc}") from None


#: The workflow type every run is (see `arazzo_engine.temporal.workflow`).
WORKFLOW = "ArazzoCommands"

_ERRORS: dict[str, type[ArazzoError]] = {
    cls.__name__: cls
    for cls in (
        ArazzoError,
        DocumentError,
        AuthError,
        ConfigurationError,
        WorkflowNotFoundError,
    )
}


def _error(error: Mapping[str, Any]) -> ArazzoError:
    """The library error a run on Temporal ended with before its first request."""
    kind, message = str(error.get("kind")), str(error.get("message"))
    if kind == "InputError":
        return InputError(message, [])
    return _ERRORS.get(kind, ArazzoError)(message)


def new_run_id(workflow_id: str) -> str:
    """A fresh run id: ``arazzo-<workflowId>-<12 hex>``."""
    return f"arazzo-{workflow_id}-{uuid.uuid4().hex[:12]}"


async def start_run(
    client: Client,
    document: str | os.PathLike[str],
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    task_queue: str = "arazzo",
    run_id: str | None = None,
    **settings: Any,
) -> str:
    """Start a run of ``workflow_id`` on Temporal and return its run id (the Temporal workflow
    id) without waiting. ``document`` must be readable at the same path (or URL) on every
    worker. ``settings``: `RunSettings` without credentials (those are the workers' own).

    A run id already used starts nothing new: the existing run (running or finished) is the
    run (so re-submitting is safe)."""
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
    from temporalio.exceptions import WorkflowAlreadyStartedError
    from temporalio.service import RPCError

    from .config import PROGRAM, run_args

    args = run_args(document, workflow_id, inputs, settings)
    run_id = run_id or new_run_id(workflow_id)
    # finished before: that run is the run
    with contextlib.suppress(WorkflowAlreadyStartedError):
        try:
            await client.start_workflow(
                WORKFLOW,
                {"program": PROGRAM, "args": args},
                id=run_id,
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except RPCError as exc:  # no such namespace, refused
            raise ArazzoError(f"cannot start the run on Temporal: {exc.message}") from None
    return run_id


async def fetch_result(client: Client, run_id: str) -> RunResult:
    """Wait for the run ``run_id`` to end and return its `RunResult` (as a run in process
    returns it). Raises the library error (InputError, AuthError...) that stopped the run
    before its first request."""
    from temporalio.client import WorkflowFailureError
    from temporalio.service import RPCError

    from .runresult import run_result_from_data

    try:
        data = await client.get_workflow_handle(run_id).result()
    except WorkflowFailureError as exc:
        raise ArazzoError(f"run {run_id} failed on Temporal: {exc.cause or exc}") from None
    except RPCError as exc:  # no such run, no such namespace
        raise ArazzoError(f"run {run_id}: {exc.message}") from None
    if not isinstance(data, Mapping):
        raise ArazzoError(f"run {run_id} is not an Arazzo run")
    if "error" in data:
        raise _error(data["error"])
    return run_result_from_data(data["result"])


async def run_on_temporal(
    client: Client,
    document: str | os.PathLike[str],
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    task_queue: str = "arazzo",
    run_id: str | None = None,
    **settings: Any,
) -> RunResult:
    """`start_run`, then `fetch_result`: the `RunResult` of a durable run."""
    started = await start_run(
        client,
        document,
        workflow_id,
        inputs,
        task_queue=task_queue,
        run_id=run_id,
        **settings,
    )
    return await fetch_result(client, started)


def batch_run_id(batch: str, row: int, inputs: Mapping[str, Any]) -> str:
    """The stable run id of one row of a batch: the batch's name, the row number and a digest
    of the row's inputs (the same batch submitted again names the same runs)."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
    return f"{batch}-{row}-{digest[:12]}"
