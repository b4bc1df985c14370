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
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from .errors import ArazzoError

__all__ = [
    "ClientCert",
    "RunCookies",
    "Timeouts",
    "TransportError",
    "TransportOptions",
    "deadline",
    "install_deadlines",
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
    """A synchronous client for one run. Its connections honour the deadline the sync driver
    sets for each call (see `deadline`), so a server that trickles its headers is stopped at
    the call's total timeout too."""
    try:
        client = httpx.Client(transport=options.transport, **_client_kwargs(options))
    except ValueError as exc:  # httpx's word for a proxy URL it cannot use
        raise TransportError(f"cannot set up the HTTP client: {exc}") from None
    install_deadlines(client)
    return client


def install_deadlines(client: httpx.Client) -> None:
    """Make ``client``'s own connections honour `deadline` (idempotent; outside a
    ``with deadline(...)`` block nothing changes). The sync driver calls it on the client it is
    given, so a caller's client is bounded by the total timeout too."""
    _install_deadlines([client._transport, *client._mounts.values()])


# -- a total deadline for synchronous calls ---------------------------------------------------
#
# httpx's sync timeouts bound each socket operation, not a whole call: a server that sends one
# header byte a second never trips a 3 s read timeout. The sync driver sets a deadline per call
# (a thread-local: one call per thread at a time), and the network streams of our own clients
# shrink every socket timeout to the time left, raising a timeout once it is spent.

_local = threading.local()


class deadline:
    """``with deadline(seconds):`` bounds every socket operation of the calls made inside it
    (on clients from `make_client`) by the time left of ``seconds`` in all."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def __enter__(self) -> deadline:
        self.previous = getattr(_local, "deadline", None)
        _local.deadline = self.at
        return self

    def __exit__(self, *exc: object) -> None:
        _local.deadline = self.previous


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_local, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the call's total timeout is spent")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._stream.start_tls(
            ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _install_deadlines(transports: Iterable[Any]) -> None:
    """Wrap the network backend of httpx's own transports (their httpcore pools take one);
    any other transport (a caller's, a mock) is left as it is."""
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
            backend, _DeadlineBackend
        ):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]


def make_async_client(options: TransportOptions) -> httpx.AsyncClient:
    """An asynchronous client for one run."""
    try:
        return httpx.AsyncClient(transport=options.async_transport, **_client_kwargs(options))
    except ValueError as exc:
        raise TransportError(f"cannot set up the HTTP client: {exc}") from None


class RunCookies:
    """The cookie jar of one run (standard cookie rules: domain, path, expiry, secure). The
    drivers apply it to each request and store each response's cookies."""

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
