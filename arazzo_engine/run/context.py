"""The data runtime expressions read during a run: an `ExpressionContext` for one step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..document.plan import WorkflowPlan
from ..expressions import Unresolved
from ..media import decode_body
from ..requests import PreparedCall
from .commands import Headers, HttpReply, SentRequest, header_values

__all__ = ["Exchange", "RunMemory", "StepContext", "WorkflowState"]


@dataclass
class WorkflowState:
    """One execution of a workflow: its inputs, its steps' outputs, and (at the end) outputs."""

    plan: WorkflowPlan
    inputs: dict[str, Any]
    step_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    success: bool | None = None
    #: The last HTTP exchange of this execution (nested workflow steps included).
    last_exchange: Exchange | None = None


@dataclass
class RunMemory:
    """What a whole run remembers across workflows (for ``$workflows`` and ``dependsOn``)."""

    workflows: dict[tuple[str, str], WorkflowState] = field(default_factory=dict)
    executed_steps: int = 0


@dataclass
class Exchange:
    """This step's request and response, when there are any."""

    call: PreparedCall | None = None
    #: the request as it went on the wire (auth applied), once the driver answered
    sent: SentRequest | None = None
    response: HttpReply | None = None
    _response_body: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def response_body(self) -> Any:
        """The response body, parsed as JSON when its media type is JSON (once)."""
        if self.response is None:
            raise Unresolved("there is no response (the request was not answered)")
        if not self._parsed:
            self._response_body = decode_body(
                self.response.body, _first(self.response.headers, "content-type")
            )
            self._parsed = True
        return self._response_body


def _first(headers: Headers, name: str) -> str | None:
    values = header_values(headers, name)
    return values[0] if values else None


def _header(headers: Headers, name: str) -> str:
    values = header_values(headers, name)
    if not values:
        raise Unresolved(f"header {name!r} is not present")
    return ", ".join(values)


class StepContext:
    """The [`ExpressionContext`][arazzo_engine.expressions.ExpressionContext] of one step in one
    run."""

    def __init__(
        self,
        memory: RunMemory,
        state: WorkflowState,
        exchange: Exchange | None = None,
        sub_outputs: Mapping[str, Any] | None = None,
    ) -> None:
        self._memory = memory
        self._state = state
        self._exchange = exchange or Exchange()
        self._sub_outputs = sub_outputs

    @property
    def exchange(self) -> Exchange:
        """This step's request and response."""
        return self._exchange

    @property
    def state(self) -> WorkflowState:
        """The workflow execution this step belongs to."""
        return self._state

    # -- the exchange ---------------------------------------------------------------------

    def _call(self) -> PreparedCall:
        if self._exchange.call is None:
            raise Unresolved("this step has no request")
        return self._exchange.call

    def _response(self) -> HttpReply:
        if self._exchange.response is None:
            raise Unresolved("this step has no response")
        return self._exchange.response

    def url(self) -> str:
        return self._call().url

    def method(self) -> str:
        return self._call().method

    def status_code(self) -> int:
        return self._response().status

    def request_header(self, name: str) -> Any:
        sent = self._exchange.sent
        return _header(sent.headers if sent is not None else self._call().headers, name)

    def request_query(self, name: str) -> Any:
        query = self._call().query
        if name not in query:
            raise Unresolved(f"query parameter {name!r} was not sent")
        return query[name]

    def request_path(self, name: str) -> Any:
        path = self._call().path
        if name not in path:
            raise Unresolved(f"path parameter {name!r} was not sent")
        return path[name]

    def request_body(self) -> Any:
        return self._call().body

    def response_header(self, name: str) -> Any:
        return _header(self._response().headers, name)

    def response_body(self) -> Any:
        return self._exchange.response_body()

    # -- workflow data --------------------------------------------------------------------

    def inputs(self) -> Mapping[str, Any]:
        return self._state.inputs

    def outputs(self) -> Mapping[str, Any]:
        if self._sub_outputs is not None:
            return self._sub_outputs
        if self._state.outputs is None:
            raise Unresolved("the workflow's outputs are not computed yet")
        return self._state.outputs

    def step_outputs(self, step_id: str) -> Mapping[str, Any]:
        if step_id not in self._state.plan.step_index:
            raise Unresolved(
                f"there is no step {step_id!r} in workflow {self._state.plan.workflow_id!r}"
            )
        outputs = self._state.step_outputs.get(step_id)
        if outputs is None:
            raise Unresolved(f"step {step_id!r} has not run")
        return outputs

    def _workflow(self, workflow_id: str) -> WorkflowState:
        key = (self._state.plan.document.uri, workflow_id)
        state = self._memory.workflows.get(key)
        if state is None:
            raise Unresolved(f"workflow {workflow_id!r} has not run in this run")
        return state

    def workflow_inputs(self, workflow_id: str) -> Mapping[str, Any]:
        return self._workflow(workflow_id).inputs

    def workflow_outputs(self, workflow_id: str) -> Mapping[str, Any]:
        state = self._workflow(workflow_id)
        if state.outputs is None:
            raise Unresolved(f"workflow {workflow_id!r} has no outputs yet")
        return state.outputs

    def source_description(self, name: str, ref: str) -> Any:
        document = self._state.plan.document
        source = document.sources.get(name)
        if source is None:
            raise Unresolved(f"there is no source description {name!r}")
        fields = {"name": source.name, "url": source.url, "type": source.type}
        if ref in fields:
            return fields[ref]
        raise Unresolved(f"source description {name!r} has no field {ref!r}")

    def component(self, kind: str, key: str) -> Any:
        items = self._state.plan.document.components.get(kind) or {}
        if key not in items:
            raise Unresolved(f"$components.{kind}.{key} does not exist")
        return items[key]

    def self_url(self) -> str:
        document = self._state.plan.document
        declared = document.data.get("$self")
        return declared if isinstance(declared, str) else document.uri
