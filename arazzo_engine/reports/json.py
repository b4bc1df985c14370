"""The JSON report: every workflow run in full, inputs with secrets masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..redact import REDACTED, is_secret_schema

if TYPE_CHECKING:
    from ..results import RunResult

__all__ = ["REPORT_FORMAT", "mask_inputs", "to_report"]

#: Version of the report layout; bumped on incompatible changes.
REPORT_FORMAT = 1


def mask_inputs(
    inputs: Mapping[str, Any], schema: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of ``inputs`` with secret values replaced by ``***``.

    An input is secret when its schema says ``format: password``, ``writeOnly: true`` or
    ``x-secret: true`` (the rule the run uses to mask those values everywhere). Nested
    objects are masked by their own schemas.
    """
    properties = (schema or {}).get("properties") if isinstance(schema, Mapping) else None
    props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        sub = props.get(name)
        if is_secret_schema(sub):
            out[name] = REDACTED
        elif isinstance(value, Mapping):
            out[name] = mask_inputs(value, sub if isinstance(sub, Mapping) else None)
        else:
            out[name] = value
    return out


def to_report(
    results: Sequence[RunResult],
    *,
    document: str | None = None,
    schemas: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """The JSON report of one or more runs.

    ``schemas`` maps workflowId to its inputs schema, used to find secret inputs.
    """
    from .. import __version__

    workflows = []
    for result in results:
        entry = result.to_dict()
        schema = (schemas or {}).get(result.workflow_id)
        entry["inputs"] = mask_inputs(result.inputs, schema)
        workflows.append(entry)
    return {
        "reportFormat": REPORT_FORMAT,
        "tool": {"name": "arazzo-engine", "version": __version__},
        "document": document,
        "success": all(r.success for r in results),
        "workflows": workflows,
    }
