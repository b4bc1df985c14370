"""arazzo-engine: run Arazzo workflows against real APIs.

>>> from arazzo_engine import run_workflow
>>> result = run_workflow("workflow.arazzo.yaml", "my-workflow", {"name": "x"})
>>> result.success, result.outputs

``import arazzo_engine`` is cheap: the public names below are imported from their modules on
first use (PEP 562), so a program that only imports the package (or a pytest session with the
plugin installed) does not load httpx, botocore or jsonschema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agents.server import serve_mcp
    from .agents.tools import tool_definitions
    from .api import arun_workflow, resolve_urls, run_workflow, run_workflows
    from .aws.settings import AwsSettings
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

#: Where each public name lives (imported on first access).
_LAZY = {
    "arun_workflow": ".api",
    "resolve_urls": ".api",
    "run_workflow": ".api",
    "run_workflows": ".api",
    "AwsSettings": ".aws.settings",
    "Document": ".document.model",
    "load": ".document.model",
    "ArazzoError": ".errors",
    "AuthError": ".errors",
    "BindingError": ".errors",
    "ConfigurationError": ".errors",
    "DocumentError": ".errors",
    "ExpressionError": ".errors",
    "InputError": ".errors",
    "Location": ".errors",
    "WorkflowNotFoundError": ".errors",
    "RunResult": ".results",
    "StepResult": ".results",
    "Problem": ".validation",
    "Report": ".validation",
    "validate": ".validation",
    "serve_mcp": ".agents.server",
    "tool_definitions": ".agents.tools",
}

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

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
