"""arazzo-engine: run Arazzo workflows against real APIs.

>>> from arazzo_engine import run_workflow
>>> result = run_workflow("workflow.arazzo.yaml", "my-workflow", {"name": "x"})
>>> result.success, result.outputs

The names below are imported when first used (PEP 562), so that ``import arazzo_engine`` (and
the run core alone) loads no HTTP client, schema validator or AWS library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    ArazzoError,
    AuthError,
    BindingError,
    ConfigurationError,
    DocumentError,
    ExpressionError,
    InputError,
    Location,
    WorkflowNotFoundError,
)

if TYPE_CHECKING:
    from .api import arun_workflow, resolve_urls, run_workflow, run_workflows
    from .auth.sigv4 import AwsSettings
    from .document.model import Document, load
    from .results import RunResult, StepResult
    from .validation import Problem, Report, validate

__all__ = [
    "ArazzoError",
    "AuthError",
    "AwsSettings",
    "BindingError",
    "ConfigurationError",
    "Document",
    "DocumentError",
    "ExpressionError",
    "InputError",
    "Location",
    "Problem",
    "Report",
    "RunResult",
    "StepResult",
    "WorkflowNotFoundError",
    "arun_workflow",
    "load",
    "resolve_urls",
    "run_workflow",
    "run_workflows",
    "validate",
]

__version__ = "0.1.0"

_LAZY = {
    "arun_workflow": ".api",
    "resolve_urls": ".api",
    "run_workflow": ".api",
    "run_workflows": ".api",
    "AwsSettings": ".auth.sigv4",
    "Document": ".document.model",
    "load": ".document.model",
    "RunResult": ".results",
    "StepResult": ".results",
    "Problem": ".validation",
    "Report": ".validation",
    "validate": ".validation",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'arazzo_engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
