"""The validator against every Arazzo document of ../shared/arazzo-corpus (data-driven).

Each label has a rule (see ``corpus_table.LABEL_RULES``); our JSON Schemas are cross-checked
against the official ones on every document; docs/corpus-results.md must be up to date.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from arazzo_engine.document.loader import load_text
from arazzo_engine.validation.structural import check_structure, schema_version

from .corpus_table import (
    EXPECTED_SEMANTIC_ERRORS,
    LENIENT_ACCEPTED,
    TABLE,
    VALID_WARNINGS,
    Verdict,
    corpus_entries,
    render,
    shared_dir,
    verdict,
)

SHARED = shared_dir()
ENTRIES = corpus_entries(SHARED) if SHARED is not None else []
SKIP = pytest.mark.skipif(
    SHARED is None,
    reason="the Arazzo corpus is not in this clone: see tests/README.md (ARAZZO_SHARED_DIR)",
)

#: invalid-semantic documents and the semantic codes that must be among their errors.
SEMANTIC_REASONS = {
    "official/examples/1.0.0/LoginAndRetrievePets.arazzo.yaml": "bad-operation-path",
    "redocly-cli/tests/e2e/respect/workflow-depends-on-not-found/"
    "workflow-depends-on-not-found.arazzo.yaml": "unknown-workflow-id",
    "jaredce-arazzo-runner/test/mocks/single-workflow/single-step/"
    "arazzoMock-user-with-successCriteria-and-onSuccess-set-to-goto-non-existant-step.json": (
        "unknown-step-id"
    ),
    "jaredce-arazzo-runner/test/mocks/incorrectSourceDescriptionReference-pets-arazzo.json": (
        "unknown-source"
    ),
}


def _with(*labels: str) -> list[dict[str, Any]]:
    return [e for e in ENTRIES if e["label"] in labels]


@functools.cache
def _verdict(file: str) -> Verdict:
    assert SHARED is not None
    entry = next(e for e in ENTRIES if e["file"] == file)
    return verdict(SHARED, entry)


@SKIP
def test_the_corpus_is_there() -> None:
    assert len(ENTRIES) > 100


@pytest.mark.parametrize("entry", _with("valid", "valid-schema-bug"), ids=lambda e: e["file"])
def test_valid_documents_validate(entry: dict[str, Any]) -> None:
    result = _verdict(entry["file"])
    errors = set(result.error_codes)
    if entry["file"] in EXPECTED_SEMANTIC_ERRORS:
        codes, _ = EXPECTED_SEMANTIC_ERRORS[entry["file"]]
        assert codes <= errors, result.report.errors
        assert "schema" not in errors, result.report.errors
        return
    # An engine limitation, not a verdict on the document: AsyncAPI steps are refused.
    assert errors <= {"unsupported-asyncapi"}, [str(p) for p in result.report.errors]
    assert set(result.warning_codes) <= VALID_WARNINGS, result.warning_codes


@pytest.mark.parametrize("entry", _with("invalid"), ids=lambda e: e["file"])
def test_invalid_documents_are_rejected_for_the_labelled_reason(entry: dict[str, Any]) -> None:
    result = _verdict(entry["file"])
    schema_pointers = [p.pointer for p in result.report.errors if p.code == "schema"]
    assert schema_pointers, [str(p) for p in result.report.errors]
    version = str(entry.get("arazzo_version"))
    column = (
        "against_1.1_schema_2026-04-15"
        if version.startswith("1.1")
        else ("against_1.0_schema_2025-10-15")
    )
    recorded = entry["schema_check"][column]
    match = re.search(r"first at (/\S*?):", recorded)
    assert match, recorded
    expected = match.group(1).rstrip("/") if match.group(1) != "/" else ""
    assert any(
        p.startswith(expected) or (expected.startswith(p) and (p or not expected))
        for p in schema_pointers
    ), (expected, schema_pointers)


@pytest.mark.parametrize("entry", _with("invalid-semantic"), ids=lambda e: e["file"])
def test_invalid_semantic_documents_are_rejected_by_semantic_checks(
    entry: dict[str, Any],
) -> None:
    result = _verdict(entry["file"])
    assert SEMANTIC_REASONS[entry["file"]] in result.error_codes, [
        str(p) for p in result.report.errors
    ]
    # Apart from a root `$schema` key (JaredCE's mocks), the schema has nothing to say.
    schema = [p for p in result.report.errors if p.code == "schema"]
    assert all("$schema" in p.message for p in schema), schema


@pytest.mark.parametrize("entry", _with("lenient", "nonstandard"), ids=lambda e: e["file"])
def test_lenient_and_nonstandard_documents_are_rejected(entry: dict[str, Any]) -> None:
    result = _verdict(entry["file"])
    if entry["file"] in LENIENT_ACCEPTED:
        assert result.report.ok, [str(p) for p in result.report.errors]
        return
    assert not result.report.ok
    if entry["label"] == "nonstandard":
        assert "schema" in result.error_codes


def _official(shared: Path, version: str) -> Draft202012Validator:
    name = "1.1/schema/2026-04-15" if version == "1.1" else "1.0/schema/2025-10-15"
    path = shared / "arazzo-corpus/official/schemas/spec.openapis.org/arazzo" / f"{name}.json"
    return Draft202012Validator(json.loads(path.read_text()))


@SKIP
def test_our_schemas_agree_with_the_official_ones_except_the_known_bugs() -> None:
    assert SHARED is not None
    official = {v: _official(SHARED, v) for v in ("1.0", "1.1")}
    disagreements = []
    for entry in ENTRIES:
        path = SHARED / "arazzo-corpus" / entry["file"]
        loaded = load_text(path.read_text(encoding="utf-8"), str(path))
        ours_valid = not check_structure(loaded)
        version = schema_version(loaded.data)
        theirs_valid = official[version].is_valid(loaded.data)
        if ours_valid != theirs_valid:
            disagreements.append((entry["file"], entry["label"], ours_valid))
    # Exactly the documented schema bugs: valid per the spec, rejected by the official schema.
    assert disagreements, "the cross-check found no schema bug at all"
    for file, label, ours_valid in disagreements:
        assert label == "valid-schema-bug" and ours_valid, (file, label)


@SKIP
def test_corpus_results_table_is_up_to_date() -> None:
    verdicts = [_verdict(e["file"]) for e in ENTRIES]
    expected = render(verdicts)
    assert TABLE.read_text() == expected, (
        "docs/corpus-results.md is out of date: run python -m tests.conformance.corpus_table"
    )
