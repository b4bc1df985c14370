"""Events a run reports while it goes, for live output, logging and progress.

An observer is any callable taking one event; it is called synchronously by the run loop and
must not raise. Events carry redacted data only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results import RunResult, StepResult


__all__ = [
    "Observer",
    "RetryWaiting",
    "RunEvent",
    "RunFinished",
    "StepFinished",
    "StepStarted",
    "WorkflowFinished",
    "WorkflowStarted",
]


@dataclass(frozen=True)
class WorkflowStarted:
    """A workflow (the one asked for, a dependency, or a nested one) begins."""

    workflow_id: str
    depth: int


@dataclass(frozen=True)
class WorkflowFinished:
    """A workflow ended."""

    workflow_id: str
    depth: int
    success: bool


@dataclass(frozen=True)
class StepStarted:
    """A step begins (``attempt`` counts executions of this step in this workflow run)."""

    workflow_id: str
    step_id: str
    target: str
    attempt: int
    depth: int


@dataclass(frozen=True)
class StepFinished:
    """A step ended; ``record`` is what the result will hold for it."""

    record: StepResult
    depth: int


@dataclass(frozen=True)
class RetryWaiting:
    """The run waits ``seconds`` before retrying ``step_id`` (retry ``retry`` of ``limit``)."""

    workflow_id: str
    step_id: str
    seconds: float
    retry: int
    limit: int


@dataclass(frozen=True)
class RunFinished:
    """The whole run ended."""

    result: RunResult


RunEvent = (
    WorkflowStarted | WorkflowFinished | StepStarted | StepFinished | RetryWaiting | RunFinished
)
Observer = Callable[[RunEvent], None]
