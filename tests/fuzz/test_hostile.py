"""The command line never exits 3 (internal error) on hostile documents.

Each document runs through ``python -m arazzo_engine`` ``validate``, ``list``, ``describe`` and
``run`` (against a closed port on 127.0.0.1, so nothing leaves the machine) in one subprocess;
every exit code must be 0, 1 or 2. The same documents go through the library, where only an
ArazzoError may come out.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arazzo_engine.document.loader import load_text
from arazzo_engine.document.model import Document
from arazzo_engine.errors import ArazzoError
from arazzo_engine.validation import validate

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "tests" / "data" / "pets.openapi.yaml"

_HEAD = """arazzo: {version}
info: {{title: hostile, version: '1'}}
sourceDescriptions:
  - {{name: pets, url: ./pets.openapi.yaml, type: openapi}}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: getPet
"""


def _doc(steps_tail: str, version: str = "1.0.1") -> str:
    return _HEAD.format(version=version) + steps_tail


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 5):  # 10**5 nodes once expanded: a bomb, but a small one
        prev = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([prev] * 10)}]")
    return _doc("") + "x-bomb:\n" + "\n".join("  " + line for line in lines) + "\n"


HOSTILE: dict[str, tuple[str, str, str | None]] = {
    # name: (file name, text, xfail reason or None when it must pass already)
    "deep-json": ("deep.arazzo.json", "[" * 100_000, None),
    "deep-flow-yaml": (
        "deep.arazzo.yaml",
        _doc("        x-deep: " + "[" * 1_100 + "]" * 1_100 + "\n"),
        None,
    ),
    "alias-bomb": ("bomb.arazzo.yaml", _alias_bomb(), None),
    "nul": ("nul.arazzo.yaml", _doc("        description: 'a\x00b'\n"), None),
    "c1-control": ("c1.arazzo.yaml", _doc("        description: 'a\x85\x9fb'\n"), None),
    "yaml-escape-beyond-unicode": (
        "escape.arazzo.yaml",
        _doc('        description: "\\U00110000 \\UFFFFFFFF"\n'),
        None,
    ),
    "big-int-yaml": ("int.arazzo.yaml", _doc("        x-n: " + "9" * 5_000 + "\n"), None),
    "big-int-json": (
        "int.arazzo.json",
        json.dumps({"arazzo": "1.0.1", "info": {"title": "t", "version": "1"}})[:-1]
        + ', "x-n": '
        + "9" * 5_000
        + "}",
        None,
    ),
    "non-ascii-condition": (
        "cond.arazzo.yaml",
        _doc(
            "        successCriteria:\n"
            "          - condition: é == 1\n"
            "          - condition: ٣ == 1\n"
        ),
        None,
    ),
    "big-int-condition": (
        "intcond.arazzo.yaml",
        _doc(f"        successCriteria:\n          - condition: $statusCode == {'9' * 5_000}\n"),
        None,
    ),
    "parameter-in-mapping": (
        "in.arazzo.yaml",
        _doc("        parameters:\n          - {name: petId, in: {a: 1}, value: 1}\n"),
        None,
    ),
    "parameter-in-list": (
        "inlist.arazzo.yaml",
        _doc("        parameters:\n          - {name: petId, in: [path], value: 1}\n"),
        None,
    ),
    "selector-object-in-1.0": (
        "selector.arazzo.yaml",
        _doc(
            "        parameters:\n          - name: petId\n            in: path\n"
            "            value: {context: $response.body, selector: $.id, type: jsonpath}\n"
        ),
        None,
    ),
}

_DRIVER = """
import sys
from arazzo_engine.cli import main
doc = sys.argv[1]
codes = []
for argv in (
    ["validate", doc],
    ["validate", "--json", doc],
    ["list", doc],
    ["describe", doc, "w"],
    ["run", doc, "w", "--timeout", "2"],
    ["run", doc, "w", "--dry-run"],
):
    try:
        codes.append(main(argv))
    except SystemExit as exit:
        codes.append(exit.code)
print("CODES", codes)
"""


def _case(name: str) -> object:
    file_name, text, reason = HOSTILE[name]
    marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
    return pytest.param(file_name, text, id=name, marks=marks)


@pytest.mark.parametrize(("file_name", "text"), [_case(name) for name in HOSTILE])
def test_the_cli_never_exits_3(tmp_path: Path, file_name: str, text: str) -> None:
    shutil.copy(OPENAPI, tmp_path / "pets.openapi.yaml")
    document = tmp_path / file_name
    document.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(document)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "CODES" in proc.stdout, proc.stderr[-2000:]
    codes = json.loads(proc.stdout.split("CODES", 1)[1].strip())
    assert "internal error" not in proc.stderr, proc.stderr[-2000:]
    assert all(code in (0, 1, 2) for code in codes), (codes, proc.stderr[-2000:])
    # every error is one line: the message, never a traceback
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("file_name", "text"), [_case(name) for name in HOSTILE])
def test_the_library_raises_only_arazzo_errors(tmp_path: Path, file_name: str, text: str) -> None:
    shutil.copy(OPENAPI, tmp_path / "pets.openapi.yaml")
    uri = str(tmp_path / file_name)
    with contextlib.suppress(ArazzoError):
        validate(Document(load_text(text, uri)))
