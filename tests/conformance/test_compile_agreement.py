"""validate() and the run agree: one compiler decides both.

Over every document we hold (the execution cases of ``tests/conformance/cases``, the Arazzo
documents of ``tests/`` and ``examples/``, and the corpus in ``../shared/arazzo-corpus``), a
workflow is refused at run time (``Document.plan`` and ``runnable_document`` raise) exactly when
``validate()`` reports an error that affects it. The one exception is a workflow that needs a
source description that could not be read: ``validate`` reports that as a warning (the document
may be fine), the run refuses it, and the refusal says which source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_engine import ArazzoError, DocumentError, load, validate
from arazzo_engine.api import runnable_document

from .corpus_table import corpus_entries, shared_dir
from .test_cases import CASE_FILES, _write

ROOT = Path(__file__).resolve().parents[2]
SHARED = shared_dir()
LOCAL = sorted(
    p
    for folder in (ROOT / "tests", ROOT / "examples")
    for p in folder.rglob("*.arazzo.yaml")
    if "cases" not in p.parts
)
CORPUS = [SHARED / "arazzo-corpus" / e["file"] for e in corpus_entries(SHARED)] if SHARED else []


def _agree(path: Path) -> int:
    """Check one document; return how many workflows were compared."""
    report = validate(path)
    try:
        document = load(path)
    except DocumentError:
        # No model can be built (duplicate ids, no workflows...): nothing runs, and validate
        # says why with an error.
        assert report.errors, [str(p) for p in report.problems]
        return 0
    unreadable = any(s.error is not None for s in document.sources.values())
    for workflow_id in document.workflows:
        errors = report.errors_for(workflow_id)
        refusal: ArazzoError | None = None
        try:
            document.plan(workflow_id)
        except ArazzoError as exc:
            refusal = exc
        if errors:
            assert refusal is not None, (workflow_id, [str(p) for p in errors])
            with pytest.raises(ArazzoError):
                runnable_document(document, workflow_id)
        elif refusal is not None:
            # Only an unreadable source refuses a workflow that validate lets through.
            assert unreadable, (workflow_id, str(refusal))
            assert "could not be loaded" in str(refusal) or "cannot be bound" in str(refusal)
        else:
            assert runnable_document(document, workflow_id) is document
    return len(document.workflows)


def _case_document(path: Path, tmp_path: Path) -> Path:
    case: dict[str, Any] = yaml.safe_load(path.read_text())
    return _write(tmp_path, case, "http://127.0.0.1:9")


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_execution_cases(path: Path, tmp_path: Path) -> None:
    _agree(_case_document(path, tmp_path))


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: str(p.relative_to(ROOT)))
def test_local_documents(path: Path) -> None:
    _agree(path)


@pytest.mark.skipif(SHARED is None, reason="../shared/arazzo-corpus not found")
def test_every_corpus_document() -> None:
    compared = 0
    for path in CORPUS:
        try:
            compared += _agree(path)
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from None
    assert compared > 100
