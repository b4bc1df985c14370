"""The HTTP clients a run sends with: pooled connections shared across runs, never their state.

By default runs in one process share pooled clients (`shared_client`, `shared_async_client`),
one per set of connection settings (verify, cert, proxy, trust_env and the proxy variables), so
that a run after the first reuses its open connections instead of opening new ones. A shared
client keeps no state between runs: its cookie jar refuses every cookie (a run's cookies live
only in its own `RunCookies`), it has no auth and no default headers of a run (auth flows are
applied per request from the run's own auth table). Async clients are per event loop and
sharded, so that many concurrent runs do not queue on one connection pool's lock; they are
closed when their loop shuts down (``asyncio.run`` finalises the loop's async generators). The
synchronous ones are closed at interpreter exit.

`TransportOptions` says how to connect: TLS verification (always on; ``verify`` may
name a CA bundle file or directory, or be an `ssl.SSLContext`), a client certificate for
mutual TLS, a proxy, connection-pool limits, and an injectable httpx transport. Timeouts are set
per request by the drivers (see `Timeouts`). `RunCookies` is the cookie jar of one
run: a ``Set-Cookie`` from one step is sent by later steps to the same host, as a browser would,
while a cookie a step sets explicitly (an ``in: cookie`` parameter) wins over the jar.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import http.cookiejar
import itertools
import os
import ssl
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import httpcore
import httpx

if TYPE_CHECKING:
    import asyncio

from .errors import ArazzoError

__all__ = [
    "ClientCert",
    "RunCookies",
    "Timeouts",
    "TransportError",
    "TransportOptions",
    "deadline",
    "install_deadlines",
    "is_own_client",
    "make_async_client",
    "make_client",
    "shared_async_client",
    "shared_client",
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


def _client_kwargs(options: TransportOptions, lazy_trust: bool = False) -> dict[str, Any]:
    verify = (
        _trust_when_needed(options)
        if lazy_trust and options.verify is None and options.cert is None
        else _ssl_context(options)
    )
    return {
        "verify": verify,
        "proxy": options.proxy,
        "trust_env": options.trust_env,
        "limits": httpx.Limits(max_connections=options.max_connections),
        "follow_redirects": False,
    }


def _trust_when_needed(options: TransportOptions) -> ssl.SSLContext:
    """A stand-in for the default verifying context, for a sync client's own transports:
    building the real one loads the trust store (about 20 ms), which a process that only
    speaks plain HTTP (a local endpoint) never needs. The first TLS handshake swaps in the
    real context (see `_DeadlineStream.start_tls`), built from the settings as they were
    when the client was made. The stand-in itself trusts nothing: used as it is, it refuses
    every certificate."""
    stand_in = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _stand_ins[stand_in] = functools.partial(
        _default_context,
        options.trust_env,
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("SSL_CERT_DIR"),
    )
    return stand_in


#: Stand-in contexts (see `_trust_when_needed`) -> what builds the real one.
_stand_ins: weakref.WeakKeyDictionary[ssl.SSLContext, Callable[[], ssl.SSLContext]] = (
    weakref.WeakKeyDictionary()
)


def _real_context(context: ssl.SSLContext) -> ssl.SSLContext:
    build = _stand_ins.get(context)
    return context if build is None else build()


def make_client(options: TransportOptions) -> httpx.Client:
    """A synchronous client for one run. Its connections honour the deadline the sync driver
    sets for each call (see `deadline`), so a server that trickles its headers is stopped at
    the call's total timeout too."""
    lazy = options.transport is None  # httpx's own transports: their TLS passes `start_tls`
    try:
        client = httpx.Client(
            transport=options.transport, **_client_kwargs(options, lazy_trust=lazy)
        )
        install_deadlines(client)
        if lazy and not _all_wrapped(client):  # a transport whose TLS we do not see: no stand-in
            client.close()
            client = httpx.Client(transport=options.transport, **_client_kwargs(options))
            install_deadlines(client)
    except ValueError as exc:  # httpx's word for a proxy URL it cannot use
        raise TransportError(f"cannot set up the HTTP client: {exc}") from None
    _own_clients.add(client)
    return client


def _all_wrapped(client: httpx.Client) -> bool:
    """Whether every transport of ``client`` connects through a `_DeadlineBackend`."""
    return all(
        isinstance(getattr(getattr(t, "_pool", None), "_network_backend", None), _DeadlineBackend)
        for t in (client._transport, *client._mounts.values())
        if t is not None
    )


