"""The services the front end injects into the core: JSON Schema validation of workflow
inputs (jsonschema) and contract checks of responses (openapi-core). The core calls them through
[`Services`][arazzo_engine.run.core.Services] and never imports these libraries itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..document.plan import StepPlan, WorkflowPlan
from ..errors import InputError
from .commands import HttpReply, SentRequest
from .core import Services

__all__ = ["check_contract", "default_services", "inputs_problems"]


def _inputs_validator(plan: WorkflowPlan) -> Any:
    """The JSON Schema validator of a workflow's inputs, built once per document."""
    import jsonschema

    key = ("inputs-validator", plan.workflow_id)
    validator = plan.document.cache.get(key)
    if validator is None:
        schema = plan.inputs_schema or {}
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise InputError(
                f"the inputs schema of workflow {plan.workflow_id!r} is not a valid JSON Schema",
                [exc.message],
                plan.location,
            ) from None
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        plan.document.cache[key] = validator
    return validator


def inputs_problems(plan: WorkflowPlan, inputs: Mapping[str, Any]) -> list[str]:
    """Where ``inputs`` break the workflow's inputs schema (``inputs/<path>: message``), in
    path order; raises InputError when the schema itself is not valid JSON Schema."""
    if not plan.inputs_schema:
        return []
    validator = _inputs_validator(plan)
    problems = []
    for error in sorted(validator.iter_errors(inputs), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{'inputs/' + path if path else 'inputs'}: {error.message}")
    return problems


def check_contract(
    plan: WorkflowPlan, step: StepPlan, sent: SentRequest, reply: HttpReply
) -> list[str]:
    """Findings where ``reply`` departs from the step's operation in its OpenAPI description."""
    import httpx

    from ..contract import check_response

    operation = step.operation
    assert operation is not None
    description = plan.document.sources[operation.source_name].openapi
    assert description is not None
    request = httpx.Request(sent.method, sent.url, headers=list(sent.headers), content=sent.body)
    # the body is already decompressed: drop the encoding so httpx does not decode it again
    headers = [(k, v) for k, v in reply.headers if k.lower() != "content-encoding"]
    response = httpx.Response(reply.status, headers=headers, content=reply.body, request=request)
    return check_response(description, operation, request, response)


def default_services() -> Services:
    """What a normal run injects: inputs validation, and contract checks."""
    return Services(validate_inputs=inputs_problems, check_contract=check_contract)
