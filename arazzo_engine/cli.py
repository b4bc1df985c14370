"""The command line: ``arazzo-engine`` and ``python -m arazzo_engine``.

Exit codes: 0 the workflow succeeded (or the document is valid), 1 it ran and failed (or the
document has problems), 2 a usage, document, input, credentials or configuration error, reported
on stderr without a traceback, 3 an internal error (a bug: ``ARAZZO_DEBUG=1`` shows its
traceback), 130 interrupted, 141 the reader of the output went away.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence, Set
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlparse

from .errors import ArazzoError, InputError

if TYPE_CHECKING:  # the heavy modules are imported inside the commands that need them
    from .aws.settings import AwsSettings
    from .document.model import Document
    from .results import RunResult

__all__ = ["UsageError", "main", "typed_input"]


class UsageError(Exception):
    """A command-line argument is wrong."""


def _split_pair(text: str, option: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise UsageError(f"{option} expects NAME=VALUE, got {text!r}")
    return name, value


def _read_file(path: str, option: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option}: cannot read {path}: {exc.strerror}") from None


def _schema_types(schema: Mapping[str, Any] | None, name: str) -> set[str]:
    props = (schema or {}).get("properties") or {}
    prop = props.get(name)
    if not isinstance(prop, Mapping):
        return set()
    kind = prop.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {str(k) for k in kind}
    return set()


def _coerce(raw: str, types: set[str], name: str, option: str = "--input") -> Any:
    """A command-line value, typed by the input's schema: a string stays a string."""
    if not types or "string" in types:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        raise UsageError(
            f"{option} {name}: {raw!r} is not a valid {' or '.join(sorted(types))} "
            '(write JSON, e.g. 3, true, [1,2] or {"a":1})'
        ) from None
    return value


def typed_input(
    name: str, raw: str, schema: Mapping[str, Any] | None, option: str = "--input"
) -> Any:
    """The value of ``NAME=VALUE`` given on a command line (``--input``, the pytest plugin's
    ``--arazzo-input``), typed by the workflow's inputs schema: the one rule for both.

    A ``string`` input (or one the schema does not type) stays the text as given; any other
    type is read as JSON. ``@FILE`` reads the value from a file (parsed as JSON/YAML unless the
    input is a string). Raises `UsageError` when a typed value is not valid JSON.
    """
    types = _schema_types(schema, name)
    if raw.startswith("@"):
        from .document.loader import load_text

        text = _read_file(raw[1:], option)
        if types and "string" not in types:
            return load_text(text, raw[1:]).data
        return text
    return _coerce(raw, types, name, option)


def _inputs(args: argparse.Namespace, schema: Mapping[str, Any] | None) -> dict[str, Any]:
    from .document.loader import load_text

    inputs: dict[str, Any] = {}
    if args.inputs:
        loaded = load_text(_read_file(args.inputs, "--inputs"), args.inputs).data
        if not isinstance(loaded, dict):
            raise UsageError(f"--inputs {args.inputs}: the file must hold a mapping of inputs")
        inputs.update(loaded)
    for item in args.input or []:
        name, value = _split_pair(item, "--input")
        inputs[name] = typed_input(name, value, schema)
    return inputs


def _auth_options(args: argparse.Namespace) -> dict[str, Any]:
    """Credentials, server variables, TLS, proxy, timeouts and redaction from the command line.

    ``--auth [SOURCE:]SCHEME[.FIELD]=VALUE``: FIELD is one of the credential fields (``value``,
    ``token``, ``username``, ``password``, ``client_id``, ``client_secret``, ``refresh_token``,
    ``access_token``, ``scope``, ``token_url``, ``cert``, ``key``); without it VALUE is the
    scheme's usual secret (API key, bearer token, ``user:password``). ``VALUE`` may be ``@FILE``.
    """
    from .auth.credentials import FIELDS

    auth: dict[str, Any] = {}
    for item in getattr(args, "auth", None) or []:
        name, value = _split_pair(item, "--auth")
        if value.startswith("@"):
            value = _read_file(value[1:], "--auth").strip()
        scheme, dot, field_name = name.rpartition(".")
        if not dot or field_name.lower() not in FIELDS:
            scheme, field_name = name, ""
        if field_name:
            entry = auth.setdefault(scheme, {})
            if not isinstance(entry, dict):
                raise UsageError(f"--auth {scheme}: given both as a whole and by field")
            entry[field_name.lower()] = value
        else:
            auth[scheme] = value
    variables: dict[str, dict[str, str]] = {}
    for item in getattr(args, "server_var", None) or []:
        name, value = _split_pair(item, "--server-var")
        source, dot, variable = name.partition(".")
        if not dot or not variable:
            raise UsageError(f"--server-var expects SOURCE.NAME=VALUE, got {item!r}")
        variables.setdefault(source, {})[variable] = value
    cert: Any = None
    if getattr(args, "cert", None):
        cert = (args.cert, args.key) if args.key else args.cert
    elif getattr(args, "key", None):
        raise UsageError("--key needs --cert")
    return {
        "auth": auth or None,
        "credentials_file": getattr(args, "credentials", None),
        "server_variables": variables,
        "verify": getattr(args, "ca_bundle", None),
        "cert": cert,
        "proxy": getattr(args, "proxy", None),
        "connect_timeout": getattr(args, "connect_timeout", None),
        "read_timeout": getattr(args, "read_timeout", None),
        "redact": not getattr(args, "no_redact", False),
    }


