"""The on-disk verdict of the schema check: kept only for clean documents, never reused for
other bytes, and not trusted when someone else could have written it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arazzo_engine import validate
from arazzo_engine.compile.structural import _verdict_path, schema_version
from arazzo_engine.document.loader import load_text

CLEAN = """arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: ./api.json, type: openapi}]
workflows:
  - workflowId: w
    steps: [{stepId: s, operationId: op}]
"""
# a structural error: the info object lacks its version
BROKEN = CLEAN.replace("info: {title: t, version: '1'}", "info: {title: t}")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARAZZO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARAZZO_CACHE", raising=False)
    return tmp_path / "cache"


def _schema_errors(path: Path) -> list[str]:
    return [p.message for p in validate(path).problems if p.code == "schema"]


def _verdict(path: Path) -> str:
    loaded = load_text(path.read_text(), path.resolve().as_uri())
    found = _verdict_path(loaded, schema_version(loaded.data))
    assert found is not None
    return found


def test_a_clean_verdict_is_kept_and_an_edit_is_checked_again(tmp_path: Path, folder: Path) -> None:
    doc = tmp_path / "doc.arazzo.yaml"
    doc.write_text(CLEAN)
    assert _schema_errors(doc) == []
    kept = list(folder.glob("schema-ok-*"))
    assert len(kept) == 1 and kept[0].stat().st_size == 0
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    doc.write_text(BROKEN)  # the same path, other bytes: another name, checked again
    assert _schema_errors(doc)
    assert len(list(folder.glob("schema-ok-*"))) == 1  # a document with problems leaves no verdict


def test_a_verdict_others_could_write_is_not_trusted(tmp_path: Path, folder: Path) -> None:
    doc = tmp_path / "doc.arazzo.yaml"
    doc.write_text(BROKEN)
    forged = Path(_verdict(doc))
    folder.mkdir(mode=0o700)
    forged.write_text("")
    os.chmod(forged, 0o666)
    assert _schema_errors(doc)  # the forged "clean" verdict is ignored


def test_the_cache_can_be_turned_off(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARAZZO_CACHE", "0")
    doc = tmp_path / "doc.arazzo.yaml"
    doc.write_text(CLEAN)
    assert _schema_errors(doc) == []
    assert not folder.exists()
