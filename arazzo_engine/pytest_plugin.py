"""A pytest plugin: Arazzo workflows as test items, and a fixture to run them in tests.

Registered through the ``pytest11`` entry point, so installing arazzo-engine is enough.

Collection (opt-in): list glob patterns in the ``arazzo_files`` ini option and every matching
document becomes a test file with one item per workflow::

    [pytest]
    arazzo_files = *.arazzo.yaml *.arazzo.yml

Inputs come from a sidecar file next to the document, keyed by workflowId: for
``flows.arazzo.yaml`` the first of ``flows.arazzo.inputs.yaml``, ``flows.arazzo.inputs.yml``,
``flows.arazzo.inputs.json``, ``flows.inputs.yaml``, ``flows.inputs.yml`` or
``flows.inputs.json``; ``--arazzo-input NAME=VALUE`` adds or overrides values for every workflow.
Servers come from ``--arazzo-server SOURCE=URL``; contract checks from ``--arazzo-contract``
(``warn`` by default). Anything else (AWS settings, credentials, more servers, inputs) comes from
a ``conftest.py`` hook::

    def pytest_arazzo_run_options(config, document, workflow_id):
        return {"aws": AwsSettings(region="eu-west-1"), "servers": {"shop": URL}}

A failing workflow is reported with the same step tree as the command line. In ordinary tests,
the ``arazzo_run`` fixture runs a workflow with the same options and returns the
[`RunResult`][arazzo_engine.RunResult]::

    def test_publish(arazzo_run):
        result = arazzo_run("flows.arazzo.yaml", "publish-image", {"imageTag": "v1"})
        assert result.success, result
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .errors import ArazzoError

if TYPE_CHECKING:  # the engine is imported inside the hooks: a session without Arazzo files
    from .document.model import Document  # pays nothing for the plugin
    from .results import RunResult

__all__ = ["ArazzoFile", "ArazzoItem", "WorkflowFailed", "failure_reason"]

_SIDECAR_SUFFIXES = (".inputs.yaml", ".inputs.yml", ".inputs.json")


class _Hooks:
    """Hook specifications added by the plugin."""

    @pytest.hookspec(firstresult=False)
    def pytest_arazzo_run_options(
        self, config: pytest.Config, document: str, workflow_id: str
    ) -> Mapping[str, Any] | None:
        """Options for [`arazzo_engine.run_workflow`][arazzo_engine.run_workflow]
        (``servers``, ``aws``, ``auth``, ``inputs``, ``timeout``, ``contract``...) for one
        workflow; results of several
        implementations are merged, later ones winning key by key."""
        return None


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the plugin's hook specification."""
    pluginmanager.add_hookspecs(_Hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's command-line and ini options."""
    group = parser.getgroup("arazzo", "Arazzo workflows (arazzo-engine)")
    group.addoption(
        "--arazzo-server",
        action="append",
        default=[],
        metavar="SOURCE=URL",
        help="base URL of an Arazzo source description",
    )
    group.addoption(
        "--arazzo-input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input given to every collected workflow, typed by its inputs schema as the "
        "CLI's --input (NAME=@FILE reads a file)",
    )
    group.addoption(
        "--arazzo-contract",
        choices=("warn", "fail", "off"),
        default=None,
        help="contract checks of responses (default: warn)",
    )
    parser.addini(
        "arazzo_files",
        type="args",
        default=[],
        help="glob patterns of Arazzo documents to collect as tests (e.g. *.arazzo.yaml)",
    )


def _pairs(items: list[str], option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise pytest.UsageError(f"{option} expects NAME=VALUE, got {item!r}")
        found[name] = value
    return found


def run_options(config: pytest.Config, document: str, workflow_id: str) -> dict[str, Any]:
    """The options (``run_workflow`` keyword arguments plus ``inputs``) for one workflow: the
    command-line options, then every ``pytest_arazzo_run_options`` hook result."""
    options: dict[str, Any] = {
        "servers": _pairs(config.getoption("arazzo_server") or [], "--arazzo-server"),
        "contract": config.getoption("arazzo_contract") or "warn",
        "inputs": {},
    }
    results = config.hook.pytest_arazzo_run_options(
        config=config, document=document, workflow_id=workflow_id
    )
    for found in reversed(results):  # pluggy calls the last registered first
        if not found:
            continue
        for key, value in found.items():
            if key in ("servers", "inputs") and isinstance(value, Mapping):
                options[key] = {**options[key], **value}
            else:
                options[key] = value
    return options


def sidecar_inputs(path: Path) -> dict[str, Any]:
    """The sidecar inputs of a document, keyed by workflowId (empty when there is none)."""
    stems = [path.name]
    if path.suffix:
        stems.append(path.name[: -len(path.suffix)])
    if stems[-1].endswith(".arazzo"):
        stems.append(stems[-1][: -len(".arazzo")])
    for stem in dict.fromkeys(stems[1:]):
        for suffix in _SIDECAR_SUFFIXES:
            candidate = path.with_name(stem + suffix)
            if candidate.is_file():
                from .document.loader import load_text

                data = load_text(candidate.read_text(encoding="utf-8"), str(candidate)).data
                if not isinstance(data, dict):
                    raise ArazzoError(f"{candidate}: expected a mapping of workflowId to inputs")
                return data
    return {}


def failure_reason(result: RunResult) -> str:
    """One line saying why a run failed: the failing step, its HTTP status and the first
    criterion that failed (or the step's error), e.g.
    ``step 'create' failed: HTTP 500, criterion $statusCode == 201 not met``."""
    failed = [s for s in result.steps if not s.success and not s.action]
    failed = failed or [s for s in result.steps if not s.success]
    if not failed:
        return f"workflow {result.workflow_id!r} failed: {result.error or 'no step failed'}"
    step = failed[-1]
    parts = []
    if step.status_code is not None:
        parts.append(f"HTTP {step.status_code}")
    criterion = next((c for c in step.criteria if not c.passed), None)
    if criterion is not None:
        parts.append(f"criterion {criterion.condition} not met")
    elif step.error:
        parts.append(step.error)
    where = f"workflow {step.workflow_id!r} " if step.workflow_id != result.workflow_id else ""
    return f"{where}step {step.step_id!r} failed: {', '.join(parts) or 'the step failed'}"


class WorkflowFailed(Exception):
    """A collected workflow ran and failed."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        super().__init__(failure_reason(result))


class _FailureRepr:
    """A failure report whose short line (``-ra``, JUnit ``message``) is the reason and whose
    body is the step tree."""

    def __init__(self, reason: str, body: str) -> None:
        self.reprcrash = _Crash(reason)
        self.body = body

    def toterminal(self, tw: Any) -> None:
        """Write the reason, then the step tree."""
        tw.line(self.reprcrash.message)
        for line in self.body.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return f"{self.reprcrash.message}\n{self.body}"


class _Crash:
    def __init__(self, message: str) -> None:
        self.message = message
        self.path = ""
        self.lineno = 0


class ArazzoItem(pytest.Item):
    """One workflow of an Arazzo document, run as a test."""

    def __init__(self, *, document: Document, workflow_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document = document
        self.workflow_id = workflow_id
        self.result: RunResult | None = None

    def runtest(self) -> None:
        """Run the workflow; raise `WorkflowFailed` when it fails."""
        options = run_options(self.config, str(self.path), self.workflow_id)
        inputs = dict(sidecar_inputs(self.path).get(self.workflow_id) or {})
        inputs.update(options.pop("inputs", {}) or {})
        from .cli import UsageError, typed_input

        schema = self.document.plan(self.workflow_id).inputs_schema
        pairs = _pairs(self.config.getoption("arazzo_input") or [], "--arazzo-input")
        try:  # typed exactly as the CLI's --input: by the workflow's inputs schema
            inputs.update(
                {k: typed_input(k, v, schema, "--arazzo-input") for k, v in pairs.items()}
            )
        except UsageError as exc:
            raise ArazzoError(str(exc)) from None
        from .api import run_workflow

        self.result = run_workflow(self.document, self.workflow_id, inputs, **options)
        for step in self.result.steps:
            for finding in step.contract:
                self.add_report_section("call", "contract", f"{step.step_id}: {finding}")
        if not self.result.success:
            raise WorkflowFailed(self.result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        """The step tree of a failed workflow; the message of an engine error."""
        if isinstance(excinfo.value, WorkflowFailed):
            from .console import format_result

            result = excinfo.value.result
            body = format_result(result, verbose=self.config.getoption("verbose") > 1)
            return _FailureRepr(str(excinfo.value), body)
        if isinstance(excinfo.value, ArazzoError):
            return f"{type(excinfo.value).__name__}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the item is, for pytest's report."""
        return self.path, None, f"arazzo workflow {self.workflow_id}"


class ArazzoFile(pytest.File):
    """An Arazzo document collected as a test file."""

    def collect(self) -> Iterator[ArazzoItem]:
        """One item per workflow."""
        from .document.model import load

        document = load(self.path)
        for workflow_id in document.workflow_ids():
            yield ArazzoItem.from_parent(
                self, name=workflow_id, document=document, workflow_id=workflow_id
            )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ArazzoFile | None:
    """Collect the documents that match ``arazzo_files``."""
    patterns = parent.config.getini("arazzo_files")
    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in patterns):
        found: ArazzoFile = ArazzoFile.from_parent(parent, path=file_path)
        return found
    return None


@pytest.fixture
def arazzo_run(request: pytest.FixtureRequest) -> Callable[..., RunResult]:
    """Run a workflow inside a test: ``arazzo_run(document, workflow_id, inputs, **options)``.

    Options are the command-line ``--arazzo-*`` options and ``pytest_arazzo_run_options``
    hook results, overridden by the keyword arguments given; returns the RunResult.
    """
    config = request.config

    def run(
        document: str | Path | Document,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> RunResult:
        from .api import run_workflow
        from .document.model import Document

        where = str(document.uri if isinstance(document, Document) else document)
        options = run_options(config, where, workflow_id)
        merged = dict(options.pop("inputs", {}) or {})
        merged.update(inputs or {})
        options.update(overrides)
        spec: str | Path | Document = document
        return run_workflow(spec, workflow_id, merged, **options)

    return run
