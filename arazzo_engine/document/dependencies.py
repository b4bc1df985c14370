"""Step-level ``dependsOn`` (Arazzo 1.1): an execution order that honours every dependency.

A step runs after the steps it names in ``dependsOn`` and after every step whose outputs it
references (``$steps.<id>.outputs...``). `execution_order` keeps the document order wherever
the dependencies allow it (a workflow without ``dependsOn`` runs exactly as written) and
reports a cycle with the steps on it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DependencyCycle",
    "StepDependency",
    "check_step_dependencies",
    "execution_order",
    "parse_step_dependency",
]

_STEP_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class DependencyCycle(ValueError):
    """The dependencies loop; ``cycle`` lists the steps on the loop, first one repeated."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependsOn cycle: " + " -> ".join(cycle))


def execution_order(steps: Sequence[str], depends_on: Mapping[str, Collection[str]]) -> list[str]:
    """``steps`` ordered so that each comes after everything it depends on.

    Names in ``depends_on`` that are not in ``steps`` (steps of other workflows) are ignored
    here: they are checked, and waited for, elsewhere. Among the steps that are ready, the one
    that comes first in ``steps`` runs first. Raises `DependencyCycle`.
    """
    known = set(steps)
    waiting = {step: {d for d in depends_on.get(step, ()) if d in known} for step in steps}
    done: set[str] = set()
    order: list[str] = []
    while len(order) < len(steps):
        ready = next((s for s in steps if s not in done and waiting[s] <= done), None)
        if ready is None:
            raise DependencyCycle(_find_cycle([s for s in steps if s not in done], waiting))
        order.append(ready)
        done.add(ready)
    return order


def _find_cycle(pending: list[str], waiting: Mapping[str, set[str]]) -> list[str]:
    """A cycle among ``pending`` (each of which waits for another pending step)."""
    pending_set = set(pending)
    path: list[str] = []
    seen: dict[str, int] = {}
    step = pending[0]
    while step not in seen:
        seen[step] = len(path)
        path.append(step)
        step = sorted(waiting[step] & pending_set, key=pending.index)[0]
    return [*path[seen[step] :], step]


_WORKFLOW_STEP = re.compile(r"^\$workflows\.([A-Za-z0-9_-]+)\.steps\.([A-Za-z0-9_-]+)$")
_SOURCE_STEP = re.compile(
    r"^\$sourceDescriptions\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.steps\.([A-Za-z0-9_-]+)$"
)


@dataclass(frozen=True)
class StepDependency:
    """One ``dependsOn`` entry of a step, parsed: a step of this workflow (``workflow`` and
    ``source`` None), of another workflow of this document (``workflow``), or of a workflow of
    an Arazzo source description (``source`` and ``workflow``)."""

    step_id: str
    workflow: str | None = None
    source: str | None = None


def parse_step_dependency(text: str) -> StepDependency | None:
    """Parse a step-level ``dependsOn`` value; None when it has none of the allowed forms
    (``stepId``, ``$workflows.<id>.steps.<id>``, ``$sourceDescriptions.<name>.<id>.steps.<id>``)."""
    if _STEP_ID.match(text):
        return StepDependency(text)
    match = _WORKFLOW_STEP.match(text)
    if match:
        return StepDependency(match.group(2), workflow=match.group(1))
    match = _SOURCE_STEP.match(text)
    if match:
        return StepDependency(match.group(3), workflow=match.group(2), source=match.group(1))
    return None


def check_step_dependencies(
    workflow_id: str,
    steps: Mapping[str, Sequence[Any]],
    workflows: Mapping[str, Collection[str]],
    arazzo_sources: Mapping[str, Mapping[str, Collection[str]] | None],
) -> list[tuple[str, str, str]]:
    """Problems of the step-level ``dependsOn`` of one workflow, as (code, message, stepId).

    ``steps`` maps each stepId of the workflow to its ``dependsOn`` list (as written);
    ``workflows`` maps each workflowId of the document to its stepIds; ``arazzo_sources``
    maps each Arazzo source name to the same for its document (None when it could not be
    read: its references are not checked). Codes: ``bad-step-dependency`` (not one of the
    allowed forms), ``unknown-step-dependency``, ``step-dependency-cycle``.
    """
    problems: list[tuple[str, str, str]] = []
    local: dict[str, list[str]] = {}
    for step_id, values in steps.items():
        for value in values:
            if not isinstance(value, str):
                continue  # the schema says so
            parsed = parse_step_dependency(value)
            if parsed is None:
                problems.append(
                    (
                        "bad-step-dependency",
                        f"step {step_id!r}: dependsOn {value!r} must be a stepId of this "
                        "workflow, $workflows.<workflowId>.steps.<stepId> or "
                        "$sourceDescriptions.<name>.<workflowId>.steps.<stepId>",
                        step_id,
                    )
                )
                continue
            if parsed.source is not None:
                source = arazzo_sources.get(parsed.source, {})
                if parsed.source not in arazzo_sources:
                    problems.append(
                        (
                            "unknown-step-dependency",
                            f"step {step_id!r}: dependsOn {value!r}: no Arazzo source "
                            f"description named {parsed.source!r}",
                            step_id,
                        )
                    )
                elif source is not None and parsed.step_id not in source.get(
                    parsed.workflow or "", ()
                ):
                    problems.append(
                        (
                            "unknown-step-dependency",
                            f"step {step_id!r}: dependsOn {value!r}: source {parsed.source!r} "
                            f"has no step {parsed.step_id!r} in workflow {parsed.workflow!r}",
                            step_id,
                        )
                    )
                continue
            target_workflow = parsed.workflow or workflow_id
            if parsed.step_id not in workflows.get(target_workflow, ()):
                where = (
                    "this workflow" if parsed.workflow is None else f"workflow {parsed.workflow!r}"
                )
                problems.append(
                    (
                        "unknown-step-dependency",
                        f"step {step_id!r}: dependsOn {value!r}: there is no step "
                        f"{parsed.step_id!r} in {where}",
                        step_id,
                    )
                )
            elif target_workflow == workflow_id:
                local.setdefault(step_id, []).append(parsed.step_id)
    try:
        execution_order(list(steps), local)
    except DependencyCycle as exc:
        problems.append(("step-dependency-cycle", str(exc), exc.cycle[0]))
    return problems
