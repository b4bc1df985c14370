"""The in-process document cache: hits, misses, edits seen, turned off, and no per-run state."""

from __future__ import annotations

import copy
import os
import shutil
import time
from pathlib import Path

import pytest

from arazzo_engine import load, run_workflow
from arazzo_engine.document.cache import clear_cache
from tests.conftest import DATA
from tests.support.http_server import Reply, ScriptedServer


@pytest.fixture
def pets(tmp_path: Path) -> Path:
    clear_cache()
    for name in ("pets.arazzo.yaml", "pets.openapi.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "pets.arazzo.yaml"


def _edit_keeping_size_and_mtime(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_unchanged_files_are_not_parsed_again(pets: Path) -> None:
    first = load(pets)
    assert load(pets) is first
    assert load(str(pets)) is first


def test_an_edited_document_is_always_seen(pets: Path) -> None:
    first = load(pets)
    _edit_keeping_size_and_mtime(pets, "title: Pets flows", "title: Cats flows")
    second = load(pets)
    assert second is not first
    assert second.data["info"]["title"] == "Cats flows"


def test_a_settled_file_edited_with_its_mtime_restored_is_seen(
    pets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file read long after its last change is checked by metadata only: the status-change
    time, which no write or ``utime`` can keep, still reveals the edit."""
    from arazzo_engine.document import cache

    monkeypatch.setattr(cache, "_SETTLE_NS", -(10**12))  # every file counts as settled
    first = load(pets)
    time.sleep(0.05)  # past the file system's timestamp tick, as "settled" guarantees
    _edit_keeping_size_and_mtime(pets, "title: Pets flows", "title: Dogs flows")
    second = load(pets)
    assert second is not first and second.data["info"]["title"] == "Dogs flows"
    assert load(pets) is second


def test_an_edited_source_is_always_seen(pets: Path) -> None:
    first = load(pets)
    source = pets.parent / "pets.openapi.yaml"
    text = source.read_text()
    source.write_text(text + "\n# edited\n")
    second = load(pets)
    assert second is not first
    assert second.sources["pets"].openapi is not first.sources["pets"].openapi


def test_a_missing_source_created_later_is_seen(pets: Path) -> None:
    source = pets.parent / "pets.openapi.yaml"
    kept = source.read_text()
    source.unlink()
    broken = load(pets)
    assert broken.sources["pets"].error is not None
    assert load(pets) is broken
    source.write_text(kept)
    fixed = load(pets)
    assert fixed.sources["pets"].error is None


def test_the_cache_can_be_turned_off(pets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load(pets, cache=False) is not load(pets, cache=False)
    monkeypatch.setenv("ARAZZO_CACHE", "0")
    assert load(pets) is not load(pets)
    monkeypatch.delenv("ARAZZO_CACHE")
    assert load(pets) is load(pets)


def test_different_options_are_different_entries(pets: Path) -> None:
    assert load(pets) is not load(pets, allow_remote=False)


def test_a_cached_document_carries_nothing_from_one_run_to_the_next(
    pets: Path, server: ScriptedServer
) -> None:
    server.route("POST", "/v1/login", Reply(200, {"token": "tok-123"}))
    created = [Reply(201, {"id": 7, "name": name}) for name in ("REX", "TOM")]
    server.route("POST", "/v1/pets", *created)
    server.route_pattern("GET", r"/v1/pets/.*", Reply(200, {"id": 7, "tags": ["x", "y z"]}))
    fresh = copy.deepcopy(load(pets, cache=False).data)
    servers = {"pets": server.url + "/v1"}
    one = run_workflow(pets, "adopt", {"name": "Rex", "age": 3}, servers=servers)
    two = run_workflow(pets, "adopt", {"name": "Tom"}, servers=servers, redact=False)
    assert one.success and two.success, (one.error, two.error)
    assert one.outputs["token"] == "***" and two.outputs["token"] == "tok-123"
    sent = [r.json() for r in server.received if r.path == "/v1/pets" and r.method == "POST"]
    assert [body["name"] for body in sent] == ["Rex", "Tom"]
    assert "age" not in sent[1]  # nothing of the first run's inputs
    assert load(pets).data == fresh  # the runs changed nothing in the shared document
