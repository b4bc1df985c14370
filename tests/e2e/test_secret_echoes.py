"""Secrets a server echoes back, or that sit in a URL or a log line, stay masked."""

from __future__ import annotations

import base64
import io
import json
import logging
import subprocess
import sys

import pytest

from arazzo_engine import cli, run_workflow
from tests.conftest import DATA, ROOT
from tests.support.http_server import Reply, ScriptedServer

FLOW = DATA / "echo" / "echo.arazzo.yaml"
USER, PASSWORD = "alice", "BASICPW4444"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _echo(server: ScriptedServer) -> None:
    """Answer with the Authorization header the server received, in the body and a header."""
    server.route(
        "GET",
        "/echo",
        Reply(
            200,
            {"authorization": f"Basic {BASIC}"},
            {"X-Echo": f"Basic {BASIC}", "Set-Cookie": "session=SETCOOKIE8888; Path=/"},
        ),
    )


def test_basic_credentials_echoed_by_the_server_are_masked(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    _echo(server)
    caplog.set_level(logging.DEBUG)
    result = run_workflow(
        FLOW,
        "echo",
        servers={"api": server.url},
        auth={"basic": {"username": USER, "password": PASSWORD}},
    )
    assert result.success, result.error
    assert server.received[0].headers["authorization"] == f"Basic {BASIC}"
    everything = (
        json.dumps(result.to_dict()) + json.dumps(result.to_har()) + result.to_junit() + caplog.text
    )
    for secret in (PASSWORD, BASIC, "SETCOOKIE8888"):
        assert secret not in everything, secret
    assert result.steps[0].outputs == {"seen": "Basic ***", "header": "Basic ***"}


def test_credentials_in_a_server_url_are_masked_everywhere(server: ScriptedServer) -> None:
    _echo(server)
    url = server.url.replace("http://", "http://u:SERVERPASS9999@")
    auth = {"basic": {"username": USER, "password": PASSWORD}}
    result = run_workflow(FLOW, "echo", servers={"api": url}, auth=auth)
    assert "SERVERPASS9999" not in json.dumps(result.to_dict()) + json.dumps(result.to_har())
    refused = run_workflow(
        FLOW, "echo", servers={"api": "http://u:SERVERPASS9999@127.0.0.1:9"}, auth=auth
    )
    assert not refused.success
    assert "***:***@127.0.0.1:9" in (refused.steps[0].error or "")
    assert "SERVERPASS9999" not in json.dumps(refused.to_dict())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arazzo_engine", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--server", "api=notaurl"], "the base URL must be http(s)://host"),
        (["--server", "apii=http://127.0.0.1:9"], "names source(s) 'apii'"),
        (["--timeout", "-1"], "must be a number of seconds above 0"),
        (["--timeout", "0"], "must be a number of seconds above 0"),
        (["--proxy", "notaproxy", "--auth", "basic=a:bcde"], "cannot set up the HTTP client"),
        (["--auth", "basc=a:bcde"], "credentials given for 'basc'"),
        (["--dry-run", "--report", "r.json"], "record a real run: drop --dry-run"),
        (["--report", "/nonexistent/dir/r.json"], "is not a writable folder"),
    ],
)
def test_bad_options_are_usage_errors_before_any_request(
    server: ScriptedServer, extra: list[str], message: str
) -> None:
    _echo(server)
    args = ["run", str(FLOW), "echo", "--server", f"api={server.url}", *extra]
    if extra[0] == "--server":
        args = ["run", str(FLOW), "echo", *extra]
    proc = _cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert server.received == []


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no file descriptor")


def test_a_closed_pipe_ends_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``arazzo-engine describe ... | head -1``: the reader went away, nothing to report."""
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert cli.main(["describe", str(FLOW), "echo"]) == 141
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


LOGIN = DATA / "login" / "flow.arazzo.yaml"


def _login_server(server: ScriptedServer) -> None:
    server.route("POST", "/login", Reply(200, {"access_token": "tok-SECRET-abc123"}))
    server.route("POST", "/items", Reply(201, {"id": 1}))


def test_a_step_sending_its_own_token_satisfies_the_bearer_scheme(server: ScriptedServer) -> None:
    """The common login pattern: no configured credential is needed, and none replaces it."""
    _login_server(server)
    result = run_workflow(LOGIN, "create", servers={"items": server.url})
    assert result.success, result.error
    assert server.received[1].headers["authorization"] == "Bearer tok-SECRET-abc123"
    configured = run_workflow(
        LOGIN, "create", servers={"items": server.url}, auth={"bearerAuth": "configured-token"}
    )
    assert configured.success
    assert server.received[3].headers["authorization"] == "Bearer tok-SECRET-abc123"


def test_a_token_learned_late_is_masked_in_the_steps_before_too(server: ScriptedServer) -> None:
    _login_server(server)
    result = run_workflow(LOGIN, "create", servers={"items": server.url})
    everything = json.dumps(result.to_dict()) + json.dumps(result.to_har()) + result.to_junit()
    assert "tok-SECRET-abc123" not in everything
    assert result.step("login").response.body == {"access_token": "***"}  # type: ignore[union-attr]


def test_only_repeating_credentials_are_learned_from_sent_headers() -> None:
    from arazzo_engine.redact import Redactor

    redactor = Redactor()
    redactor.add_sent_headers(
        [("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abcdef0123")]
    )
    assert redactor.version == 0  # a signature is new each request: nothing worth learning
    redactor.add_sent_headers([("Authorization", "Bearer tok-SECRET-abc123")])
    assert redactor.version == 1
    assert redactor.text("echo: tok-SECRET-abc123") == "echo: ***"
