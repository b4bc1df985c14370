"""The HTTP clients a run sends with: one connection pool per run, shared by its steps.

`TransportOptions` says how to connect: TLS verification (always on; ``verify`` may
name a CA bundle file or directory, or be an `ssl.SSLContext`), a client certificate for
mutual TLS, a proxy, connection-pool limits, and an injectable httpx transport. Timeouts are set
per request by the drivers (see `Timeouts`). `RunCookies` is the cookie jar of one
run: a ``Set-Cookie`` from one step is sent by later steps to the same host, as a browser would,
while a cookie a step sets explicitly (an ``in: cookie`` parameter) wins over the jar.
"""

from __future__ import annotations

import functools
import os
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import ArazzoError

__all__ = [
    "ClientCert",
    "RunCookies",
    "Timeouts",
    "TransportError",
    "TransportOptions",
    "make_async_client",
    "make_client",
]

#: A client certificate: a PEM file holding cert and key, or (cert, key) or
#: (cert, key, key password).
ClientCert = str | tuple[str, str | None] | tuple[str, str | None, str | None]


class TransportError(ArazzoError):
    """The transport cannot be set up (an unreadable CA bundle or client certificate...)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds for one HTTP call: ``connect`` (establishing the connection), ``read`` (waiting
    for each chunk of the response) and ``total`` (the whole exchange, body included)."""

    total: float = 30.0
    connect: float | None = None
    read: float | None = None

    def httpx(self) -> httpx.Timeout:
        """The per-phase httpx timeout (each phase bounded by ``total`` too)."""
        connect = min(self.connect, self.total) if self.connect is not None else self.total
        read = min(self.read, self.total) if self.read is not None else self.total
        return httpx.Timeout(self.total, connect=connect, read=read)


@dataclass(frozen=True, repr=False)
class TransportOptions:
    """How a run's client connects. TLS verification is always on; ``verify`` may replace the
    default trust store with a CA bundle (file or directory path) or an ``ssl.SSLContext``."""

    transport: httpx.BaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None
    verify: str | os.PathLike[str] | ssl.SSLContext | None = None
    cert: ClientCert | None = None
    proxy: str | None = None
    trust_env: bool = True
    max_connections: int = 100

    def __repr__(self) -> str:
        cert = "set" if self.cert else None
        proxy = _mask_proxy(self.proxy)
        return f"TransportOptions(verify={self.verify!r}, cert={cert!r}, proxy={proxy!r})"


def _mask_proxy(proxy: str | None) -> str | None:
    if proxy is None:
        return None
    url = httpx.URL(proxy)
    if url.userinfo:
        return str(url.copy_with(username="***", password="***"))
    return proxy


@functools.lru_cache(maxsize=8)
def _default_context(
    trust_env: bool, cert_file: str | None, cert_dir: str | None
) -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the trust store takes ~20 ms,
    which a client made per run would otherwise pay every run. Keyed on the variables that
    change what it trusts."""
    return httpx.create_ssl_context(trust_env=trust_env)


def _ssl_context(options: TransportOptions) -> ssl.SSLContext:
    if options.verify is None and options.cert is None:
        return _default_context(
            options.trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
        )
    if isinstance(options.verify, ssl.SSLContext):
        context = options.verify
    else:
        try:
            if options.verify is None:  # httpx's default trust (certifi, SSL_CERT_FILE/DIR)
                context = httpx.create_ssl_context(trust_env=options.trust_env)
            elif os.path.isdir(options.verify):
                context = ssl.create_default_context(capath=os.fspath(options.verify))
            else:
                context = ssl.create_default_context(cafile=os.fspath(options.verify))
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"cannot load the CA bundle {options.verify}: {exc}") from None
    if options.cert is not None:
        cert = options.cert
        certfile, keyfile, password = (
            (cert, None, None) if isinstance(cert, str) else (*cert, None, None)[:3]
        )
        try:
            context.load_cert_chain(str(certfile), keyfile, password)
        except (OSError, ssl.SSLError) as exc:
            # the message of an SSLError never carries the key password
            raise TransportError(f"cannot load the client certificate {certfile}: {exc}") from None
    return context


def _client_kwargs(options: TransportOptions) -> dict[str, Any]:
    return {
        "verify": _ssl_context(options),
        "proxy": options.proxy,
        "trust_env": options.trust_env,
        "limits": httpx.Limits(max_connections=options.max_connections),
        "follow_redirects": False,
    }


def make_client(options: TransportOptions) -> httpx.Client:
    """A synchronous client for one run."""
    try:
        return httpx.Client(transport=options.transport, **_client_kwargs(options))
    except ValueError as exc:  # httpx's word for a proxy URL it cannot use
        raise TransportError(f"cannot set up the HTTP client: {exc}") from None


def make_async_client(options: TransportOptions) -> httpx.AsyncClient:
    """An asynchronous client for one run."""
    try:
        return httpx.AsyncClient(transport=options.async_transport, **_client_kwargs(options))
    except ValueError as exc:
        raise TransportError(f"cannot set up the HTTP client: {exc}") from None


class RunCookies:
    """The cookie jar of one run (standard cookie rules: domain, path, expiry, secure)."""

    def __init__(self) -> None:
        self.jar = httpx.Cookies()

    def apply(self, request: httpx.Request) -> None:
        """Add the jar's cookies for this URL; cookies the request already has win."""
        probe = httpx.Request(request.method, request.url)
        self.jar.set_cookie_header(probe)
        stored = probe.headers.get("cookie")
        if not stored:
            return
        explicit = request.headers.get("cookie", "")
        names = {p.split("=", 1)[0].strip() for p in explicit.split(";") if p.strip()}
        extra = [
            p.strip()
            for p in stored.split(";")
            if p.strip() and p.split("=", 1)[0].strip() not in names
        ]
        if extra:
            merged = "; ".join([*(p.strip() for p in explicit.split(";") if p.strip()), *extra])
            request.headers["Cookie"] = merged

    def extract(self, response: httpx.Response) -> None:
        """Store the response's ``Set-Cookie`` cookies."""
        self.jar.extract_cookies(response)
