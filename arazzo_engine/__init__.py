"""arazzo-engine: run Arazzo workflows against real APIs.

>>> from arazzo_engine import run_workflow
>>> result = run_workflow("workflow.arazzo.yaml", "my-workflow", {"name": "x"})
>>> result.success, result.outputs
"""

from __future__ import annotations

from typing import Any

from .api import arun_workflow, resolve_urls, run_workflow, run_workflows
from .auth.sigv4 import AwsSettings
from .document.model import Document, load
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
    "serve_mcp",
    "tool_definitions",
    "validate",
]

#: Names imported on first use (PEP 562), so that ``import arazzo_engine`` stays cheap and
#: never imports the optional ``mcp`` SDK.
_LAZY = {
    "serve_mcp": "arazzo_engine.agents.server",
    "tool_definitions": "arazzo_engine.agents.tools",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'arazzo_engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__version__ = "0.1.0"
