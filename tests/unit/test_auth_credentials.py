"""Unit tests of credentials lookup, redaction, cookies and the OAuth2 flow (no sockets)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from arazzo_engine.auth.credentials import Credentials, CredentialStore, env_name
from arazzo_engine.auth.oauth2 import OAuth2Auth, OAuth2Settings
from arazzo_engine.auth.schemes import ApiKeyAuth, merge_cookie
from arazzo_engine.errors import AuthError
from arazzo_engine.redact import Redactor, secret_input_values
from arazzo_engine.results import RecordedRequest, redact_headers
from arazzo_engine.transport import RunCookies, Timeouts

SCHEME = {"type": "http", "scheme": "bearer"}


def test_env_name_rule() -> None:
    assert env_name("pet-store", "api_key", "value") == "ARAZZO_AUTH_PET_STORE_API_KEY_VALUE"
    assert env_name("s", "oauth2.cc", "client_id") == "ARAZZO_AUTH_S_OAUTH2_CC_CLIENT_ID"


def test_lookup_order_api_then_file_then_environment() -> None:
    env = {
        "ARAZZO_AUTH_PETS_BEARER_TOKEN": "from-env-source",
        "ARAZZO_AUTH_BEARER_TOKEN": "from-env-scheme",
    }
    store = CredentialStore({"pets:bearer": "api-1"}, {"bearer": "file-1"}, env)
    assert store.lookup("pets", "bearer", SCHEME) == Credentials(shorthand="api-1")
    store = CredentialStore({"other": "x"}, {"bearer": {"token": "file-1"}}, env)
    assert store.lookup("pets", "bearer", SCHEME) == Credentials(token="file-1")
    store = CredentialStore(None, None, env)
    assert store.lookup("pets", "bearer", SCHEME) == Credentials(token="from-env-source")
    assert store.lookup("shop", "bearer", SCHEME) == Credentials(token="from-env-scheme")
    assert CredentialStore(None, None, {}).lookup("pets", "bearer", SCHEME) is None


def test_source_keyed_forms_and_aliases() -> None:
    store = CredentialStore({"pets": {"bearer": {"Access-Token": "t"}}}, environ={})
    assert store.lookup("pets", "bearer", SCHEME) == Credentials(access_token="t")
    direct = CredentialStore({"pets": {"username": "u", "password": "p"}}, environ={})
    assert direct.lookup("pets", "anything", SCHEME) == Credentials(username="u", password="p")
    pair = CredentialStore({"basic": ("u", "p")}, environ={})
    assert pair.lookup("x", "basic", SCHEME) == Credentials(username="u", password="p")
    lazy = CredentialStore({"bearer": lambda: {"token": "late"}}, environ={})
    assert lazy.lookup("x", "bearer", SCHEME) == Credentials(token="late")


def test_unknown_field_is_an_auth_error_without_the_value() -> None:
    store = CredentialStore({"bearer": {"tokne": "sekrit-value"}}, environ={})
    with pytest.raises(AuthError) as caught:
        store.lookup("pets", "bearer", SCHEME)
    assert "tokne" in str(caught.value) and "sekrit-value" not in str(caught.value)


def test_credentials_repr_shows_no_value() -> None:
    creds = Credentials(username="u", password="hunter2-pass")
    assert "hunter2" not in repr(creds) and "password" in repr(creds)
    assert set(Credentials(shorthand="user:pw-xyz").secrets()) == {"user:pw-xyz", "pw-xyz"}


def test_client_certificate_from_credentials() -> None:
    store = CredentialStore({"mtls": {"cert": "c.pem", "key": "k.pem"}}, environ={})
    assert store.client_certificate() == ("c.pem", "k.pem", None)
    env = {"ARAZZO_AUTH_API_MTLS_CERT": "c.pem", "ARAZZO_AUTH_API_MTLS_KEY": "k.pem"}
    assert CredentialStore(None, None, env).client_certificate() == ("c.pem", "k.pem", None)


def test_redactor_masks_values_params_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    redactor = Redactor()
    redactor.add_value("s3cr3t/value")
    redactor.add_value("abc")  # too short to mask in free text
    redactor.add_param("api_key")
    assert redactor.text("x s3cr3t/value y s3cr3t%2Fvalue") == "x *** y ***"
    assert redactor.text("abc") == "abc"
    assert redactor.url("http://h/p?a=1&api_key=zzzz&b=2") == "http://h/p?a=1&api_key=***&b=2"
    assert redactor.value({"a": ["s3cr3t/value", 3]}) == {"a": ["***", 3]}
    logger = logging.getLogger("arazzo_engine.test")
    with caplog.at_level(logging.DEBUG), redactor.logging_filter():
        logger.debug("sent %s", "s3cr3t/value")
    logger.debug("after %s", "s3cr3t/value")
    assert caplog.records[0].getMessage() == "sent ***"
    off = Redactor(enabled=False)
    off.add_value("s3cr3t/value")
    assert off.text("s3cr3t/value") == "s3cr3t/value"


def test_secret_inputs_by_schema() -> None:
    schema = {
        "properties": {
            "pw": {"type": "string", "format": "password"},
            "wo": {"type": "string", "writeOnly": True},
            "plain": {"type": "string"},
        }
    }
    assert secret_input_values(schema, {"pw": "a", "wo": "b", "plain": "c"}) == ["pw", "wo"]


def test_header_redaction() -> None:
    redactor = Redactor()
    redactor.add_header("X-Custom-Key")
    headers = [
        ("Authorization", "Bearer abc.def"),
        ("Cookie", "a=1; b=2"),
        ("Set-Cookie", "sid=xyz; Path=/; HttpOnly"),
        ("X-Custom-Key", "k"),
        ("X-Amz-Security-Token", "tok"),
        ("Accept", "application/json"),
    ]
    assert redact_headers(headers, redactor=redactor) == [
        ("Authorization", "Bearer ***"),
        ("Cookie", "a=***; b=***"),
        ("Set-Cookie", "sid=***"),
        ("X-Custom-Key", "***"),
        ("X-Amz-Security-Token", "***"),
        ("Accept", "application/json"),
    ]
    assert redact_headers(headers, redactor=Redactor(enabled=False)) == headers
    request = httpx.Request("GET", "http://h/?api_key=k1k1k1", headers={"X-Custom-Key": "k"})
    redactor.add_param("api_key")
    recorded = RecordedRequest.from_httpx(request, redactor)
    assert recorded.url == "http://h/?api_key=***"


def test_cookie_jar_merges_and_explicit_cookies_win() -> None:
    jar = RunCookies()
    login = httpx.Response(
        200,
        headers=[("Set-Cookie", "session=s1; Path=/"), ("Set-Cookie", "theme=light; Path=/")],
        request=httpx.Request("POST", "http://api.test/login"),
    )
    jar.extract(login)
    request = httpx.Request("GET", "http://api.test/profile", headers={"Cookie": "theme=dark"})
    jar.apply(request)
    assert request.headers["cookie"] == "theme=dark; session=s1"
    other_host = httpx.Request("GET", "http://elsewhere.test/")
    jar.apply(other_host)
    assert "cookie" not in other_host.headers


def test_api_key_cookie_does_not_override_an_explicit_one() -> None:
    request = httpx.Request("GET", "http://h/", headers={"Cookie": "k=explicit"})
    merge_cookie(request, "k", "scheme", override=False)
    assert request.headers["cookie"] == "k=explicit"
    flow = ApiKeyAuth("api_key", "query", "v1v1").auth_flow(httpx.Request("GET", "http://h/?a=1"))
    assert str(next(flow).url) == "http://h/?a=1&api_key=v1v1"


def test_timeouts_phases() -> None:
    assert Timeouts(10, connect=2).httpx().as_dict() == {
        "connect": 2,
        "read": 10,
        "write": 10,
        "pool": 10,
    }
    assert Timeouts(1, connect=5, read=5).httpx().connect == 1  # bounded by the total


def _token_server(grants: list[dict[str, str]]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            grants.append(form)
            n = len(grants)
            return httpx.Response(
                200, json={"access_token": f"at{n}", "expires_in": 100, "refresh_token": f"rt{n}"}
            )
        ok = request.headers.get("authorization") == f"Bearer at{len(grants)}"
        return httpx.Response(200 if ok else 401)

    return handler


def test_oauth2_expiry_uses_the_clock_and_the_refresh_token() -> None:
    now = [0.0]
    grants: list[dict[str, str]] = []
    secrets: list[str] = []
    auth = OAuth2Auth(
        OAuth2Settings("client_credentials", "/token", client_id="c", client_secret="cs-secret-1"),
        on_secret=secrets.append,
        clock=lambda: now[0],
    )
    with httpx.Client(transport=httpx.MockTransport(_token_server(grants)), auth=auth) as client:
        assert client.get("http://api.test/x").status_code == 200
        now[0] = 50.0
        assert client.get("http://api.test/x").status_code == 200
        assert [g["grant_type"] for g in grants] == ["client_credentials"]
        now[0] = 96.0  # within the safety margin of expiry
        assert client.get("http://api.test/x").status_code == 200
    assert [g["grant_type"] for g in grants] == ["client_credentials", "refresh_token"]
    assert grants[1]["refresh_token"] == "rt1"
    client_basic = "Yzpjcy1zZWNyZXQtMQ=="  # base64("c:cs-secret-1"), the token request's header
    assert [x for x in secrets if x != client_basic] == ["at1", "rt1", "at2", "rt2"]
    assert client_basic in secrets
    assert "cs-secret-1" not in repr(auth) + repr(auth.settings)
