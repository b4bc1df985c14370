"""Terminal rendering of runs: live step lines, criteria trees, summaries, verbose exchanges.

`ConsoleReporter` is a run observer (see
[`arazzo_engine.run.events`][arazzo_engine.run.events]): pass it as ``observer=`` and it prints one
line per step as the step finishes, the criteria of the step as
a small tree (on failure, what each side of a condition evaluated to), contract findings, and a
summary when the run ends. With ``verbose`` it also prints each request and response (already
redacted; bodies cut at ``body_limit`` characters) and the evaluation trace of every runtime
expression.

Colour is used only when the stream is a terminal, ``NO_COLOR`` is unset and ``TERM`` is not
``dumb`` (or when forced). Piped output is plain ASCII and stable: the golden files of the CLI
tests hold it. Lines are laid out for 80 columns; with ``verbose``, bodies wrap at the
terminal's width (80 when piped) and header lines are never split.

`format_step` and `format_result` give the same text without a live run, e.g. for
the pytest plugin's failure reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import textwrap
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from .criteria import CriterionOutcome
from .run.events import (
    RetryWaiting,
    RunEvent,
    RunFinished,
    StepFinished,
    StepStarted,
    WorkflowFinished,
    WorkflowStarted,
)

if TYPE_CHECKING:
    from .results import RunResult, StepResult

__all__ = [
    "ConsoleReporter",
    "Style",
    "action_kind",
    "action_label",
    "format_result",
    "format_step",
    "format_summary",
    "handled_failure",
    "use_colour",
]

#: Width the layout aims at.
WIDTH = 80
#: Characters of a body shown in verbose mode.
DEFAULT_BODY_LIMIT = 2000


def use_colour(stream: TextIO, mode: str = "auto") -> bool:
    """Whether to colour output on ``stream``: ``always``, ``never`` or ``auto`` (a terminal,
    ``NO_COLOR`` unset or empty, ``TERM`` not ``dumb``)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True)
class Style:
    """ANSI styling, or none."""

    colour: bool = False

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def ok(self, text: str) -> str:
        """Green."""
        return self._wrap("32", text)

    def bad(self, text: str) -> str:
        """Bold red."""
        return self._wrap("1;31", text)

    def warn(self, text: str) -> str:
        """Yellow."""
        return self._wrap("33", text)

    def dim(self, text: str) -> str:
        """Dim."""
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        """Bold."""
        return self._wrap("1", text)


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    if width <= 3:
        return text[:width]
    return text if len(text) <= width else text[: width - 3] + "..."


def _show(value: Any, limit: int = 60) -> str:
    """A compact, single-line JSON-ish rendering of a value."""
    reason = getattr(value, "reason", None)
    if type(value).__name__ == "UnresolvedOperand" and isinstance(reason, str):
        return f"<unresolved: {reason}>"
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        text = repr(value)
    text = " ".join(text.split())
    return _fit(text, limit)


def _short_target(step: StepResult) -> str:
    """The operationId (or ``METHOD path``) of a step's target, without AWS path fragments."""
    target = step.target
    if target.endswith(")") and "(" in target:
        return target.rsplit("(", 1)[1][:-1]
    return target.split("#", 1)[0]


def _duration(seconds: float) -> str:
    millis = seconds * 1000
    if millis < 1000:
        return f"{millis:.1f} ms"
    return f"{seconds:.2f} s"


_ACTION_TYPES = ("end", "goto", "retry")


def action_kind(step: StepResult) -> tuple[str, str, str] | None:
    """The action that fired after ``step`` as ``(type, target, name)`` (``type`` one of end,
    goto, retry; ``target`` the step or workflow of a goto, else ""), or None."""
    if not step.action:
        return None
    name, sep, rest = step.action.rpartition(": ")
    kind, _, target = rest.partition(" ")
    if not sep or kind not in _ACTION_TYPES:
        return None
    return kind, target, name


def action_label(step: StepResult) -> str | None:
    """What the terminal says about the action that fired: ``goto listItems (alreadyExists)``,
    ``retry #2 (busy)``, ``end (stop)``."""
    found = action_kind(step)
    if found is None:
        return step.action
    kind, target, name = found
    text = f"retry #{step.attempt + 1}" if kind == "retry" else f"{kind} {target}".rstrip()
    return f"{text} ({name})" if name else text


