"""Dry run: bodies shown as the text that would be sent; lines wrapped at spaces, never inside a
token, and a URL line never wrapped."""

from __future__ import annotations

import shutil
from pathlib import Path
from textwrap import dedent

from arazzo_engine import load
from arazzo_engine.reports.dryrun import dry_run, format_dry_run

OPENAPI = Path(__file__).resolve().parents[1] / "conformance" / "openapi" / "api.yaml"
BASE = "http://127.0.0.1:9/base/with/a/rather/long/path/so/that/the/url/goes/past/eighty/columns"
LONG = "averyveryveryverylongvaluewithoutanyspacesatallthatgoesonandonandonforeverandever"

DOC = f"""\
arazzo: 1.0.1
info: {{title: t, version: "1"}}
sourceDescriptions: [{{name: api, url: ./api.yaml, type: openapi}}]
workflows:
  - workflowId: w
    inputs: {{type: object, properties: {{name: {{type: string}}}}}}
    steps:
      - stepId: list
        operationId: listItems
        parameters: [{{name: q, in: query, value: {LONG}}}]
      - stepId: formStr
        operationId: submitForm
        requestBody:
          payload: "a={{$inputs.name}}&b=2"
      - stepId: formMap
        operationId: submitForm
        requestBody:
          payload: {{a: $inputs.name, b: "x y"}}
        outputs: {{x: $response.body#/x}}
      - stepId: xml
        operationId: postXml
        requestBody:
          payload: "<r><n>{{$inputs.name}}</n><o>{{$steps.formMap.outputs.x}}</o></r>"
      - stepId: json
        operationId: createItem
        requestBody:
          contentType: application/json
          payload: '{{"a": "{{$inputs.name}}", "b": {{$steps.formMap.outputs.x}}, "t": "{LONG} x"}}'
"""


def test_dry_run_bodies_and_wrapping(tmp_path: Path) -> None:
    shutil.copy(OPENAPI, tmp_path / "api.yaml")
    path = tmp_path / "flow.arazzo.yaml"
    path.write_text(dedent(DOC))
    plan = load(path).plan("w")
    steps = dry_run(plan, {"name": 'a"b&c<d'}, servers={"api": BASE})
    by_id = {s.step_id: s for s in steps}
    assert [s.problem for s in steps] == [None] * 5
    assert by_id["formStr"].body_text == "a=a%22b%26c%3Cd&b=2"
    assert by_id["formMap"].body_text == "a=a%22b%26c%3Cd&b=x+y"
    assert by_id["xml"].body_text == (
        "<r><n>a&quot;b&amp;c&lt;d</n><o><$steps.formMap.outputs.x></o></r>"
    )
    assert by_id["json"].body_text is None
    assert by_id["json"].body == {
        "a": 'a"b&c<d',
        "b": "<$steps.formMap.outputs.x>",
        "t": LONG + " x",
    }

    lines = format_dry_run(plan, steps)
    text = "\n".join(lines)
    # a URL line is whole, never wrapped
    assert f"     GET {BASE}/items?q={LONG}" in lines
    assert f"     POST {BASE}/form" in lines
    # form and XML bodies are the text sent, not JSON
    assert "     body: a=a%22b%26c%3Cd&b=2" in lines
    assert "     body: <r><n>a&quot;b&amp;c&lt;d</n><o><$steps.formMap.outputs.x></o></r>" in lines
    # other lines wrap at spaces: every token of the JSON body is intact on some line
    assert f'"{LONG}' in text
    for line in lines:
        if not line.lstrip().startswith(("GET ", "POST ")) and len(line) > 80:
            assert " " not in line.strip(), line  # only a single unbreakable token overflows


def test_dry_run_applies_input_defaults(tmp_path: Path) -> None:
    shutil.copy(OPENAPI, tmp_path / "api.yaml")
    path = tmp_path / "flow.arazzo.yaml"
    path.write_text(
        dedent(DOC).replace(
            "properties: {name: {type: string}}",
            "properties: {name: {type: string, default: dflt}}",
        )
    )
    steps = dry_run(load(path).plan("w"), {}, servers={"api": BASE})
    assert steps[1].body_text == "a=dflt&b=2"
    assert not any("was not given" in u for s in steps for u in s.unresolved)


def test_dry_run_uses_server_variables(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        dedent(
            """\
            openapi: 3.1.0
            info: {title: v, version: "1"}
            servers: [{url: "http://127.0.0.1:{port}/v", variables: {port: {default: "9"}}}]
            paths:
              /x: {get: {operationId: getX, responses: {"200": {description: ok}}}}
            """
        )
    )
    path = tmp_path / "flow.arazzo.yaml"
    path.write_text(
        dedent(
            """\
            arazzo: 1.0.1
            info: {title: t, version: "1"}
            sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
            workflows:
              - workflowId: w
                steps: [{stepId: s, operationId: getX}]
            """
        )
    )
    plan = load(path).plan("w")
    assert dry_run(plan)[0].url == "http://127.0.0.1:9/v/x"
    assert dry_run(plan, server_variables={"api": {"port": "9999"}})[0].url == (
        "http://127.0.0.1:9999/v/x"
    )
