"""What an expression can read: the interface between the evaluator and the run loop.

The evaluator knows the grammar; the run loop knows the data. Each method returns the data for
one root of the runtime-expression grammar, or raises `Unresolved` when that data does not
exist (yet): no response before the call, a step that never ran, an input the caller left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


class Unresolved(Exception):
    """A runtime expression names something that does not exist in this context.

    ``reason`` is a short human-readable explanation. ``absent_input`` is the input name when the
    expression is exactly ``$inputs.<name>`` (or a pointer into it) and the caller did not give that
    input: a JSON payload leaves such a member out instead of sending ``null``.
    """

    def __init__(self, reason: str, *, absent_input: str | None = None) -> None:
        self.reason = reason
        self.absent_input = absent_input
        super().__init__(reason)


class ExpressionContext(Protocol):
    """Data sources for runtime expressions. Every method may raise `Unresolved`."""

    def url(self) -> str:
        """``$url``: the URL of this step's request."""
        ...

    def method(self) -> str:
        """``$method``: the HTTP method of this step's request."""
        ...

    def status_code(self) -> int:
        """``$statusCode``: the HTTP status of this step's response."""
        ...

    def request_header(self, name: str) -> Any:
        """``$request.header.<name>`` (case-insensitive name)."""
        ...

    def request_query(self, name: str) -> Any:
        """``$request.query.<name>``."""
        ...

    def request_path(self, name: str) -> Any:
        """``$request.path.<name>``."""
        ...

    def request_body(self) -> Any:
        """``$request.body``: parsed JSON when JSON, else text."""
        ...

    def response_header(self, name: str) -> Any:
        """``$response.header.<name>`` (case-insensitive name)."""
        ...

    def response_body(self) -> Any:
        """``$response.body``: parsed JSON when JSON, else text."""
        ...

    def inputs(self) -> Mapping[str, Any]:
        """``$inputs``: the current workflow's inputs (only those given or defaulted)."""
        ...

    def outputs(self) -> Mapping[str, Any]:
        """``$outputs``: the current workflow's outputs (or a called workflow's, in a step)."""
        ...

    def step_outputs(self, step_id: str) -> Mapping[str, Any]:
        """``$steps.<stepId>.outputs``: outputs of a step that has run."""
        ...

    def workflow_inputs(self, workflow_id: str) -> Mapping[str, Any]:
        """``$workflows.<id>.inputs``."""
        ...

    def workflow_outputs(self, workflow_id: str) -> Mapping[str, Any]:
        """``$workflows.<id>.outputs``: outputs of a workflow that has run."""
        ...

    def source_description(self, name: str, ref: str) -> Any:
        """``$sourceDescriptions.<name>.<ref>``: an operation/workflow, else a field (url, type)."""
        ...

    def component(self, kind: str, key: str) -> Any:
        """``$components.<kind>.<key>``: a component of the current document."""
        ...

    def self_url(self) -> str:
        """``$self`` (Arazzo 1.1): the URI of the current document."""
        ...


@runtime_checkable
class MessageContext(Protocol):
    """What ``$message`` reads in an AsyncAPI step (a context without it has no message)."""

    def message_header(self, name: str) -> Any:
        """``$message.header.<name>`` (case-insensitive name)."""
        ...

    def message_payload(self) -> Any:
        """``$message.payload``: parsed JSON when JSON, else text."""
        ...
