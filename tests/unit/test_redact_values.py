"""Masking JSON-like values: copies only where something is masked, never stale after a new
secret is learned, and the undecoded-text shortcut for bodies is exact."""

from __future__ import annotations

import json

import pytest

from arazzo_engine.redact import REDACTED, Redactor

SECRET = "tok-5ecret-value-42"


def test_a_clean_value_is_returned_as_it_is_and_a_masked_one_is_a_copy() -> None:
    redactor = Redactor()
    redactor.add_value(SECRET)
    clean = {"a": [1, "two", {"b": None}], "c": True}
    assert redactor.value(clean) is clean
    dirty = {"keep": {"x": 1}, "token": SECRET, "list": [SECRET, "ok"]}
    masked = redactor.value(dirty)
    assert masked == {"keep": {"x": 1}, "token": REDACTED, "list": [REDACTED, "ok"]}
    assert dirty["token"] == SECRET and dirty["list"][0] == SECRET  # never mutated
    assert masked["keep"] is dirty["keep"]  # the clean part is shared


def test_a_container_found_clean_is_walked_again_once_a_secret_is_learned() -> None:
    redactor = Redactor()
    body = {"items": [{"name": "later-learned-token-77"}]}
    assert redactor.value(body) is body  # clean now: remembered as clean
    redactor.add_value("later-learned-token-77")
    assert redactor.value(body) == {"items": [{"name": REDACTED}]}
    assert redactor.value(body["items"]) == [{"name": REDACTED}]


def test_userinfo_in_a_url_is_masked_without_any_known_secret() -> None:
    value = {"link": "https://user:pw@example.com/x"}
    assert Redactor().value(value) == {"link": "https://***:***@example.com/x"}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"a": f"x {SECRET} y"}),
        json.dumps({"a": SECRET.replace("-", "\\u002d")}).replace("\\\\", "\\"),  # escaped
        json.dumps({"a": SECRET.replace("t", "\\u0074", 1)}).replace("\\\\", "\\"),
        json.dumps({"nested": [{"deep": SECRET}]}),
        json.dumps({"url": "http://me:pw@host/"}),
    ],
)
def test_decoded_masks_what_the_walk_masks(text: str) -> None:
    redactor = Redactor()
    redactor.add_value(SECRET)
    data = json.loads(text)
    assert redactor.decoded(text, data) == redactor.value(data)
    assert SECRET not in json.dumps(redactor.decoded(text, data))
    assert "pw@" not in json.dumps(redactor.decoded(text, data))


def test_decoded_returns_a_clean_body_without_copying() -> None:
    redactor = Redactor()
    redactor.add_value(SECRET)
    text = json.dumps({"a": ["b", {"c": 1}]})
    data = json.loads(text)
    assert redactor.decoded(text, data) is data
    assert Redactor(enabled=False).decoded(f'"{SECRET}"', SECRET) == SECRET
