"""The compiler's checks: what a JSON Schema cannot see.

Unique ids, references that resolve (operations, workflows, steps, components, sources), ids
qualified where the specification requires it, runtime expressions and conditions that parse,
regex / JSONPath / XPath that compile for their version, ``$steps.<id>.outputs.<name>`` that
name a real step and output, acyclic ``dependsOn``, parameters unique by name and location,
required OpenAPI parameters supplied, and AsyncAPI steps (not supported yet). Every operation
reference a step makes is resolved here, once; the binder reuses the result.

The checks read the raw document defensively: a structurally broken part is skipped here (the
schema check has reported it), never a crash.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..document.loader import LoadedText, pointer_join
from ..errors import ArazzoError, ExpressionError
from ..expressions import (
    RuntimeExpression,
    compile_value,
    parse_condition,
    parse_expression,
    references,
)
from ..expressions.pointer import parse_pointer
from ..openapi.description import HTTP_METHODS, Operation
from ..queries import default_version, is_selector, syntax_problem, target_type
from .grammar import Grammar, Note
from .problems import Problem, Severity
from .rules import IGNORED_HEADERS, NO_VALUE, missing_required, operation_path

if TYPE_CHECKING:
    from ..document.model import SourceDescription

__all__ = ["Checks", "check_semantics"]

_SRC = "$sourceDescriptions."
_UNSET = object()
_ROOT = re.compile(
    r"^\$(url|method|statusCode|request|response|inputs|outputs|steps|workflows"
    r"|sourceDescriptions|components|self)\b"
)
_BRACED = re.compile(r"\{\$[^}]*\}")
_UNBRACED = re.compile(
    r"\$(inputs|steps|response|request|outputs|workflows|sourceDescriptions|components)"
    r"\.[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*"
)
_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")
_CRITERION_TYPES = ("simple", "regex", "jsonpath", "xpath")


def _where(error: ArazzoError) -> str:
    """``file:line:col: `` of an error inside another file, when it says where."""
    location = error.location
    if location is None or location.line is None:
        return ""
    return f"{location.file}:{location.line}:{location.column}: "


def _j(pointer: str, *tokens: str | int) -> str:
    for token in tokens:
        pointer = pointer_join(pointer, token)
    return pointer


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class _Workflow:
    workflow_id: str
    pointer: str
    raw: dict[str, Any]
    steps: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    every_step: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    inputs: object = field(default_factory=lambda: _UNSET)


class Checks:
    """One walk over the raw document: every problem the schema cannot see, the local workflow
    call graph (`calls`) and the operation each operation step resolves to (`operations`, by
    the step's JSON Pointer)."""

    def __init__(
        self, loaded: LoadedText, sources: Mapping[str, SourceDescription], version: str
    ) -> None:
        self.loaded = loaded
        self.data: dict[str, Any] = loaded.data
        self.sources = sources
        self.v11 = version == "1.1"
        raw_version = self.data.get("arazzo")
        self.grammar = Grammar(raw_version if isinstance(raw_version, str) else "1.1")
        self.operations: dict[str, Operation] = {}
        self.problems: list[Problem] = []
        self.workflows: dict[str, _Workflow] = {}
        self.calls: dict[str, set[str]] = {}
        self.current: _Workflow | None = None

    # -- reporting --------------------------------------------------------------------------

    def add(self, code: str, message: str, pointer: str, severity: Severity = "error") -> None:
        workflow_id = self.current.workflow_id if self.current is not None else None
        self.problems.append(
            Problem(code, severity, message, self.loaded.location(pointer), workflow_id)
        )

    def expression_problem(self, exc: ExpressionError, pointer: str, what: str) -> None:
        self.add(
            "bad-expression", f"{what} {exc.text!r}: {exc.message} (offset {exc.position})", pointer
        )

    # -- entry point -----------------------------------------------------------------------

    def run(self) -> None:
        self.check_sources()
        self.collect_workflows()
        self.check_components()
        for workflow in self.workflows.values():
            self.current = workflow
            self.check_workflow(workflow)
        self.current = None
        self.check_cycles()

    # -- sources ---------------------------------------------------------------------------

    def check_sources(self) -> None:
        seen: set[str] = set()
        for index, source in _items(self.data.get("sourceDescriptions")):
            at = _j("/sourceDescriptions", index)
            if not isinstance(source, dict) or not isinstance(source.get("name"), str):
                continue
            name = source["name"]
            if name in seen:
                self.add(
                    "duplicate-source-name",
                    f"source description name {name!r} is used twice",
                    _j(at, "name"),
                )
                continue
            seen.add(name)
            entry = self.sources.get(name)
            if entry is None or entry.error is None or entry.type == "asyncapi":
                continue
            skipped = (
                "workflow references into it"
                if entry.type == "arazzo"
                else "operationId/operationPath resolution and required parameters"
            )
            self.add(
                "source-unreadable",
                f"source description {name!r} ({entry.url}) could not be read: "
                f"{_where(entry.error)}{entry.error.message}; skipped checks: {skipped}",
                _j(at, "url"),
                "warning",
            )

    def source(self, name: str) -> SourceDescription | None:
        return self.sources.get(name)

    def named_source(self, name: str, what: str, pointer: str) -> SourceDescription | None:
        """The source description ``name``, or None after reporting ``unknown-source``."""
        source = self.sources.get(name)
        if source is None:
            self.add(
                "unknown-source", f"{what}: no OpenAPI source description named {name!r}", pointer
            )
        return source

    # -- workflows -------------------------------------------------------------------------

    def collect_workflows(self) -> None:
        for index, raw in _items(self.data.get("workflows")):
            at = _j("/workflows", index)
            if not isinstance(raw, dict) or not isinstance(raw.get("workflowId"), str):
                continue
            workflow_id = raw["workflowId"]
            if workflow_id in self.workflows:
                self.current = None
                self.problems.append(
                    Problem(
                        "duplicate-workflow-id",
                        "error",
                        f"workflowId {workflow_id!r} is used twice",
                        self.loaded.location(_j(at, "workflowId")),
                        workflow_id,
                    )
                )
                continue
            workflow = _Workflow(workflow_id, at, raw)
            self.workflows[workflow_id] = workflow
            self.calls[workflow_id] = set()
            self.current = workflow
            for step_index, step in _items(raw.get("steps")):
                step_at = _j(at, "steps", step_index)
                if not isinstance(step, dict) or not isinstance(step.get("stepId"), str):
                    continue
                step_id = step["stepId"]
                workflow.every_step.append((step_id, step_at, step))
                if step_id in workflow.steps:
                    self.add(
                        "duplicate-step-id",
                        f"stepId {step_id!r} is used twice in workflow {workflow_id!r}",
                        _j(step_at, "stepId"),
                    )
                    continue
                workflow.steps[step_id] = (step_at, step)
            self.current = None

    def check_workflow(self, workflow: _Workflow) -> None:
        raw, at = workflow.raw, workflow.pointer
        for index, dep in _items(raw.get("dependsOn")):
            if isinstance(dep, str):
                self.workflow_ref(dep, _j(at, "dependsOn", index), "dependsOn")
        inherited = self.parameter_list(raw.get("parameters"), _j(at, "parameters"), None)
        for kind in ("successActions", "failureActions"):
            self.action_list(raw.get(kind), _j(at, kind), kind, workflow)
        for step_id, step_at, step in workflow.every_step:
            self.check_step(workflow, step_id, step_at, step, inherited)
        self.outputs(raw.get("outputs"), _j(at, "outputs"), workflow, None)

    # -- steps -----------------------------------------------------------------------------

    def check_step(
        self,
        workflow: _Workflow,
        step_id: str,
        at: str,
        step: dict[str, Any],
        inherited: dict[tuple[str, str | None], str],
    ) -> None:
        operation: Operation | None = None
        is_async = "channelPath" in step or "action" in step
        if is_async:
            self.add(
                "unsupported-asyncapi",
                f"step {step_id!r}: AsyncAPI steps are not supported yet",
                at,
            )
            return  # refused as a whole: its AsyncAPI expressions ($message...) are not checked
        elif isinstance(step.get("operationId"), str):
            operation = self.operation_id(step["operationId"], _j(at, "operationId"))
        elif isinstance(step.get("operationPath"), str):
            operation = self.operation_path(step["operationPath"], _j(at, "operationPath"))
        if operation is not None:
            self.operations[at] = operation
        elif isinstance(step.get("workflowId"), str):
            self.workflow_ref(step["workflowId"], _j(at, "workflowId"), "step")
            if "timeout" in step:
                self.add(
                    "timeout-not-applied",
                    f"step {step_id!r} calls a workflow: its 'timeout' is not applied (only "
                    "HTTP calls of operation steps are timed); set timeouts on that workflow's "
                    "steps",
                    _j(at, "timeout"),
                    "warning",
                )
            if "requestBody" in step:
                self.add(
                    "request-body-on-workflow-step",
                    f"step {step_id!r} calls a workflow: its 'requestBody' is ignored (a request "
                    "body is only sent by operation steps; pass values as parameters)",
                    _j(at, "requestBody"),
                    "warning",
                )
        own = self.parameter_list(step.get("parameters"), _j(at, "parameters"), step)
        if isinstance(step.get("workflowId"), str):
            self.workflow_inputs_given(step["workflowId"], step, at, step_id)
        if operation is not None:
            self.required_parameters(operation, {**inherited, **own}, at, step_id)
            self.undeclared_parameters(operation, own, step_id)
        if "workflowId" not in step:
            self.request_body(step.get("requestBody"), _j(at, "requestBody"), workflow)
        for index, criterion in _items(step.get("successCriteria")):
            self.criterion(criterion, _j(at, "successCriteria", index), workflow)
        self.action_list(step.get("onSuccess"), _j(at, "onSuccess"), "successActions", workflow)
        self.action_list(step.get("onFailure"), _j(at, "onFailure"), "failureActions", workflow)
        self.outputs(step.get("outputs"), _j(at, "outputs"), workflow, step)
        for index, dep in _items(step.get("dependsOn")):
            if isinstance(dep, str):
                self.step_dependency(dep, _j(at, "dependsOn", index), workflow)

    def step_dependency(self, dep: str, pointer: str, workflow: _Workflow) -> None:
        if not dep.startswith("$"):
            if dep not in workflow.steps:
                self.add(
                    "unknown-step-id",
                    f"dependsOn: no step {dep!r} in workflow {workflow.workflow_id!r}",
                    pointer,
                )
            return
        parts = dep.split(".")
        if parts[0] == "$workflows" and len(parts) == 4:
            target = self.workflows.get(parts[1])
            if target is None:
                self.add("unknown-workflow-id", f"dependsOn: no workflow {parts[1]!r}", pointer)
            elif parts[3] not in target.steps:
                self.add(
                    "unknown-step-id",
                    f"dependsOn: no step {parts[3]!r} in workflow {parts[1]!r}",
                    pointer,
                )

    # -- operations ------------------------------------------------------------------------

    def openapi_sources(self) -> list[SourceDescription]:
        return [s for s in self.sources.values() if s.type != "arazzo"]

    def operation_id(self, ref: str, pointer: str) -> Operation | None:
        if ref.startswith(_SRC):
            name, _, op_id = ref[len(_SRC) :].partition(".")
            source = self.named_source(name, f"operationId {ref!r}", pointer)
            if source is None:
                return None
            if source.type == "arazzo":
                self.add(
                    "unknown-operation-id",
                    f"operationId {ref!r}: {name!r} is an arazzo "
                    "source description, not an API description",
                    pointer,
                )
                return None
            if source.type == "asyncapi":
                self.asyncapi_operation(ref, pointer)
                return None
            if source.openapi is None:
                return None  # unreadable (warned once) or not OpenAPI
            found = source.openapi.find_operation(op_id)
            if found is None:
                self.add(
                    "unknown-operation-id",
                    f"operationId {op_id!r} not found in source {name!r}",
                    pointer,
                )
            return found
        candidates = self.openapi_sources()
        if len(candidates) > 1:
            names = ", ".join(s.name for s in candidates)
            matches = [
                op
                for s in candidates
                if s.openapi is not None
                for op in [s.openapi.find_operation(ref)]
                if op is not None
            ]
            unreadable = any(s.openapi is None for s in candidates)
            rule = (
                f"operationId {ref!r} must be written $sourceDescriptions.<name>.{ref} because "
                f"there are several API source descriptions ({names})"
            )
            if len(matches) == 1:
                # Unambiguous: the run binds it; the spec's MUST is still broken.
                self.add("unqualified-operation-id", rule, pointer, "warning")
                return matches[0]
            if len(matches) > 1:
                found_in = ", ".join(m.source_name for m in matches)
                self.add("unqualified-operation-id", f"{rule}; it is in {found_in}", pointer)
            elif not unreadable:
                self.add(
                    "unknown-operation-id",
                    f"operationId {ref!r} not found in any source description ({names})",
                    pointer,
                )
            return None
        if not candidates:
            self.add(
                "unknown-operation-id",
                f"operationId {ref!r}: there is no API source description",
                pointer,
            )
            return None
        source = candidates[0]
        if source.type == "asyncapi":
            self.asyncapi_operation(ref, pointer)
            return None
        if source.openapi is None:
            return None
        found = source.openapi.find_operation(ref)
        if found is None:
            hint = ""
            head, dot, tail = ref.partition(".")
            if dot and head in self.sources:
                hint = f"; to name source {head!r} write $sourceDescriptions.{head}.{tail}"
            self.add(
                "unknown-operation-id",
                f"operationId {ref!r} not found in source {source.name!r}{hint}",
                pointer,
            )
        return found

    def operation_path(self, ref: str, pointer: str) -> Operation | None:
        parsed = operation_path(ref)
        if parsed is None:
            self.add(
                "bad-operation-path",
                f"operationPath must look like '{{$sourceDescriptions.<name>.url}}#<JSON "
                f"Pointer to an operation>', not {ref!r}",
                pointer,
            )
            return None
        name, fragment = parsed.source, unquote(parsed.fragment)
        if not parsed.standard:
            self.add(
                "operation-path-style",
                f"operationPath {ref!r} names its source without the standard "
                f"'{{$sourceDescriptions.{name}.url}}#...' form; read as that form",
                pointer,
                "warning",
            )
        source = self.named_source(name, f"operationPath {ref!r}", pointer)
        if source is None:
            return None
        try:
            tokens = parse_pointer(fragment)
        except ArazzoError as exc:
            self.add("bad-operation-path", f"operationPath {ref!r}: {exc.message}", pointer)
            return None
        if (
            len(tokens) != 3
            or tokens[0] not in ("paths", "webhooks")
            or (tokens[2] not in HTTP_METHODS)
        ):
            self.add(
                "bad-operation-path",
                f"operationPath {ref!r} does not point at an operation (expected "
                "#/paths/<escaped path>/<http method>)",
                pointer,
            )
            return None
        if source.openapi is None:
            return None
        try:
            return source.openapi.operation_at(fragment)
        except ArazzoError:
            self.add(
                "unknown-operation-path",
                f"operationPath {ref!r} does not name an operation: nothing at {fragment!r} in "
                f"source {name!r}",
                pointer,
            )
            return None

    # -- workflows references -------------------------------------------------------------

    def workflow_inputs_given(
        self, ref: str, step: Mapping[str, Any], at: str, step_id: str
    ) -> None:
        """Warn when a workflow step passes a parameter the called workflow has no input for
        (a likely typo: the target would run with its default or without that input)."""
        target: Any = None
        if ref.startswith(_SRC):
            name, _, workflow_id = ref[len(_SRC) :].partition(".")
            source = self.source(name)
            if source is not None and source.arazzo is not None:
                target = source.arazzo.workflows.get(workflow_id, (None, None))[1]
        elif ref in self.workflows:
            target = self.workflows[ref].raw
        inputs = target.get("inputs") if isinstance(target, Mapping) else None
        properties = inputs.get("properties") if isinstance(inputs, Mapping) else None
        if not isinstance(inputs, Mapping) or not isinstance(properties, Mapping):
            return
        if "$ref" in inputs:
            return
        for index, parameter in _items(step.get("parameters")):
            given = parameter.get("name") if isinstance(parameter, Mapping) else None
            if isinstance(given, str) and given not in properties:
                known = ", ".join(map(str, properties)) or "none"
                self.add(
                    "unknown-input",
                    f"step {step_id!r} passes {given!r} to workflow {ref!r}, which has no such "
                    f"input (inputs: {known})",
                    _j(at, "parameters", index, "name"),
                    severity="warning",
                )

    def workflow_ref(self, ref: str, pointer: str, what: str) -> None:
        if ref.startswith(_SRC):
            name, _, workflow_id = ref[len(_SRC) :].partition(".")
            source = self.named_source(name, f"{what} {ref!r}", pointer)
            if source is None:
                return
            if source.type != "arazzo":
                self.add(
                    "unknown-workflow-id",
                    f"{what} {ref!r}: {name!r} is not an arazzo source description",
                    pointer,
                )
            elif source.arazzo is not None and workflow_id not in source.arazzo.workflows:
                self.add(
                    "unknown-workflow-id",
                    f"{what} {ref!r}: source {name!r} has no workflow {workflow_id!r}",
                    pointer,
                )
            return
        if ref not in self.workflows:
            known = ", ".join(self.workflows) or "none"
            self.add(
                "unknown-workflow-id",
                f"{what} {ref!r}: no such workflow in this document (workflows: {known})",
                pointer,
            )
        elif self.current is not None:
            self.calls[self.current.workflow_id].add(ref)

    def check_cycles(self) -> None:
        graph: dict[str, list[tuple[str, str]]] = {}
        for workflow_id, workflow in self.workflows.items():
            graph[workflow_id] = [
                (dep, _j(workflow.pointer, "dependsOn", index))
                for index, dep in _items(workflow.raw.get("dependsOn"))
                if isinstance(dep, str) and dep in self.workflows
            ]
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for nxt, at in graph.get(node, []):
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.current = self.workflows[node]
                        self.add("depends-on-cycle", "dependsOn cycle: " + " -> ".join(cycle), at)
                        self.current = None
                elif state.get(nxt) is None:
                    visit(nxt, [*path, nxt])
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node, [node])

    # -- parameters ------------------------------------------------------------------------

    def parameter_list(
        self, raw: Any, pointer: str, step: dict[str, Any] | None
    ) -> dict[tuple[str, str | None], str]:
        """Check a parameter list; return its identities (name, in) -> pointer."""
        seen: dict[tuple[str, str | None], str] = {}
        names: set[tuple[str, Any]] = set()
        for index, item in _items(raw):
            at = _j(pointer, index)
            if not isinstance(item, dict):
                continue
            param: dict[str, Any] | None = item
            if "reference" in item:
                param = self.component(item.get("reference"), "parameters", _j(at, "reference"))
                if "value" in item:
                    self.value(item["value"], _j(at, "value"), "parameter value")
                if param is None:
                    continue
            elif "value" in item:
                self.value(item["value"], _j(at, "value"), "parameter value")
            assert param is not None
            name, where = param.get("name"), param.get("in")
            if not isinstance(name, str) or not isinstance(where, (str, type(None))):
                continue  # the schema check reports a non-string name or location
            key = (
                name.lower() if where == "header" else name,
                where if isinstance(where, str) else None,
            )
            if key in seen:
                place = f" in {where}" if isinstance(where, str) else ""
                exact = (name, where) in names
                self.add(
                    "duplicate-parameter",
                    f"parameter {name!r}{place} is given twice"
                    + ("" if exact else " (header names are case-insensitive)"),
                    at,
                    "error" if exact else "warning",
                )
            seen[key] = at
            names.add((name, where))
        return seen

    def asyncapi_operation(self, ref: str, pointer: str) -> None:
        """An operationId that names an AsyncAPI operation: refused, not supported yet."""
        self.add(
            "unsupported-asyncapi",
            f"operationId {ref!r} names an AsyncAPI operation: "
            "AsyncAPI steps are not supported yet",
            pointer,
        )

    def required_parameters(
        self,
        operation: Operation,
        given: Mapping[tuple[str, str | None], str],
        at: str,
        step_id: str,
    ) -> None:
        """A warning per required parameter the step leaves out: no Arazzo rule asks for it.
        The run sends the OpenAPI ``default`` / ``example`` when there is one (the binder adds
        it), else the call goes without it."""
        for parameter, stand_in in missing_required(operation, given):
            then = (
                f"the run sends its OpenAPI default/example {stand_in!r}"
                if stand_in is not NO_VALUE
                else "the call goes without it"
            )
            self.add(
                "missing-parameter",
                f"step {step_id!r}: {operation.describe()} requires {parameter.location} "
                f"parameter {parameter.name!r}, which neither the step nor its workflow gives; "
                + then,
                at,
                "warning",
            )

    def undeclared_parameters(
        self,
        operation: Operation,
        own: Mapping[tuple[str, str | None], str],
        step_id: str,
    ) -> None:
        """A warning for each path/query/header/cookie parameter the step sends that the
        operation does not declare (likely a typo; header names compare case-insensitively)."""
        declared = {parameter.key for parameter in operation.parameters}
        for (name, where), at in own.items():
            if where not in ("path", "query", "header", "cookie"):
                continue
            if where == "header" and name in IGNORED_HEADERS:
                continue  # OpenAPI: never declared as parameters (media types, security)
            if (name, where) in declared:
                continue
            self.add(
                "undeclared-parameter",
                f"step {step_id!r}: {operation.describe()} declares no {where} parameter "
                f"{name!r} (a typo?); it is sent as given",
                at,
                "warning",
            )

    # -- components ------------------------------------------------------------------------

    def component(self, reference: Any, kind: str, pointer: str) -> dict[str, Any] | None:
        if not isinstance(reference, str):
            return None
        prefix = "$components."
        if not reference.startswith(prefix):
            self.add(
                "bad-reference",
                f"reference {reference!r} must be '$components.{kind}.<name>'",
                pointer,
            )
            return None
        found_kind, _, key = reference[len(prefix) :].partition(".")
        if found_kind != kind:
            self.add(
                "wrong-component-kind",
                f"reference {reference!r} names {found_kind!r} but this list holds {kind} "
                f"('$components.{kind}.<name>')",
                pointer,
            )
            return None
        items = _mapping(_mapping(self.data.get("components")).get(kind))
        item = items.get(key)
        if not isinstance(item, dict):
            self.add(
                "unknown-component",
                f"{reference} does not exist in this document's components",
                pointer,
            )
            return None
        return item

    def check_components(self) -> None:
        components = _mapping(self.data.get("components"))
        for kind in ("inputs", "parameters", "successActions", "failureActions"):
            for key in _mapping(components.get(kind)):
                if not _KEY.match(key):
                    self.add(
                        "bad-component-name",
                        f"component key {key!r} must match [a-zA-Z0-9.-_]+",
                        _j("/components", kind, key),
                    )
        for key, param in _mapping(components.get("parameters")).items():
            if isinstance(param, dict) and "value" in param:
                self.value(
                    param["value"], _j("/components/parameters", key, "value"), "parameter value"
                )
        for kind in ("successActions", "failureActions"):
            for key, action in _mapping(components.get(kind)).items():
                if isinstance(action, dict):
                    self.action(action, _j("/components", kind, key), None)

    # -- actions ---------------------------------------------------------------------------

    def action_list(self, raw: Any, pointer: str, kind: str, workflow: _Workflow) -> None:
        names: set[str] = set()
        for index, item in _items(raw):
            at = _j(pointer, index)
            if not isinstance(item, dict):
                continue
            action = item
            if "reference" in item:
                found = self.component(item.get("reference"), kind, _j(at, "reference"))
                if found is None:
                    continue
                action = found
                self.action_targets(action, at, workflow)
            else:
                self.action(item, at, workflow)
            name = action.get("name")
            if isinstance(name, str):
                if name in names:
                    self.add(
                        "duplicate-action-name",
                        f"action name {name!r} is used twice in this list",
                        at,
                    )
                names.add(name)

    def action(self, action: dict[str, Any], at: str, workflow: _Workflow | None) -> None:
        for index, criterion in _items(action.get("criteria")):
            self.criterion(criterion, _j(at, "criteria", index), workflow)
        self.parameter_list(action.get("parameters"), _j(at, "parameters"), None)
        if workflow is not None:
            self.action_targets(action, at, workflow)

    def action_targets(self, action: dict[str, Any], at: str, workflow: _Workflow) -> None:
        step_id = action.get("stepId")
        if isinstance(step_id, str) and step_id not in workflow.steps:
            self.add(
                "unknown-step-id",
                f"action {action.get('name')!r}: no step {step_id!r} in "
                f"workflow {workflow.workflow_id!r}",
                _j(at, "stepId"),
            )
        target = action.get("workflowId")
        if isinstance(target, str):
            self.workflow_ref(target, _j(at, "workflowId"), f"action {action.get('name')!r}")

    # -- criteria --------------------------------------------------------------------------

    def criterion(self, raw: Any, at: str, workflow: _Workflow | None) -> None:
        if not isinstance(raw, dict) or not isinstance(raw.get("condition"), str):
            return
        text: str = raw["condition"]
        kind_raw = raw.get("type", "simple")
        if kind_raw == "simple" or "{$" in text:
            text = self.read(text, _j(at, "condition"), condition=kind_raw == "simple")
        version: Any = raw.get("version")
        if isinstance(kind_raw, dict):
            version = kind_raw.get("version")
            kind_raw = kind_raw.get("type")
        if kind_raw not in _CRITERION_TYPES:
            return  # reported by the schema
        kind = str(kind_raw)
        if "context" in raw and isinstance(raw["context"], str):
            self.expression(raw["context"], _j(at, "context"), "context", workflow, whole=True)
        cond_at = _j(at, "condition")
        if kind == "simple":
            try:
                condition = parse_condition(text)
            except ExpressionError as exc:
                self.expression_problem(exc, cond_at, "condition")
                return
            self.refs(references(condition), cond_at, workflow)
            return
        if "{$" in text:
            self.value(text, cond_at, f"{kind} condition")
            return
        version_text = version if isinstance(version, str) else default_version(kind)
        problem = syntax_problem(kind, version_text, text)
        if problem:
            code = {"regex": "bad-regex", "jsonpath": "bad-jsonpath", "xpath": "bad-xpath"}[kind]
            label = kind if kind == "regex" else f"{kind} ({version_text})"
            self.add(code, f"invalid {label} {text!r}: {problem}", cond_at)

    # -- values and expressions ------------------------------------------------------------

    def read(self, text: str, at: str, *, condition: bool = False) -> str:
        """``text`` as the document's grammar reads it (see `grammar.py`), warning about each
        lenient reading."""
        out, notes = self.grammar.text(text, condition=condition)
        for note in notes:
            self.note(note, at)
        return out

    def note(self, note: Note, at: str) -> None:
        """Report one lenient reading as a warning."""
        self.add(note.code, note.message, at, "warning")

    def expression(
        self, text: str, at: str, what: str, workflow: _Workflow | None, whole: bool
    ) -> None:
        text = self.read(text, at)
        if whole and text.startswith("$"):
            try:
                expr = parse_expression(text)
            except ExpressionError as exc:
                self.expression_problem(exc, at, what)
                return
            self.refs([expr], at, workflow)
            return
        self.value(text, at, what)

    def value(self, raw: Any, at: str, what: str) -> None:
        """Compile a value (parameter value, payload, replacement value...) and check it."""
        for pointer, text in _strings(raw, at, self.v11):
            if not isinstance(text, str):
                self.selector(text, pointer)
                continue
            text = self.read(text, pointer)
            self.unbraced(text, pointer)
            if _ROOT.match(text):
                try:
                    parse_expression(text)
                except ExpressionError as exc:
                    self.expression_problem(exc, pointer, what)
                    continue
            try:
                compiled = compile_value(text)
            except ExpressionError as exc:
                self.expression_problem(exc, pointer, what)
                continue
            self.refs(references(compiled), pointer, self.current)

    def unbraced(self, text: str, at: str) -> None:
        """Warn about a runtime expression written inside a longer text without ``{}``: it is
        sent literally (``Bearer $steps.login.outputs.token``)."""
        if "$" not in text or _ROOT.match(text):
            return
        bare = _UNBRACED.search(_BRACED.sub("", text))
        if bare is not None:
            self.add(
                "unbraced-expression",
                f"{bare.group()!r} inside {text!r} is not evaluated: only a whole value or "
                f"'{{{bare.group()}}}' is an expression, so this text is sent literally",
                at,
                "warning",
            )

    def selector(self, raw: dict[str, Any], at: str) -> None:
        context = raw.get("context")
        if isinstance(context, str):
            self.expression(context, _j(at, "context"), "selector context", self.current, True)
        kind_raw = raw.get("type")
        version: Any = None
        if isinstance(kind_raw, dict):
            version = kind_raw.get("version")
            kind_raw = kind_raw.get("type")
        text = raw.get("selector")
        if kind_raw not in ("jsonpath", "xpath", "jsonpointer") or not isinstance(text, str):
            return
        if "{$" in text:
            return
        version_text = version if isinstance(version, str) else default_version(str(kind_raw))
        problem = syntax_problem(str(kind_raw), version_text, text)
        if problem:
            code = {"jsonpath": "bad-jsonpath", "xpath": "bad-xpath"}.get(
                str(kind_raw), "bad-pointer"
            )
            self.add(code, f"invalid {kind_raw} selector {text!r}: {problem}", _j(at, "selector"))

    def request_body(self, raw: Any, at: str, workflow: _Workflow) -> None:
        if not isinstance(raw, dict):
            return
        if "payload" in raw:
            self.value(raw["payload"], _j(at, "payload"), "payload")
        content_type = raw.get("contentType")
        targets: set[str] = set()
        for index, item in _items(raw.get("replacements")):
            r_at = _j(at, "replacements", index)
            if not isinstance(item, dict):
                continue
            if "value" in item:
                self.value(item["value"], _j(r_at, "value"), "replacement value")
            target = item.get("target")
            if not isinstance(target, str):
                continue
            if target in targets:
                self.add(
                    "duplicate-replacement",
                    f"replacement target {target!r} is given twice",
                    _j(r_at, "target"),
                )
            targets.add(target)
            kind = item.get("targetSelectorType")
            version: Any = None
            if isinstance(kind, dict):
                version = kind.get("version")
                kind = kind.get("type")
            if not isinstance(kind, str):
                kind = target_type(content_type)
            if kind not in ("jsonpath", "xpath", "jsonpointer") or "{$" in target:
                continue
            version_text = version if isinstance(version, str) else default_version(kind)
            problem = syntax_problem(kind, version_text, target)
            if problem:
                self.add(
                    "bad-replacement-target",
                    f"replacement target {target!r} is not a valid {kind}: {problem}",
                    _j(r_at, "target"),
                )

    def outputs(self, raw: Any, at: str, workflow: _Workflow, step: dict[str, Any] | None) -> None:
        for name, value in _mapping(raw).items():
            o_at = _j(at, name)
            if not _KEY.match(name):
                self.add(
                    "bad-output-name", f"output name {name!r} must match [a-zA-Z0-9.-_]+", o_at
                )
            if isinstance(value, str):
                calls_workflow = step is not None and "workflowId" in step
                self.expression(
                    value, o_at, "output", None if calls_workflow else workflow, whole=True
                )
            elif self.v11 and isinstance(value, dict):
                self.selector(value, o_at)

    def declared_inputs(self, workflow: _Workflow) -> Mapping[str, Any] | None:
        """The ``properties`` of a workflow's inputs schema (one ``$ref`` to
        ``#/components/inputs/<key>`` followed), or None when unknown."""
        if workflow.inputs is _UNSET:
            schema = workflow.raw.get("inputs")
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if isinstance(ref, str) and ref.startswith("#/components/inputs/"):
                key = ref[len("#/components/inputs/") :]
                inputs = _mapping(_mapping(self.data.get("components")).get("inputs"))
                schema = inputs.get(key)
            properties = schema.get("properties") if isinstance(schema, dict) else None
            workflow.inputs = properties if isinstance(properties, dict) else None
        return workflow.inputs  # type: ignore[return-value]

    def input_name(self, expr: RuntimeExpression, at: str, workflow: _Workflow) -> None:
        """Warn about ``$inputs.<name>`` whose name is a near miss of a declared input."""
        declared = self.declared_inputs(workflow)
        name = expr.name
        if not declared or name is None or _has_output(declared, name):
            return
        folded = [k for k in declared if str(k).casefold() == name.casefold()]
        close = folded or difflib.get_close_matches(name, [str(k) for k in declared], n=1)
        if close:
            self.add(
                "undeclared-input",
                f"{expr.text}: workflow {workflow.workflow_id!r} declares no input {name!r}; "
                f"did you mean {close[0]!r}? (input names are case-sensitive)",
                at,
                "warning",
            )

    def spaced_step_id(self, expr: RuntimeExpression, at: str, workflow: _Workflow | None) -> None:
        """``$steps.<id with spaces>``: the grammar ends an id at a space. Arazzo 1.0 documents
        are read with the 1.0 grammar, which such documents rely on: accepted when the step
        exists (the id pattern is a SHOULD), with a warning; an error in 1.1."""
        if self.v11:
            self.add(
                "bad-expression",
                f"{expr.text}: a step id in a runtime expression cannot contain spaces "
                "(stepIds should match [A-Za-z0-9_-]+)",
                at,
            )
        elif workflow is not None and expr.target in workflow.steps:
            self.add(
                "step-id-pattern",
                f"{expr.text}: step id {expr.target!r} has spaces (stepIds should match "
                "[A-Za-z0-9_-]+); read as that step, as Arazzo 1.0 documents do",
                at,
                "warning",
            )

    def refs(self, found: list[RuntimeExpression], at: str, workflow: _Workflow | None) -> None:
        for expr in found:
            if expr.root == "steps" and expr.target is not None and " " in expr.target:
                self.spaced_step_id(expr, at, workflow)
            if expr.root == "inputs" and workflow is not None:
                self.input_name(expr, at, workflow)
            elif expr.root == "steps" and workflow is not None and expr.target is not None:
                entry = workflow.steps.get(expr.target)
                if entry is None:
                    self.add(
                        "unresolved-step-output",
                        f"{expr.text}: no step {expr.target!r} in "
                        f"workflow {workflow.workflow_id!r}",
                        at,
                    )
                    continue
                outputs = _mapping(entry[1].get("outputs"))
                if expr.name is not None and not _has_output(outputs, expr.name):
                    known = ", ".join(outputs) or "none"
                    self.add(
                        "unresolved-step-output",
                        f"{expr.text}: step {expr.target!r} has "
                        f"no output {expr.name!r} (outputs: {known})",
                        at,
                    )
            elif expr.root == "workflows" and expr.target is not None:
                target = self.workflows.get(expr.target)
                if target is None:
                    self.add(
                        "unresolved-workflow-output",
                        f"{expr.text}: no workflow {expr.target!r} in this document",
                        at,
                    )
                elif expr.field == "outputs" and expr.name is not None:
                    outputs = _mapping(target.raw.get("outputs"))
                    if not _has_output(outputs, expr.name):
                        self.add(
                            "unresolved-workflow-output",
                            f"{expr.text}: workflow {expr.target!r} has no output {expr.name!r}",
                            at,
                        )
            elif (
                expr.root == "sourceDescriptions"
                and expr.target is not None
                and expr.target not in self.sources
            ):
                self.add(
                    "unknown-source",
                    f"{expr.text}: no source description named {expr.target!r}",
                    at,
                )


def _has_output(outputs: Mapping[str, Any], name: str) -> bool:
    if name in outputs:
        return True
    parts = name.split(".")
    return any(".".join(parts[:n]) in outputs for n in range(1, len(parts)))


def _strings(raw: Any, at: str, selectors: bool) -> Iterator[tuple[str, Any]]:
    """Every string (and, when ``selectors`` (Arazzo 1.1), Selector Object) inside a value,
    with its pointer. In 1.0 a mapping with the keys of a selector is a plain mapping."""
    if isinstance(raw, str):
        yield at, raw
    elif isinstance(raw, dict):
        if selectors and is_selector(raw):
            yield at, raw
            return
        for key, value in raw.items():
            yield from _strings(value, pointer_join(at, key), selectors)
    elif isinstance(raw, list):
        for index, value in enumerate(raw):
            yield from _strings(value, pointer_join(at, index), selectors)


def check_semantics(
    loaded: LoadedText, sources: Mapping[str, SourceDescription], version: str
) -> Checks:
    """Run the checks over a document (a mapping) and return them, with their findings."""
    checker = Checks(loaded, sources, version)
    checker.run()
    return checker