def _servers(items: Sequence[str] | None) -> dict[str, str]:
    servers = dict(_split_pair(item, "--server") for item in items or [])
    for source, url in servers.items():
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https") and parsed.netloc:
            continue
        from .protocols import supported_protocols

        if parsed.scheme not in supported_protocols() or not parsed.netloc:
            raise UsageError(
                f"--server {source}={url}: the base URL must be http(s)://host[...], or a "
                f"broker URL ({', '.join(supported_protocols())}://host:port) for an AsyncAPI "
                "source"
            )
    return servers


def _positive(text: str) -> float:
    """An argparse type: a number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds above 0")
    return value


def _byte_count(text: str) -> int:
    """A positive whole number of bytes (``--max-body``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of bytes, got {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
    return value


def _body_limit(args: argparse.Namespace) -> dict[str, Any]:
    """``max_body`` when ``--max-body`` is given (else the run's default)."""
    return {"max_body": args.max_body} if args.max_body is not None else {}


def _allow_remote(args: argparse.Namespace) -> bool | frozenset[str]:
    """The remote-source policy of ``--no-remote`` / ``--allow-host`` (any host when neither)."""
    hosts = getattr(args, "allow_host", None)
    if getattr(args, "no_remote", False):
        if hosts:
            raise UsageError("--no-remote and --allow-host contradict each other: give one")
        return False
    return frozenset(h.lower() for h in hosts) if hosts else True


def _load(args: argparse.Namespace, source: str) -> Document:
    """Load ``source`` with the command's loading options (``--no-remote``, ``--allow-host``)."""
    from .document.model import load

    return load(source, allow_remote=_allow_remote(args))


def _check_writable(*paths: str | None) -> None:
    """Fail before the run, not after it, when a report cannot be written."""
    for path in paths:
        if path is None:
            continue
        folder = Path(path).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise UsageError(f"cannot write {path}: {folder} is not a writable folder")


@contextlib.contextmanager
def _local_ecr(repository: str, region: str | None, err: TextIO) -> Iterator[AwsSettings]:
    from .aws.local_ecr import LocalEcr

    with LocalEcr(repository=repository, region=region or "us-east-1") as ecr:
        print(
            f"local ECR: moto server at {ecr.endpoint_url} (request authentication on), "
            f"repository {repository!r} created",
            file=err,
        )
        yield ecr.aws_settings()


def _json_result(result: RunResult) -> dict[str, Any]:
    return {
        "workflowId": result.workflow_id,
        "success": result.success,
        "outputs": result.outputs,
        "error": result.error,
        "steps": [
            {
                "stepId": s.step_id,
                "workflowId": s.workflow_id,
                "success": s.success,
                "statusCode": s.status_code,
                "outputs": s.outputs,
                **({"error": s.error} if s.error else {}),
                **({"contract": s.contract} if s.contract else {}),
            }
            for s in result.steps
        ],
        "warnings": result.warnings,
    }


def _selected_workflows(args: argparse.Namespace, document: Document) -> list[str]:
    """The workflows to run, dependencies (``dependsOn``) before the workflows needing them."""
    from .api import runnable_document

    if args.all:
        if args.workflow_ids:
            raise UsageError("give workflow ids or --all, not both")
        wanted = document.workflow_ids()
    elif args.workflow_ids:
        wanted = list(dict.fromkeys(args.workflow_ids))
    else:
        known = ", ".join(document.workflow_ids())
        raise UsageError(f"name the workflow(s) to run, or --all (workflows: {known})")
    order: list[str] = []
    visiting: set[str] = set()

    def visit(workflow_id: str) -> None:
        if workflow_id in order or workflow_id in visiting:
            return
        visiting.add(workflow_id)
        runnable_document(document, workflow_id)  # every validation problem, at once
        for dependency_doc, dependency in document.plan(workflow_id).depends_on:
            if dependency_doc is document and dependency in wanted:
                visit(dependency)
        visiting.discard(workflow_id)
        order.append(workflow_id)

    for workflow_id in wanted:
        visit(workflow_id)
    return order


def _inputs_for(
    args: argparse.Namespace, document: Document, workflow_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Inputs per workflow. With several workflows, an inputs file whose keys are all workflow
    ids gives each its own inputs; otherwise every workflow gets the same."""
    per: dict[str, dict[str, Any]] = {}
    for workflow_id in workflow_ids:
        inputs = _inputs(args, document.plan(workflow_id).inputs_schema)
        keys = set(inputs)
        if len(workflow_ids) > 1 and keys and keys <= set(document.workflow_ids()):
            own = inputs.get(workflow_id)
            inputs = dict(own) if isinstance(own, dict) else {}
        per[workflow_id] = inputs
    return per


def _write_reports(
    args: argparse.Namespace, document: Document, results: list[RunResult], err: TextIO
) -> None:
    if not (args.report or args.junit or args.har or args.html):
        return  # none asked: the report modules are not imported
    from .reports import to_har, to_junit_xml, to_report

    def write(path: str, text: str) -> None:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None

    if args.report:
        schemas = {r.workflow_id: document.plan(r.workflow_id).inputs_schema for r in results}
        report = to_report(results, document=args.document, schemas=schemas)
        write(args.report, json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    if args.junit:
        write(args.junit, to_junit_xml(results))
    if args.har:
        write(args.har, json.dumps(to_har(results), indent=2, ensure_ascii=False, default=str))
    if args.html:
        from .reports.html import to_html

        write(args.html, to_html(results, document=document, title=Path(args.document).name))


def _cmd_dry_run(
    args: argparse.Namespace, document: Document, workflow_ids: list[str], out: TextIO
) -> int:
    from .aws.settings import AwsSettings
    from .reports.dryrun import dry_run, format_dry_run

    per_inputs = _inputs_for(args, document, workflow_ids)
    aws = AwsSettings(region=args.aws_region, profile=args.aws_profile)
    dumped = []
    for workflow_id in workflow_ids:
        plan = document.plan(workflow_id)
        options = _auth_options(args)
        steps = dry_run(
            plan,
            per_inputs[workflow_id],
            servers=_servers(args.server),
            aws=aws,
            auth=options["auth"],
            server_variables=options["server_variables"],
        )
        if args.json:
            dumped.append({"workflowId": workflow_id, "steps": [d.to_dict() for d in steps]})
        else:
            print("\n".join(format_dry_run(plan, steps)), file=out)
    if args.json:
        print(json.dumps(dumped, indent=2, ensure_ascii=False, default=str), file=out)
    return 0


def _settings_for_run(args: argparse.Namespace, aws: AwsSettings, observer: Any) -> dict[str, Any]:
    """The run settings (`RunSettings`) of ``run``'s options, with AWS and an observer."""
    return {**_run_settings(args), "aws": aws, "observer": observer}


def _cmd_batch(
    args: argparse.Namespace,
    document: Document,
    workflow_ids: list[str],
    per_inputs: dict[str, dict[str, Any]],
    aws: AwsSettings,
    out: TextIO,
    err: TextIO,
) -> int:
    """``run --batch``: one run per row (see `arazzo_engine.batch`)."""
    from .batch import cli_batch

    if len(workflow_ids) != 1:
        raise UsageError("--batch runs one workflow: name exactly one")
    if args.report or args.junit or args.har or args.html:
        raise UsageError(
            "--batch writes its results with --results: drop --report/--junit/--har/--html"
        )
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    _check_writable(args.results)
    workflow_id = workflow_ids[0]
    if args.temporal:
        from .temporal import cli as temporal

        return temporal.batch(
            document,
            workflow_id,
            args.batch,
            per_inputs[workflow_id],
            _temporal_settings(args, aws),
            address=args.temporal,
            namespace=args.namespace,
            task_queue=args.task_queue,
            concurrency=args.concurrency,
            results_path=args.results,
            out=out,
            err=err,
        )
    return cli_batch(
        document,
        workflow_id,
        args.batch,
        per_inputs[workflow_id],
        _settings_for_run(args, aws, None),
        concurrency=args.concurrency,
        results_path=args.results,
        out=out,
        err=err,
    )


def _temporal_settings(args: argparse.Namespace, aws: AwsSettings) -> dict[str, Any]:
    """The run settings a run on Temporal may carry (credentials are the workers')."""
    if args.local_ecr is not None:
        raise UsageError("--local-ecr starts a server in this process: not with --temporal")
    settings = _settings_for_run(args, aws, None)
    given = [k for k in ("auth", "credentials_file", "cert", "verify", "proxy") if settings[k]]
    if given:
        raise UsageError(
            "--auth, --credentials, --cert, --ca-bundle and --proxy are the workers' own on "
            "Temporal (give them to `arazzo-engine worker`)"
        )
    return settings


def _print_result(
    args: argparse.Namespace,
    document: Document | None,
    result: RunResult,
    out: TextIO,
    as_list: bool = False,
) -> int:
    """A finished run's account (or JSON: a list of runs like ``run --json`` when
    ``as_list``) and reports; the exit code of its verdict."""
    from .console import Style, format_result, use_colour

    if document is not None:
        _write_reports(args, document, [result], out)
    if args.json:
        shown: Any = [_json_result(result)] if as_list else _json_result(result)
        print(json.dumps(shown, indent=2, ensure_ascii=False, default=str), file=out)
    else:
        style = Style(use_colour(out, getattr(args, "color", "auto")))
        print(format_result(result, style=style, verbose=getattr(args, "verbose", 0) > 0), file=out)
    return 0 if result.success else 1


def _cmd_temporal_run(
    args: argparse.Namespace,
    document: Document,
    workflow_ids: list[str],
    per_inputs: dict[str, dict[str, Any]],
    aws: AwsSettings,
    out: TextIO,
    err: TextIO,
) -> int:
    """``run --temporal``: start the run on Temporal; wait for it unless ``--detach``."""
    from .temporal import cli as temporal

    if len(workflow_ids) != 1:
        raise UsageError("--temporal runs one workflow: name exactly one")
    workflow_id = workflow_ids[0]
    run_id, result = temporal.run(
        document,
        workflow_id,
        per_inputs[workflow_id],
        _temporal_settings(args, aws),
        address=args.temporal,
        namespace=args.namespace,
        task_queue=args.task_queue,
        detach=args.detach,
        run_id=args.run_id,
    )
    if result is None:
        print(run_id, file=out)
        return 0
    print(f"run {run_id} on Temporal {args.temporal}", file=err)
    return _print_result(args, document, result, out, as_list=True)


def _cmd_result(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``result RUN_ID --temporal``: the result of a run on Temporal (waits for its end)."""
    from .document.model import load
    from .temporal import cli as temporal

    _check_writable(args.report, args.junit, args.har, args.html)
    result = temporal.result(args.run_id, address=args.temporal, namespace=args.namespace)
    document = load(args.document) if args.document else None
    if document is None and (args.report or args.junit or args.har or args.html):
        raise UsageError("reports need the run's document: add --document DOC")
    return _print_result(args, document, result, out)


def _cmd_worker(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``worker --temporal``: run a Temporal worker with this machine's credentials."""
    from .aws.settings import AwsSettings
    from .document.loader import load_text
    from .temporal import cli as temporal

    settings = _auth_options(args)
    settings["aws"] = AwsSettings(
        region=args.aws_region, profile=args.aws_profile, endpoint_url=args.aws_endpoint_url
    )
    secret_inputs: Any = {}
    if args.secret_inputs:
        secret_inputs = load_text(
            _read_file(args.secret_inputs, "--secret-inputs"), args.secret_inputs
        ).data
        if not isinstance(secret_inputs, dict):
            raise UsageError(f"--secret-inputs {args.secret_inputs}: the file must hold a mapping")
    return temporal.worker(
        args.temporal,
        namespace=args.namespace,
        task_queue=args.task_queue,
        settings={k: v for k, v in settings.items() if v is not None},
        secret_inputs=secret_inputs,
        imports=args.imports,
        out=out,
    )


def _check_inputs(
    document: Document, workflow_ids: list[str], per_inputs: Mapping[str, Mapping[str, Any]]
) -> None:
    """Raise the run's own `InputError` now when some workflow's inputs are invalid (the
    same check the run makes first), e.g. before starting a local ECR."""
    from .run.core import RunOptions, check_inputs
    from .run.services import default_services

    options = RunOptions(services=default_services())
    for workflow_id in workflow_ids:
        check_inputs(document.plan(workflow_id), per_inputs[workflow_id], options)


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .api import run_workflows
    from .aws.settings import AwsSettings
    from .console import ConsoleReporter, format_summary

    document = _load(args, args.document)
    workflow_ids = _selected_workflows(args, document)
    if args.dry_run:
        if args.report or args.junit or args.har or args.html:
            raise UsageError(
                "--report, --junit, --har and --html record a real run: drop --dry-run"
            )
        if args.local_ecr is not None:
            raise UsageError("--local-ecr starts a server for a real run: drop --dry-run")
        if args.batch is not None:
            raise UsageError("--batch runs the workflow once per row: drop --dry-run")
        return _cmd_dry_run(args, document, workflow_ids, out)
    if args.batch is None and args.results:
        raise UsageError("--results writes the rows of --batch: add --batch ROWS")
    if not args.temporal and (args.detach or args.run_id):
        raise UsageError("--detach and --run-id are for runs on Temporal: add --temporal")
    _check_writable(args.report, args.junit, args.har, args.html)
    per_inputs = _inputs_for(args, document, workflow_ids)
    reporter = None
    if not args.json:
        reporter = ConsoleReporter(
            out,
            verbose=args.verbose > 0,
            colour=args.color,
            body_limit=args.body_limit,
            summary=True,
        )
    results: list[RunResult] = []
    aws = AwsSettings(region=args.aws_region, profile=args.aws_profile)
    if args.temporal and args.batch is None:
        return _cmd_temporal_run(args, document, workflow_ids, per_inputs, aws, out, err)
    with contextlib.ExitStack() as stack:
        if args.local_ecr is not None:
            _check_inputs(document, workflow_ids, per_inputs)  # before a 2 s server start
            first = per_inputs[workflow_ids[0]]
            repository = args.local_ecr or str(first.get("repositoryName") or "arazzo/demo")
            aws = stack.enter_context(_local_ecr(repository, args.aws_region, err))
        if args.batch is not None:
            return _cmd_batch(args, document, workflow_ids, per_inputs, aws, out, err)
        # one run: a workflow that several others depend on runs once
        results = run_workflows(
            document, workflow_ids, per_inputs, **_settings_for_run(args, aws, reporter)
        )
    _write_reports(args, document, results, err)
    if args.json:
        # one shape for scripts: always a list of runs, whatever the number of workflows
        payload = [_json_result(r) for r in results]
        print(json.dumps(payload, indent=2, ensure_ascii=False, default=str), file=out)
    elif len(results) > 1 and reporter is not None:
        print("", file=out)
        passed = sum(1 for r in results if r.success)
        failed = len(results) - passed
        print(f"{len(results)} workflow(s): {passed} succeeded, {failed} failed", file=out)
        for result in results:
            print("  " + format_summary(result, reporter.style)[0], file=out)
    return 0 if all(r.success for r in results) else 1


def _schema_props(schema: Any) -> tuple[dict[str, Any], set[str]]:
    schema = schema if isinstance(schema, dict) else {}
    props = schema.get("properties")
    return (props if isinstance(props, dict) else {}), set(schema.get("required") or [])


def _input_rows(schema: Any) -> list[dict[str, Any]]:
    """Each declared input: name, type, required, secret (the one rule of `is_secret_schema`)."""
    from .redact import is_secret_schema

    props, required = _schema_props(schema)
    rows = []
    for name, prop in props.items():
        prop = prop if isinstance(prop, dict) else {}
        kind = prop.get("type", "any")
        rows.append(
            {
                "name": name,
                "type": kind
                if isinstance(kind, str)
                else "|".join(str(k) for k in kind)
                if isinstance(kind, list)
                else "any",
                "required": name in required,
                "secret": is_secret_schema(prop),
                "description": prop.get("description"),
            }
        )
    return rows


def _input_line(row: Mapping[str, Any]) -> str:
    marks = ["required" if row["required"] else "optional"]
    if row["secret"]:
        marks.append("secret")
    return f"{row['name']}: {row['type']} ({', '.join(marks)})"


def _cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    document = _load(args, args.document)
    listed: list[dict[str, Any]] = []
    for workflow_id in document.workflow_ids():
        _, raw = document.raw_workflow(workflow_id)
        depends = raw.get("dependsOn") or []
        listed.append(
            {
                "workflowId": workflow_id,
                "summary": raw.get("summary"),
                "inputs": _input_rows(raw.get("inputs")),
                "dependsOn": [str(d) for d in depends] if isinstance(depends, list) else [],
            }
        )
    if args.json:
        print(json.dumps(listed, indent=2, ensure_ascii=False, default=str), file=out)
        return 0
    for entry in listed:
        print(entry["workflowId"], file=out)
        if entry["summary"]:
            print(f"    {entry['summary']}", file=out)
        for row in entry["inputs"]:
            print(f"    input {_input_line(row)}", file=out)
        if not entry["inputs"]:
            print("    no inputs", file=out)
        if entry["dependsOn"]:
            print(f"    depends on: {', '.join(entry['dependsOn'])}", file=out)
    return 0


def _action_text(action: Any) -> str:
    """One success/failure action of a plan in a line: ``retry (up to 3, after 1s) when ...``."""
    if action.type == "goto":
        target = (
            f"step {action.step_id}"
            if action.step_id
            else f"workflow {action.workflow[1]}"
            if action.workflow
            else "?"
        )
        text = f"goto {target}"
    elif action.type == "retry":
        after = f", after {action.retry_after:g}s" if action.retry_after is not None else ""
        text = f"retry (up to {action.retry_limit}{after})"
    else:
        text = action.type
    text = f"{action.name}: {text}" if action.name else text
    if action.criteria:
        text += " when " + " and ".join(c.text for c in action.criteria)
    return text


def _action_rows(actions: Any) -> list[dict[str, Any]] | None:
    if actions is None:
        return None
    return [
        {
            "name": a.name,
            "type": a.type,
            "stepId": a.step_id,
            "workflowId": a.workflow[1] if a.workflow else None,
            "retryAfter": a.retry_after,
            "retryLimit": a.retry_limit if a.type == "retry" else None,
            "criteria": [c.text for c in a.criteria],
        }
        for a in actions
    ]


def _cmd_describe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    document = _load(args, args.document)
    if args.mermaid:
        from .reports.graph import build_graph, to_mermaid

        print(to_mermaid(build_graph(document, [args.workflow_id])), end="", file=out)
        return 0
    plan = document.plan(args.workflow_id)
    _, raw = document.raw_workflow(args.workflow_id)
    rows = _input_rows(plan.inputs_schema)
    if args.json:
        payload = {
            "workflowId": plan.workflow_id,
            "summary": raw.get("summary"),
            "description": raw.get("description"),
            "inputs": plan.inputs_schema,
            "secretInputs": [r["name"] for r in rows if r["secret"]],
            "dependsOn": [w for _, w in plan.depends_on],
            "steps": [
                {
                    "stepId": s.step_id,
                    "target": s.target,
                    "parameters": [p.name for p in s.parameters],
                    "successCriteria": [c.text for c in s.success_criteria],
                    "onSuccess": _action_rows(s.on_success),
                    "onFailure": _action_rows(s.on_failure),
                    "outputs": list(s.outputs),
                }
                for s in plan.steps
            ],
            "successActions": _action_rows(plan.success_actions),
            "failureActions": _action_rows(plan.failure_actions),
            "outputs": list(plan.outputs),
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False, default=str), file=out)
        return 0
    lines = [f"workflow {plan.workflow_id}"]
    for key in ("summary", "description"):
        if raw.get(key):
            lines.extend(_wrap(f"  {key}: {' '.join(str(raw[key]).split())}"))
    if plan.depends_on:
        lines.append(f"  depends on: {', '.join(w for _, w in plan.depends_on)}")
    lines.append("  inputs:" if rows else "  inputs: none")
    for row in rows:
        lines.append(f"    {_input_line(row)}")
        if row["description"]:
            lines.extend(_wrap(f"      {' '.join(str(row['description']).split())}", 6))
    lines.append("  steps:")
    for index, step in enumerate(plan.steps, 1):
        target = step.target
        if "#" in target:
            head, _, rest = target.partition("#")
            target = head + (" (" + rest.rsplit(" (", 1)[1] if " (" in rest else "")
        lines.append(f"    {index}. {step.step_id}: {target}")
        if step.parameters:
            lines.extend(
                _wrap(f"       parameters: {', '.join(p.name for p in step.parameters)}", 7)
            )
        if step.body is not None:
            media = step.body.content_type or "(the operation's content type)"
            lines.append(f"       body: {media}")
        for criterion in step.success_criteria:
            lines.extend(_wrap(f"       success when: {criterion.text}", 9))
        for label, actions in (("on success", step.on_success), ("on failure", step.on_failure)):
            for action in actions or ():
                lines.extend(_wrap(f"       {label}: {_action_text(action)}", 9))
        if step.outputs:
            lines.extend(_wrap(f"       outputs: {', '.join(step.outputs)}", 7))
    for label, actions in (
        ("on success (default)", plan.success_actions),
        ("on failure (default)", plan.failure_actions),
    ):
        for action in actions:
            lines.extend(_wrap(f"  {label}: {_action_text(action)}", 4))
    lines.append(f"  outputs: {', '.join(plan.outputs) or 'none'}")
    print("\n".join(lines), file=out)
    return 0


def _cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .reports.graph import build_graph, render

    _check_writable(args.output)
    document = _load(args, args.document)
    text = render(build_graph(document, args.workflow_ids), args.format)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    else:
        print(text, end="", file=out)
    return 0


def _wrap(line: str, indent: int = 4, width: int = 80) -> list[str]:
    """A long line cut at spaces to ``width`` columns, continued at ``indent``."""
    import textwrap

    return textwrap.wrap(
        line, width, subsequent_indent=" " * indent, break_long_words=True, drop_whitespace=True
    ) or [line]


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .validation import validate

    try:
        report = validate(args.document, strict=args.strict, allow_remote=_allow_remote(args))
    except ArazzoError as exc:
        print(f"error: {exc}", file=err)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2), file=out)
    else:
        for problem in report.problems:
            print(problem, file=out)
        errors, warnings = len(report.errors), len(report.warnings)
        verdict = "valid" if report.ok else "invalid"
        print(f"{args.document}: {verdict} ({errors} error(s), {warnings} warning(s))", file=out)
    return 0 if report.ok else 1


def _temporal_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "--temporal",
        metavar="HOST:PORT",
        required=required,
        help="the Temporal server's frontend" + ("" if required else ": run there, durably"),
    )
    parser.add_argument("--namespace", default="default", help="Temporal namespace (default)")
    parser.add_argument("--task-queue", default="arazzo", help="Temporal task queue (arazzo)")


