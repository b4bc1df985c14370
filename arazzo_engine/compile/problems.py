"""The validator's result types: `Problem` and `Report`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import Location

__all__ = ["Problem", "Report", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document.

    ``code`` is stable (e.g. ``schema``, ``duplicate-step-id``, ``unknown-operation-id``),
    ``location`` holds the file, JSON Pointer, line and column, and ``workflow_id`` names the
    workflow the problem belongs to (``None`` for document-level problems, which concern every
    workflow).
    """

    code: str
    severity: Severity
    message: str
    location: Location
    workflow_id: str | None = None

    @property
    def pointer(self) -> str:
        """The JSON Pointer of the problem (``""`` for the document root)."""
        return self.location.pointer or ""

    def __str__(self) -> str:
        loc = self.location
        where = loc.file or "<document>"
        if loc.line is not None:
            where += f":{loc.line}"
            if loc.column is not None:
                where += f":{loc.column}"
        return f"{where}: {self.severity} [{self.code}] {self.message} (at {self.pointer or '/'})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.location.file,
            "pointer": self.pointer,
            "line": self.location.line,
            "column": self.location.column,
            "workflowId": self.workflow_id,
        }


@dataclass
class Report:
    """Every problem the validator found in one document, errors and warnings apart."""

    uri: str
    problems: list[Problem] = field(default_factory=list)
    version: str | None = None
    calls: Mapping[str, frozenset[str]] = field(default_factory=dict, repr=False)
    """Local workflow references (``dependsOn``, workflow steps, action targets) per workflow."""

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity ``warning``."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def __bool__(self) -> bool:
        """A report is true when the document has no errors: ``if validate(doc): ...``."""
        return self.ok

    def codes(self) -> set[str]:
        """The distinct codes of every problem."""
        return {p.code for p in self.problems}

    def errors_for(self, workflow_id: str) -> list[Problem]:
        """The errors that stop ``workflow_id`` from running.

        Those are the document-level errors, the workflow's own errors, and the errors of every
        local workflow it depends on, calls or transfers to (transitively).
        """
        reach = _reachable(workflow_id, self.calls)
        return [p for p in self.errors if p.workflow_id is None or p.workflow_id in reach]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``file``, ``valid``, ``errors`` and ``warnings``."""
        return {
            "file": self.uri,
            "arazzo": self.version,
            "valid": self.ok,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
        }

    def sorted(self) -> list[Problem]:
        """The problems in document order (line, column), errors first on the same spot."""
        return sorted(
            self.problems,
            key=lambda p: (
                p.location.line or 0,
                p.location.column or 0,
                p.severity != "error",
                p.code,
            ),
        )


def _reachable(start: str, calls: Mapping[str, Iterable[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in calls.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
