"""The compiler: one pass from a loaded document to runnable plans and every problem found.

::

    plans, problems = compile("flows.arazzo.yaml")
    plans["checkout"].steps[0].operation      # the step's binding (method, path, servers...)

`compile_document` is the same pass with its full result (a `Compilation`): the schema check
(``validation/structural.py``), the checks that resolve every reference and parse every expression
(`checks.py`, reading strings through the document's `grammar.Grammar`), then the binder
(`binder.py`), which builds the `WorkflowPlan` of each workflow the checks found no error in,
reusing the operations they resolved. Problems are collected, never raised.

``validate()`` is this compiler reporting; ``Document.plan(workflow_id)`` is this compiler
refusing a workflow that has an error affecting it (`plan_workflow`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from ..document.diskcache import load_text_cached
from ..document.loader import LoadedText
from ..document.model import (
    SUPPORTED_VERSIONS,
    Document,
    LoadOptions,
    SourceDescription,
    _read,
    _Reads,
    _resolve,
    install_planner,
)
from ..errors import ArazzoError, BindingError, DocumentError, Location
from ..openapi.description import OpenAPIDescription
from .binder import Unbound, bind_workflow
from .checks import check_semantics
from .plan import ActionPlan, BodyPlan, ParameterPlan, StepPlan, WorkflowPlan
from .problems import Problem, Report, reachable
from .structural import check_structure, schema_version

__all__ = [
    "ActionPlan",
    "BodyPlan",
    "Compilation",
    "ParameterPlan",
    "StepPlan",
    "WorkflowPlan",
    "compile",
    "compile_document",
    "compiled",
    "plan_workflow",
]

_CACHE_KEY = ("compile", "")
#: Codes whose refusal is a `BindingError` (a reference that does not resolve).
_BINDING_CODES = frozenset(
    {
        "unknown-operation-id",
        "unknown-operation-path",
        "unknown-channel",
        "bad-operation-path",
        "unqualified-operation-id",
        "unknown-source",
        "unknown-workflow-id",
        "binding",
    }
)


@dataclass
class Compilation:
    """Everything the compiler found in one document."""

    uri: str
    report: Report
    """Every problem (errors and warnings, sorted) and the local workflow call graph."""
    plans: dict[str, WorkflowPlan] = field(default_factory=dict)
    """The plan of each workflow that can run."""
    refused: dict[str, ArazzoError] = field(default_factory=dict)
    """Workflows that cannot be bound for a reason that is a warning in the report (a source
    description that could not be read), with the error a run raises."""
    binding_errors: dict[str, ArazzoError] = field(default_factory=dict, repr=False)

    @property
    def problems(self) -> list[Problem]:
        """Every problem, in document order."""
        return self.report.problems

    def refusal(self, workflow_id: str) -> ArazzoError | None:
        """Why ``workflow_id`` cannot run (None when it can)."""
        errors = self.report.errors_for(workflow_id)
        if not errors:
            return self.refused.get(workflow_id)
        first = errors[0]
        own = self.binding_errors.get(workflow_id)
        if own is not None and first.code == "binding" and first.workflow_id == workflow_id:
            return own
        kind = BindingError if first.code in _BINDING_CODES else DocumentError
        if len(errors) == 1:
            return kind(f"[{first.code}] {first.message}", first.location)
        lines = "".join(f"\n  {problem}" for problem in errors)
        return kind(
            f"workflow {workflow_id!r} cannot run: {len(errors)} validation error(s){lines}",
            first.location,
        )


def _load(document: str | os.PathLike[str], options: LoadOptions) -> LoadedText:
    uri = os.fspath(document)
    if urlparse(uri).scheme not in ("http", "https", "file"):
        uri = os.path.normpath(uri)
    return load_text_cached(_read(uri, Location(uri), options), uri)


def _load_sources(loaded: LoadedText, options: LoadOptions) -> dict[str, SourceDescription]:
    """Load the source descriptions of a document whose model could not be built."""
    found: dict[str, SourceDescription] = {}
    data = loaded.data
    items = data.get("sourceDescriptions") if isinstance(data, dict) else None
    for source in items if isinstance(items, list) else []:
        if not isinstance(source, dict):
            continue
        name, url = source.get("name"), source.get("url")
        if not isinstance(name, str) or not isinstance(url, str) or name in found:
            continue
        kind = source.get("type", "openapi")
        uri = _resolve(loaded.uri, url)
        entry = SourceDescription(name, url, str(kind), uri)
        found[name] = entry
        if kind not in ("openapi", "arazzo"):
            entry.error = DocumentError(f"source description type {kind!r} is not supported")
            continue
        try:
            text = load_text_cached(_read(uri, None, options), uri)
            if kind == "arazzo":
                entry.arazzo = Document(text)
            else:
                entry.openapi = OpenAPIDescription(name, text)
        except DocumentError as exc:
            entry.error = exc
    return found


def _referenced(sources: dict[str, SourceDescription], seen: frozenset[str]) -> list[Problem]:
    """The problems of the Arazzo documents this one names as sources (each checked once),
    with their own locations; their workflow ids are qualified as a step would name them."""
    found: list[Problem] = []
    for name, source in sources.items():
        document = source.arazzo
        if document is None or document.uri in seen:
            continue
        report = _compile(document, seen | {document.uri}).report
        prefix = f"$sourceDescriptions.{name}."
        for problem in report.problems:
            workflow = problem.workflow_id
            qualified = prefix + workflow if workflow and not workflow.startswith("$") else workflow
            found.append(dataclasses.replace(problem, workflow_id=qualified or prefix + "*"))
    return found


def _bind(model: Document, checks_operations: Any, grammar: Any, so_far: Report) -> Compilation:
    compilation = Compilation(model.uri, so_far)
    for workflow_id, (pointer, _) in model.workflows.items():
        if so_far.errors_for(workflow_id):
            continue
        try:
            compilation.plans[workflow_id] = bind_workflow(
                model, workflow_id, checks_operations, grammar
            )
        except Unbound as exc:
            compilation.refused[workflow_id] = BindingError(exc.message, exc.location)
        except ArazzoError as exc:
            where = exc.location or model.location(pointer)
            compilation.binding_errors[workflow_id] = exc
            so_far.problems.append(Problem("binding", "error", exc.message, where, workflow_id))
    # A workflow is refused when one it reaches is refused for an unreadable source.
    for workflow_id in list(compilation.plans):
        if compilation.refused.get(workflow_id) is None:
            for other in sorted(reachable(workflow_id, so_far.calls) - {workflow_id}):
                if other in compilation.refused:
                    compilation.refused[workflow_id] = compilation.refused[other]
                    break
    return compilation


def _compile(
    document: str | os.PathLike[str] | Document | LoadedText,
    seen: frozenset[str] = frozenset(),
    options: LoadOptions | None = None,
) -> Compilation:
    options = options or LoadOptions()
    model: Document | None = None
    if isinstance(document, Document):
        cached = document.cache.get(_CACHE_KEY)
        if isinstance(cached, Compilation):
            return cached
        model = document
        loaded = document.loaded
    elif isinstance(document, LoadedText):
        loaded = document
    else:
        loaded = _load(document, options)
    data: Any = loaded.data
    version_field = data.get("arazzo") if isinstance(data, dict) else None
    problems = check_structure(loaded)
    report = Report(loaded.uri, problems, version_field if isinstance(version_field, str) else None)
    compilation = Compilation(loaded.uri, report)
    if isinstance(data, dict):
        if isinstance(version_field, str) and not version_field.startswith(SUPPORTED_VERSIONS):
            problems.append(
                Problem(
                    "unsupported-version",
                    "error",
                    f"Arazzo {version_field} is not supported (1.0.x and 1.1.x are)",
                    loaded.location("/arazzo"),
                )
            )
        if model is None:
            try:
                model = Document(loaded, _reads=_Reads(options))
            except DocumentError:
                model = None
        sources = model.sources if model is not None else _load_sources(loaded, options)
        checks = check_semantics(loaded, sources, schema_version(data))
        problems.extend(checks.problems)
        report.calls = {k: frozenset(v) for k, v in checks.calls.items()}
        if model is not None:
            compilation = _bind(model, checks.operations, checks.grammar, report)
        problems.extend(_referenced(sources, seen | {loaded.uri}))
    report.problems = report.sorted()
    if model is not None:
        model.cache[_CACHE_KEY] = compilation
    return compilation


def compile_document(
    document: str | os.PathLike[str] | Document | LoadedText,
    *,
    options: LoadOptions | None = None,
) -> Compilation:
    """Compile a document (a path, a URL, a loaded `Document` or `LoadedText`): every plan
    that can be built and every problem. A `Document`'s compilation is kept on it and reused.
    ``options`` bound how a path or URL and its sources are read (see
    [`load`][arazzo_engine.load]; the defaults when None).

    Raises:
        DocumentError: the document itself cannot be read or is not YAML/JSON.
    """
    return _compile(document, options=options)


def compile(
    document: str | os.PathLike[str] | Document | LoadedText,
) -> tuple[dict[str, WorkflowPlan], list[Problem]]:
    """``(plans, problems)``: the plan of each workflow that can run, and every problem."""
    compilation = _compile(document)
    return compilation.plans, compilation.problems


def compiled(document: Document) -> Compilation:
    """The compilation of a loaded Document, computed once and kept on it."""
    return _compile(document)


def plan_workflow(document: Document, workflow_id: str) -> WorkflowPlan:
    """The plan of ``workflow_id``; raises the `DocumentError` (often a `BindingError`) that
    stops it when the compiler found an error affecting it (see `Report.errors_for`), or when
    a source description it needs could not be read."""
    document.raw_workflow(workflow_id)  # WorkflowNotFoundError for an unknown id
    compilation = compiled(document)
    refusal = compilation.refusal(workflow_id)
    if refusal is not None:
        raise refusal
    return compilation.plans[workflow_id]


def strict(report: Report) -> Report:
    """A copy of ``report`` with every warning turned into an error."""
    problems = [
        dataclasses.replace(p, severity="error") if p.severity == "warning" else p
        for p in report.problems
    ]
    return Report(report.uri, problems, report.version, report.calls)


install_planner(plan_workflow)