def handled_failure(step: StepResult) -> bool:
    """A failed step whose failure an action took care of (a ``retry`` or a ``goto``): the run
    went on, so reports count it as handled, not as a failure."""
    found = action_kind(step)
    return not step.success and found is not None and found[0] in ("retry", "goto")


def _status(step: StepResult) -> str:
    return str(step.status_code) if step.status_code is not None else "---"


def step_line(step: StepResult, style: Style, indent: str = "  ") -> str:
    """The one line of a finished step: verdict, stepId, HTTP status, time, target."""
    mark = style.ok("ok  ") if step.success else style.bad("FAIL")
    attempt = f" #{step.attempt}" if step.attempt > 1 else ""
    name = _fit(step.step_id + attempt, 24)
    head = f"{indent}{mark} {name:<24} {_status(step):>3} {_duration(step.duration):>9}"
    plain_len = len(indent) + 4 + 1 + 24 + 1 + 3 + 1 + 9
    room = WIDTH - plain_len - 2
    target = _fit(_short_target(step), room) if room > 8 else ""
    return f"{head}  {style.dim(target)}" if target else head


def _criterion_lines(
    outcome: CriterionOutcome, style: Style, indent: str, show_values: bool
) -> list[str]:
    mark = style.ok("[pass]") if outcome.passed else style.bad("[fail]")
    kind = "" if outcome.type == "simple" else f" ({outcome.type})"
    lines = [f"{indent}{mark} {_fit(outcome.condition + kind, WIDTH - len(indent) - 7)}"]
    if outcome.passed and not show_values:
        return lines
    sub = indent + "       "
    for expression, value in outcome.values:
        left = _fit(expression, 30)
        room = max(16, WIDTH - len(sub) - len(left) - 3)
        lines.append(f"{sub}{left} = {_show(value, room)}")
    if not outcome.passed and outcome.reason:
        lines.append(f"{sub}{_fit(outcome.reason, WIDTH - len(sub))}")
    return lines


def _body_text(body: Any, limit: int) -> str:
    if body is None:
        return ""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=None)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    return text


def _wrap_lines(
    prefix: str,
    text: str,
    visible: int | None = None,
    *,
    break_long_words: bool = True,
    width: int = WIDTH,
) -> list[str]:
    """``text`` wrapped to the width at spaces (a word longer than a line is cut, unless
    ``break_long_words`` is false: then it gets a line of its own, whole); the first line after
    ``prefix``, the rest aligned under it (``visible`` is the printed width of ``prefix`` when
    it holds colour codes)."""
    indent = len(prefix) if visible is None else visible
    room = max(20, width - indent)
    out: list[str] = []
    lead = prefix
    for raw in text.splitlines() or [""]:
        pieces = textwrap.wrap(
            raw,
            room,
            break_on_hyphens=False,
            break_long_words=break_long_words,
            drop_whitespace=True,
            replace_whitespace=False,
        ) or [""]
        for piece in pieces:
            out.append(lead + piece)
            lead = " " * indent
    return out


def format_step(
    step: StepResult,
    *,
    style: Style | None = None,
    verbose: bool = False,
    body_limit: int = DEFAULT_BODY_LIMIT,
    indent: str = "  ",
    width: int = WIDTH,
) -> list[str]:
    """The lines the console shows for one finished step (its line and what hangs under it).
    ``width`` is where verbose bodies wrap (the terminal's width on a terminal)."""
    style = style or Style()
    lines = [step_line(step, style, indent)]
    sub = indent + "     "
    for outcome in step.criteria:
        lines.extend(_criterion_lines(outcome, style, sub, verbose))
    label = action_label(step)
    if label:
        lines.append(f"{sub}-> {_fit(label, WIDTH - len(sub) - 3)}")
    for finding in step.contract:
        lines.extend(_wrap_lines(sub + style.warn("contract: "), finding, len(sub) + 10))
    if not step.success and step.error:
        lines.extend(_wrap_lines(sub + "error: ", step.error))
    if verbose:
        lines.extend(_exchange_lines(step, style, sub, body_limit, width))
        for expression, value in step.trace:
            left = _fit(expression, 34)
            room = max(16, WIDTH - len(sub) - len(left) - 9)
            lines.append(f"{sub}{style.dim('trace')} {left} = {_show(value, room)}")
    return lines