#: The clients `make_client` and `make_async_client` made: nothing but the engine sends with
#: them (no event hooks, no redirects, no cookies of their own), so the drivers may hand their
#: requests straight to the transport each URL is routed to (see `is_own_client`).
_own_clients: weakref.WeakSet[httpx.Client | httpx.AsyncClient] = weakref.WeakSet()


def is_own_client(client: httpx.Client | httpx.AsyncClient) -> bool:
    """Whether ``client`` was made by `make_client` or `make_async_client` (not given by a
    caller)."""
    return client in _own_clients


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
            _real_context(ssl_context), server_hostname, _left(timeout, httpcore.ConnectTimeout)
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
        client = httpx.AsyncClient(transport=options.async_transport, **_client_kwargs(options))
    except ValueError as exc:
        raise TransportError(f"cannot set up the HTTP client: {exc}") from None
    _own_clients.add(client)
    return client


# -- pooled clients shared across runs ---------------------------------------------------------


class _RefuseAll(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that stores and returns nothing."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def domain_return_ok(self, domain: str, request: Any) -> bool:
        return False


class _NoCookies(httpx.Cookies):
    """The cookies of a shared client: a jar that refuses everything, and no parsing of each
    response's ``Set-Cookie`` for it (the run's own jar reads those)."""

    def __init__(self) -> None:
        super().__init__(http.cookiejar.CookieJar(policy=_RefuseAll()))

    def extract_cookies(self, response: httpx.Response) -> None:
        """Store nothing."""

    def set_cookie_header(self, request: httpx.Request) -> None:
        """Add nothing."""


def _stateless(client: httpx.Client | httpx.AsyncClient) -> None:
    """No cookie jar that keeps anything: ``Set-Cookie`` answers go to the run's own jar."""
    client.cookies = http.cookiejar.CookieJar(policy=_RefuseAll())  # kept as the jar itself
    if isinstance(getattr(client, "_cookies", None), httpx.Cookies):
        client._cookies = _NoCookies()  # the setter would copy it into a plain Cookies


_PROXY_VARIABLES = tuple(
    name
    for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    for name in (base, base.upper())
)

#: How many async clients (connection pools) one event loop spreads its runs over.
ASYNC_SHARDS = 8
#: The most sets of connection settings with shared clients (per event loop for async ones);
#: runs with yet other settings get a client of their own.
MAX_SHARED_SETTINGS = 32

_lock = threading.Lock()
_sync_clients: dict[tuple[Any, ...], httpx.Client] = {}
_LoopEntry: TypeAlias = (
    "tuple[asyncio.AbstractEventLoop, dict[tuple[Any, ...], _Shards], AsyncGenerator[None, None]]"
)
_async_clients: dict[int, _LoopEntry] = {}


class _Shards:
    def __init__(self, clients: list[httpx.AsyncClient]) -> None:
        self.clients = clients
        self.turn = itertools.cycle(range(len(clients)))

    def pick(self) -> httpx.AsyncClient:
        return self.clients[next(self.turn)]


def _pool_key(options: TransportOptions) -> tuple[Any, ...] | None:
    """What decides how a shared client connects (None: this run needs a client of its own)."""
    if options.transport is not None or options.async_transport is not None:
        return None
    if isinstance(options.verify, ssl.SSLContext):  # the caller's mutable object: not shared
        return None
    environ = os.environ
    variables = tuple(environ.get(name) for name in _PROXY_VARIABLES) if options.trust_env else ()
    files: tuple[Any, ...] = ()
    if options.verify is not None or options.cert is not None:
        # a renewed CA bundle or client certificate on disk makes a new client, as before
        cert = options.cert
        named = [options.verify, *((cert,) if isinstance(cert, str) else (cert or ())[:2])]
        files = tuple(_file_stamp(path) for path in named if path is not None)
    return (
        options.verify,
        options.cert,
        files,
        options.proxy,
        options.trust_env,
        options.max_connections,
        environ.get("SSL_CERT_FILE"),
        environ.get("SSL_CERT_DIR"),
        variables,
    )


def _file_stamp(path: Any) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def shared_client(options: TransportOptions) -> httpx.Client | None:
    """The process's pooled synchronous client for these settings (made on first use), or None
    when the options bring their own httpx transport or ``ssl.SSLContext``, or when
    `MAX_SHARED_SETTINGS` other settings have shared clients already. It keeps no cookies and
    no auth; do not close it (it is closed at interpreter exit)."""
    key = _pool_key(options)
    if key is None:
        return None
    client = _sync_clients.get(key)
    if client is None or client.is_closed:
        with _lock:
            client = _sync_clients.get(key)
            if client is None or client.is_closed:
                if key not in _sync_clients and len(_sync_clients) >= MAX_SHARED_SETTINGS:
                    return None
                client = make_client(options)
                _stateless(client)
                _sync_clients[key] = client
    return client


def shared_async_client(options: TransportOptions) -> httpx.AsyncClient | None:
    """A pooled asynchronous client of the running event loop for these settings, one of
    `ASYNC_SHARDS` picked in turn, or None when the options bring their own transport. Like
    `shared_client`, it keeps no cookies and no auth; do not close it."""
    key = _pool_key(options)
    if key is None:
        return None
    try:
        import asyncio  # here: synchronous runs never import it

        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio through anyio): a client of the run's own
        return None
    entry = _async_clients.get(id(loop))
    shards = entry[1].get(key) if entry is not None and entry[0] is loop else None
    if shards is None:
        with _lock:
            entry = _async_clients.get(id(loop))
            if entry is None or entry[0] is not loop:
                _forget_closed_loops()
                entry = (loop, {}, _closer_for(loop))
                _async_clients[id(loop)] = entry
            shards = entry[1].get(key)
            if shards is None:
                if len(entry[1]) >= MAX_SHARED_SETTINGS:
                    return None
                clients = [make_async_client(options) for _ in range(ASYNC_SHARDS)]
                for client in clients:
                    _stateless(client)
                shards = entry[1][key] = _Shards(clients)
    return shards.pick()


