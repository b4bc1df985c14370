"""The Arazzo run core as a Temporal program (``"arazzo"``): one workflow run, durable.

1. The activity ``arazzo.prepare`` (on a worker) loads the document, checks the inputs (secret
   ones included, from the worker) and binds the run (base URLs and auth keys: plain data, no
   secret). It answers the binding and the document's digest, or the error that stops the run
   before any request (the same errors a run in process raises).
2. The workflow loads the same document from the worker's cache (refusing a document whose
   digest differs: every worker must have the same document at the same path or URL) and
   drives the core's ``execute`` with that binding: each `HttpExchange` is the
   ``arazzo.http_exchange`` activity, which applies the named auth on the worker with the
   worker's own credentials.
3. The workflow returns ``{"result": <RunResult>}`` (see
   [`runresult`][arazzo_engine.temporal.runresult]) or ``{"error": {"kind", "message"}}``.

See [`config`][arazzo_engine.temporal.config] for what a run carries and a worker brings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Mapping
from typing import Any

from temporalio import activity

from ..api import _run_options, runnable_document
from ..compile.plan import WorkflowPlan
from ..errors import ArazzoError
from ..results import RunResult
from ..run.binding import RunBinding
from ..run.commands import Command, Failure, Result
from ..run.core import RunOptions, Services, check_inputs, execute
from ..run.services import check_contract
from ..run.setup import Prepared, bind
from . import config, programs
from .programs import ActivityCall
from .runresult import run_result_to_data

__all__ = ["prepare"]


def _key(args: Mapping[str, Any]) -> str:
    import json

    return json.dumps(
        [args["document"], args["workflowId"], args.get("settings") or {}], sort_keys=True
    )


def _prepared(args: Mapping[str, Any]) -> Prepared:
    """The run's binding and auth table on this worker, made once per document, workflow and
    settings (so auth flows keep their tokens from run to run)."""
    key = _key(args)
    with config.LOCK:
        found = config.PREPARED.get(key)
    if isinstance(found, Prepared):
        return found
    document, _ = config.document(str(args["document"]))
    workflow_id = str(args["workflowId"])
    plan = runnable_document(document, workflow_id).plan(workflow_id)
    has_cert = bool(config.current().settings.get("cert"))
    options, redactor, _ = _run_options("temporal", config.run_settings(args), has_cert)
    prepared = bind(plan, options, redactor)
    with config.LOCK:
        config.PREPARED[key] = prepared
    return prepared


def _prepare_now(args: Mapping[str, Any]) -> dict[str, Any]:
    try:
        document, digest = config.document(str(args["document"]))
        workflow_id = str(args["workflowId"])
        plan = runnable_document(document, workflow_id).plan(workflow_id)
        options, _, _ = _run_options("temporal", config.run_settings(args), False)
        secrets = config.current().secrets_for(workflow_id)
        check_inputs(plan, {**(args.get("inputs") or {}), **secrets}, options)
        prepared = _prepared(args)
    except ArazzoError as exc:
        return {"error": {"kind": type(exc).__name__, "message": str(exc)}}
    except OSError as exc:
        return {"error": {"kind": "DocumentError", "message": f"cannot read the document: {exc}"}}
    return {
        "binding": prepared.binding.to_dict(),
        "document": digest,
        "secretInputs": sorted(secrets),
    }


@activity.defn(name=config.PREPARE)
async def prepare(args: dict[str, Any]) -> dict[str, Any]:
    """The ``arazzo.prepare`` activity: load, check and bind a run on this worker."""
    return await asyncio.to_thread(_prepare_now, args)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"kind": kind, "message": message}}


def _outside_sandbox(uri: str, workflow_id: str) -> tuple[str, WorkflowPlan]:
    """The document's digest and the plan of ``workflow_id``.

    On a worker that did not run ``arazzo.prepare`` for this document (a replacement worker
    replaying a run), the document is loaded and compiled here, inside the workflow task. The
    loader and the compiler read files (the document, the schema-verdict cache), which the
    sandbox forbids: they run unrestricted. The result depends on the document alone, and the
    digest check against what ``arazzo.prepare`` answered keeps the replay deterministic."""
    from temporalio import workflow

    def load() -> tuple[str, WorkflowPlan]:
        document, digest = config.document(uri)
        return digest, document.plan(workflow_id)

    if not workflow.in_workflow():
        return load()
    with workflow.unsafe.sandbox_unrestricted():
        return load()


def _start(args: Mapping[str, Any]) -> Generator[Command | ActivityCall, Result | Any, Any]:
    answer = yield ActivityCall(config.PREPARE, dict(args))
    if isinstance(answer, Failure):
        return _error("ConfigurationError", answer.reason)
    if not isinstance(answer, dict):
        return _error("ConfigurationError", "arazzo.prepare answered nothing usable")
    prepared: dict[str, Any] = answer
    if "error" in prepared:
        return {"error": prepared["error"]}
    workflow_id = str(args["workflowId"])
    try:
        digest, plan = _outside_sandbox(str(args["document"]), workflow_id)
    except (ArazzoError, OSError) as exc:
        return _error("DocumentError", f"a worker cannot load {args['document']}: {exc}")
    if digest != prepared["document"]:
        return _error(
            "DocumentError",
            f"{args['document']} differs between workers: give every worker the same document",
        )
    given = args.get("settings") or {}
    settings = {config.PLAIN_SETTINGS[k]: v for k, v in given.items() if k in config.PLAIN_SETTINGS}
    contract = str(settings.pop("contract", "off"))
    options = RunOptions(
        **settings,
        contract=contract,
        # the inputs were validated by arazzo.prepare, with the real values of secret inputs
        services=Services(None, check_contract if contract != "off" else None),
    )
    inputs = dict(args.get("inputs") or {})
    for name in prepared.get("secretInputs") or []:
        inputs[name] = config.placeholder(name)
    result: RunResult = yield from execute(
        plan, inputs, options, binding=RunBinding.from_dict(prepared["binding"])
    )
    return {"result": run_result_to_data(result)}


def _auth(args: Mapping[str, Any], key: str) -> Any:
    return _prepared(args).auth.get(key)


def _secrets(args: Mapping[str, Any]) -> Mapping[str, str]:
    return {
        config.placeholder(name): value
        for name, value in config.current().secrets_for(str(args.get("workflowId"))).items()
    }


programs.register(config.PROGRAM, _start, _auth, _secrets)