def _marked(prefix: str, text: str, width: int = WIDTH, *, whole: bool = False) -> list[str]:
    """Lines of a request or response after ``prefix`` (``> `` / ``< ``). A ``whole`` line (the
    request line, a header) is never split: a header value or token cut in two could not be
    copied back. Bodies wrap at spaces to ``width``; a word longer than a line stays whole."""
    if whole:
        return [prefix + raw for raw in text.splitlines() or [""]]
    room = max(20, width - len(prefix))
    return [
        prefix + piece
        for raw in text.splitlines() or [""]
        for piece in textwrap.wrap(
            raw,
            room,
            break_on_hyphens=False,
            break_long_words=False,
            drop_whitespace=True,
            replace_whitespace=False,
        )
        or [""]
    ]


def _exchange_lines(
    step: StepResult, style: Style, sub: str, body_limit: int, width: int = WIDTH
) -> list[str]:
    lines: list[str] = []
    if step.request is not None:
        request = step.request
        lines.extend(_marked(sub + "> ", f"{request.method} {request.url}", whole=True))
        for name, value in request.headers:
            lines.extend(_marked(sub + "> ", f"{name}: {value}", whole=True))
        body = _body_text(request.body, body_limit)
        if body:
            lines.extend(_marked(sub + "> ", body, width))
    if step.response is not None:
        response = step.response
        lines.append(f"{sub}< {response.status_code}")
        for name, value in response.headers:
            lines.extend(_marked(sub + "< ", f"{name}: {value}", whole=True))
        body = _body_text(response.body, body_limit)
        if body:
            lines.extend(_marked(sub + "< ", body, width))
    return lines


def format_summary(
    result: RunResult, style: Style | None = None, *, full_outputs: bool = False
) -> list[str]:
    """The closing lines of one workflow run: verdict, counts, error, warnings, outputs (one
    line each, cut to the width, unless ``full_outputs``)."""
    style = style or Style()
    passed = sum(1 for s in result.steps if s.success)
    failed = len(result.steps) - passed
    verdict = style.ok("succeeded") if result.success else style.bad("FAILED")
    counts = f"{len(result.steps)} step(s), {passed} ok, {failed} failed"
    lines = [f"workflow {result.workflow_id} {verdict} ({counts}) in {_duration(result.duration)}"]
    if result.error and not result.success:
        lines.extend(_wrap_lines("  ", result.error))
    findings = sum(len(s.contract) for s in result.steps)
    if findings:
        lines.append(style.warn(f"  {findings} contract finding(s)"))
    for warning in result.warnings:
        lines.extend(_wrap_lines("  warning: ", warning))
    if result.outputs:
        lines.append("outputs:")
        if full_outputs:
            text = json.dumps(result.outputs, indent=2, ensure_ascii=False, default=str)
            lines.extend("  " + line for line in text.splitlines())
        else:
            for name, value in result.outputs.items():
                label = _fit(str(name), 30)
                lines.append(f"  {label} = {_show(value, max(16, WIDTH - len(label) - 5))}")
    return lines


def format_result(
    result: RunResult,
    *,
    style: Style | None = None,
    verbose: bool = False,
    body_limit: int = DEFAULT_BODY_LIMIT,
) -> str:
    """The whole console account of a finished run, as one string (no live updates)."""
    style = style or Style()
    lines = [style.bold(f"workflow {result.workflow_id}")]
    for step in result.steps:
        indent = "  " if step.workflow_id == result.workflow_id else "    "
        lines.extend(
            format_step(step, style=style, verbose=verbose, body_limit=body_limit, indent=indent)
        )
    lines.extend(format_summary(result, style, full_outputs=True))
    return "\n".join(lines)


