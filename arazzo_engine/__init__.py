"""arazzo-engine: run Arazzo workflows against real APIs.

>>> from arazzo_engine import run_workflow
>>> result = run_workflow("workflow.arazzo.yaml", "my-workflow", {"name": "x"})
>>> result.success, result.outputs
"""

from __future__ import annotations

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
    "validate",
]

__version__ = "0.1.0"
