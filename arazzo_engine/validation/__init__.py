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

import os

from ..compile import compile_document, compiled
from ..compile import strict as _strict
from ..compile.problems import Problem, Report, Severity
from ..compile.structural import schema_for
from ..document.model import Document

__all__ = [
    "Problem",
    "Report",
    "Severity",
    "cached_report",
    "schema_for",
    "validate",
]


def validate(
    document: str | os.PathLike[str] | Document,
    *,
    strict: bool = False,
) -> Report:
    """Check an Arazzo document and return every problem found.

    ``document`` is a path, a URL or a loaded [`Document`][arazzo_engine.Document] (its already
    loaded source descriptions are reused). This is the compiler
    (`arazzo_engine.compile`) reporting: structural checks use our
    Arazzo 1.0 or 1.1 JSON Schema, chosen by the ``arazzo`` field; reference, expression and
    binding checks follow. ``strict`` turns warnings (e.g. an unreadable source description)
    into errors.

    Raises:
        DocumentError: the document itself cannot be read or is not YAML/JSON.
    """
    report = compile_document(document).report
    return _strict(report) if strict else report


def cached_report(document: Document) -> Report:
    """The (non-strict) report of a loaded Document, computed once and kept on it."""
    return compiled(document).report