class _Countdown:
    """A one-line countdown on a terminal while a retry waits."""

    def __init__(self, stream: TextIO, text: str, seconds: float) -> None:
        self.stream = stream
        self.text = text
        self.until = time.monotonic() + seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        frames = "|/-\\"
        index = 0
        while not self.stopped.is_set():
            left = max(0.0, self.until - time.monotonic())
            line = _fit(f"  {frames[index % 4]} {self.text} ({left:4.1f} s)", WIDTH - 1)
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
            index += 1
            self.stopped.wait(0.1)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.stream.write("\r\033[K")
        self.stream.flush()


class ConsoleReporter:
    """A run observer that prints the run as it goes.

    Args:
        stream: where to write (default ``sys.stdout``).
        verbose: also print requests, responses and the expression trace.
        colour: ``auto``, ``always`` or ``never``.
        body_limit: characters of each body shown in verbose mode.
        summary: print the summary when the run ends.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        verbose: bool = False,
        colour: str = "auto",
        body_limit: int = DEFAULT_BODY_LIMIT,
        summary: bool = True,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.verbose = verbose
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
        #: Where ``verbose`` bodies wrap: the terminal's width, 80 columns when piped.
        self.width = shutil.get_terminal_size((WIDTH, 24)).columns if self.live else WIDTH
        self.style = Style(use_colour(self.stream, colour))
        self.body_limit = body_limit
        self.summary = summary
        self.results: list[RunResult] = []
        self._pending: str | None = None
        self._countdown: _Countdown | None = None
        self._depth_base: int | None = None
        #: The last finished step and its indent, while the action it fires is not yet known
        #: (the run picks the action after the step's event): shown with the next event.
        self._awaiting_action: tuple[StepResult, str] | None = None

    # -- output helpers -------------------------------------------------------------------

    def _write(self, lines: Iterable[str]) -> None:
        self._clear_pending()
        for line in lines:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _clear_pending(self) -> None:
        if self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        if self._pending is not None:
            self.stream.write("\r\033[K")
            self._pending = None

    def _indent(self, depth: int) -> str:
        return "  " * (depth + 1)

    # -- the observer ---------------------------------------------------------------------

    def __call__(self, event: RunEvent) -> None:
        """Receive one run event."""
        with contextlib.suppress(Exception):  # an observer must never break a run
            self._handle(event)

    def _show_action(self) -> None:
        """Say which action the last finished step fired (``-> goto listItems (exists)``)."""
        if self._awaiting_action is None:
            return
        record, indent = self._awaiting_action
        self._awaiting_action = None
        label = action_label(record)
        if label:
            sub = indent + "     "
            self._write([f"{sub}-> {_fit(label, WIDTH - len(sub) - 3)}"])

    def _handle(self, event: RunEvent) -> None:
        self._show_action()
        if isinstance(event, WorkflowStarted):
            label = "workflow" if event.depth == 0 else "  " * event.depth + "workflow"
            self._write([self.style.bold(f"{label} {event.workflow_id}")])
        elif isinstance(event, StepStarted):
            if self.live:
                self._clear_pending()
                text = f"{self._indent(event.depth)}...  {_fit(event.step_id, 24)}"
                self._pending = text
                self.stream.write(self.style.dim(text))
                self.stream.flush()
        elif isinstance(event, StepFinished):
            indent = self._indent(event.depth)
            self._write(
                format_step(
                    event.record,
                    style=self.style,
                    verbose=self.verbose,
                    body_limit=self.body_limit,
                    indent=indent,
                    width=self.width,
                )
            )
            if not event.record.action:
                self._awaiting_action = (event.record, indent)
        elif isinstance(event, RetryWaiting):
            text = f"retry {event.retry}/{event.limit} of {event.step_id} in {event.seconds:g} s"
            if self.live:
                self._clear_pending()
                self._countdown = _Countdown(self.stream, text, event.seconds)
            else:
                self._write([f"  ~ {text}"])
        elif isinstance(event, WorkflowFinished):
            pass
        elif isinstance(event, RunFinished):
            self.results.append(event.result)
            if self.summary:
                self._write(format_summary(event.result, self.style, full_outputs=True))
