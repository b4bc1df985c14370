"""The exception hierarchy.

Every error the engine raises on purpose is an `ArazzoError`. Errors about a document
carry a `Location` (file, JSON Pointer, line and column) so that a message points at the
exact field; errors about a run carry the workflow and step. Messages never include secrets:
callers format them from redacted values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where something sits in a document: file, JSON Pointer, and 1-based line/column."""

    file: str | None = None
    pointer: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.pointer is not None:
            parts.append(f"at {self.pointer or '/'}")
        return " ".join(parts)


class ArazzoError(Exception):
    """Base class of every error raised by arazzo-engine."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.location) if self.location else ""
        return f"{where}: {self.message}" if where else self.message


class DocumentError(ArazzoError):
    """An Arazzo or source document cannot be read, parsed, or is invalid."""


class BindingError(DocumentError):
    """A step cannot be bound to an operation or workflow (unknown operationId, bad path...)."""


class ExpressionError(DocumentError):
    """A runtime expression or condition is malformed.

    ``text`` is the expression and ``position`` the 0-based offset of the problem in it.
    """

    def __init__(
        self,
        message: str,
        text: str,
        position: int,
        location: Location | None = None,
    ) -> None:
        self.text = text
        self.position = position
        super().__init__(message, location)

    def with_location(self, location: Location) -> ExpressionError:
        """Return a copy of this error that also says where the expression sits."""
        return ExpressionError(self.message, self.text, self.position, location)

    def __str__(self) -> str:
        caret = f"{self.text!r} at position {self.position}"
        base = f"{self.message} in {caret}"
        where = str(self.location) if self.location else ""
        return f"{where}: {base}" if where else base


class InputError(ArazzoError):
    """The inputs given to a workflow do not satisfy its ``inputs`` schema.

    ``violations`` lists every problem, each as a human-readable string naming the input path.
    """

    def __init__(
        self, message: str, violations: Sequence[str], location: Location | None = None
    ) -> None:
        self.violations = list(violations)
        super().__init__(message, location)

    def __str__(self) -> str:
        head = super().__str__()
        return head + "".join(f"\n  - {v}" for v in self.violations)


class AuthError(ArazzoError):
    """Credentials are missing or unusable for a request that needs them."""


class ConfigurationError(ArazzoError):
    """An option given to a run does not fit the document (a ``servers`` entry for a source
    the document does not have...)."""


class WorkflowNotFoundError(ArazzoError):
    """The requested workflowId is not in the document."""
