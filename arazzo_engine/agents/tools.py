"""Workflows as tools for AI agents: tool definitions and tool calls, without any MCP import.

Each workflow becomes one tool: a valid, unique name (``^[a-zA-Z0-9_-]{1,64}$``) from its
``workflowId``, a description from its ``summary`` and ``description``, an input schema that is
its inputs JSON Schema with every ``$ref`` resolved and the secret inputs (the redaction rule,
[`is_secret_schema`][arazzo_engine.redact.is_secret_schema]) taken out, an output schema for its
outputs, and a read-only hint when every operation it can call is a GET or HEAD. Secret inputs
are configured where the tools are served, never given by the model.

[`run_tool`][arazzo_engine.agents.tools.run_tool] runs a call: arguments checked against the
input schema before any request, the workflow run with ``arun_workflow``, and an outcome that is
either the outputs (structured) with a short summary, or an error that names the failing step,
its status and the criterion that failed. Configured secrets are masked in both.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api import arun_workflow, resolve_urls, runnable_document
from ..document.model import Document, load
from ..errors import ArazzoError, DocumentError, InputError
from ..redact import Redactor, is_secret_schema
from ..results import RunResult, StepResult

__all__ = [
    "FORMATS",
    "ToolOutcome",
    "WorkflowTool",
    "build_tools",
    "format_tool",
    "run_tool",
    "tool_definitions",
]

FORMATS = ("mcp", "openai", "anthropic")
_VALID_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_READ_ONLY_METHODS = frozenset({"GET", "HEAD"})

#: Server-side inputs: a mapping, or a function of a workflow's (resolved) inputs schema.
ServerInputs = Mapping[str, Any] | Callable[[Mapping[str, Any] | None], Mapping[str, Any]] | None


@dataclass
class WorkflowTool:
    """One workflow offered as a tool."""

    name: str
    document: Document
    workflow_id: str
    description: str
    input_schema: dict[str, Any]
    """What the model sees: the inputs schema, refs resolved, secrets removed."""
    output_schema: dict[str, Any] | None
    read_only: bool
    title: str | None = None
    full_schema: dict[str, Any] | None = None
    """The workflow's whole inputs schema, refs resolved (the engine validates against it)."""
    secret_inputs: dict[str, Any] = field(default_factory=dict, repr=False)
    """Secret inputs configured on the server (never shown to the model)."""
    defaults: dict[str, Any] = field(default_factory=dict)
    """Non-secret inputs configured on the server, used when the model does not give them."""

    def definition(self, format: str = "mcp") -> dict[str, Any]:
        """This tool as a JSON-ready definition in ``format`` (mcp, openai, anthropic)."""
        return format_tool(self, format)

    def check(self, arguments: Mapping[str, Any]) -> list[str]:
        """Every problem of the model's ``arguments`` against the input schema (empty: fine)."""
        from jsonschema.validators import validator_for

        problems = [
            f"{name}: is configured on the server and cannot be given as an argument"
            for name in arguments
            if name in self.secret_inputs or _secret_property(self.full_schema, name)
        ]
        cls = validator_for(self.input_schema)
        validator = cls(self.input_schema)
        for error in sorted(validator.iter_errors(dict(arguments)), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in error.path) or "(arguments)"
            problems.append(f"{where}: {error.message}")
        return problems

    def inputs(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The workflow's inputs for a call: server defaults, the arguments, the secrets."""
        return {**self.defaults, **arguments, **self.secret_inputs}


@dataclass
class ToolOutcome:
    """What a tool call answers: ``structured`` content (the outputs) and ``text``; or, with
    ``is_error``, a text naming what went wrong."""

    text: str
    structured: dict[str, Any] | None = None
    is_error: bool = False


# -- building the tools ----------------------------------------------------------------------


def _secret_property(schema: Mapping[str, Any] | None, name: str) -> bool:
    props = (schema or {}).get("properties")
    return isinstance(props, Mapping) and is_secret_schema(props.get(name))


def _pointer(root: Any, pointer: str) -> Any:
    node = root
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(pointer)
    return node


def resolve_refs(schema: Any, document: Mapping[str, Any], where: str) -> Any:
    """``schema`` with every local ``$ref`` replaced by what it points to.

    ``#/...`` is looked up in the Arazzo document first (``#/components/inputs/x``), then in
    the schema itself (``#/$defs/x``); siblings of a ``$ref`` are kept over the target's
    members. A recursive reference becomes ``{}`` (any value) at the point it recurs; a
    reference that points nowhere or out of the document raises ``DocumentError``.
    """
    root = schema

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        rest = {k: walk(v, seen) for k, v in node.items() if k != "$ref"}
        if not isinstance(ref, str):
            return rest
        if not ref.startswith("#"):
            raise DocumentError(f"{where}: $ref {ref!r} is outside the document (not supported)")
        if ref in seen:
            return rest  # recursion: any value from here
        for base in (document, root):
            try:
                target = _pointer(base, ref[1:])
            except KeyError:
                continue
            resolved = walk(target, (*seen, ref))
            return {**resolved, **rest} if isinstance(resolved, Mapping) else resolved
        raise DocumentError(f"{where}: $ref {ref!r} points to nothing")

    return walk(schema, ())


def tool_name(workflow_id: str) -> str:
    """A valid tool name (``^[a-zA-Z0-9_-]{1,64}$``) from a workflowId."""
    name = re.sub(r"[^a-zA-Z0-9_-]+", "_", workflow_id).strip("_") or "workflow"
    return name[:64]


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = name[: 64 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _description(raw: Mapping[str, Any], workflow_id: str) -> str:
    parts = [" ".join(str(raw[k]).split()) for k in ("summary", "description") if raw.get(k)]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    return "\n\n".join(parts) or f"Run the Arazzo workflow {workflow_id!r}."


def _output_schema(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    outputs = raw.get("outputs")
    if not isinstance(outputs, Mapping) or not outputs:
        return None
    props: dict[str, Any] = {}
    for name, expression in outputs.items():
        prop: dict[str, Any] = {"description": f"The workflow output {expression}"}
        if str(expression).strip() == "$statusCode":
            prop["type"] = "integer"
        props[str(name)] = prop
    return {"type": "object", "properties": props}


def _read_only(document: Document, workflow_id: str) -> bool:
    methods = [method for _, method, _, _ in resolve_urls(document, workflow_id)]
    return bool(methods) and all(m.upper() in _READ_ONLY_METHODS for m in methods)


def _public_schema(
    schema: Mapping[str, Any] | None, secrets: Iterable[str], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    public = dict(schema or {})
    public.setdefault("type", "object")
    props = public.get("properties")
    hidden = set(secrets)
    if isinstance(props, Mapping):
        kept: dict[str, Any] = {}
        for name, prop in props.items():
            if name in hidden:
                continue
            if name in defaults and isinstance(prop, Mapping):
                prop = {**prop, "default": defaults[name]}
            kept[name] = prop
        public["properties"] = kept
    if "properties" not in public and public.get("type") == "object":
        public["properties"] = {}
    required = public.get("required")
    if isinstance(required, list):
        left = [r for r in required if r not in hidden and r not in defaults]
        if left:
            public["required"] = left
        else:
            public.pop("required")
    return public


def _documents(documents: Document | str | os.PathLike[str] | Sequence[Any]) -> list[Document]:
    items: Sequence[Any] = documents if isinstance(documents, (list, tuple)) else [documents]
    return [d if isinstance(d, Document) else load(d) for d in items]


def build_tools(
    documents: Document | str | os.PathLike[str] | Sequence[Document | str | os.PathLike[str]],
    *,
    workflows: Sequence[str] | None = None,
    inputs: ServerInputs = None,
) -> tuple[list[WorkflowTool], list[str]]:
    """The tools of every workflow of ``documents`` (or only those named in ``workflows``),
    and the warnings to show at start-up (renamed or colliding names, tools left out).

    ``inputs`` are the server-side inputs: a mapping, or a function of a workflow's resolved
    inputs schema returning one (the command line types ``--input`` values by the schema).
    Secret inputs among them are used for every call; the others are defaults the model may
    override. A tool whose required secret inputs are not all configured is left out.

    Raises ``WorkflowNotFoundError`` when a name in ``workflows`` is in no document.
    """
    from ..errors import WorkflowNotFoundError

    docs = _documents(documents)
    wanted = list(dict.fromkeys(workflows or []))
    known = {w for d in docs for w in d.workflow_ids()}
    missing = [w for w in wanted if w not in known]
    if missing:
        raise WorkflowNotFoundError(
            f"no workflow {', '.join(repr(m) for m in missing)} in the documents "
            f"(workflows: {', '.join(sorted(known)) or 'none'})"
        )
    tools: list[WorkflowTool] = []
    warnings: list[str] = []
    owners: dict[str, str] = {}
    for document in docs:
        for workflow_id in document.workflow_ids():
            if wanted and workflow_id not in wanted:
                continue
            label = f"workflow {workflow_id!r} of {document.uri}"
            _, raw = document.raw_workflow(workflow_id)
            try:
                runnable_document(document, workflow_id)
                schema = resolve_refs(raw.get("inputs"), document.data, f"{label} inputs")
                read_only = _read_only(document, workflow_id)
            except ArazzoError as exc:
                warnings.append(f"{label} left out: {exc}")
                continue
            schema = schema if isinstance(schema, Mapping) else None
            configured = dict(inputs(schema) if callable(inputs) else (inputs or {}))
            props = (schema or {}).get("properties") or {}
            secrets = [n for n, p in props.items() if is_secret_schema(p)]
            required = set((schema or {}).get("required") or [])
            unset = [n for n in secrets if n in required and n not in configured]
            if unset:
                warnings.append(
                    f"{label} left out: its secret input(s) {', '.join(unset)} are not "
                    "configured on the server (--input NAME=VALUE or --inputs FILE)"
                )
                continue
            secret_values = {n: configured[n] for n in secrets if n in configured}
            defaults = {n: v for n, v in configured.items() if n in props and n not in secrets}
            base = tool_name(workflow_id)
            name = _unique(base, set(owners))
            if name != workflow_id:
                why = f"collides with {owners[base]}" if base in owners else "is not a valid name"
                warnings.append(f"{label}: tool named {name!r} ({workflow_id!r} {why})")
            owners[name] = label
            tools.append(
                WorkflowTool(
                    name=name,
                    document=document,
                    workflow_id=workflow_id,
                    description=_description(raw, workflow_id),
                    input_schema=_public_schema(schema, secrets, defaults),
                    output_schema=_output_schema(raw),
                    read_only=read_only,
                    title=str(raw["summary"]) if raw.get("summary") else None,
                    full_schema=dict(schema) if schema is not None else None,
                    secret_inputs=secret_values,
                    defaults=defaults,
                )
            )
    return tools, warnings


def format_tool(tool: WorkflowTool, format: str = "mcp") -> dict[str, Any]:
    """A tool definition as MCP (``tools/list`` entry), OpenAI (function tool) or Anthropic
    (``tools`` entry of the Messages API) expect it."""
    if format == "openai":
        return {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.input_schema,
            },
        }
    if format == "anthropic":
        return {
            "name": tool.name,
            "description": tool.description,
            "input_schema": tool.input_schema,
        }
    if format != "mcp":
        raise ValueError(f"unknown tool format {format!r} (one of {', '.join(FORMATS)})")
    out: dict[str, Any] = {"name": tool.name}
    if tool.title:
        out["title"] = tool.title
    out["description"] = tool.description
    out["inputSchema"] = tool.input_schema
    if tool.output_schema is not None:
        out["outputSchema"] = tool.output_schema
    out["annotations"] = {
        **({"title": tool.title} if tool.title else {}),
        "readOnlyHint": tool.read_only,
        "destructiveHint": not tool.read_only,
        "openWorldHint": True,
    }
    return out


def tool_definitions(
    documents: Document | str | os.PathLike[str] | Sequence[Document | str | os.PathLike[str]],
    format: str = "mcp",
    *,
    workflows: Sequence[str] | None = None,
    inputs: ServerInputs = None,
) -> list[dict[str, Any]]:
    """The tool definitions of the workflows of ``documents`` as a JSON-ready list.

    ``format``: ``mcp`` (name, title, description, inputSchema, outputSchema, annotations),
    ``openai`` (``{"type": "function", "function": {name, description, parameters}}``) or
    ``anthropic`` (``{name, description, input_schema}``). Secret inputs are never parameters;
    see [`build_tools`][arazzo_engine.agents.tools.build_tools] for ``workflows`` and
    ``inputs``.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown tool format {format!r} (one of {', '.join(FORMATS)})")
    tools, _ = build_tools(documents, workflows=workflows, inputs=inputs)
    return [format_tool(t, format) for t in tools]


# -- calling a tool ---------------------------------------------------------------------------


def _failed_step(result: RunResult) -> StepResult | None:
    for record in reversed(result.steps):
        if not record.success:
            return record
    return None


def _step_line(record: StepResult) -> str:
    status = record.status_code if record.status_code is not None else "no response"
    mark = "ok" if record.success else "failed"
    return f"{record.step_id} ({status}, {mark})"


def _failure_text(tool: WorkflowTool, result: RunResult) -> str:
    lines = [f"Workflow {tool.workflow_id!r} failed."]
    step = _failed_step(result)
    if step is not None:
        status = step.status_code if step.status_code is not None else "no response"
        lines.append(f"Failing step: {step.step_id} (HTTP status {status}).")
        for criterion in step.criteria:
            if not criterion.passed:
                reason = f" ({criterion.reason})" if criterion.reason else ""
                lines.append(f"Failed criterion: {criterion.condition}{reason}")
        if step.error:
            lines.append(f"Step error: {step.error}")
    if result.error:
        lines.append(f"Reason: {result.error}")
    if result.steps:
        lines.append("Steps: " + ", ".join(_step_line(s) for s in result.steps))
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    data: Any = json.loads(json.dumps(value, default=str))
    return data


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _masker(tool: WorkflowTool) -> Redactor:
    """Masks the secrets configured for ``tool`` (over what the run itself masks)."""
    redactor = Redactor()
    for value in tool.secret_inputs.values():
        for text in _strings(value):
            redactor.add_value(text)
    return redactor


async def run_tool(
    tool: WorkflowTool,
    arguments: Mapping[str, Any] | None,
    settings: Mapping[str, Any] | None = None,
    *,
    on_step: Callable[[StepResult], None] | None = None,
) -> ToolOutcome:
    """Run ``tool`` with the model's ``arguments`` and say what happened.

    Arguments are checked against the input schema first: when they do not fit, nothing is
    sent and the outcome is an error listing every problem. ``settings`` are the run settings
    of ``arun_workflow`` (servers, credentials, timeouts ...). ``on_step`` receives each step
    record as the step finishes (redacted). Never raises for a failed run or bad input: the
    outcome says it, without a traceback.
    """
    from ..run.events import RunEvent, StepFinished

    masker = _masker(tool)
    given = dict(arguments or {})
    problems = tool.check(given)
    if problems:
        text = f"Invalid arguments for {tool.name}; nothing was run:\n- " + "\n- ".join(problems)
        return ToolOutcome(masker.text(text), is_error=True)
    loop = asyncio.get_running_loop()

    def observe(event: RunEvent) -> None:
        if on_step is not None and isinstance(event, StepFinished):
            loop.call_soon_threadsafe(on_step, event.record)

    options = {k: v for k, v in (settings or {}).items() if k != "observer"}
    try:
        result = await arun_workflow(
            tool.document, tool.workflow_id, tool.inputs(given), observer=observe, **options
        )
    except InputError as exc:
        text = f"Invalid arguments for {tool.name}; nothing was run: {exc}"
        return ToolOutcome(masker.text(text), is_error=True)
    except ArazzoError as exc:
        return ToolOutcome(masker.text(f"{tool.name} could not run: {exc}"), is_error=True)
    if not result.success:
        return ToolOutcome(masker.text(_failure_text(tool, result)), is_error=True)
    outputs = masker.value(_jsonable(result.outputs))
    steps = ", ".join(_step_line(s) for s in result.steps) or "none"
    text = (
        f"Workflow {tool.workflow_id!r} succeeded: {len(result.steps)} step(s) run: {steps}.\n"
        f"Outputs: {json.dumps(outputs, ensure_ascii=False)[:2000]}"
    )
    return ToolOutcome(masker.text(text), structured=outputs)
