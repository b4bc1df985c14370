"""Which step outputs are secrets, read from a workflow's plan before it runs.

The rule (one, predictable): a step output is secret from the moment it is produced when a
``$steps.<id>.outputs.<name>`` expression that reads it appears in the value of

* a header parameter that carries credentials: ``Authorization``, ``Proxy-Authorization``,
  ``Cookie`` and the other headers `arazzo_engine.redact.SECRET_HEADERS` names;
* a parameter named by an ``apiKey`` security scheme of the step's OpenAPI description (its
  ``name`` and ``in``: a header, query parameter or cookie);
* an input of a called workflow (a workflow step's or a ``goto`` action's ``parameters``) whose
  schema marks it secret (``format: password``, ``writeOnly``, ``x-secret``: the rule of
  `arazzo_engine.redact.is_secret_schema`);

or in another secret step output of the same workflow (an output that copies a token is as
secret as the token). Through a workflow step, the called workflow's outputs that a secret output
reads (``$outputs.token``) make the step outputs behind them secret in the called workflow too
(a login workflow's token is masked while that workflow runs).

The run gives the values of these outputs to its redactor as soon as the step produces them, so
events, logs, ``-v`` output and results mask them even when the run fails before sending them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..criteria import Computed, computed_references
from ..errors import ArazzoError
from ..redact import SECRET_HEADERS, is_secret_schema
from .plan import ParameterPlan, StepPlan, WorkflowPlan

__all__ = ["called_outputs", "secret_outputs"]


def _api_key_parameters(plan: WorkflowPlan, step: StepPlan) -> set[tuple[str, str]]:
    """``(in, name)`` (header names lower-cased) of the apiKey schemes of the step's source."""
    if step.operation is None:
        return set()
    source = plan.document.sources.get(step.operation.source_name)
    description = source.openapi if source is not None else None
    data: Any = description.data if description is not None else None
    components = data.get("components") if isinstance(data, Mapping) else None
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    found: set[tuple[str, str]] = set()
    for scheme in (schemes or {}).values() if isinstance(schemes, Mapping) else ():
        if isinstance(scheme, Mapping) and scheme.get("type") == "apiKey":
            where, name = scheme.get("in"), scheme.get("name")
            if isinstance(where, str) and isinstance(name, str):
                found.add((where, name.lower() if where == "header" else name))
    return found


def _secret_inputs(target: tuple[Any, str] | None) -> set[str]:
    """The inputs of a called workflow that its schema marks secret."""
    if target is None:
        return set()
    document, workflow_id = target
    try:
        schema = document.plan(workflow_id).inputs_schema or {}
    except ArazzoError:  # the call fails on its own when it runs
        return set()
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return set()
    return {str(name) for name, prop in props.items() if is_secret_schema(prop)}


def _sinks(plan: WorkflowPlan) -> Iterable[Computed]:
    """The values in the plan that carry credentials (see the module's rule)."""
    for step in plan.steps:
        keys = _api_key_parameters(plan, step)
        inputs = _secret_inputs(step.workflow)
        for parameter in step.parameters:
            if _is_sink(parameter, keys, inputs if step.workflow is not None else set()):
                yield parameter.value
        for action in (*(step.on_success or ()), *(step.on_failure or ())):
            action_inputs = _secret_inputs(action.workflow)
            for parameter in action.parameters:
                if parameter.name in action_inputs:
                    yield parameter.value


def _is_sink(parameter: ParameterPlan, keys: set[tuple[str, str]], inputs: set[str]) -> bool:
    if parameter.location is None:
        return parameter.name in inputs
    if parameter.location == "header" and parameter.name.lower() in SECRET_HEADERS:
        return True
    name = parameter.name.lower() if parameter.location == "header" else parameter.name
    return (parameter.location, name) in keys


def _read_outputs(value: Computed) -> set[tuple[str, str]]:
    """The ``(stepId, output)`` pairs a value reads through ``$steps``."""
    found: set[tuple[str, str]] = set()
    for expression in computed_references(value):
        if expression.root == "steps" and expression.target and expression.name:
            # `$steps.a.outputs.x.y` names output `x.y` or output `x` (then `.y`): both
            found.add((expression.target, expression.name))
            found.add((expression.target, expression.name.split(".", 1)[0]))
    return found


def called_outputs(step: StepPlan, names: Iterable[str]) -> frozenset[str]:
    """The outputs of the workflow a workflow step calls that its outputs ``names`` read
    (``$outputs.<name>``)."""
    found: set[str] = set()
    for name in names:
        value = step.outputs.get(name)
        for expression in computed_references(value) if value is not None else ():
            if expression.root == "outputs" and expression.name:
                found.add(expression.name)
                found.add(expression.name.split(".", 1)[0])
    return frozenset(found)


def secret_outputs(
    plan: WorkflowPlan, workflow_outputs: Iterable[str] = ()
) -> dict[str, frozenset[str]]:
    """The secret outputs of each step of ``plan`` (stepId -> output names), by the rule of
    this module; steps with none are left out. ``workflow_outputs`` are outputs of ``plan``
    a caller treats as secret (see `called_outputs`). Computed once per plan and set of
    ``workflow_outputs`` (kept in ``plan.memo``); do not change the answer."""
    key = ("secret_outputs", frozenset(workflow_outputs))
    known: dict[str, frozenset[str]] | None = plan.memo.get(key)
    if known is None:
        known = plan.memo[key] = _secret_outputs(plan, key[1])
    return known


def _secret_outputs(
    plan: WorkflowPlan, workflow_outputs: frozenset[str]
) -> dict[str, frozenset[str]]:
    found: set[tuple[str, str]] = set()
    for value in _sinks(plan):
        found |= _read_outputs(value)
    for name in workflow_outputs:
        if name in plan.outputs:
            found |= _read_outputs(plan.outputs[name])
    pending = list(found)
    while pending:  # an output that copies a secret output is secret too
        step_id, name = pending.pop()
        index = plan.step_index.get(step_id)
        if index is None or name not in plan.steps[index].outputs:
            continue
        for pair in _read_outputs(plan.steps[index].outputs[name]) - found:
            found.add(pair)
            pending.append(pair)
    by_step: dict[str, set[str]] = {}
    for step_id, name in found:
        index = plan.step_index.get(step_id)
        if index is not None and name in plan.steps[index].outputs:
            by_step.setdefault(step_id, set()).add(name)
    return {step_id: frozenset(names) for step_id, names in by_step.items()}
