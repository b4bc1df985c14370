"""Bind a workflow into a `WorkflowPlan`: the last stage of `arazzo_engine.compile`.

The checks (`checks.py`) have already resolved every operation reference and reported every
problem they see; the binder builds the plan of a workflow they found no error in, reusing the
operations they resolved (no reference is resolved twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..criteria import Computed, Criterion, compile_computed, compile_criterion
from ..document.loader import pointer_join
from ..document.model import Document
from ..errors import BindingError, DocumentError, ExpressionError, Location
from ..expressions import Literal
from ..openapi.description import Operation
from ..queries import expression_type, syntax_problem
from .grammar import Grammar
from .plan import ActionPlan, BodyPlan, ParameterPlan, StepPlan, WorkflowPlan
from .rules import NO_VALUE as _NO_VALUE
from .rules import missing_required

__all__ = ["bind_workflow"]

_SOURCE_PREFIX = "$sourceDescriptions."
#: The longest step ``timeout`` accepted, in milliseconds (a day).
_MAX_STEP_TIMEOUT_MS = 86_400_000


class Unbound(BindingError):
    """A step needs a source description that could not be read (a warning in the report,
    but the workflow cannot run)."""


class _Binder:
    def __init__(
        self,
        document: Document,
        workflow_id: str,
        operations: Mapping[str, Operation],
        grammar: Grammar,
    ) -> None:
        self.doc = document
        self.workflow_id = workflow_id
        self.operations = operations
        self.grammar = grammar
        self.selectors = document.version.startswith("1.1")

    def where(self, pointer: str) -> Location:
        return self.doc.location(pointer)

    def value(self, raw: Any, pointer: str) -> Computed:
        """Compile a value; Selector Objects are recognised in Arazzo 1.1 documents."""
        try:
            return compile_computed(self.grammar.value(raw), self.where(pointer), self.selectors)
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
                raise Unbound(
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
        """The operation the checks resolved for this step; when they could not (a source that
        could not be read), the reason."""
        found = self.operations.get(pointer)
        if found is not None:
            return found
        key = "operationId" if "operationId" in step else "operationPath"
        at = pointer_join(pointer, key)
        broken = [s for s in self.doc.sources.values() if s.error is not None]
        detail = "; ".join(f"source {s.name!r} could not be loaded: {s.error}" for s in broken)
        raise Unbound(
            f"{key} {step.get(key)!r} cannot be bound" + (f": {detail}" if detail else ""),
            self.where(at),
        )

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

    def defaults(self, operation: Operation, given: list[ParameterPlan]) -> list[ParameterPlan]:
        """The OpenAPI ``default`` (else ``example``) of each required parameter the step does
        not give (the checks warn with ``missing-parameter``); sent like a literal value."""
        found = []
        for parameter, value in missing_required(operation, {p.key for p in given}):
            if value is not _NO_VALUE:
                found.append(
                    ParameterPlan(parameter.name, parameter.location, Literal(value), "openapi")
                )
        return found

    def criteria(self, raw: Any, pointer: str) -> tuple[Criterion, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise DocumentError("criteria must be a list", self.where(pointer))
        return tuple(
            compile_criterion(self.grammar.criterion(item), self.where(pointer_join(pointer, i)))
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
        parameters = self.parameters(raw.get("parameters"), pointer_join(pointer, "parameters"))
        if operation is not None:
            parameters += self.defaults(operation, parameters)
        return StepPlan(
            step_id=raw["stepId"],
            index=index,
            location=where,
            operation=operation,
            workflow=workflow,
            parameters=tuple(parameters),
            # A workflow step's requestBody is ignored (the checks warn about it).
            body=None
            if workflow is not None
            else self.body(raw.get("requestBody"), pointer_join(pointer, "requestBody")),
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
    if step.workflow is not None:
        return step  # workflow-level parameters address operations, not nested workflows
    own = {p.key for p in step.parameters if p.origin != "openapi"}
    given = {p.key for p in inherited} | own
    # An OpenAPI default stands in only for a parameter neither the step nor its workflow gives.
    kept = tuple(p for p in step.parameters if p.origin != "openapi" or p.key not in given)
    merged = tuple(p for p in inherited if p.key not in own) + kept
    return StepPlan(**{**step.__dict__, "parameters": merged})


def bind_workflow(
    document: Document,
    workflow_id: str,
    operations: Mapping[str, Operation],
    grammar: Grammar,
) -> WorkflowPlan:
    """Bind one workflow of ``document``; raises the first `DocumentError` met."""
    return _Binder(document, workflow_id, operations, grammar).workflow()
