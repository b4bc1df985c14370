"""The compiled plan of a workflow: every step bound to its target, every expression parsed.

A plan is built once per workflow per document (by `arazzo_engine.compile`) and reused by every
run; it holds no run state. This module holds only the plan's data types: it imports neither the
document model nor the compiler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..criteria import Computed, Criterion
from ..document.model import Document
from ..errors import Location
from ..openapi.description import Operation

if TYPE_CHECKING:
    from ..asyncapi.binding import MessageStep

__all__ = [
    "ActionPlan",
    "BodyPlan",
    "ParameterPlan",
    "StepPlan",
    "WorkflowPlan",
]


@dataclass(frozen=True)
class ParameterPlan:
    """A parameter to send: name, location (None for workflow-step inputs) and compiled value."""

    name: str
    location: str | None
    value: Computed
    #: Where the value comes from: ``"document"`` (the step, its workflow or a component) or
    #: ``"openapi"`` (the ``default``/``example`` of a required parameter the step omits).
    origin: str = "document"

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
    #: an AsyncAPI step (Arazzo 1.1): what it sends or receives, on which channel
    message: MessageStep | None = None
    #: what this step's ``dependsOn`` names (stepIds of its workflow, or the ``$workflows`` /
    #: ``$sourceDescriptions`` forms)
    depends_on: tuple[str, ...] = ()
    #: the stepIds whose outputs this step reads (``$steps.<id>.outputs``): implicit dependencies
    reads: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """What the step calls, for messages."""
        if self.operation is not None:
            return self.operation.describe()
        if self.message is not None:
            return self.message.describe()
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
    #: Facts derived from the plan alone, computed on first use and kept with it (for
    #: example its secret outputs); never the state of a run.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
