"""The command line: ``arazzo-engine`` and ``python -m arazzo_engine``.

Exit codes: 0 the workflow succeeded (or the document is valid), 1 it ran and failed (or the
document has problems), 2 a usage, document, input or credentials error, reported as one line on
stderr without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .api import run_workflow
from .auth.sigv4 import AwsSettings
from .document.loader import load_text
from .document.model import load
from .errors import ArazzoError, InputError
from .results import RunResult

__all__ = ["main"]


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


def _coerce(raw: str, types: set[str], name: str) -> Any:
    """A command-line value, typed by the input's schema: a string stays a string."""
    if not types or "string" in types:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        raise UsageError(
            f"--input {name}: {raw!r} is not a valid {' or '.join(sorted(types))} "
            '(write JSON, e.g. 3, true, [1,2] or {"a":1})'
        ) from None
    return value


def _inputs(args: argparse.Namespace, schema: Mapping[str, Any] | None) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    if args.inputs:
        loaded = load_text(_read_file(args.inputs, "--inputs"), args.inputs).data
        if not isinstance(loaded, dict):
            raise UsageError(f"--inputs {args.inputs}: the file must hold a mapping of inputs")
        inputs.update(loaded)
    for item in args.input or []:
        name, value = _split_pair(item, "--input")
        types = _schema_types(schema, name)
        if value.startswith("@"):
            text = _read_file(value[1:], "--input")
            if types and "string" not in types:
                inputs[name] = load_text(text, value[1:]).data
            else:
                inputs[name] = text
        else:
            inputs[name] = _coerce(value, types, name)
    return inputs


def _servers(items: Sequence[str] | None) -> dict[str, str]:
    return dict(_split_pair(item, "--server") for item in items or [])


@contextlib.contextmanager
def _local_ecr(repository: str, err: TextIO) -> Iterator[AwsSettings]:
    from .aws.local_ecr import LocalEcr

    with LocalEcr(repository=repository) as ecr:
        print(
            f"local ECR: moto server at {ecr.endpoint_url} (request authentication on), "
            f"repository {repository!r} created",
            file=err,
        )
        yield ecr.aws_settings()


def _print_summary(result: RunResult, out: TextIO) -> None:
    for step in result.steps:
        mark = "ok  " if step.success else "FAIL"
        status = str(step.status_code) if step.status_code is not None else "---"
        line = (
            f"{mark} {step.step_id:<24} {status:>3} {step.duration * 1000:8.1f} ms  {step.target}"
        )
        print(line, file=out)
        if step.action:
            print(f"     -> {step.action}", file=out)
        if not step.success and step.error:
            print(f"     {step.error}", file=out)
    verdict = "succeeded" if result.success else "FAILED"
    print(f"workflow {result.workflow_id} {verdict} in {result.duration * 1000:.1f} ms", file=out)
    if result.error and not result.success:
        print(f"  {result.error}", file=out)
    for warning in result.warnings:
        print(f"  warning: {warning}", file=out)
    print("outputs:", file=out)
    print(json.dumps(result.outputs, indent=2, ensure_ascii=False, default=str), file=out)


def _json_result(result: RunResult) -> dict[str, Any]:
    return {
        "workflowId": result.workflow_id,
        "success": result.success,
        "outputs": result.outputs,
        "error": result.error,
        "steps": [
            {
                "stepId": s.step_id,
                "success": s.success,
                "statusCode": s.status_code,
                "outputs": s.outputs,
                **({"error": s.error} if s.error else {}),
            }
            for s in result.steps
        ],
    }


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    document = load(args.document)
    plan = document.plan(args.workflow_id)
    inputs = _inputs(args, plan.inputs_schema)
    aws = AwsSettings(region=args.aws_region, profile=args.aws_profile)
    with contextlib.ExitStack() as stack:
        if args.local_ecr is not None:
            repository = args.local_ecr or str(inputs.get("repositoryName") or "arazzo/demo")
            aws = stack.enter_context(_local_ecr(repository, err))
            if args.aws_region:
                aws = dataclasses.replace(aws, region=args.aws_region)
        result = run_workflow(
            document,
            args.workflow_id,
            inputs,
            servers=_servers(args.server),
            aws=aws,
            timeout=args.timeout,
            max_steps=args.max_steps,
        )
    if args.json:
        print(json.dumps(_json_result(result), indent=2, ensure_ascii=False, default=str), file=out)
    else:
        _print_summary(result, out)
    return 0 if result.success else 1


def _cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    document = load(args.document)
    for workflow_id in document.workflow_ids():
        _, raw = document.raw_workflow(workflow_id)
        inputs = raw.get("inputs")
        schema: dict[str, Any] = inputs if isinstance(inputs, dict) else {}
        required = set(schema.get("required") or [])
        names = [f"{n}{'' if n in required else '?'}" for n in (schema.get("properties") or {})]
        summary = raw.get("summary") or ""
        print(f"{workflow_id}  inputs: {', '.join(names) or '-'}", file=out)
        if summary:
            print(f"    {summary}", file=out)
    return 0


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        document = load(args.document)
    except ArazzoError as exc:
        print(f"error: {exc}", file=err)
        return 2
    problems = 0
    for workflow_id in document.workflow_ids():
        try:
            document.plan(workflow_id)
        except ArazzoError as exc:
            problems += 1
            print(f"error: workflow {workflow_id}: {exc}", file=out)
    if problems:
        print(f"{problems} problem(s) in {args.document}", file=out)
        return 1
    print(f"{args.document}: valid ({len(document.workflows)} workflow(s))", file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arazzo-engine", description="Run Arazzo workflows against real APIs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a workflow")
    run.add_argument("document", help="the Arazzo document (YAML or JSON)")
    run.add_argument("workflow_id", help="the workflowId to run")
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
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    run.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP call (30)")
    run.add_argument("--max-steps", type=int, default=1000, help="step executions allowed (1000)")
    run.add_argument("--aws-region", help="AWS region for SigV4 sources")
    run.add_argument("--aws-profile", help="AWS profile for SigV4 sources")
    run.add_argument(
        "--local-ecr",
        nargs="?",
        const="",
        metavar="REPOSITORY",
        help="start a local ECR (moto, signatures checked) on 127.0.0.1 for this run and create "
        "REPOSITORY in it (default: the 'repositoryName' input)",
    )
    run.set_defaults(handler=_cmd_run)

    listing = commands.add_parser("list", help="list the workflows of a document")
    listing.add_argument("document")
    listing.set_defaults(handler=_cmd_list)

    validate = commands.add_parser("validate", help="check a document and bind every workflow")
    validate.add_argument("document")
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


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry()
