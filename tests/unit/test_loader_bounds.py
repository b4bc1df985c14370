"""Loading is bounded whatever the input: each hostile document fails fast with a located error."""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

import pytest

from arazzo_engine import DocumentError
from arazzo_engine.document.loader import MAX_ALIAS_NODES, MAX_DEPTH, load_text
from arazzo_engine.document.model import load

# The classic "billion laughs" documents: 9 (or 10) levels of 9 aliases each.
LAUGHS = (
    "a: &a ["
    + ",".join(['"lol"'] * 9)
    + "]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
)


def _located(text: str, uri: str = "doc.yaml") -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_text(text, uri)
    error = info.value
    assert error.location is not None and error.location.line is not None, error
    assert "\n" not in str(error)
    return error


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_alias_bomb_fails_fast_without_expanding() -> None:
    assert len(LAUGHS) < 600
    before = _peak_rss_mb()
    error = _located(LAUGHS)
    assert "alias" in error.message and str(MAX_ALIAS_NODES) in error.message
    assert _peak_rss_mb() - before < 50


def test_modest_aliases_still_load_and_positions_skip_them() -> None:
    loaded = load_text("base: &b {x: 1, y: [1, 2]}\nuse: *b\nother: *b\n", "doc.yaml")
    assert loaded.data["use"] == {"x": 1, "y": [1, 2]}
    assert loaded.location("/use").line == 2
    assert loaded.location("/use/y/1").line == 2  # the alias itself, not walked again


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        ("[" * 100_000, "deep.json"),
        ("[" * 100_000 + "]" * 100_000, "deep.json"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml"),
        ("{" * 5000 + "}" * 5000, "deep.yaml"),
        ('{"a": ' * 500 + "1" + "}" * 500, "deep.json"),
        (
            "".join("  " * i + "k:\n" for i in range(MAX_DEPTH + 5)) + "  " * 200 + "k: 1\n",
            "b.yaml",
        ),
    ],
)
def test_deep_nesting_is_a_located_error(text: str, uri: str) -> None:
    error = _located(text, uri)
    assert f"deeper than {MAX_DEPTH}" in error.message or "invalid" in error.message


def test_nesting_within_the_bound_loads() -> None:
    depth = MAX_DEPTH - 1
    assert load_text("[" * depth + "]" * depth, "ok.json").data is not None
    assert load_text("a: " + "[" * depth + "]" * depth, "ok.yaml").data is not None


@pytest.mark.parametrize("uri", ["big.yaml", "big.json"])
def test_integer_beyond_4300_digits_is_located(uri: str) -> None:
    text = '{"n": ' + "9" * 5000 + "}" if uri.endswith(".json") else "n: " + "9" * 5000 + "\n"
    error = _located(text, uri)
    assert "too long" in error.message


@pytest.mark.parametrize("char", ["\x00", "\x85\x01", "\x9b", "\x7f"])
def test_control_characters_are_a_one_line_located_error(char: str) -> None:
    error = _located(f"a: 1\nb: x{char}y\n")
    assert error.location is not None and error.location.line == 2
    assert "control character" in error.message


def test_device_files_and_fifos_are_refused(tmp_path: Path) -> None:
    if os.path.exists("/dev/zero"):
        with pytest.raises(DocumentError, match="not a regular file"):
            load("/dev/zero", cache=False)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            load(fifo, cache=False)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock it before failing
        with open(fifo, "w"):
            pass
        pytest.fail("loading a FIFO blocked")
    assert isinstance(outcome[0], DocumentError) and "not a regular file" in str(outcome[0])


def test_a_source_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("arazzo: 1.0.1\n" + "# padding\n" * 2000)
    with pytest.raises(DocumentError, match="limit"):
        load(big, cache=False, max_bytes=1000)


def test_non_file_schemes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="only files and http/https"):
        load("ftp://example.invalid/doc.yaml", cache=False)
