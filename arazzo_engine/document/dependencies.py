"""Step-level ``dependsOn`` (Arazzo 1.1): an execution order that honours every dependency.

A step runs after the steps it names in ``dependsOn`` and after every step whose outputs it
references (``$steps.<id>.outputs...``). `execution_order` keeps the document order wherever
the dependencies allow it (a workflow without ``dependsOn`` runs exactly as written) and
reports a cycle with the steps on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["DependencyCycle", "execution_order"]


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
