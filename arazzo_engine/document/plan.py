"""Compile a workflow into a plan: every step bound to its target, every expression parsed.

A plan is built once per workflow per document and reused by every run; it holds no run state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..criteria import (
    Computed,
    Criterion,
    compile_computed,
    compile_criterion,
    expression_type,
    syntax_problem,
)
from ..errors import BindingError, DocumentError, ExpressionError, Location
from ..openapi.description import Operation
from .loader import pointer_join

if TYPE_CHECKING:
    from .model import Document

__all__ = [
    "ActionPlan",
    "BodyPlan",
    "ParameterPlan",
    "StepPlan",
    "WorkflowPlan",
    "compile_workflow",
]

_SOURCE_PREFIX = "$sourceDescriptions."
#: The longest step ``timeout`` accepted, in milliseconds (a day).
_MAX_STEP_TIMEOUT_MS = 86_400_000


@dataclass(frozen=True)
class ParameterPlan:
    """A parameter to send: name, location (None for workflow-step inputs) and compiled value."""

    name: str
    location: str | None
    value: Computed

    @property
    def key(self) -> tuple[str, str | None]:
        """Identity: name (case-insensitive for headers) and location."""
        return (self.name.lower() if self.location == "header" else self.name), self.location


@dataclass(frozen=True)
class BodyPlan:
    """A compiled Request Body Object."""

    content_type: str | None
    payload: Computed
    replacements: tuple[tuple[str, Computed], ...] = ()
    #: (type, version) of each replacement target: ("jsonpointer", ...), ("xpath", ...),
    #: ("jsonpath", ...), or ("", "") when the payload's media type decides.
    replacement_types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ActionPlan:
    """A compiled Success or Failure Action Object."""

    name: str
    type: str  # end | goto | retry
    step_id: str | None
    workflow: tuple[Document, str] | None
    retry_after: float | None
    retry_limit: int
    criteria: tuple[Criterion, ...]
    location: Location | None
    #: Inputs for the target workflow (Arazzo 1.1 action ``parameters``).
    parameters: tuple[ParameterPlan, ...] = ()

    @property
    def target(self) -> str | None:
        """The stepId or workflowId the action names, if any."""
        return self.step_id if self.workflow is None else self.workflow[1]


@dataclass(frozen=True)
class StepPlan:
    """A step bound to an operation or to a workflow."""

    step_id: str
    index: int
    location: Location
    operation: Operation | None
    workflow: tuple[Document, str] | None
    parameters: tuple[ParameterPlan, ...]
    body: BodyPlan | None
    success_criteria: tuple[Criterion, ...]
    on_success: tuple[ActionPlan, ...] | None
    on_failure: tuple[ActionPlan, ...] | None
    outputs: Mapping[str, Computed]
    timeout: float | None = None

    @property
    def target(self) -> str:
        """What the step calls, for messages."""
        if self.operation is not None:
            return self.operation.describe()
        assert self.workflow is not None
        return f"workflow {self.workflow[1]}"


@dataclass(frozen=True)
class WorkflowPlan:
    """A workflow ready to run."""

    document: Document
    workflow_id: str
    location: Location
    inputs_schema: dict[str, Any] | None
    steps: tuple[StepPlan, ...]
    outputs: Mapping[str, Computed]
    success_actions: tuple[ActionPlan, ...]
    failure_actions: tuple[ActionPlan, ...]
    depends_on: tuple[tuple[Document, str], ...]
    step_index: Mapping[str, int] = field(default_factory=dict)


class _Compiler:
    def __init__(self, document: Document, workflow_id: str) -> None:
        self.doc = document
        self.workflow_id = workflow_id
        self.selectors = document.version.startswith("1.1")

    def where(self, pointer: str) -> Location:
        return self.doc.location(pointer)

    def value(self, raw: Any, pointer: str) -> Computed:
        """Compile a value; Selector Objects are recognised in Arazzo 1.1 documents."""
        try:
            return compile_computed(raw, self.where(pointer), self.selectors)
        except ExpressionError as exc:
            raise exc.with_location(self.where(pointer)) from None

    # -- references -----------------------------------------------------------------------

    def component(self, reference: Any, kind: str, pointer: str) -> tuple[Any, str]:
        prefix = f"$components.{kind}."
        if not isinstance(reference, str) or not reference.startswith(prefix):
            raise DocumentError(
                f"reference must be '{prefix}<name>', got {reference!r}", self.where(pointer)
            )
        key = reference[len(prefix) :]
        items = self.doc.components.get(kind) or {}
        if key not in items:
            raise DocumentError(
                f"{reference} does not exist in this document's components", self.where(pointer)
            )
        return items[key], pointer_join(pointer_join("/components", kind), key)

    def workflow_ref(self, ref: str, pointer: str) -> tuple[Document, str]:
        if ref.startswith(_SOURCE_PREFIX):
            name, _, workflow_id = ref[len(_SOURCE_PREFIX) :].partition(".")
            source = self.doc.sources.get(name)
            if source is not None and source.error is not None:
                raise BindingError(
                    f"{ref}: source {name!r} could not be loaded: {source.error}",
                    self.where(pointer),
                )
            if source is None or source.arazzo is None:
                raise BindingError(
                    f"{ref}: {name!r} is not an arazzo source description", self.where(pointer)
                )
            target = source.arazzo
        else:
            target, workflow_id = self.doc, ref
        if workflow_id not in target.workflows:
            raise BindingError(f"workflow {ref!r} does not exist", self.where(pointer))
        return target, workflow_id

    # -- pieces ---------------------------------------------------------------------------

    def operation(self, step: Mapping[str, Any], pointer: str) -> Operation:
        if "operationId" in step:
            ref = step["operationId"]
            at = pointer_join(pointer, "operationId")
            if not isinstance(ref, str):
                raise BindingError("operationId must be a string", self.where(at))
            if ref.startswith(_SOURCE_PREFIX):
                name, _, op_id = ref[len(_SOURCE_PREFIX) :].partition(".")
                source = self.doc.sources.get(name)
                if source is not None and source.error is not None:
                    raise BindingError(
                        f"{ref}: source {name!r} could not be loaded: {source.error}",
                        self.where(at),
                    )
                if source is None or source.openapi is None:
                    raise BindingError(
                        f"{ref}: no OpenAPI source description named {name!r}", self.where(at)
                    )
                found = source.openapi.find_operation(op_id)
                if found is None:
                    raise BindingError(
                        f"operationId {op_id!r} not found in source {name!r}", self.where(at)
                    )
                return found
            matches = [
                op
                for src in self.doc.sources.values()
                if src.openapi is not None
                for op in [src.openapi.find_operation(ref)]
                if op is not None
            ]
            if not matches:
                broken = [s for s in self.doc.sources.values() if s.error is not None]
                detail = "".join(
                    f"; source {s.name!r} could not be loaded: {s.error}" for s in broken
                )
                raise BindingError(
                    f"operationId {ref!r} not found in any source description{detail}",
                    self.where(at),
                )
            if len(matches) > 1:
                names = ", ".join(m.source_name for m in matches)
                raise BindingError(
                    f"operationId {ref!r} is in several sources ({names}); write "
                    f"$sourceDescriptions.<name>.{ref}",
                    self.where(at),
                )
            return matches[0]
        ref = step["operationPath"]
        at = pointer_join(pointer, "operationPath")
        if not isinstance(ref, str) or not ref.startswith("{" + _SOURCE_PREFIX) or "#" not in ref:
            raise BindingError(
                "operationPath must look like '{$sourceDescriptions.<name>.url}#/paths/...'",
                self.where(at),
            )
        head, _, fragment = ref.partition("#")
        name = head[len("{" + _SOURCE_PREFIX) :].removesuffix("}").removesuffix(".url")
        source = self.doc.sources.get(name)
        if source is not None and source.error is not None:
            raise BindingError(
                f"source {name!r} could not be loaded: {source.error}", self.where(at)
            )
        if source is None or source.openapi is None:
            raise BindingError(f"no OpenAPI source description named {name!r}", self.where(at))
        return source.openapi.operation_at(unquote(fragment), self.where(at))

    def parameters(self, raw: Any, pointer: str) -> list[ParameterPlan]:
        found: list[ParameterPlan] = []
        if raw is None:
            return found
        if not isinstance(raw, list):
            raise DocumentError("'parameters' must be a list", self.where(pointer))
        for index, item in enumerate(raw):
            at = pointer_join(pointer, index)
            if not isinstance(item, Mapping):
                raise DocumentError("a parameter must be a mapping", self.where(at))
            value_at = pointer_join(at, "value")
            if "reference" in item:
                base, base_at = self.component(item["reference"], "parameters", at)
                merged = dict(base)
                if "value" in item:
                    merged["value"] = item["value"]
                else:
                    value_at = pointer_join(base_at, "value")
                item = merged
            if not isinstance(item.get("name"), str) or "value" not in item:
                raise DocumentError("a parameter needs 'name' and 'value'", self.where(at))
            location = item.get("in")
            found.append(ParameterPlan(item["name"], location, self.value(item["value"], value_at)))
        return found

    def criteria(self, raw: Any, pointer: str) -> tuple[Criterion, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise DocumentError("criteria must be a list", self.where(pointer))
        return tuple(
            compile_criterion(item, self.where(pointer_join(pointer, i)))
            for i, item in enumerate(raw)
        )

    def actions(self, raw: Any, pointer: str, kind: str) -> tuple[ActionPlan, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise DocumentError(f"'{kind}' actions must be a list", self.where(pointer))
        found = []
        for index, item in enumerate(raw):
            at = pointer_join(pointer, index)
            if isinstance(item, Mapping) and "reference" in item:
                item, at = self.component(item["reference"], kind, at)
            if not isinstance(item, Mapping):
                raise DocumentError("an action must be a mapping", self.where(at))
            action_type = item.get("type")
            allowed = ("end", "goto") if kind == "successActions" else ("end", "goto", "retry")
            if action_type not in allowed:
                raise DocumentError(
                    f"action type {action_type!r} is not one of {allowed}",
                    self.where(pointer_join(at, "type")),
                )
            step_id = item.get("stepId")
            workflow = None
            if "workflowId" in item:
                workflow = self.workflow_ref(
                    str(item["workflowId"]), pointer_join(at, "workflowId")
                )
            if action_type == "goto" and (step_id is None) == (workflow is None):
                raise DocumentError(
                    "a goto action needs exactly one of stepId and workflowId", self.where(at)
                )
            retry_after = item.get("retryAfter")
            retry_limit = item.get("retryLimit", 1)
            if retry_after is not None and (
                not isinstance(retry_after, (int, float)) or retry_after < 0
            ):
                raise DocumentError(
                    "retryAfter must be a non-negative number of seconds",
                    self.where(pointer_join(at, "retryAfter")),
                )
            if not isinstance(retry_limit, int) or retry_limit < 0:
                raise DocumentError(
                    "retryLimit must be a non-negative integer",
                    self.where(pointer_join(at, "retryLimit")),
                )
            found.append(
                ActionPlan(
                    name=str(item.get("name", action_type)),
                    type=str(action_type),
                    step_id=step_id,
                    workflow=workflow,
                    retry_after=float(retry_after) if retry_after is not None else None,
                    retry_limit=retry_limit,
                    criteria=self.criteria(item.get("criteria"), pointer_join(at, "criteria")),
                    location=self.where(at),
                    parameters=tuple(
                        self.parameters(item.get("parameters"), pointer_join(at, "parameters"))
                    ),
                )
            )
        return tuple(found)

    def outputs(self, raw: Any, pointer: str) -> dict[str, Computed]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise DocumentError("'outputs' must be a mapping", self.where(pointer))
        return {
            str(name): self.value(expr, pointer_join(pointer, name)) for name, expr in raw.items()
        }

    def body(self, raw: Any, pointer: str) -> BodyPlan | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise DocumentError("'requestBody' must be a mapping", self.where(pointer))
        replacements = []
        kinds = []
        for index, item in enumerate(raw.get("replacements") or []):
            at = pointer_join(pointer_join(pointer, "replacements"), index)
            if not isinstance(item, Mapping) or not isinstance(item.get("target"), str):
                raise DocumentError("a replacement needs a string 'target'", self.where(at))
            replacements.append(
                (item["target"], self.value(item.get("value"), pointer_join(at, "value")))
            )
            kind = ("", "")
            if "targetSelectorType" in item:
                kind = expression_type(
                    item["targetSelectorType"],
                    None,
                    self.where(pointer_join(at, "targetSelectorType")),
                    ("jsonpath", "xpath", "jsonpointer"),
                )
                problem = syntax_problem(kind[0], kind[1], item["target"])
                if problem:
                    raise DocumentError(
                        f"invalid {kind[0]} target {item['target']!r}: {problem}",
                        self.where(pointer_join(at, "target")),
                    )
            kinds.append(kind)
        content_type = raw.get("contentType")
        return BodyPlan(
            content_type=str(content_type) if content_type is not None else None,
            payload=self.value(raw.get("payload"), pointer_join(pointer, "payload")),
            replacements=tuple(replacements),
            replacement_types=tuple(kinds),
        )

    # -- the whole ------------------------------------------------------------------------

    def step(self, raw: Any, index: int, pointer: str) -> StepPlan:
        where = self.where(pointer)
        if not isinstance(raw, Mapping) or not isinstance(raw.get("stepId"), str):
            raise DocumentError("a step needs a string 'stepId'", where)
        targets = [k for k in ("operationId", "operationPath", "workflowId") if k in raw]
        if "channelPath" in raw:
            raise DocumentError(
                "AsyncAPI steps (channelPath) are not supported yet",
                self.where(pointer_join(pointer, "channelPath")),
            )
        if len(targets) != 1:
            raise DocumentError(
                "a step needs exactly one of operationId, operationPath and workflowId", where
            )
        operation = workflow = None
        if targets[0] == "workflowId":
            workflow = self.workflow_ref(
                str(raw["workflowId"]), pointer_join(pointer, "workflowId")
            )
        else:
            operation = self.operation(raw, pointer)
        timeout = raw.get("timeout")
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 0 < timeout <= _MAX_STEP_TIMEOUT_MS
        ):
            raise DocumentError(
                f"a step timeout is a number of milliseconds above 0 and at most "
                f"{_MAX_STEP_TIMEOUT_MS} (a day), not {timeout!r}",
                self.where(pointer_join(pointer, "timeout")),
            )
        return StepPlan(
            step_id=raw["stepId"],
            index=index,
            location=where,
            operation=operation,
            workflow=workflow,
            parameters=tuple(
                self.parameters(raw.get("parameters"), pointer_join(pointer, "parameters"))
            ),
            body=self.body(raw.get("requestBody"), pointer_join(pointer, "requestBody")),
            success_criteria=self.criteria(
                raw.get("successCriteria"), pointer_join(pointer, "successCriteria")
            ),
            on_success=self.actions(
                raw["onSuccess"], pointer_join(pointer, "onSuccess"), "successActions"
            )
            if "onSuccess" in raw
            else None,
            on_failure=self.actions(
                raw["onFailure"], pointer_join(pointer, "onFailure"), "failureActions"
            )
            if "onFailure" in raw
            else None,
            outputs=self.outputs(raw.get("outputs"), pointer_join(pointer, "outputs")),
            timeout=float(timeout) / 1000.0 if isinstance(timeout, (int, float)) else None,
        )

    def workflow(self) -> WorkflowPlan:
        pointer, raw = self.doc.raw_workflow(self.workflow_id)
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise DocumentError(
                "a workflow needs a non-empty 'steps' list",
                self.where(pointer_join(pointer, "steps")),
            )
        steps_at = pointer_join(pointer, "steps")
        steps = tuple(
            self.step(item, i, pointer_join(steps_at, i)) for i, item in enumerate(steps_raw)
        )
        index: dict[str, int] = {}
        for step in steps:
            if step.step_id in index:
                raise DocumentError(f"stepId {step.step_id!r} is used twice", step.location)
            index[step.step_id] = step.index
        workflow_params = self.parameters(
            raw.get("parameters"), pointer_join(pointer, "parameters")
        )
        if workflow_params:
            steps = tuple(_with_workflow_parameters(s, workflow_params) for s in steps)
        success_actions = self.actions(
            raw.get("successActions"), pointer_join(pointer, "successActions"), "successActions"
        )
        failure_actions = self.actions(
            raw.get("failureActions"), pointer_join(pointer, "failureActions"), "failureActions"
        )
        for action in (*success_actions, *failure_actions, *_step_actions(steps)):
            if action.step_id is not None and action.step_id not in index:
                raise DocumentError(
                    f"action {action.name!r} goes to step {action.step_id!r}, which is not in "
                    f"workflow {self.workflow_id!r}",
                    action.location,
                )
        inputs = raw.get("inputs")
        if inputs is not None:
            inputs = self.inline_refs(inputs, pointer_join(pointer, "inputs"), ())
        depends = []
        for i, ref in enumerate(raw.get("dependsOn") or []):
            depends.append(
                self.workflow_ref(str(ref), pointer_join(pointer_join(pointer, "dependsOn"), i))
            )
        return WorkflowPlan(
            document=self.doc,
            workflow_id=self.workflow_id,
            location=self.where(pointer),
            inputs_schema=dict(inputs) if isinstance(inputs, Mapping) else None,
            steps=steps,
            outputs=self.outputs(raw.get("outputs"), pointer_join(pointer, "outputs")),
            success_actions=success_actions,
            failure_actions=failure_actions,
            depends_on=tuple(depends),
            step_index=index,
        )

    def inline_refs(self, schema: Any, pointer: str, seen: tuple[str, ...]) -> Any:
        """The inputs schema with every ``$ref`` to ``#/components/inputs/<key>`` of this
        document replaced by the referenced schema (recursively); other refs are errors."""
        if isinstance(schema, list):
            return [
                self.inline_refs(v, pointer_join(pointer, i), seen) for i, v in enumerate(schema)
            ]
        if not isinstance(schema, Mapping):
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str):
            at = pointer_join(pointer, "$ref")
            prefix = "#/components/inputs/"
            if not ref.startswith(prefix):
                raise DocumentError(
                    f"inputs $ref {ref!r} must point into {prefix!r} of this document",
                    self.where(at),
                )
            key = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
            found = (self.doc.components.get("inputs") or {}).get(key)
            if not isinstance(found, Mapping):
                raise DocumentError(
                    f"{ref} does not exist in this document's components", self.where(at)
                )
            if ref in seen:
                raise DocumentError(f"circular inputs $ref {ref!r}", self.where(at))
            resolved = self.inline_refs(
                found, pointer_join("/components/inputs", key), (*seen, ref)
            )
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            if not siblings:
                return resolved
            return {"allOf": [resolved, self.inline_refs(siblings, pointer, seen)]}
        return {
            k: (
                v
                if k in ("const", "enum", "default", "examples")
                else self.inline_refs(v, pointer_join(pointer, k), seen)
            )
            for k, v in schema.items()
        }


def _step_actions(steps: tuple[StepPlan, ...]) -> list[ActionPlan]:
    return [a for s in steps for a in (*(s.on_success or ()), *(s.on_failure or ()))]


def _with_workflow_parameters(step: StepPlan, inherited: list[ParameterPlan]) -> StepPlan:
    own = {p.key for p in step.parameters}
    if step.workflow is not None:
        return step  # workflow-level parameters address operations, not nested workflows
    merged = tuple(p for p in inherited if p.key not in own) + step.parameters
    return StepPlan(**{**step.__dict__, "parameters": merged})


def compile_workflow(document: Document, workflow_id: str) -> WorkflowPlan:
    """Compile (and bind) one workflow of ``document``."""
    return _Compiler(document, workflow_id).workflow()
