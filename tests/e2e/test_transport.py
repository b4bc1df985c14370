"""Transport over real sockets: cookie jar per run, timeouts, TLS verification, proxies,
server variables and injectable clients."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from arazzo_engine import arun_workflow, run_workflow
from tests.conftest import DATA
from tests.support.auth_server import AuthServer

DOC = DATA / "auth" / "auth.arazzo.yaml"


@pytest.fixture
def server() -> Iterator[AuthServer]:
    with AuthServer() as running:
        yield running


def _vars(server: AuthServer) -> dict[str, dict[str, str]]:
    return {"secured": {"port": str(server.port)}}


def test_set_cookie_from_login_is_sent_by_later_steps(server: AuthServer) -> None:
    result = run_workflow(DOC, "session", server_variables=_vars(server))
    assert result.success, result.error
    assert server.requests_to("/profile")[-1].headers["cookie"] == "session=sess-4e5f6a"
    assert result.outputs["cookies"] == {"session": "***"}  # a session cookie is a secret
    # the jar belongs to the run: a new run starts without the cookie
    alone = run_workflow(DOC, "session", server_variables=_vars(server))
    assert alone.success  # (it logs in again)
    assert "cookie" not in server.requests_to("/login")[-1].headers


def test_explicit_cookie_parameter_wins_and_jar_cookies_are_kept(server: AuthServer) -> None:
    result = run_workflow(DOC, "session-explicit-cookie", server_variables=_vars(server))
    assert result.success, result.error
    sent = server.requests_to("/profile")[-1].headers["cookie"]
    assert sent == "theme=dark; session=sess-4e5f6a"


def test_explicit_cookie_of_the_same_name_beats_the_jar(server: AuthServer) -> None:
    result = run_workflow(DOC, "session-overridden", server_variables=_vars(server))
    # the server checks the session cookie for real: the explicit value was sent, alone
    assert not result.success
    assert result.steps[-1].status_code == 401
    assert server.requests_to("/profile")[-1].headers["cookie"] == "session=not-the-session"


def test_cookie_jar_with_the_async_driver_and_an_injected_client(server: AuthServer) -> None:
    async def go() -> Any:
        async with httpx.AsyncClient() as client:
            return await arun_workflow(
                DOC, "session", server_variables=_vars(server), client=client
            )

    result = asyncio.run(go())
    assert result.success, result.error


def test_total_timeout_stops_a_trickling_body(server: AuthServer) -> None:
    # every byte comes within the read timeout; the whole body takes ~0.8 s
    result = run_workflow(
        DOC, "trickle", server_variables=_vars(server), timeout=0.4, read_timeout=0.3
    )
    assert not result.success
    assert "timed out after 0.4 s" in (result.steps[0].error or "")
    ok = run_workflow(DOC, "trickle", server_variables=_vars(server), timeout=5)
    assert ok.success, ok.error


def test_total_timeout_async(server: AuthServer) -> None:
    result = asyncio.run(arun_workflow(DOC, "trickle", server_variables=_vars(server), timeout=0.4))
    assert not result.success
    assert "timed out" in (result.steps[0].error or "")


def test_step_timeout_overrides_the_run_timeout(server: AuthServer) -> None:
    result = run_workflow(
        DOC,
        "slow-step-timeout",
        server_variables=_vars(server),
        timeout=30,
        step_timeouts={"call": 0.3},
    )
    assert not result.success
    assert "timed out after 0.3 s" in (result.steps[0].error or "")


def test_connect_and_read_timeouts_reach_the_request() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return httpx.Response(200, json={})

    result = run_workflow(
        DOC,
        "public",
        servers={"secured": "http://api.test"},
        transport=httpx.MockTransport(handler),
        timeout=20,
        connect_timeout=2,
        read_timeout=7,
    )
    assert result.success
    assert seen == [{"connect": 2, "read": 7, "write": 20, "pool": 20}]


# -- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    where = tmp_path_factory.mktemp("tls")
    ca.cert_pem.write_to_path(str(where / "ca.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return {"context": context, "ca": str(where / "ca.pem")}


def test_tls_is_verified_by_default_and_a_ca_bundle_is_honoured(tls: dict[str, Any]) -> None:
    with AuthServer(tls=tls["context"]) as https:
        servers = {"secured": https.url}
        untrusted = run_workflow(DOC, "public", servers=servers)
        assert not untrusted.success
        assert "CERTIFICATE_VERIFY_FAILED" in (untrusted.steps[0].error or "")
        trusted = run_workflow(DOC, "public", servers=servers, verify=tls["ca"])
        assert trusted.success, trusted.error
        assert len(https.requests_to("/public")) == 1


def test_default_trust_is_built_at_the_first_handshake(
    tls: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shared sync clients get the default verifying context only when a TLS handshake needs
    it (building it costs ~20 ms a plain-HTTP process never pays): the stand-in they start
    with trusts nothing, so this run succeeding over HTTPS with the CA from SSL_CERT_FILE
    shows the real context, with that variable honoured, was swapped in."""
    from arazzo_engine.transport import close_shared_clients

    monkeypatch.setenv("SSL_CERT_FILE", tls["ca"])  # a new pool key: a new shared client
    close_shared_clients()
    with AuthServer(tls=tls["context"]) as https:
        result = run_workflow(DOC, "public", servers={"secured": https.url})
        assert result.success, result.error
        again = run_workflow(DOC, "public", servers={"secured": https.url})
        assert again.success, again.error
        assert len(https.requests_to("/public")) == 2
    monkeypatch.delenv("SSL_CERT_FILE")
    with AuthServer(tls=tls["context"]) as https:
        refused = run_workflow(DOC, "public", servers={"secured": https.url})
        assert "CERTIFICATE_VERIFY_FAILED" in (refused.steps[0].error or "")


