"""Hypothesis strategies and settings shared by the fuzz tests.

Every input is bounded in size (short texts, shallow values, a few hundred characters of
document), so no single case can take long: the suite needs no deadline and no timed check.
Runs are deterministic (``derandomize=True``): the same cases every run, on every machine.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

#: Shared settings: deterministic, no example database, no deadline (inputs are bounded).
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=800,
    # no shrinking: a failure is reported as found (shrinking a document can take minutes)
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: For validate(), which loads an OpenAPI description and checks a whole document per case.
FUZZ_SLOW = settings(FUZZ, max_examples=120)

# Pieces of conditions and runtime expressions: the grammar's tokens, plus what breaks lexers
# (non-ASCII letters and digits, control characters, quotes, brackets, over-long integers).
_ATOMS = [
    "$statusCode",
    "$response.body",
    "$response.body#/a/0",
    "$response.header.X-Id",
    "$inputs.name",
    "$inputs.x#/a~1b",
    "$steps.s1.outputs.id",
    "$workflows.w.outputs.o",
    "$sourceDescriptions.api.op",
    "$components.inputs.x",
    "$url",
    "$method",
    "$request.query.q",
    "$",
    "$$",
    "$inputs",
    "$steps.",
    "#/",
    "~",
    "~2",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "[",
    "]",
    "[0]",
    "['k']",
    ".",
    "'a'",
    "'it''s'",
    "'",
    '"x"',
    "true",
    "false",
    "null",
    "_n",
    "0",
    "-1",
    "1.5e3",
    "-",
    "=",
    "&",
    "|",
    " ",
    "\t",
    "\n",
    "é",
    "٣",
    "²",
    "ß",
    "\u0085",
    "\x00",
    "{",
    "}",
    "{$inputs.a}",
    "9" * 4301,
    "-" + "1" * 4400,
    "[" + "7" * 4500 + "]",
]

condition_texts = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(_ATOMS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(_ATOMS), max_size=12).map("".join),
)

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(_ATOMS),
)

#: JSON values, a few levels deep and a few members wide.
json_values = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.text(max_size=8),
                st.sampled_from([*_ATOMS[:20], "context", "selector", "type", "in"]),
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=None)


# Pieces spliced into document text: what hostile documents are made of.
_HOSTILE_TEXT = [
    "\x00",
    "\x85",
    "\x9f",
    "\ufeff",
    "&a",
    "*a",
    "!!python/object:os.system",
    "!!binary",
    "? ",
    "- ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "\t",
    "\n",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "<<: *a\n",
    "9" * 4400,
    "0x" + "f" * 4000,
    "1e999",
    "-.inf",
    ".nan",
    "~",
    "\\u0000",
]


@st.composite
def document_texts(draw: st.DrawFn) -> str:
    """YAML or JSON text: a dumped value, maybe cut, maybe with hostile pieces spliced in."""
    value = draw(json_values)
    text = json.dumps(value) if draw(st.booleans()) else _yaml(value)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        piece = draw(st.one_of(st.sampled_from(_HOSTILE_TEXT), st.text(max_size=4)))
        text = text[:at] + piece + text[at:]
    if draw(st.booleans()):
        text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
    return text


def _step(draw: st.DrawFn, index: int) -> dict[str, Any]:
    step: dict[str, Any] = {"stepId": f"s{index}"}
    target = draw(st.sampled_from(["operationId", "operationPath", "workflowId", None]))
    if target == "operationId":
        step["operationId"] = draw(st.sampled_from(["getPet", "createPet", "api.getPet", "nope"]))
    elif target == "operationPath":
        step["operationPath"] = draw(
            st.sampled_from(["{$sourceDescriptions.api.url}#/paths/~1pets~1{petId}/get", "#/x"])
        )
    elif target == "workflowId":
        step["workflowId"] = draw(st.sampled_from(["w", "$sourceDescriptions.api.w", "other"]))
    if draw(st.booleans()):
        step["parameters"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"name": st.one_of(st.text(max_size=6), json_values), "value": json_values},
                    optional={
                        "in": st.one_of(
                            st.sampled_from(["path", "query", "header", "cookie", "body"]),
                            json_values,
                        )
                    },
                ),
                max_size=3,
            )
        )
    if draw(st.booleans()):
        step["successCriteria"] = draw(st.lists(_criterion(), max_size=3))
    if draw(st.booleans()):
        step["requestBody"] = draw(
            st.fixed_dictionaries({"payload": json_values}, optional={"contentType": _SCALARS})
        )
    for key in ("onSuccess", "onFailure"):
        if draw(st.booleans()):
            step[key] = draw(st.lists(_action(), max_size=2))
    if draw(st.booleans()):
        step["outputs"] = draw(st.dictionaries(st.text(max_size=6), condition_texts, max_size=3))
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        step[draw(st.text(max_size=6))] = draw(json_values)
    return step


def _criterion() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries({"condition": condition_texts}),
        st.fixed_dictionaries(
            {
                "condition": condition_texts,
                "context": st.one_of(st.sampled_from(["$response.body", "$x"]), json_values),
                "type": st.one_of(
                    st.sampled_from(["simple", "regex", "jsonpath", "xpath"]),
                    st.fixed_dictionaries(
                        {"type": st.sampled_from(["jsonpath", "xpath"]), "version": _SCALARS}
                    ),
                    json_values,
                ),
            }
        ),
        json_values,
    )


def _action() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {"name": st.text(max_size=6), "type": st.sampled_from(["end", "goto", "retry", "x"])},
            optional={
                "stepId": st.sampled_from(["s0", "s1", "nope"]),
                "retryAfter": _SCALARS,
                "retryLimit": _SCALARS,
                "criteria": st.lists(_criterion(), max_size=2),
            },
        ),
        st.fixed_dictionaries(
            {"reference": st.sampled_from(["$components.successActions.a", "x"])}
        ),
        json_values,
    )


@st.composite
def arazzo_documents(draw: st.DrawFn, source_url: str) -> dict[str, Any]:
    """An Arazzo document close enough to valid to reach the semantic checks, with hostile
    values in its fields. Its one source description is ``source_url`` (a local file), so
    validation never goes to the network."""
    steps = [_step(draw, i) for i in range(draw(st.integers(min_value=0, max_value=3)))]
    workflow: dict[str, Any] = {
        "workflowId": draw(st.sampled_from(["w", "w-2", "", "é"])),
        "steps": steps,
    }
    if draw(st.booleans()):
        workflow["inputs"] = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "type": st.just("object"),
                        "properties": st.dictionaries(
                            st.text(max_size=6),
                            st.fixed_dictionaries({"type": st.sampled_from(["string", "integer"])}),
                            max_size=3,
                        ),
                    }
                ),
                json_values,
            )
        )
    for key in ("successActions", "failureActions"):
        if draw(st.booleans()):
            workflow[key] = draw(st.lists(_action(), max_size=2))
    if draw(st.booleans()):
        workflow["outputs"] = draw(
            st.dictionaries(st.text(max_size=6), condition_texts, max_size=2)
        )
    if draw(st.booleans()):
        workflow["dependsOn"] = draw(
            st.lists(st.sampled_from(["w", "x", "$sourceDescriptions.a.b"]), max_size=2)
        )
    document: dict[str, Any] = {
        "arazzo": draw(st.sampled_from(["1.0.0", "1.0.1", "1.1.0"])),
        "info": {"title": "fuzz", "version": "1"},
        "sourceDescriptions": [{"name": "api", "url": source_url, "type": "openapi"}],
        "workflows": [workflow],
    }
    if draw(st.booleans()):
        document["components"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "inputs": st.dictionaries(st.text(max_size=4), json_values, max_size=2),
                    "parameters": st.dictionaries(st.text(max_size=4), json_values, max_size=2),
                    "successActions": st.dictionaries(st.text(max_size=4), _action(), max_size=2),
                },
            )
        )
    return document
