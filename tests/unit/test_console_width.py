"""Verbose output wraps bodies at the terminal's width and never splits a header line."""

from __future__ import annotations

import io

import pytest

from arazzo_engine.console import ConsoleReporter, format_step
from arazzo_engine.results import RecordedRequest, RecordedResponse, StepResult

TOKEN = "tok-" + "x" * 150  # longer than any terminal line
WORDS = " ".join(f"word{i:03d}" for i in range(60))


def _step() -> StepResult:
    return StepResult(
        step_id="get",
        workflow_id="w",
        success=True,
        target="GET /items",
        status_code=200,
        request=RecordedRequest(
            "GET", "http://127.0.0.1/items?q=" + "y" * 120, [("X-Request-Token", TOKEN)], WORDS
        ),
        response=RecordedResponse(200, [("ETag", TOKEN)], {"text": WORDS}),
    )


@pytest.mark.parametrize("width", [80, 132, 200])
def test_bodies_wrap_at_the_width_and_headers_stay_whole(width: int) -> None:
    lines = format_step(_step(), verbose=True, width=width)
    assert f"> X-Request-Token: {TOKEN}" in "\n".join(lines)
    assert f"< ETag: {TOKEN}" in "\n".join(lines)
    assert any(line.endswith("q=" + "y" * 120) for line in lines)  # the URL, whole
    body = [line for line in lines if "word" in line]
    assert len(body) > 1
    assert all(len(line) <= width for line in body)
    assert max(len(line) for line in body) > width - 15  # uses the room it has
    # no word is cut in two
    sent = [line.split("> ", 1)[1] for line in body if "> " in line]
    assert all(len(w) == 7 for line in sent for w in line.split())
    assert " ".join(" ".join(sent).split()) == WORDS


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_reporter_uses_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "132")
    monkeypatch.setenv("TERM", "xterm")
    assert ConsoleReporter(_Terminal(), verbose=True, colour="never").width == 132
    assert ConsoleReporter(io.StringIO(), verbose=True).width == 80  # piped: stable 80
