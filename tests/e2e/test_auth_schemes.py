"""Every OpenAPI security scheme, over real sockets, against a server that enforces it.

Each scheme is shown both ways: without the credential the server rejects the request (or the
engine refuses to start, naming the scheme), with it the workflow succeeds.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_engine import AuthError, arun_workflow, load, run_workflow
from arazzo_engine.api import resolve_urls
from tests.conftest import DATA
from tests.support import auth_server as srv
from tests.support.auth_server import AuthServer

DOC = DATA / "auth" / "auth.arazzo.yaml"

CREDENTIALS: dict[str, Any] = {
    "apiKeyHeader": srv.API_KEY,
    "apiKeyQuery": {"value": srv.QUERY_KEY},
    "apiKeyCookie": srv.COOKIE_KEY,
    "basicAuth": {"username": srv.USER, "password": srv.PASSWORD},
    "bearerAuth": {"token": srv.BEARER},
    "digestAuth": (srv.USER, srv.PASSWORD),
    "oauthClientCredentials": {"client_id": srv.CLIENT_ID, "client_secret": srv.CLIENT_SECRET},
    "oauthPassword": {
        "client_id": srv.CLIENT_ID,
        "client_secret": srv.CLIENT_SECRET,
        "username": srv.USER,
        "password": srv.PASSWORD,
    },
    "oidc": {"client_id": srv.CLIENT_ID, "client_secret": srv.CLIENT_SECRET},
}


@pytest.fixture
def server() -> Iterator[AuthServer]:
    with AuthServer() as running:
        yield running


@pytest.fixture(autouse=True)
def _no_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("ARAZZO_AUTH_"):
            monkeypatch.delenv(name)


def _vars(server: AuthServer) -> dict[str, dict[str, str]]:
    return {"secured": {"port": str(server.port)}}


SCHEMES = [
    ("apikey-header", "apiKeyHeader"),
    ("apikey-query", "apiKeyQuery"),
    ("apikey-cookie", "apiKeyCookie"),
    ("basic", "basicAuth"),
    ("bearer", "bearerAuth"),
    ("digest", "digestAuth"),
    ("oauth-cc", "oauthClientCredentials"),
    ("oauth-password", "oauthPassword"),
    ("oauth-oidc", "oidc"),
]


@pytest.mark.parametrize(("workflow", "scheme"), SCHEMES)
def test_scheme_enforced_and_satisfied(server: AuthServer, workflow: str, scheme: str) -> None:
    # with the credential: the server accepts
    result = run_workflow(
        DOC, workflow, server_variables=_vars(server), auth={scheme: CREDENTIALS[scheme]}
    )
    assert result.success, result.error
    assert result.outputs["body"] == {"ok": True, "path": "/" + workflow}
    assert result.steps[0].status_code == 200

    # with a wrong credential of the right shape: the server itself rejects it
    wrong: Any = {
        "apiKeyHeader": "nope-nope",
        "apiKeyQuery": "nope-nope",
        "apiKeyCookie": "nope-nope",
        "basicAuth": "alice:wrong-pass",
        "bearerAuth": "nope-nope",
        "digestAuth": "alice:wrong-pass",
        "oauthClientCredentials": {"client_id": srv.CLIENT_ID, "client_secret": "bad-secret"},
        "oauthPassword": {
            "client_id": srv.CLIENT_ID,
            "client_secret": srv.CLIENT_SECRET,
            "username": srv.USER,
            "password": "bad-password",
        },
        "oidc": {"client_id": "someone-else", "client_secret": "bad-secret"},
    }[scheme]
    failed = run_workflow(DOC, workflow, server_variables=_vars(server), auth={scheme: wrong})
    assert not failed.success
    step = failed.steps[0]
    if scheme.startswith("oauth") or scheme == "oidc":
        # the token endpoint refused: the step reports why and the API was never called
        assert "token endpoint" in (step.error or "")
        assert "invalid_client" in (step.error or "") or "invalid_grant" in (step.error or "")
    else:
        assert step.status_code == 401
        assert "401" in (failed.error or "")
        assert "bad credential" in (failed.error or "") or "digest required" in (failed.error or "")

    # without any credential: an AuthError before any request, naming scheme, source, operation
    before = len(server.seen)
    with pytest.raises(AuthError) as caught:
        run_workflow(DOC, workflow, server_variables=_vars(server))
    message = str(caught.value)
    assert repr(scheme) in message and "'secured'" in message and "/" + workflow in message
    assert "ARAZZO_AUTH_SECURED_" in message
    assert len(server.seen) == before


def test_oauth_token_cached_then_refetched_when_it_expires(server: AuthServer) -> None:
    server.oauth.expires_in = 1  # the client must treat the token as expired after ~0.9 s
    server.oauth.server_ttl = 1.0
    result = run_workflow(
        DOC,
        "oauth-twice",
        server_variables=_vars(server),
        auth={"oauthClientCredentials": CREDENTIALS["oauthClientCredentials"]},
    )
    assert result.success, result.error
    # a fresh token was fetched proactively (with the refresh token): no 401 from the API
    assert server.oauth.grants == ["client_credentials", "refresh_token"]
    assert [s.status for s in server.requests_to("/oauth-cc")] == [200, 200]
    first, second = (s.headers["authorization"] for s in server.requests_to("/oauth-cc"))
    assert first != second
    # requested with the scopes of the security requirement
    token_request = server.requests_to("/token")[0]
    assert b"scope=items%3Aread" in token_request.body


def test_oauth_token_cached_within_its_lifetime(server: AuthServer) -> None:
    result = run_workflow(
        DOC,
        "oauth-twice",
        {"pause": "0"},
        server_variables=_vars(server),
        auth={"oauthClientCredentials": CREDENTIALS["oauthClientCredentials"]},
    )
    assert result.success, result.error
    assert server.oauth.grants == ["client_credentials"]  # one token for both calls


def test_oauth_refreshes_once_on_401(server: AuthServer) -> None:
    server.oauth.expires_in = 3600  # the token says it lives an hour...
    server.oauth.server_ttl = 0.5  # ...but the server revokes it after half a second
    result = run_workflow(
        DOC,
        "oauth-twice",
        {"pause": "0.8"},
        server_variables=_vars(server),
        auth={"oauthClientCredentials": CREDENTIALS["oauthClientCredentials"]},
    )
    assert result.success, result.error
    assert server.oauth.grants == ["client_credentials", "refresh_token"]
    assert [s.status for s in server.requests_to("/oauth-cc")] == [200, 401, 200]


def test_oauth_refresh_token_flow_and_access_token(server: AuthServer) -> None:
    server.oauth.refresh_tokens.add("rt-given-by-caller")
    creds = {
        "client_id": srv.CLIENT_ID,
        "client_secret": srv.CLIENT_SECRET,
        "refresh_token": "rt-given-by-caller",
    }
    result = run_workflow(
        DOC, "oauth-cc", server_variables=_vars(server), auth={"oauthClientCredentials": creds}
    )
    assert result.success, result.error
    assert server.oauth.grants == ["refresh_token"]
    # a token the caller already holds is used as it is
    token = server.oauth.issue()["access_token"]
    again = run_workflow(
        DOC, "oauth-cc", server_variables=_vars(server), auth={"oauthClientCredentials": token}
    )
    assert again.success, again.error
    assert server.oauth.grants == ["refresh_token"]


def test_alternatives_first_satisfiable_is_used(server: AuthServer) -> None:
    only_bearer = run_workflow(
        DOC, "either", server_variables=_vars(server), auth={"bearerAuth": srv.BEARER}
    )
    assert only_bearer.success, only_bearer.error
    received = server.requests_to("/either")[-1]
    assert received.headers["authorization"] == f"Bearer {srv.BEARER}"
    assert "x-api-key" not in received.headers
    both = run_workflow(
        DOC,
        "either",
        server_variables=_vars(server),
        auth={"bearerAuth": srv.BEARER, "apiKeyHeader": srv.API_KEY},
    )
    assert both.success
    received = server.requests_to("/either")[-1]
    assert received.headers["x-api-key"] == srv.API_KEY  # the first alternative wins
    assert "authorization" not in received.headers


def test_requirement_with_two_schemes_applies_both(server: AuthServer) -> None:
    with pytest.raises(AuthError, match="bearerAuth"):
        run_workflow(DOC, "both", server_variables=_vars(server), auth={"apiKeyHeader": "x-x-x"})
    result = run_workflow(
        DOC,
        "both",
        server_variables=_vars(server),
        auth={"bearerAuth": srv.BEARER, "apiKeyHeader": srv.API_KEY},
    )
    assert result.success, result.error


def test_empty_security_overrides_global(server: AuthServer) -> None:
    # the description's global security is bearerAuth; /public says security: []
    result = run_workflow(DOC, "public", server_variables=_vars(server))
    assert result.success, result.error
    assert "authorization" not in server.requests_to("/public")[0].headers


def test_credentials_from_environment_file_and_provider(
    server: AuthServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARAZZO_AUTH_SECURED_BASICAUTH_USERNAME", srv.USER)
    monkeypatch.setenv("ARAZZO_AUTH_SECURED_BASICAUTH_PASSWORD", srv.PASSWORD)
    assert run_workflow(DOC, "basic", server_variables=_vars(server)).success
    monkeypatch.setenv("ARAZZO_AUTH_BEARERAUTH_TOKEN", srv.BEARER)  # scheme only
    assert run_workflow(DOC, "bearer", server_variables=_vars(server)).success

    creds = tmp_path / "creds.yaml"
    creds.write_text(f"secured:\n  apiKeyHeader: {{value: {srv.API_KEY}}}\n", encoding="utf-8")
    assert run_workflow(
        DOC, "apikey-header", server_variables=_vars(server), credentials_file=creds
    ).success

    asked: list[tuple[str, str, str]] = []

    def provider(source: str, scheme: str, definition: Any) -> Any:
        asked.append((source, scheme, definition["type"]))
        return srv.COOKIE_KEY if scheme == "apiKeyCookie" else None

    assert run_workflow(DOC, "apikey-cookie", server_variables=_vars(server), auth=provider).success
    assert asked == [("secured", "apiKeyCookie", "apiKey")]

    # source:scheme keys and a caller's own httpx.Auth
    class Custom(httpx.Auth):
        def auth_flow(self, request: httpx.Request) -> Any:
            request.headers["X-API-Key"] = srv.API_KEY
            yield request

    assert run_workflow(
        DOC,
        "apikey-header",
        server_variables=_vars(server),
        auth={"secured:apiKeyHeader": Custom()},
    ).success


def test_async_driver_with_oauth_and_digest(server: AuthServer) -> None:
    async def both() -> list[Any]:
        return [
            await arun_workflow(DOC, w, server_variables=_vars(server), auth=CREDENTIALS)
            for w in ("oauth-oidc", "digest", "apikey-query")
        ]

    results = asyncio.run(both())
    assert all(r.success for r in results), [r.error for r in results]


def test_resolve_urls_is_dry_and_secret_free(server: AuthServer) -> None:
    before = len(server.seen)
    doc = load(DOC)
    urls = resolve_urls(doc, "oauth-twice", server_variables=_vars(server), auth=CREDENTIALS)
    assert urls == [
        ("first", "GET", f"{server.url}/oauth-cc", "oauthClientCredentials (oauth2)"),
        ("pause", "GET", f"{server.url}/slow", None),
        ("second", "GET", f"{server.url}/oauth-cc", "oauthClientCredentials (oauth2)"),
    ]
    missing = resolve_urls(doc, "either", servers={"secured": "https://api.example.com/v2"})
    assert missing == [
        (
            "call",
            "GET",
            "https://api.example.com/v2/either",
            "apiKeyHeader | bearerAuth (no credentials)",
        )
    ]
    assert len(server.seen) == before
    assert srv.CLIENT_SECRET not in repr(urls)


# -- mutual TLS ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("arazzo-client@example.test")
    where = tmp_path_factory.mktemp("pki")
    ca.cert_pem.write_to_path(str(where / "ca.pem"))
    client_cert.cert_chain_pems[0].write_to_path(str(where / "client.pem"))
    client_cert.private_key_pem.write_to_path(str(where / "client.key"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    return {
        "context": context,
        "ca": str(where / "ca.pem"),
        "cert": str(where / "client.pem"),
        "key": str(where / "client.key"),
    }


@pytest.fixture
def tls_server(pki: dict[str, Any]) -> Iterator[AuthServer]:
    with AuthServer(tls=pki["context"]) as running:
        yield running


def test_mutual_tls(tls_server: AuthServer, pki: dict[str, Any]) -> None:
    servers = {"secured": tls_server.url}
    # no client certificate configured: the mutualTLS scheme cannot be satisfied
    with pytest.raises(AuthError, match=r"clientCert.*mutualTLS.*client certificate"):
        run_workflow(DOC, "mtls", servers=servers, verify=pki["ca"])
    # a client without a certificate is turned away by the server's TLS handshake
    with httpx.Client(verify=ssl.create_default_context(cafile=pki["ca"])) as bare:
        refused = run_workflow(DOC, "mtls", servers=servers, client=bare)
    assert not refused.success
    assert "no response from" in (refused.error or "")
    assert tls_server.requests_to("/mtls") == []
    # with the certificate (API option), and from the credentials (a 'cert' field)
    ok = run_workflow(
        DOC, "mtls", servers=servers, verify=pki["ca"], cert=(pki["cert"], pki["key"])
    )
    assert ok.success, ok.error
    via_auth = run_workflow(
        DOC,
        "mtls",
        servers=servers,
        verify=pki["ca"],
        auth={"clientCert": {"cert": pki["cert"], "key": pki["key"]}},
    )
    assert via_auth.success, via_auth.error
    assert len(tls_server.requests_to("/mtls")) == 2


def test_mutual_tls_from_the_command_line(
    tls_server: AuthServer, pki: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from arazzo_engine.cli import main

    base = ["run", str(DOC), "mtls", "--server", f"secured={tls_server.url}", "--json"]
    base += ["--ca-bundle", pki["ca"]]
    assert main([*base, "--cert", pki["cert"], "--key", pki["key"]]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert main(base) == 2
    assert "mutualTLS" in capsys.readouterr().err
