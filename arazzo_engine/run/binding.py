"""The binding of a run: for each operation step, where it goes and which auth it uses.

Plain data, computed before the run starts by [`arazzo_engine.run.setup`][arazzo_engine.run.setup]
(which checks the options and the credentials and raises the errors a run raises before any
request) and read by the core, the dry run, ``resolve_urls`` and ``describe``. Auth is named, not
carried: ``auth`` is a key into the table of auth flows the drivers hold, so a binding can be
logged, stored or sent to another process without a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..document.plan import StepPlan, WorkflowPlan
from ..errors import ConfigurationError

__all__ = ["RunBinding", "StepBinding", "reachable"]


@dataclass(frozen=True)
class StepBinding:
    """One operation step, bound: ``method`` and ``path`` (the operation's path template,
    ``{name}`` placeholders kept), the ``base_url`` it resolves to, ``auth`` (the key of the
    auth flow the driver applies; ``None``: none) and ``security`` (the scheme label shown to
    people, never a secret). ``problem`` says why the base URL could not be resolved (dry runs
    only; a run refuses such a binding before it starts)."""

    step_id: str
    workflow_id: str
    method: str
    path: str
    base_url: str
    auth: str | None = None
    security: str | None = None
    problem: str | None = None

    @property
    def url(self) -> str:
        """The base URL joined with the path template."""
        return self.base_url.rstrip("/") + self.path

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "stepId": self.step_id,
            "workflowId": self.workflow_id,
            "method": self.method,
            "path": self.path,
            "baseUrl": self.base_url,
            "auth": self.auth,
            "security": self.security,
            **({"problem": self.problem} if self.problem else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepBinding:
        """The inverse of `to_dict`."""
        return cls(
            data["stepId"],
            data["workflowId"],
            data["method"],
            data["path"],
            data["baseUrl"],
            data.get("auth"),
            data.get("security"),
            data.get("problem"),
        )


BindingKey = tuple[str, str, str]
"""(document URI, workflowId, stepId)"""


@dataclass(frozen=True)
class RunBinding:
    """The bindings of every operation step a run may execute, by (document URI, workflowId,
    stepId)."""

    steps: Mapping[BindingKey, StepBinding] = field(default_factory=dict)

    def of(self, plan: WorkflowPlan, step: StepPlan) -> StepBinding:
        """The binding of ``step`` of ``plan``; ConfigurationError when the run was not bound
        for it."""
        found = self.steps.get((plan.document.uri, plan.workflow_id, step.step_id))
        if found is None:
            raise ConfigurationError(
                f"step {step.step_id!r} of workflow {plan.workflow_id!r} is not bound "
                "(bind the run with arazzo_engine.run.setup.bind first)"
            )
        return found

    def merged(self, other: RunBinding) -> RunBinding:
        """This binding with ``other``'s steps added."""
        return RunBinding({**self.steps, **other.steps})

    def to_dict(self) -> list[dict[str, Any]]:
        """JSON-ready form (the document URI kept with each step)."""
        return [{"document": key[0], **b.to_dict()} for key, b in self.steps.items()]

    @classmethod
    def from_dict(cls, data: list[Mapping[str, Any]]) -> RunBinding:
        """The inverse of `to_dict`."""
        steps = {}
        for item in data:
            binding = StepBinding.from_dict(item)
            steps[(str(item["document"]), binding.workflow_id, binding.step_id)] = binding
        return cls(steps)


def reachable(plan: WorkflowPlan) -> list[WorkflowPlan]:
    """The plan and every workflow it can start: workflow steps, dependencies, goto/retry."""
    found: dict[tuple[str, str], WorkflowPlan] = {}
    pending = [plan]
    while pending:
        current = pending.pop()
        key = (current.document.uri, current.workflow_id)
        if key in found:
            continue
        found[key] = current
        targets = list(current.depends_on)
        for step in current.steps:
            if step.workflow is not None:
                targets.append(step.workflow)
            for action in (*(step.on_success or ()), *(step.on_failure or ())):
                if action.workflow is not None:
                    targets.append(action.workflow)
        for action in (*current.success_actions, *current.failure_actions):
            if action.workflow is not None:
                targets.append(action.workflow)
        pending.extend(document.plan(workflow_id) for document, workflow_id in targets)
    return list(found.values())