def _version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("arazzo-engine")
    except metadata.PackageNotFoundError:
        from . import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked (importlib.metadata costs
    tens of milliseconds at every start otherwise)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The run settings ``run`` builds from its options, for commands that run workflows
    later (``mcp``); AWS settings are added by the caller."""
    return {
        "servers": _servers(args.server),
        "timeout": args.timeout,
        "max_steps": args.max_steps,
        "max_wait": args.max_wait,
        "contract": args.contract,
        **_body_limit(args),
        **_auth_options(args),
    }


def _cmd_mcp(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .agents.server import serve_mcp
    from .aws.settings import AwsSettings

    documents = [_load(args, d) for d in args.documents]
    settings = _run_settings(args)
    aws = AwsSettings(region=args.aws_region, profile=args.aws_profile)
    with contextlib.ExitStack() as stack:
        if args.local_ecr is not None:
            repository = args.local_ecr or str(_inputs(args, None).get("repositoryName") or "")
            aws = stack.enter_context(_local_ecr(repository or "arazzo/demo", args.aws_region, err))
        serve_mcp(
            documents,
            workflows=args.workflow,
            inputs=lambda schema: _inputs(args, schema),
            transport=args.transport,
            host=args.host,
            port=args.port,
            log=err,
            aws=aws,
            **settings,
        )
    return 0


def _cmd_tools(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .agents.tools import build_tools, format_tool

    tools, warnings = build_tools(
        _load(args, args.document), workflows=args.workflow, inputs=lambda s: _inputs(args, s)
    )
    for warning in warnings:
        print(f"warning: {warning}", file=err)
    definitions = [format_tool(t, args.format) for t in tools]
    print(json.dumps(definitions, indent=2, ensure_ascii=False), file=out)
    return 0


def _share_options(source: argparse.ArgumentParser, target: Any, dests: Set[str]) -> None:
    """Give ``target`` the options of ``source`` whose destinations are in ``dests`` (the same
    definitions, so help and parsing stay one rule)."""
    for action in source._actions:
        if action.dest in dests and action.option_strings:
            target._add_action(action)


#: The loading options (remote-source policy) every command that reads a document takes.
_LOAD_OPTIONS = frozenset({"no_remote", "allow_host"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        epilog="exit codes: 0 success (or valid), 1 the workflow failed (or problems found), "
        "2 usage/document/input/credentials error, 3 internal error",
        prog="arazzo-engine",
        description="Run Arazzo workflows against real APIs.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a workflow")
    run.add_argument("document", help="the Arazzo document (YAML or JSON)")
    run.add_argument(
        "workflow_ids",
        nargs="*",
        metavar="WORKFLOW_ID",
        help="the workflowId(s) to run; several run in dependsOn order",
    )
    run.add_argument("--all", action="store_true", help="run every workflow of the document")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="show what each step would send (method, URL, headers, body, auth scheme) "
        "without sending anything",
    )
    run.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="also print each request and response (redacted) and the expression trace",
    )
    run.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output: auto (a terminal, NO_COLOR unset), always, never",
    )
    run.add_argument(
        "--body-limit",
        type=int,
        default=2000,
        metavar="N",
        help="characters of each body shown with --verbose (2000)",
    )
    run.add_argument(
        "--contract",
        choices=("warn", "fail", "off"),
        default="warn",
        help="check each response against its OpenAPI operation: warn (report findings), "
        "fail (a finding fails the step) or off (default: warn)",
    )
    run.add_argument("--report", metavar="FILE", help="write the full result as JSON to FILE")
    run.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    run.add_argument("--har", metavar="FILE", help="write every HTTP exchange as HAR 1.2 to FILE")
    run.add_argument(
        "--html", metavar="FILE", help="write a self-contained HTML report (diagram, timeline)"
    )
    run.add_argument(
        "--input",
        action="append",
        metavar="NAME=VALUE",
        help="an input (NAME=@FILE reads the value from a file); typed by the inputs schema",
    )
    run.add_argument("--inputs", metavar="FILE", help="a JSON or YAML file of inputs")
    run.add_argument(
        "--server", action="append", metavar="SOURCE=URL", help="base URL of a source description"
    )
    run.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of run objects (one per workflow run) instead of step lines",
    )
    run.add_argument("--timeout", type=_positive, default=30.0, help="seconds per HTTP call (30)")
    run.add_argument("--max-steps", type=int, default=1000, help="step executions allowed (1000)")
    run.add_argument(
        "--max-wait",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="the longest a retry may wait; asking for more fails the step (600)",
    )
    run.add_argument(
        "--max-body",
        type=_byte_count,
        metavar="BYTES",
        help="the most bytes of one response body (after decompression); over it the step "
        "fails (default 100 MiB)",
    )
    run.add_argument(
        "--no-remote",
        action="store_true",
        help="read no remote (http/https) source description: for documents you do not trust",
    )
    run.add_argument(
        "--allow-host",
        action="append",
        metavar="HOST",
        help="read remote source descriptions only from HOST (repeatable; redirects included)",
    )
    run.add_argument("--aws-region", help="AWS region for SigV4 sources")
    run.add_argument("--aws-profile", help="AWS profile for SigV4 sources")
    run.add_argument(
        "--auth",
        action="append",
        metavar="[SOURCE:]SCHEME[.FIELD]=VALUE",
        help="a credential for an OpenAPI security scheme (VALUE=@FILE reads a file); "
        "see also ARAZZO_AUTH_<SOURCE>_<SCHEME>_<FIELD> variables",
    )
    run.add_argument("--credentials", metavar="FILE", help="a YAML/JSON file of credentials")
    run.add_argument(
        "--server-var",
        action="append",
        metavar="SOURCE.NAME=VALUE",
        help="a value for a server variable of a source description",
    )
    run.add_argument("--ca-bundle", metavar="PATH", help="CA bundle (file or dir) to verify TLS")
    run.add_argument("--cert", metavar="PEM", help="client certificate for mutual TLS")
    run.add_argument("--key", metavar="PEM", help="private key of --cert (if not in it)")
    run.add_argument("--proxy", metavar="URL", help="send every request through this proxy")
    run.add_argument("--connect-timeout", type=_positive, help="seconds to connect (--timeout)")
    run.add_argument("--read-timeout", type=_positive, help="seconds per read (--timeout)")
    run.add_argument(
        "--no-redact",
        action="store_true",
        help="show secrets in the output (debugging only: tokens and keys will be printed)",
    )
    run.add_argument(
        "--local-ecr",
        nargs="?",
        const="",
        metavar="REPOSITORY",
        help="start a local ECR (moto, signatures checked) on 127.0.0.1 for this run and create "
        "REPOSITORY in it (default: the 'repositoryName' input)",
    )
    run.add_argument(
        "--batch",
        metavar="ROWS",
        help="run the workflow once per row of ROWS (.jsonl: one JSON object per line; .csv: "
        "a header row of input names; - reads JSON Lines from stdin), each row merged over "
        "--input/--inputs; prints one JSON line per row in input order",
    )
    run.add_argument(
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="with --batch: the most runs at once (8)",
    )
    run.add_argument(
        "--results",
        metavar="FILE",
        help="with --batch: write the JSON lines (row, success, outputs, error, failedStep) to "
        "FILE instead of stdout",
    )
    _temporal_options(run)
    run.add_argument(
        "--detach",
        action="store_true",
        help="with --temporal: print the run id and return (arazzo-engine result RUN_ID later)",
    )
    run.add_argument(
        "--run-id",
        metavar="ID",
        help="with --temporal: the run's id (default: a new one); an id already used starts "
        "nothing new",
    )
    run.set_defaults(handler=_cmd_run)

    mcp = commands.add_parser(
        "mcp", help="serve workflows as tools to AI agents over MCP (needs the 'mcp' extra)"
    )
    mcp.add_argument("documents", nargs="+", metavar="DOCUMENT", help="Arazzo documents")
    mcp.add_argument(
        "--workflow", action="append", metavar="ID", help="serve only this workflow (repeatable)"
    )
    mcp.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="HTTP address (127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8000, help="HTTP port (8000); path /mcp")
    run_options = {
        "input", "inputs", "server", "timeout", "max_steps", "max_wait", "aws_region",
        "aws_profile", "auth", "credentials", "server_var", "ca_bundle", "cert", "key",
        "proxy", "connect_timeout", "read_timeout", "local_ecr", "contract", "max_body",
    } | _LOAD_OPTIONS  # fmt: skip
    _share_options(run, mcp, run_options)
    mcp.set_defaults(handler=_cmd_mcp)

    tools = commands.add_parser(
        "tools", help="print the workflows' tool definitions (MCP, OpenAI or Anthropic) as JSON"
    )
    tools.add_argument("document", help="the Arazzo document (YAML or JSON)")
    tools.add_argument("--format", choices=("mcp", "openai", "anthropic"), default="mcp")
    tools.add_argument(
        "--workflow", action="append", metavar="ID", help="only this workflow (repeatable)"
    )
    _share_options(run, tools, {"input", "inputs"} | _LOAD_OPTIONS)
    tools.set_defaults(handler=_cmd_tools)

    worker = commands.add_parser(
        "worker", help="run a Temporal worker: it runs workflows started with --temporal"
    )
    _temporal_options(worker, required=True)
    # the run's credential, AWS and TLS options, the same definitions
    worker_options = {
        "auth", "credentials", "aws_region", "aws_profile", "ca_bundle", "cert", "key", "proxy",
    }  # fmt: skip
    _share_options(run, worker, worker_options)
    worker.add_argument(
        "--secret-inputs",
        metavar="FILE",
        help="values of secret inputs (format: password / writeOnly), by input name or "
        "workflowId; they never enter Temporal's history",
    )
    worker.add_argument("--aws-endpoint-url", metavar="URL", help="AWS endpoint for SigV4 sources")
    worker.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first (it may register programs of its own)",
    )
    worker.set_defaults(handler=_cmd_worker)

    fetch = commands.add_parser("result", help="the result of a run started with --temporal")
    fetch.add_argument("run_id", metavar="RUN_ID")
    _temporal_options(fetch, required=True)
    fetch.add_argument("--document", metavar="DOC", help="the run's document (for --report)")
    fetch.add_argument("--json", action="store_true", help="print the result as one JSON object")
    fetch.add_argument("--report", metavar="FILE", help="write the full result as JSON to FILE")
    fetch.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    fetch.add_argument("--har", metavar="FILE", help="write every HTTP exchange as HAR 1.2")
    _share_options(run, fetch, {"html"})
    fetch.set_defaults(handler=_cmd_result)

    listing = commands.add_parser("list", help="list the workflows of a document with inputs")
    listing.add_argument("document", help="the Arazzo document (YAML or JSON)")
    listing.add_argument(
        "--json", action="store_true", help="print a JSON list of workflows and their inputs"
    )
    _share_options(run, listing, _LOAD_OPTIONS)
    listing.set_defaults(handler=_cmd_list)

    describe = commands.add_parser(
        "describe", help="show a workflow: inputs schema, steps, operations, outputs"
    )
    describe.add_argument("document", help="the Arazzo document (YAML or JSON)")
    describe.add_argument("workflow_id", help="the workflowId to describe")
    describe.add_argument("--json", action="store_true", help="print it as one JSON object")
    describe.add_argument(
        "--mermaid", action="store_true", help="print its diagram as Mermaid (see: graph)"
    )
    _share_options(run, describe, _LOAD_OPTIONS)
    describe.set_defaults(handler=_cmd_describe)

    graph = commands.add_parser(
        "graph", help="draw workflows as a diagram: Mermaid, Graphviz DOT or SVG"
    )
    graph.add_argument("document", help="the Arazzo document (YAML or JSON)")
    graph.add_argument(
        "workflow_ids",
        nargs="*",
        metavar="WORKFLOW_ID",
        help="the workflows to draw (default: all), with every workflow they reach",
    )
    graph.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg"),
        default="mermaid",
        help="mermaid (default), dot, or svg (drawn by Graphviz's dot program)",
    )
    graph.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    _share_options(run, graph, _LOAD_OPTIONS)
    graph.set_defaults(handler=_cmd_graph)

    validate = commands.add_parser(
        "validate", help="check a document: structure, references, expressions, every problem"
    )
    validate.add_argument("document", help="the Arazzo document (YAML or JSON, path or URL)")
    validate.add_argument(
        "--strict", action="store_true", help="treat warnings (unreadable sources) as errors"
    )
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    _share_options(run, validate, _LOAD_OPTIONS)
    validate.set_defaults(handler=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        code: int = args.handler(args, out, err)
        return code
    except InputError as exc:
        print(f"error: {exc}", file=err)
        return 2
    except (ArazzoError, UsageError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # a bug of ours: one line, a distinct exit code, no traceback
        print(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; set ARAZZO_DEBUG=1 for the traceback)",
            file=err,
        )
        if os.environ.get("ARAZZO_DEBUG"):
            raise
        return 3


def _exit(code: int) -> None:
    """End the process with ``code``. After a Temporal client was used, skip interpreter
    teardown (its Rust threads can abort a finalising interpreter: temporalio/sdk-python#300)."""
    temporal = sys.modules.get("arazzo_engine.temporal.client")
    if temporal is not None and getattr(temporal, "CONNECTED", False):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)


def _entry() -> None:  # pragma: no cover - console script shim
    _exit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry()
