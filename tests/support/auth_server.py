"""An HTTP(S) server on 127.0.0.1 that ENFORCES authentication, for end-to-end auth tests.

Every protected route checks its credential for real (API keys in a header, the query or a
cookie; HTTP basic, bearer and digest with a genuine MD5 challenge; OAuth2 bearer tokens that
this server issued from its own token endpoint and that expire on the server's clock) and
answers 401 with a JSON reason when the check fails. It can also serve over TLS and require a
client certificate (mutual TLS). Every request is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "k-header-5a1f9c"
QUERY_KEY = "k-query-77d0e2"
COOKIE_KEY = "k-cookie-31bb4a"
USER, PASSWORD = "alice", "pw-wonderland-42"
BEARER = "static-bearer-9c8e7d"
CLIENT_ID, CLIENT_SECRET = "client-arazzo", "cs-0f3b6d2e"
REALM, NONCE = "arazzo-test", "n-" + secrets.token_hex(8)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0


@dataclass
class TokenEndpoint:
    """Server-side OAuth2 state: issued tokens with their expiry on the server's clock."""

    expires_in: int = 3600  # what the token response says
    server_ttl: float = 3600.0  # how long tokens really live here
    tokens: dict[str, float] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    grants: list[str] = field(default_factory=list)

    def issue(self) -> dict[str, Any]:
        token = "at-" + secrets.token_hex(6)
        refresh = "rt-" + secrets.token_hex(6)
        self.tokens[token] = time.monotonic() + self.server_ttl
        self.refresh_tokens.add(refresh)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
        }

    def valid(self, token: str) -> bool:
        expiry = self.tokens.get(token)
        return expiry is not None and time.monotonic() < expiry


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _digest_params(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(",") if header else []:
        key, _, value = part.strip().partition("=")
        out[key.strip()] = value.strip().strip('"')
    return out


class AuthServer:
    """``with AuthServer() as srv:`` -> ``srv.url``; ``tls=`` an ``ssl.SSLContext`` for HTTPS."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[Seen] = []
        self.oauth = TokenEndpoint()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            current: Seen

            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.current.status = status  # before the client can see the response
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                self.current = seen
                with server.lock:
                    server.seen.append(seen)
                server.dispatch(self, seen)

            do_GET = do_POST = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> AuthServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    # -- routing --------------------------------------------------------------------------

    def dispatch(self, h: Any, seen: Seen) -> None:
        path = seen.path
        cookies = dict(
            p.strip().split("=", 1) for p in seen.headers.get("cookie", "").split(";") if "=" in p
        )
        auth = seen.headers.get("authorization", "")
        ok = {"ok": True, "path": path}
        if path == "/token":
            return self.token(h, seen)
        if path == "/.well-known/openid-configuration":
            return h.reply(200, {"issuer": self.url, "token_endpoint": self.url + "/token"})
        if path == "/public" or path == "/mtls":
            return h.reply(200, ok)
        if path == "/slow":
            time.sleep(float(seen.query.get("s", "1")))
            return h.reply(200, ok)
        if path == "/trickle":  # each byte within a read timeout, the whole body slowly
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", "10")
            h.end_headers()
            for _ in range(10):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.08)
            return None
        if path == "/login":
            return h.reply(200, ok, {"Set-Cookie": "session=sess-4e5f6a; Path=/; HttpOnly"})
        if path == "/profile":
            if cookies.get("session") != "sess-4e5f6a":
                return h.reply(401, {"error": "unauthorized", "message": "no session cookie"})
            return h.reply(200, {"cookies": cookies})
        checks = {
            "/apikey-header": seen.headers.get("x-api-key") == API_KEY,
            "/apikey-query": seen.query.get("api_key") == QUERY_KEY,
            "/echo": seen.query.get("api_key") == QUERY_KEY,
            "/apikey-cookie": cookies.get("key_cookie") == COOKIE_KEY,
            "/basic": auth == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
            "/bearer": auth == f"Bearer {BEARER}",
            "/either": seen.headers.get("x-api-key") == API_KEY or auth == f"Bearer {BEARER}",
            "/both": seen.headers.get("x-api-key") == API_KEY and auth == f"Bearer {BEARER}",
        }
        if path in checks:
            if not checks[path]:
                return h.reply(401, {"error": "unauthorized", "message": f"{path}: bad credential"})
            if path == "/echo":  # a badly behaved API that echoes what it was sent
                return h.reply(200, {"query": seen.query, "auth": seen.headers.get("x-api-key")})
            return h.reply(200, ok)
        if path == "/digest":
            return self.digest(h, seen)
        if path.startswith("/oauth"):
            token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
            if not self.oauth.valid(token):
                return h.reply(
                    401,
                    {"error": "invalid_token", "message": "missing or expired token"},
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            return h.reply(200, ok)
        return h.reply(404, {"error": "no route"})

    def digest(self, h: Any, seen: Seen) -> None:
        header = seen.headers.get("authorization", "")
        if header.startswith("Digest "):
            p = _digest_params(header[len("Digest ") :])
            ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
            ha2 = _md5(f"{seen.method}:{p.get('uri', '')}")
            expected = _md5(
                f"{ha1}:{NONCE}:{p.get('nc', '')}:{p.get('cnonce', '')}:{p.get('qop', '')}:{ha2}"
            )
            if (
                p.get("username") == USER
                and p.get("nonce") == NONCE
                and p.get("response") == expected
            ):
                return h.reply(200, {"ok": True, "path": seen.path})
        return h.reply(
            401,
            {"error": "unauthorized", "message": "digest required"},
            {
                "WWW-Authenticate": (
                    f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5'
                )
            },
        )

    def token(self, h: Any, seen: Seen) -> None:
        form = dict(parse_qsl(seen.body.decode()))
        grant = form.get("grant_type", "")
        self.oauth.grants.append(grant)
        basic = seen.headers.get("authorization", "")
        expected_basic = (
            "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        )
        if basic != expected_basic:
            return h.reply(401, {"error": "invalid_client"})
        if grant == "client_credentials":
            return h.reply(200, self.oauth.issue())
        if grant == "password":
            if form.get("username") == USER and form.get("password") == PASSWORD:
                return h.reply(200, self.oauth.issue())
            return h.reply(400, {"error": "invalid_grant"})
        if grant == "refresh_token":
            if form.get("refresh_token") in self.oauth.refresh_tokens:
                self.oauth.refresh_tokens.discard(form["refresh_token"])
                return h.reply(200, self.oauth.issue())
            return h.reply(400, {"error": "invalid_grant"})
        return h.reply(400, {"error": "unsupported_grant_type"})
