"""Known secret values never show: not in the result, the CLI's JSON, debug logs, events,
nor in the text of any raised exception. ``redact=False`` shows them (the debugging opt-out)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from arazzo_engine import AuthError, InputError, run_workflow
from arazzo_engine.cli import main
from arazzo_engine.run.events import RunEvent
from tests.conftest import DATA
from tests.support import auth_server as srv
from tests.support.auth_server import AuthServer

DOC = DATA / "auth" / "auth.arazzo.yaml"
PASSWORD_INPUT = "pw-input-secret-6b2c81"


@pytest.fixture
def server() -> Iterator[AuthServer]:
    with AuthServer() as running:
        yield running


def _vars(server: AuthServer) -> dict[str, dict[str, str]]:
    return {"secured": {"port": str(server.port)}}


def _assert_clean(text: str, secrets: list[str]) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"secrets leaked: {leaked}"


def _event_text(events: list[RunEvent]) -> str:
    parts = []
    for event in events:
        record = getattr(event, "record", None) or getattr(event, "result", None)
        parts.append(repr(event))
        if record is not None:
            parts.append(json.dumps(record.to_dict(), default=str))
    return "\n".join(parts)


def test_no_secret_in_result_events_or_debug_logs(
    server: AuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[RunEvent] = []
    caplog.set_level(logging.DEBUG)
    result = run_workflow(
        DOC,
        "with-password-input",
        {"password": PASSWORD_INPUT, "note": "not secret"},
        server_variables=_vars(server),
        auth={"apiKeyQuery": srv.QUERY_KEY},
        observer=events.append,
    )
    assert result.success, result.error
    # the request really carried the secrets (the server checked the key; the header was sent)
    echo = server.requests_to("/echo")[0]
    assert echo.query["api_key"] == srv.QUERY_KEY
    assert echo.headers["x-note"] == PASSWORD_INPUT

    secrets = [srv.QUERY_KEY, PASSWORD_INPUT]
    dumped = json.dumps(result.to_dict(), default=str)
    _assert_clean(dumped, secrets)
    _assert_clean(repr(result), secrets)
    _assert_clean(_event_text(events), secrets)
    assert caplog.records, "httpx logs each request at debug/info level"
    _assert_clean("\n".join(r.getMessage() for r in caplog.records), secrets)
    # masked, not dropped: the shape stays useful
    assert result.inputs == {"password": "***", "note": "not secret"}
    assert result.outputs["password"] == "***"
    assert result.outputs["echoed"]["query"]["api_key"] == "***"
    step = result.steps[0]
    assert step.request is not None and "api_key=***" in step.request.url
    assert ("x-note", "***") in step.request.headers


def test_oauth_tokens_cookies_and_passwords_are_masked(server: AuthServer) -> None:
    creds: dict[str, Any] = {
        "oauthPassword": {
            "client_id": srv.CLIENT_ID,
            "client_secret": srv.CLIENT_SECRET,
            "username": srv.USER,
            "password": srv.PASSWORD,
        }
    }
    result = run_workflow(DOC, "oauth-password", server_variables=_vars(server), auth=creds)
    assert result.success, result.error
    issued = list(server.oauth.tokens) + list(server.oauth.refresh_tokens)
    assert issued
    _assert_clean(json.dumps(result.to_dict()), [*issued, srv.CLIENT_SECRET, srv.PASSWORD])

    session = run_workflow(DOC, "session", server_variables=_vars(server))
    assert session.success
    # the cookie went over the wire, and is masked everywhere in the result (the server's
    # Set-Cookie header, the Cookie header sent, and the body that echoes it)
    assert server.requests_to("/profile")[-1].headers["cookie"] == "session=sess-4e5f6a"
    dumped = json.dumps(session.to_dict())
    assert "sess-4e5f6a" not in dumped
    assert "session=***" in dumped
    assert session.outputs["cookies"] == {"session": "***"}


def test_secret_values_never_reach_exception_text(server: AuthServer) -> None:
    too_long = "p" * 41 + "-secret"
    with pytest.raises(InputError) as caught:
        run_workflow(
            DOC,
            "with-password-input",
            {"password": too_long},
            server_variables=_vars(server),
            auth={"apiKeyQuery": srv.QUERY_KEY},
        )
    assert "is too long" in str(caught.value)
    _assert_clean(str(caught.value), [too_long])

    # a transport failure names the URL; its API key query parameter is masked
    unreachable = run_workflow(DOC, "apikey-query", timeout=2, auth={"apiKeyQuery": srv.QUERY_KEY})
    assert not unreachable.success
    assert "api_key=***" in (unreachable.error or "")
    _assert_clean(json.dumps(unreachable.to_dict()), [srv.QUERY_KEY])

    # the token endpoint refusing a grant: the error names the grant, not the secrets
    bad = {"client_id": srv.CLIENT_ID, "client_secret": "wrong-secret-123", "username": srv.USER,
           "password": srv.PASSWORD}  # fmt: skip
    refused = run_workflow(
        DOC, "oauth-password", server_variables=_vars(server), auth={"oauthPassword": bad}
    )
    assert "invalid_client" in (refused.error or "")
    _assert_clean(json.dumps(refused.to_dict()), ["wrong-secret-123", srv.PASSWORD])

    with pytest.raises(AuthError) as missing:
        run_workflow(DOC, "basic", server_variables=_vars(server), auth={"bearerAuth": srv.BEARER})
    _assert_clean(str(missing.value), [srv.BEARER])


def test_cli_json_output_has_no_secret(
    server: AuthServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARAZZO_AUTH_SECURED_APIKEYQUERY_VALUE", srv.QUERY_KEY)
    code = main(
        [
            "run",
            str(DOC),
            "with-password-input",
            "--input",
            f"password={PASSWORD_INPUT}",
            "--server-var",
            f"secured.port={server.port}",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    json.loads(captured.out)
    _assert_clean(captured.out + captured.err, [srv.QUERY_KEY, PASSWORD_INPUT])


def test_cli_auth_options_and_missing_credentials(
    server: AuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["run", str(DOC), "basic", "--server-var", f"secured.port={server.port}", "--json"]
    code = main([*base, "--auth", f"secured:basicAuth={srv.USER}:{srv.PASSWORD}"])
    out = capsys.readouterr()
    assert code == 0, out.err
    _assert_clean(out.out + out.err, [srv.PASSWORD])
    code = main([*base, "--auth", f"basicAuth.username={srv.USER}",
                 "--auth", f"basicAuth.password={srv.PASSWORD}"])  # fmt: skip
    assert code == 0
    capsys.readouterr()
    code = main(base)
    out = capsys.readouterr()
    assert code == 2
    assert out.err.count("\n") == 1 and "basicAuth" in out.err and "Traceback" not in out.err


def test_redact_false_is_the_explicit_opt_out(server: AuthServer) -> None:
    result = run_workflow(
        DOC,
        "with-password-input",
        {"password": PASSWORD_INPUT},
        server_variables=_vars(server),
        auth={"apiKeyQuery": srv.QUERY_KEY},
        redact=False,
    )
    dumped = json.dumps(result.to_dict())
    assert srv.QUERY_KEY in dumped and PASSWORD_INPUT in dumped
