"""The parsed-document cache on disk: used when intact and trusted, ignored (and rewritten)
otherwise, never stale after an edit, safe with concurrent writers, bounded, and turned off by
its switches. Every test reads and writes real files in a folder of its own."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from arazzo_engine import load
from arazzo_engine.document import diskcache
from arazzo_engine.document.cache import clear_cache
from arazzo_engine.document.loader import load_text
from arazzo_engine.errors import DocumentError
from tests.conftest import DATA, ROOT

ECR_OPENAPI = ROOT / "specs" / "openapi" / "amazon-ecr-openapi.yml"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own, with every switch on."""
    monkeypatch.setenv("ARAZZO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARAZZO_CACHE", raising=False)
    monkeypatch.delenv("ARAZZO_DISK_CACHE", raising=False)
    clear_cache()
    return tmp_path / "cache"


@pytest.fixture
def pets(tmp_path: Path) -> Path:
    for name in ("pets.arazzo.yaml", "pets.openapi.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "pets.arazzo.yaml"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URIs actually parsed (a cache hit parses nothing)."""
    seen: list[str] = []
    real = diskcache.load_text

    def counting(text: str, uri: str) -> Any:
        seen.append(uri)
        return real(text, uri)

    monkeypatch.setattr(diskcache, "load_text", counting)
    return seen


def _entries(folder: Path) -> list[Path]:
    parsed = folder / "parsed"
    return sorted(parsed.glob("*.entry")) if parsed.is_dir() else []


def _entry_for(folder: Path, path: Path) -> Path:
    text = path.read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()
    mode = "json" if path.suffix == ".json" else "yaml"
    return folder / "parsed" / diskcache._key(digest, mode)


def _forge(entry: Path, data: Any, *, positions: Any = None, source: str | None = None) -> None:
    """Rewrite ``entry`` as a consistent entry (every digest right) holding ``data``."""
    header = json.loads(entry.read_bytes().split(b"\n", 1)[0])
    payload = json.dumps([data, positions]).encode()
    header.update(length=len(payload), payload=hashlib.sha256(payload).hexdigest())
    if source is not None:
        header["source"] = source
    entry.write_bytes(json.dumps(header).encode() + b"\n" + payload)


def test_a_second_process_takes_the_parse_from_disk(
    folder: Path, pets: Path, parses: list[str]
) -> None:
    first = load(pets)
    assert len(parses) == 2  # the document and its OpenAPI source
    assert len(_entries(folder)) == 2
    assert oct((folder / "parsed").stat().st_mode & 0o777) == oct(0o700)
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    assert all(oct(e.stat().st_mode & 0o777) == oct(0o600) for e in _entries(folder))
    clear_cache()  # what a new process starts with
    again = load(pets)
    assert len(parses) == 2  # nothing parsed again
    assert again is not first
    assert again.data == first.data
    assert again.sources["pets"].openapi is not None


def test_an_edit_is_always_seen(folder: Path, pets: Path) -> None:
    load(pets)
    source = pets.parent / "pets.openapi.yaml"
    source.write_text(source.read_text().replace("title:", "title: Edited", 1))
    pets.write_text(pets.read_text().replace("title: Pets flows", "title: Cats flows"))
    clear_cache()
    again = load(pets)
    assert again.data["info"]["title"] == "Cats flows"
    openapi = again.sources["pets"].openapi
    assert openapi is not None
    assert openapi.data["info"]["title"].startswith("Edited")
    assert len(_entries(folder)) == 4  # the old entries stay until evicted; never used


def test_a_tampered_payload_is_ignored_and_rewritten(
    folder: Path, pets: Path, parses: list[str]
) -> None:
    expected = load(pets).data
    entry = _entry_for(folder, pets)
    raw = entry.read_bytes()
    entry.write_bytes(raw.replace(b"Pets flows", b"Evil flows"))  # the payload digest is stale
    clear_cache()
    assert load(pets).data == expected
    assert parses.count(parses[0]) == 2  # parsed again
    assert entry.read_bytes() == raw  # and written again


def test_an_entry_for_other_bytes_is_ignored(folder: Path, pets: Path) -> None:
    expected = load(pets).data
    entry = _entry_for(folder, pets)
    _forge(entry, {"arazzo": "1.0.1", "forged": True}, source="0" * 64)
    clear_cache()
    assert load(pets).data == expected


@pytest.mark.parametrize(
    "cut", [0, 1, 10, -1, -100], ids=["empty", "one", "header", "last", "payload"]
)
def test_a_corrupt_or_truncated_entry_is_ignored_and_rewritten(
    folder: Path, pets: Path, cut: int
) -> None:
    expected = load(pets).data
    entry = _entry_for(folder, pets)
    raw = entry.read_bytes()
    entry.write_bytes(raw[:cut])
    clear_cache()
    assert load(pets).data == expected
    assert entry.read_bytes() == raw


def test_a_consistent_entry_in_a_trusted_folder_is_used(folder: Path, pets: Path) -> None:
    """What the permission checks guard: an entry the user wrote is believed (so a test that
    makes the same entry untrusted below shows that the checks, not luck, reject it)."""
    original = load(pets).data
    entry = _entry_for(folder, pets)
    _forge(entry, {**original, "x-marker": "from the cache"})
    clear_cache()
    assert load(pets).data["x-marker"] == "from the cache"


def _forged_marker(folder: Path, pets: Path) -> Path:
    original = load(pets).data
    entry = _entry_for(folder, pets)
    _forge(entry, {**original, "x-marker": "forged"})
    clear_cache()
    return entry


def test_an_entry_others_may_write_is_ignored(folder: Path, pets: Path) -> None:
    entry = _forged_marker(folder, pets)
    entry.chmod(0o666)
    assert "x-marker" not in load(pets).data
    assert oct(entry.stat().st_mode & 0o777) == oct(0o600)  # replaced by a private one


@pytest.mark.parametrize("which", ["root", "parsed"])
def test_a_folder_others_may_write_is_not_used(folder: Path, pets: Path, which: str) -> None:
    entry = _forged_marker(folder, pets)
    target = folder if which == "root" else folder / "parsed"
    target.chmod(0o770)
    assert "x-marker" not in load(pets).data
    assert "x-marker" in json.loads(entry.read_bytes().split(b"\n", 1)[1])[0]  # left alone


def test_a_symbolic_link_is_not_followed(folder: Path, pets: Path, tmp_path: Path) -> None:
    entry = _forged_marker(folder, pets)
    elsewhere = tmp_path / "elsewhere.entry"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert "x-marker" not in load(pets).data


def test_a_linked_folder_is_not_used(tmp_path: Path, pets: Path, monkeypatch: Any) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setenv("ARAZZO_CACHE_DIR", str(tmp_path / "link"))
    monkeypatch.delenv("ARAZZO_CACHE", raising=False)
    monkeypatch.delenv("ARAZZO_DISK_CACHE", raising=False)
    clear_cache()
    load(pets)
    assert list(real.iterdir()) == []


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
def test_an_entry_owned_by_another_user_is_ignored(folder: Path, pets: Path) -> None:
    entry = _forged_marker(folder, pets)
    os.chown(entry, 4242, 4242)
    assert "x-marker" not in load(pets).data


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_owned_by_another_user_is_not_used(folder: Path, pets: Path) -> None:
    entry = _forged_marker(folder, pets)
    os.chown(folder / "parsed", 4242, 4242)
    assert "x-marker" not in load(pets).data
    assert entry.exists()


@pytest.mark.parametrize(
    ("variable", "value"), [("ARAZZO_DISK_CACHE", "0"), ("ARAZZO_CACHE", "off")]
)
def test_turned_off_by_the_environment(
    folder: Path, pets: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    load(pets)
    assert not folder.exists()


def test_turned_off_by_cache_false(folder: Path, pets: Path) -> None:
    load(pets, cache=False)
    assert not folder.exists()


def test_an_unwritable_folder_is_no_error(
    folder: Path, pets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.parent.joinpath("file").write_text("")
    monkeypatch.setenv("ARAZZO_CACHE_DIR", str(folder.parent / "file" / "cache"))  # impossible
    assert load(pets).data["info"]["title"] == "Pets flows"


def test_the_oldest_entries_are_evicted(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diskcache, "MAX_ENTRIES", 4)
    monkeypatch.setattr(diskcache, "EVICT_EVERY", 1)
    for index in range(6):
        path = tmp_path / f"doc{index}.yaml"
        path.write_text(f"n: {index}\n")
        diskcache.load_text_cached(path.read_text(), str(path))
        newest = _entry_for(folder, path)
        os.utime(newest, (1000 + index, 1000 + index))
    kept = _entries(folder)
    assert len(kept) == 4  # at 5 over the bound of 4: the 2 oldest went (7/8 of 4 is 3 kept)
    assert newest in kept
    assert _entry_for(folder, tmp_path / "doc0.yaml") not in kept
    assert _entry_for(folder, tmp_path / "doc1.yaml") not in kept


def test_the_bounds_are_checked_on_a_first_write_and_every_so_often(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diskcache, "MAX_ENTRIES", 2)
    monkeypatch.setattr(diskcache, "EVICT_EVERY", 4)
    monkeypatch.setattr(diskcache, "_writes", 0)
    seen = []
    for index in range(6):
        path = tmp_path / f"doc{index}.yaml"
        path.write_text(f"n: {index}\n")
        diskcache.load_text_cached(path.read_text(), str(path))
        seen.append(len(_entries(folder)))
    assert seen == [1, 2, 3, 4, 1, 2]  # checked at the 1st and the 5th write


def test_an_entry_over_the_size_limit_is_not_written(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    diskcache.load_text_cached("small: 1\n", str(tmp_path / "small.yaml"))
    (small,) = _entries(folder)
    monkeypatch.setattr(diskcache, "MAX_ENTRY_BYTES", small.stat().st_size + 10)
    small.unlink()
    diskcache.load_text_cached("big: " + "x" * 200 + "\n", str(tmp_path / "big.yaml"))
    assert _entries(folder) == []
    diskcache.load_text_cached("small: 1\n", str(tmp_path / "small.yaml"))
    assert _entries(folder) == [small]


def test_json_and_yaml_readings_of_the_same_bytes_are_kept_apart(
    folder: Path, tmp_path: Path
) -> None:
    text = '{"a": 1}'
    as_json = diskcache.load_text_cached(text, str(tmp_path / "x.json"))
    as_yaml = diskcache.load_text_cached("# c\n" + text, str(tmp_path / "x.yaml"))
    assert as_json.data == as_yaml.data == {"a": 1}
    assert len(_entries(folder)) == 2


@pytest.mark.parametrize(
    ("name", "text", "pointers"),
    [
        (
            "small.yaml",
            "a:\n  b: [1, {c: 2}]\n  'd/e': x\nf: |\n  text\n",
            ["", "/a", "/a/b/1/c", "/a/d~1e", "/f", "/a/missing/deeper"],
        ),
        ("small.json", '{\n  "a": {"b": [1,\n {"c": 2}]}}\n', ["/a", "/a/b/1/c", "/nope"]),
    ],
)
def test_positions_are_the_same_from_the_cache(
    folder: Path, tmp_path: Path, name: str, text: str, pointers: list[str]
) -> None:
    uri = str(tmp_path / name)
    fresh = load_text(text, uri)
    diskcache.load_text_cached(text, uri)  # written
    cached = diskcache.load_text_cached(text, uri)  # read
    assert _entries(folder)
    for pointer in pointers:
        assert cached.location(pointer) == fresh.location(pointer)


def test_positions_in_a_large_document_are_the_same_from_the_cache(folder: Path) -> None:
    text = ECR_OPENAPI.read_text()
    uri = str(ECR_OPENAPI)
    diskcache.load_text_cached(text, uri)
    cached = diskcache.load_text_cached(text, uri)
    assert cached.known_positions() is None  # computed on first use, as without the cache
    fresh = load_text(text, uri)
    path = next(iter(fresh.data["paths"]))
    for pointer in ("/info/title", f"/paths/{path.replace('/', '~1')}/post/operationId"):
        found = cached.location(pointer)
        assert found.line is not None
        assert found == fresh.location(pointer)


BAD_SOURCE = """arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - name: api
    url: ./api.yaml
workflows:
  - workflowId: first
    steps: [{stepId: s, operationId: op}]
  - steps: [{stepId: s, operationId: op}]
"""


def _error_of(path: Path) -> str:
    clear_cache()
    with pytest.raises(DocumentError) as caught:
        load(path)
    return str(caught.value)


def test_an_error_message_is_the_same_with_and_without_the_cache(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str]
) -> None:
    doc = tmp_path / "bad.arazzo.yaml"
    doc.write_text(BAD_SOURCE)
    (tmp_path / "api.yaml").write_text("openapi: 3.1.0\ninfo: {title: a, version: '1'}\n")
    monkeypatch.setenv("ARAZZO_DISK_CACHE", "0")
    without = _error_of(doc)
    monkeypatch.delenv("ARAZZO_DISK_CACHE")
    written = _error_of(doc)
    count = len(parses)
    read = _error_of(doc)
    assert len(parses) == count  # the last one came from the cache
    assert without == written == read
    assert ":9:" in without  # the workflow without an id, at line 9


WRITER = """
import json, sys
from arazzo_engine import load
from arazzo_engine.document.cache import clear_cache
path, expected, rounds = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
for _ in range(rounds):
    clear_cache()
    document = load(path)
    assert document.data["info"]["title"] == expected, document.data["info"]
    assert document.sources["pets"].openapi is not None
print("ok")
"""


def test_concurrent_processes_write_and_read_the_same_entries(
    folder: Path, pets: Path, tmp_path: Path
) -> None:
    """Processes loading the same files at once, each round writing an entry the others read
    (the entries are removed under them as well): every load is right, no file is left half
    written."""
    others = tmp_path / "others"
    others.mkdir()
    for name in ("pets.arazzo.yaml", "pets.openapi.yaml"):
        shutil.copy(pets.parent / name, others / name)
    (others / "pets.arazzo.yaml").write_text(
        pets.read_text().replace("title: Pets flows", "title: Other flows")
    )
    env = {**os.environ, "ARAZZO_CACHE_DIR": str(folder)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), json.dumps(title), "40"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for path, title in [(pets, "Pets flows"), (others / "pets.arazzo.yaml", "Other flows")] * 2
    ]
    for _ in range(30):  # entries vanish under the readers too
        for entry in _entries(folder):
            entry.unlink(missing_ok=True)
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert out.strip() == "ok"
    assert not list((folder / "parsed").glob(".tmp-*"))
    for entry in _entries(folder):
        header, payload = entry.read_bytes().split(b"\n", 1)
        assert json.loads(header)["payload"] == hashlib.sha256(payload).hexdigest()


def test_every_json_value_comes_back_the_same(folder: Path, tmp_path: Path) -> None:
    """Numbers (huge, negative zero, infinities, NaN), strings outside the BMP and lone
    surrogates that JSON escapes allow, empty containers, and the key order."""
    big = "9" * 4300  # the longest integer Python reads from text
    yaml_text = (
        f"z: 1\na: {big}\nb: -0.0\nc: [.inf, -.inf, .nan]\nd: 'snow ☃ 𝄞'\ne: {{}}\nf: []\n"
        "g: ~\nh: 1.5e300\n"
    )
    json_text = '{"s": "\\ud800 alone", "n": -0.0, "k": {"b": 1, "a": 2}}'
    for name, text in (("values.yaml", yaml_text), ("values.json", json_text)):
        uri = str(tmp_path / name)
        fresh = load_text(text, uri)
        diskcache.load_text_cached(text, uri)
        cached = diskcache.load_text_cached(text, uri)
        assert json.dumps(cached.data) == json.dumps(fresh.data)  # NaN-safe, order-sensitive
        assert [type(v) for v in cached.data.values()] == [type(v) for v in fresh.data.values()]
    assert len(_entries(folder)) == 2


def test_validate_reads_the_cache_too(folder: Path, pets: Path, parses: list[str]) -> None:
    from arazzo_engine import validate

    first = validate(pets)
    count = len(parses)
    assert count == 2
    clear_cache()
    again = validate(pets)
    assert len(parses) == count
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
