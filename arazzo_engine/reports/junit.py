"""JUnit XML: a test case per workflow run, and one per step execution under it.

The layout is the one CI servers read (Jenkins, GitLab, GitHub test reporters, Azure): a
``<testsuites>`` root, a ``<testsuite>`` per workflow run, then ``<testcase>`` elements. The first
test case of a suite is the workflow itself; each following one is a step execution, named
``workflowId / stepId`` (with ``#attempt`` for retries). Failed cases carry a ``<failure>`` whose
``message`` is the reason and whose text is the step tree the console prints; contract findings
and warnings go to ``<system-out>``.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results import RunResult, StepResult


__all__ = ["to_junit_xml"]


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _stamp(epoch: float) -> str:
    when = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return when.replace(tzinfo=None).isoformat(timespec="seconds")


def _clean(text: str) -> str:
    """Text without characters XML 1.0 cannot carry."""
    return "".join(
        ch for ch in text if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or (ch >= "\ue000")
    )


def _step_case(suite: ET.Element, classname: str, step: StepResult) -> tuple[int, int]:
    from ..console import action_label, format_step, handled_failure

    attempt = f" #{step.attempt}" if step.attempt > 1 else ""
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": classname,
            "name": f"{step.workflow_id} / {step.step_id}{attempt}",
            "time": _seconds(step.duration),
        },
    )
    failures = errors = 0
    notes: list[str] = []
    if handled_failure(step):
        # a retry that was tried again, a 409 sent elsewhere by a goto: the run went on, so
        # it is no test failure (a CI build must not go red); the case's output says so
        notes.append(f"handled: {step.error or 'the step failed'} -> {action_label(step)}")
    elif not step.success:
        reason = _clean(step.error or "the step failed")
        # No HTTP answer at all is an error (infrastructure); a judged step is a failure.
        kind = "error" if step.status_code is None and step.response is None else "failure"
        element = ET.SubElement(case, kind, {"message": reason[:1000], "type": "ArazzoStepFailure"})
        element.text = _clean("\n".join(format_step(step, indent="")))
        if kind == "error":
            errors += 1
        else:
            failures += 1
    notes.extend(f"contract: {finding}" for finding in step.contract)
    if step.status_code is not None:
        notes.insert(0, f"HTTP {step.status_code} from {step.target}")
    if notes:
        ET.SubElement(case, "system-out").text = _clean("\n".join(notes))
    return failures, errors


def to_junit_xml(results: Sequence[RunResult], *, name: str = "arazzo-engine") -> str:
    """JUnit XML (as text, UTF-8 declared) for one or more workflow runs."""
    root = ET.Element("testsuites", {"name": name})
    total_tests = total_failures = total_errors = 0
    total_time = 0.0
    for result in results:
        classname = f"arazzo.{result.workflow_id}"
        suite = ET.SubElement(root, "testsuite", {"name": result.workflow_id})
        started = min((s.started_at for s in result.steps if s.started_at), default=0.0)
        if started:
            suite.set("timestamp", _stamp(started))
        workflow_case = ET.SubElement(
            suite,
            "testcase",
            {"classname": classname, "name": result.workflow_id, "time": _seconds(result.duration)},
        )
        failures = errors = 0
        if not result.success:
            from ..console import format_result

            failure = ET.SubElement(
                workflow_case,
                "failure",
                {
                    "message": _clean(result.error or "the workflow failed")[:1000],
                    "type": "ArazzoWorkflowFailure",
                },
            )
            failure.text = _clean(format_result(result))
            failures += 1
        if result.warnings:
            ET.SubElement(workflow_case, "system-out").text = _clean(
                "\n".join(f"warning: {w}" for w in result.warnings)
            )
        for step in result.steps:
            f, e = _step_case(suite, classname, step)
            failures += f
            errors += e
        tests = 1 + len(result.steps)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", "0")
        suite.set("time", _seconds(result.duration))
        total_tests += tests
        total_failures += failures
        total_errors += errors
        total_time += result.duration
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", str(total_errors))
    root.set("time", _seconds(total_time))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
