"""The corpus verdicts: every Arazzo document of ../shared/arazzo-corpus, its label, our verdict.

``python -m tests.conformance.corpus_table`` rewrites ``docs/corpus-results.md``;
``tests/conformance/test_corpus.py`` checks that the file is up to date and that each verdict
follows the rules for its label (see ``EXPECTED_SEMANTIC_ERRORS`` for the documents whose
``valid`` label we contradict, each with the spec rule it breaks).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arazzo_engine.validation import Report, validate

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "corpus-results.md"
DOCUMENT_LABELS = (
    "valid",
    "valid-schema-bug",
    "invalid",
    "invalid-semantic",
    "lenient",
    "nonstandard",
)

#: Documents labelled ``valid`` (schema-valid) that break a rule of the specification prose, and
#: the codes we report for them. Each was checked by hand against the spec text.
EXPECTED_SEMANTIC_ERRORS: dict[str, tuple[set[str], str]] = {
    "official/examples/1.0.0/FAPI-PAR.arazzo.yaml": (
        {"unknown-operation-id"},
        "operationId `PAR`; the OpenAPI operation is `Par` (operationIds are case-sensitive)",
    ),
    "official/examples/1.0.0/bnpl-arazzo.yaml": (
        {"unresolved-step-output"},
        "reads step outputs that the steps do not define (`$steps.x.finalizedPaymentPlan` "
        "without `.outputs.` is the 1.0.0 form: a warning)",
    ),
    "official/tests/v1.0/pass/bnpl-example.yaml": (
        {"unresolved-step-output", "bad-expression"},
        "`$response.headers.X` (the grammar says `header`), undefined outputs",
    ),
    "official/tests/v1.1/pass/bnpl-example.yaml": (
        {"unresolved-step-output", "bad-expression"},
        "same as the 1.0 bnpl-example",
    ),
    "official/tests/v1.0/pass/oauth-example.yaml": (
        {"bad-jsonpath"},
        "`$.access_token != null` is not an RFC 9535 query (comparisons only inside filters)",
    ),
    "official/tests/v1.1/pass/oauth-example.yaml": (
        {"bad-jsonpath"},
        "same as the 1.0 oauth-example",
    ),
    "official/tests/v1.1/pass/openapi-success-criteria.arazzo.yaml": (
        {"unknown-source"},
        "`$sourceDescriptions.userAPI.listUsers` but no source is named `userAPI`",
    ),
    "official/tests/v1.1/pass/workflow-success-criteria.arazzo.yaml": (
        {"unknown-source"},
        "`$sourceDescriptions.userAPI.listUsers` but no source is named `userAPI`",
    ),
    "official/tests/v1.1/pass/payload-replacement-using-selector.arazzo.yaml": (
        {"bad-expression"},
        "selector context `$steps.previous.outputs` names no output",
    ),
    "museum-openapi-example/arazzo/museum-api.arazzo.yaml": (
        {"unknown-operation-id", "unknown-workflow-id", "bad-jsonpath"},
        "2024 snapshot with Redocly-lenient syntax: `operationId: source.op`, "
        "`$sourceDescriptions.x.workflows.y`, a comparison that is not an RFC 9535 query",
    ),
    "redocly-cli/resources/museum-api.arazzo.yaml": (
        {"unknown-operation-id"},
        "`operationId: museum-api.getMuseumHours` (a source name without `$sourceDescriptions.`)",
    ),
    "speakeasy-openapi/arazzo/testdata/test.arazzo.yaml": (
        {"bad-expression"},
        "round-trip fixture: condition `$statusCode == 500%s` does not parse",
    ),
    "speakeasy-openapi/arazzo/testdata/traintravelapi.arazzo.yaml": (
        {"bad-expression"},
        "a double-quoted string in a condition, `$outputs.data[0].id` (navigation is only "
        "allowed in conditions)",
    ),
    "jentic-arazzo-engine/runner/tests/fixtures/newyork_times/newyork_times.arazzo.yaml": (
        {"bad-expression", "bad-operation-path", "bad-output-name"},
        "operationPath `openapi_source#/...` (names no source description), output names with "
        "spaces, and `$steps.<id>.outputs.<name with spaces>`",
    ),
    # The official 1.1 "characterization" fixtures: schema-valid, wrong per the spec prose.
    "official/tests/v1.1/pass/characterization-openapi-invalid-operationPath-string.arazzo.yaml": (
        {"bad-operation-path"},
        "characterization fixture: operationPath is not a source reference",
    ),
}

#: Warnings a document labelled ``valid`` may get: unreadable sources, and the lenient readings
#: of issue 8 (each names the standard form).
VALID_WARNINGS = frozenset(
    {
        "source-unreadable",
        "duplicate-parameter",
        "missing-parameter",
        "undeclared-parameter",
        "operation-path-style",
        "request-body-on-workflow-step",
        "body-dot-path",
        "deprecated-step-reference",
        "step-id-pattern",
        "unbraced-expression",
        "undeclared-input",
    }
)

#: Documents labelled ``lenient`` that we accept, and why.
LENIENT_ACCEPTED: dict[str, str] = {
    "jaredce-arazzo-runner/test/mocks/arazzo/arazzo-dependsOn/external-workflow.json": (
        "`$sourceDescriptions.x.wf.outputs.y` is a well-formed `$sourceDescriptions` expression; "
        "whether it resolves needs the remote arazzo source (unreadable offline: a warning)"
    ),
}

#: What the corpus labels mean for us (recorded in docs/corpus-results.md).
LABEL_RULES = {
    "valid": "no errors (warnings for unreadable sources are fine); AsyncAPI steps are refused "
    "with `unsupported-asyncapi`; the documents in the exceptions list are rejected for the "
    "spec rule named there",
    "valid-schema-bug": "no errors: our schema accepts what the official 1.0 schema wrongly "
    "rejects (one round-trip fixture excepted, listed below)",
    "invalid": "a `schema` error at (or next to) the JSON Pointer of the official schema's "
    "first error",
    "invalid-semantic": "schema-valid for our schema apart from the `$schema` root key, and at "
    "least one semantic error",
    "lenient": "rejected: each deviation is an error with a precise message (the engine does "
    "not guess what a non-conformant reference means), except the documents listed as "
    "accepted below",
    "nonstandard": "rejected by the schema (`$ref` Parameter / Request Body, `x-operation`)",
}


def shared_dir() -> Path | None:
    """``../shared`` next to the project (or ``ARAZZO_SHARED_DIR``), when present."""
    env = os.environ.get("ARAZZO_SHARED_DIR")
    path = Path(env) if env else ROOT.parent / "shared"
    return path if (path / "arazzo-corpus" / "manifest.json").is_file() else None


def corpus_entries(shared: Path) -> list[dict[str, Any]]:
    """The manifest entries of every Arazzo document with a document label."""
    manifest = json.loads((shared / "arazzo-corpus" / "manifest.json").read_text())
    return [
        e for e in manifest["entries"] if e["kind"] == "arazzo" and e["label"] in DOCUMENT_LABELS
    ]


@dataclass
class Verdict:
    """Our verdict on one corpus document."""

    file: str
    label: str
    report: Report

    @property
    def error_codes(self) -> list[str]:
        return sorted({p.code for p in self.report.errors})

    @property
    def warning_codes(self) -> list[str]:
        return sorted({p.code for p in self.report.warnings})

    @property
    def summary(self) -> str:
        if self.report.ok:
            return "accepted"
        if set(self.error_codes) == {"unsupported-asyncapi"}:
            return "valid; AsyncAPI steps refused"
        return "rejected"


def verdict(shared: Path, entry: dict[str, Any]) -> Verdict:
    """Validate one corpus document."""
    path = shared / "arazzo-corpus" / entry["file"]
    return Verdict(entry["file"], entry["label"], validate(path))


def render(verdicts: list[Verdict]) -> str:
    """The Markdown table of docs/corpus-results.md."""
    lines = [
        "# Corpus results",
        "",
        "Every Arazzo document of `../shared/arazzo-corpus/` (see its `manifest.json`), the label",
        "the corpus gives it, and what `arazzo-engine validate` says (no network: remote source",
        "descriptions are unreachable, which is a `source-unreadable` warning). Generated by",
        "`python -m tests.conformance.corpus_table`; `tests/conformance/test_corpus.py` fails when",
        "this file is out of date.",
        "",
        "## How each label is judged",
        "",
        "| label | expected verdict |",
        "|---|---|",
    ]
    lines += [f"| `{label}` | {rule} |" for label, rule in LABEL_RULES.items()]
    lines += [
        "",
        "## Documents labelled valid that we reject",
        "",
        "| document | codes | the rule it breaks |",
        "|---|---|---|",
    ]
    for file, (codes, reason) in EXPECTED_SEMANTIC_ERRORS.items():
        lines.append(f"| `{file}` | {', '.join(sorted(codes))} | {reason} |")
    lines += [
        "",
        "## Documents labelled lenient that we accept",
        "",
        "| document | why |",
        "|---|---|",
    ]
    lines += [f"| `{file}` | {reason} |" for file, reason in LENIENT_ACCEPTED.items()]
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.summary] = counts.get(v.summary, 0) + 1
    lines += [
        "",
        "## Every document",
        "",
        "Totals: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ".",
        "",
        "| document | label | verdict | error codes | warning codes |",
        "|---|---|---|---|---|",
    ]
    for v in verdicts:
        lines.append(
            f"| `{v.file}` | {v.label} | {v.summary} | {', '.join(v.error_codes) or '-'} | "
            f"{', '.join(v.warning_codes) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Rewrite docs/corpus-results.md from the corpus."""
    shared = shared_dir()
    if shared is None:
        raise SystemExit("../shared/arazzo-corpus not found (set ARAZZO_SHARED_DIR)")
    verdicts = [verdict(shared, e) for e in corpus_entries(shared)]
    TABLE.write_text(render(verdicts))
    print(f"wrote {TABLE} ({len(verdicts)} documents)")


if __name__ == "__main__":
    main()
