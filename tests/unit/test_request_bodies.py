"""Request body serialisation and replacements (no I/O)."""

from __future__ import annotations

import json

from arazzo_engine.requests import is_xml_media_type, serialise_body


def test_json_and_default() -> None:
    data, media = serialise_body({"a": 1, "b": [True, None]}, "application/json")
    assert json.loads(data) == {"a": 1, "b": [True, None]} and media == "application/json"
    data, _ = serialise_body({"a": "é"}, None)
    assert data == '{"a":"é"}'.encode()
    data, _ = serialise_body({"a": 1}, "application/vnd.api+json")
    assert data == b'{"a":1}'


def test_form_urlencoded() -> None:
    data, _ = serialise_body(
        {"user": "ann lee", "roles": ["a", "b"], "on": True}, "application/x-www-form-urlencoded"
    )
    assert data == b"user=ann+lee&roles=a&roles=b&on=true"
    data, _ = serialise_body("a=1&b=2", "application/x-www-form-urlencoded")
    assert data == b"a=1&b=2"


def test_multipart_adds_a_boundary_and_keeps_a_given_one() -> None:
    data, media = serialise_body({"t": "x", "f": b"\x00\x01", "j": {"k": 1}}, "multipart/form-data")
    assert media is not None and media.startswith("multipart/form-data; boundary=arazzo-")
    boundary = media.split("boundary=")[1]
    text = data.decode("latin-1")
    assert text.startswith(f"--{boundary}\r\n") and text.endswith(f"--{boundary}--\r\n")
    assert 'name="t"\r\n\r\nx\r\n' in text
    assert (
        'name="f"; filename="f"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01' in text
    )
    assert 'name="j"\r\nContent-Type: application/json\r\n\r\n{"k":1}' in text
    data, media = serialise_body({"t": "x"}, "multipart/form-data; boundary=XYZ")
    assert media == "multipart/form-data; boundary=XYZ" and data.startswith(b"--XYZ\r\n")


def test_text_xml_and_binary() -> None:
    assert serialise_body("<a/>", "application/xml") == (b"<a/>", "application/xml")
    assert serialise_body("héllo", "text/plain")[0] == "héllo".encode()
    assert serialise_body(b"\x00\xff", "application/octet-stream")[0] == b"\x00\xff"
    assert is_xml_media_type("application/atom+xml") and is_xml_media_type("text/xml")
    assert not is_xml_media_type("application/json")
