"""Validate an Arazzo document: structure (our JSON Schemas) and semantics, every problem at once.

::

    report = validate("flows.arazzo.yaml")
    for problem in report.problems:
        print(problem)            # file:line:col: error [code] message (at /json/pointer)
    report.ok                     # no errors (warnings allowed)
    report.errors_for("checkout") # what stops that workflow from running

A source description that cannot be read (missing file, unreachable URL) is a ``warning``
naming the source and the checks skipped because of it; ``strict=True`` turns every warning
into an error.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any
from urllib.parse import urlparse

from ..document.loader import LoadedText, load_text
from ..document.model import (
    SUPPORTED_VERSIONS,
    Document,
    SourceDescription,
    _read,
    _resolve,
)
from ..errors import ArazzoError, DocumentError, Location
from ..openapi.description import OpenAPIDescription
from .problems import Problem, Report, Severity
from .semantic import check_semantics
from .structural import check_structure, schema_for, schema_version

__all__ = [
    "Problem",
    "Report",
    "Severity",
    "cached_report",
    "schema_for",
    "validate",
]

_REPORT_ATTRIBUTE = "_arazzo_validation_report"


def _load(document: str | os.PathLike[str]) -> LoadedText:
    uri = os.fspath(document)
    if urlparse(uri).scheme not in ("http", "https", "file"):
        uri = os.path.normpath(uri)
    return load_text(_read(uri, Location(uri)), uri)


def _load_sources(loaded: LoadedText) -> dict[str, SourceDescription]:
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
            text = load_text(_read(uri, None), uri)
            if kind == "arazzo":
                entry.arazzo = Document(text)
            else:
                entry.openapi = OpenAPIDescription(name, text)
        except DocumentError as exc:
            entry.error = exc
    return found


def _bind(model: Document, so_far: Report) -> list[Problem]:
    """Compile every workflow that has no error yet: what the run itself would refuse."""
    found: list[Problem] = []
    for workflow_id, (pointer, _) in model.workflows.items():
        if so_far.errors_for(workflow_id):
            continue
        try:
            model.plan(workflow_id)
        except ArazzoError as exc:
            where = exc.location or model.location(pointer)
            found.append(Problem("binding", "error", exc.message, where, workflow_id))
    return found


def _referenced(sources: dict[str, SourceDescription], seen: frozenset[str]) -> list[Problem]:
    """The problems of the Arazzo documents this one names as sources (each checked once),
    with their own locations; their workflow ids are qualified as a step would name them."""
    found: list[Problem] = []
    for name, source in sources.items():
        document = source.arazzo
        if document is None or document.uri in seen:
            continue
        report = validate(document, _seen=seen | {document.uri})
        prefix = f"$sourceDescriptions.{name}."
        for problem in report.problems:
            workflow = problem.workflow_id
            qualified = prefix + workflow if workflow and not workflow.startswith("$") else workflow
            found.append(dataclasses.replace(problem, workflow_id=qualified or prefix + "*"))
    return found


def validate(
    document: str | os.PathLike[str] | Document,
    *,
    strict: bool = False,
    _seen: frozenset[str] = frozenset(),
) -> Report:
    """Check an Arazzo document and return every problem found.

    ``document`` is a path, a URL or a loaded [`Document`][arazzo_engine.Document] (its already
    loaded source descriptions are reused). Structural checks use our Arazzo 1.0 or 1.1 JSON
    Schema, chosen by the ``arazzo`` field; semantic checks follow. ``strict`` turns warnings
    (e.g. an unreadable source description) into errors.

    Raises:
        DocumentError: the document itself cannot be read or is not YAML/JSON.
    """
    model: Document | None = None
    if isinstance(document, Document):
        model = document
        loaded = document.loaded
    else:
        loaded = _load(document)
    data: Any = loaded.data
    version_field = data.get("arazzo") if isinstance(data, dict) else None
    version = schema_version(data)
    problems = check_structure(loaded)
    calls: dict[str, frozenset[str]] = {}
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
                model = Document(loaded)
            except DocumentError:
                model = None
        sources = model.sources if model is not None else _load_sources(loaded)
        semantic, calls = check_semantics(loaded, sources, version)
        problems.extend(semantic)
        if model is not None and not any(s.error for s in model.sources.values()):
            problems.extend(_bind(model, Report(loaded.uri, list(problems), None, calls)))
        problems.extend(_referenced(sources, _seen | {loaded.uri}))
    if strict:
        problems = [
            dataclasses.replace(p, severity="error") if p.severity == "warning" else p
            for p in problems
        ]
    report = Report(
        loaded.uri,
        problems,
        version_field if isinstance(version_field, str) else None,
        calls,
    )
    report.problems = report.sorted()
    return report


def cached_report(document: Document) -> Report:
    """The (non-strict) report of a loaded Document, computed once and kept on it."""
    report = getattr(document, _REPORT_ATTRIBUTE, None)
    if not isinstance(report, Report):
        report = validate(document)
        setattr(document, _REPORT_ATTRIBUTE, report)
    return report