# -- proxies ------------------------------------------------------------------------------


class _Proxy:
    """A minimal forward HTTP proxy that requires Proxy-Authorization."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.seen.append((self.path, self.headers.get("Proxy-Authorization")))
                if self.headers.get("Proxy-Authorization") != "Basic cHg6cHgtc2VjcmV0LTk5":
                    self.send_response(407)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = httpx.get(self.path, trust_env=False)  # never itself
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_requests_go_through_a_proxy(server: AuthServer) -> None:
    proxy = _Proxy()
    try:
        authority = proxy.url.replace("http://", "http://px:px-secret-99@")
        result = run_workflow(DOC, "public", server_variables=_vars(server), proxy=authority)
        assert result.success, result.error
        assert proxy.seen == [(f"{server.url}/public", "Basic cHg6cHgtc2VjcmV0LTk5")]
        assert "px-secret-99" not in repr(result.to_dict())
        refused = run_workflow(DOC, "public", server_variables=_vars(server), proxy=proxy.url)
        assert not refused.success and refused.steps[0].status_code == 407
    finally:
        proxy.close()


def test_proxy_from_the_environment_routes_each_request(
    server: AuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared client's requests go to the transport their URL is routed to (the sync
    driver hands them to it itself): HTTP_PROXY sends them through the proxy, NO_PROXY not."""
    proxy = _Proxy()
    try:
        for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("http://", "http://px:px-secret-99@"))
        result = run_workflow(DOC, "public", server_variables=_vars(server))
        assert result.success, result.error
        assert proxy.seen == [(f"{server.url}/public", "Basic cHg6cHgtc2VjcmV0LTk5")]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        direct = run_workflow(DOC, "public", server_variables=_vars(server))
        assert direct.success, direct.error
        assert len(proxy.seen) == 1  # not through the proxy this time
        assert len(server.requests_to("/public")) == 2
    finally:
        proxy.close()


def test_server_variables_choose_the_url(server: AuthServer) -> None:
    # the description's server is http://127.0.0.1:{port}; the default port is wrong
    wrong = run_workflow(DOC, "public", timeout=2)
    assert not wrong.success and "no response from http://127.0.0.1:1/public" in (
        wrong.steps[0].error or ""
    )
    assert run_workflow(DOC, "public", server_variables=_vars(server)).success