async def _close_with_loop(loop: asyncio.AbstractEventLoop) -> AsyncGenerator[None, None]:
    """Suspended for the loop's life; the loop finalises it when it shuts down (``asyncio.run``
    calls ``shutdown_asyncgens`` before closing), and then the loop's shared clients are closed
    while the loop can still close their connections politely."""
    try:
        yield
    finally:
        entry = _async_clients.get(id(loop))
        if entry is not None and entry[0] is loop:
            del _async_clients[id(loop)]
            for shards in entry[1].values():
                for client in shards.clients:
                    await client.aclose()


def _closer_for(loop: asyncio.AbstractEventLoop) -> AsyncGenerator[None, None]:
    """Start `_close_with_loop` up to its ``yield``, so the running loop tracks it."""
    closer = _close_with_loop(loop)
    step = closer.asend(None)
    with contextlib.suppress(StopIteration):  # it stops at its yield at once
        step.send(None)
    return closer


def _forget_closed_loops() -> None:
    """Drop the clients of event loops that are closed (their connections cannot be used, nor
    closed politely, any more: the sockets close as they are collected)."""
    for number, (loop, _, _) in list(_async_clients.items()):
        if loop.is_closed():
            del _async_clients[number]


def _forget_after_fork() -> None:
    """In a forked child, the parent's connections are not ours to use (nor to close)."""
    global _lock
    _lock = threading.Lock()
    _sync_clients.clear()
    _async_clients.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


@atexit.register
def close_shared_clients() -> None:
    """Close every shared synchronous client and forget the async ones (at interpreter exit;
    also usable in tests). A run after this makes new ones."""
    with _lock:
        clients = list(_sync_clients.values())
        _sync_clients.clear()
        _async_clients.clear()
    for client in clients:
        client.close()


class RunCookies:
    """The cookie jar of one run (standard cookie rules: domain, path, expiry, secure). The
    drivers apply it to each request and store each response's cookies."""

    def __init__(self) -> None:
        self.jar = httpx.Cookies()

    @property
    def empty(self) -> bool:
        """Whether no cookie is stored (yet)."""
        return not self.jar.jar

    def apply(self, request: httpx.Request) -> None:
        """Add the jar's cookies for this URL; cookies the request already has win."""
        if self.empty:  # nothing stored yet: nothing to add
            return
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
        if "set-cookie" not in response.headers:
            return
        self.jar.extract_cookies(response)
