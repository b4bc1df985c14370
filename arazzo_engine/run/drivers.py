"""The drivers of the run core: they turn its commands into I/O and answer plain results.

- `drive_sync`: an ``httpx.Client``; each call bounded by its total timeout, headers included
  (clients from [`make_client`][arazzo_engine.transport.make_client] shrink every socket
  timeout to the time left).
- `drive_async`: an ``httpx.AsyncClient``; each call bounded by ``asyncio.wait_for``.
- `drive_replay`: no I/O at all: answers each command with a recorded result (a recorded run
  replayed gives the same `RunResult`, byte for byte).

The HTTP drivers apply the run's auth table (``HttpExchange.auth`` names a flow), its cookie
jar and timeouts, read at most ``max_body`` bytes of each body (decompressed), and answer
`HttpReply` or `Failure`. ``Wait`` sleeps, ``Now`` reads the clock; both answer `Time`. Given
``record=`` (a list), they append every result they answer, for `drive_replay`.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Mapping
from typing import Any, Protocol, cast

import httpcore
import httpx
from httpx._transports.default import map_httpcore_exceptions

from ..errors import ArazzoError
from ..results import RunResult
from ..transport import RunCookies, Timeouts, deadline, install_deadlines, is_own_client
from .commands import (
    Command,
    Failure,
    HttpExchange,
    HttpReply,
    Message,
    Now,
    Publish,
    Published,
    Receive,
    Result,
    SentRequest,
    Subscribe,
    Subscribed,
    Time,
    Wait,
)

__all__ = [
    "BodyTooLarge",
    "ReplayMismatch",
    "drive_async",
    "drive_replay",
    "drive_sync",
    "read_body_async",
]

Run = Generator[Command, Result, RunResult]


class ReplayMismatch(ArazzoError):
    """A replayed run asked for something the recording does not answer."""


class BodyTooLarge(Exception):
    """A response body is larger than the limit it was read with (after decoding)."""


class _TotalTimeout(Exception):
    pass


#: What an exchange answers as a `Failure` (anything else is a bug of ours, and raises).
_FAILURES = (httpx.HTTPError, httpx.InvalidURL, ArazzoError, BodyTooLarge, _TotalTimeout)


#: Parsed URLs without query or userinfo (httpx URLs are immutable) and timeout settings, by
#: what they are made from: runs of a workflow call the same URLs again and again. Each holds
#: at most `_MEMO_SIZE` entries.
_urls: dict[str, httpx.URL] = {}
_timeouts: dict[tuple[float, float | None, float | None], dict[str, float | None]] = {}
_MEMO_SIZE = 512


def _url(text: str) -> httpx.URL:
    url = _urls.get(text)
    if url is None:
        url = httpx.URL(text)
        if "?" in text or "@" in text:  # a query or userinfo may carry a secret: not kept
            return url
        if len(_urls) >= _MEMO_SIZE:
            _urls.clear()
        _urls[text] = url
    return url


def _timeout(command: HttpExchange) -> dict[str, float | None]:
    key = (command.timeout, command.connect_timeout, command.read_timeout)
    found = _timeouts.get(key)
    if found is None:
        found = Timeouts(*key).httpx().as_dict()
        if len(_timeouts) >= _MEMO_SIZE:
            _timeouts.clear()
        _timeouts[key] = found
    return dict(found)


def _request(command: HttpExchange, jar: RunCookies) -> httpx.Request:
    request = httpx.Request(
        command.method,
        _url(command.url),
        headers=list(command.headers),
        content=command.body or None,
    )
    request.extensions["timeout"] = _timeout(command)
    jar.apply(request)
    return request


def _auth(
    command: HttpExchange, table: Mapping[str, httpx.Auth]
) -> httpx.Auth | httpx._client.UseClientDefault:
    if command.auth is None:
        return httpx.USE_CLIENT_DEFAULT
    flow = table.get(command.auth)
    if flow is None:
        raise ArazzoError(f"no auth flow named {command.auth!r} in the run's auth table")
    return flow


def _sent(request: httpx.Request) -> SentRequest:
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    return SentRequest(
        request.method, str(request.url), tuple(request.headers.multi_items()), content
    )


def _reply(response: httpx.Response, body: bytes, at: float, elapsed: float) -> HttpReply:
    return HttpReply(
        response.status_code,
        tuple(response.headers.multi_items()),
        body,
        _sent(response.request),
        at,
        elapsed,
        response.reason_phrase,
        response.http_version,
    )


def _too_large(command: HttpExchange) -> str:
    return (
        f"the response body of {command.url} is larger than {command.max_body} bytes "
        "(decompressed); raise the run's max_body setting to read it"
    )


def _failure(
    command: HttpExchange,
    exc: BaseException,
    at: float,
    elapsed: float,
    sent: SentRequest | None,
) -> Failure:
    if isinstance(exc, (httpx.TimeoutException, _TotalTimeout)):
        kind = "the whole exchange" if isinstance(exc, _TotalTimeout) else type(exc).__name__
        reason = f"timed out after {command.timeout:g} s ({kind})"
    elif isinstance(exc, BodyTooLarge):
        return Failure(_too_large(command), at, elapsed, sent)
    elif isinstance(exc, ArazzoError):  # the auth flow could not produce the request
        return Failure(f"request not sent: {exc}", at, elapsed, sent)
    else:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    url = sent.url if sent is not None else command.url  # after auth (a query API key)
    return Failure(f"no response from {url}: {reason}", at, elapsed, sent)


#: The most bytes one piece of compressed input may inflate to at a time.
_PIECE = 1024 * 1024


class _Inflater:
    """gzip / deflate decoding in pieces of at most 1 MiB, so that a small body that inflates
    to gigabytes is stopped at ``max_body`` without ever holding more than a piece of it
    (httpx's own decoders inflate each network chunk whole: a 64 KiB chunk of a bomb is 64 MB)."""

    def __init__(self, encoding: str, request: httpx.Request | None) -> None:
        self.request = request
        self.raw_deflate = False
        self.started = False
        self.wbits = zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self.inflater = zlib.decompressobj(self.wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self.inflater.decompress(data, _PIECE)
            except zlib.error as exc:
                if self.wbits == zlib.MAX_WBITS and not self.started:
                    # "deflate" sent as raw deflate, without the zlib wrapper (as httpx allows)
                    self.wbits = -zlib.MAX_WBITS
                    self.inflater = zlib.decompressobj(self.wbits)
                    continue
                raise httpx.DecodingError(str(exc), request=self.request) from None
            self.started = True
            if out:
                yield out
            data = self.inflater.unconsumed_tail

    def flush(self) -> bytes:
        try:
            return self.inflater.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(str(exc), request=self.request) from None


def _own_coding(value: str) -> str | None:
    """A ``Content-Encoding`` the drivers decode themselves ("" for none), else None (for
    httpx's decoders: brotli, zstd, several codings)."""
    coding = value.strip().lower()
    return coding if coding in ("", "identity", "gzip", "x-gzip", "deflate") else None


def _encoding(response: httpx.Response) -> str | None:
    if response.is_stream_consumed:  # read already (a mock transport's): httpx decoded it
        return None
    return _own_coding(response.headers.get("content-encoding", ""))


class _Body:
    """Collects a body, at most ``limit`` bytes after decoding. ``coding`` is the content
    coding the drivers decode (see `_own_coding`), None when the chunks come decoded."""

    def __init__(
        self, limit: int | None, coding: str | None, request: httpx.Request | None
    ) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.own = coding is not None  # False: the chunks are already decoded by httpx
        self.inflater = _Inflater(coding, request) if coding not in (None, "", "identity") else None

    def add(self, chunk: bytes) -> None:
        pieces = self.inflater.feed(chunk) if self.inflater is not None else (chunk,)
        for piece in pieces:
            self.size += len(piece)
            if self.limit is not None and self.size > self.limit:
                raise BodyTooLarge
            self.parts.append(piece)

    def done(self) -> bytes:
        if self.inflater is not None:
            self.add_tail(self.inflater.flush())
        return b"".join(self.parts)

    def add_tail(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.limit is not None and self.size > self.limit:
            raise BodyTooLarge
        self.parts.append(piece)


def _collect(response: httpx.Response, command: HttpExchange, stop_at: float) -> bytes:
    """The body, at most ``max_body`` bytes, within the deadline (checked per chunk)."""
    body = _Body(command.max_body, _encoding(response), response.request)
    return _read(response.iter_raw() if body.own else response.iter_bytes(), body, stop_at)


def _read(chunks: Iterable[bytes], body: _Body, stop_at: float) -> bytes:
    """Feed ``chunks`` to ``body``, checking the deadline after each."""
    for chunk in chunks:
        body.add(chunk)
        if time.monotonic() > stop_at:
            raise _TotalTimeout
    return body.done()


def _send_direct(
    client: httpx.Client, request: httpx.Request, auth: httpx.Auth | None
) -> httpx.Response:
    """Send as ``client.send(request, auth=auth, stream=True)`` would on a client the engine
    made: the auth flow runs here and each request goes straight to the transport its URL is
    routed to (a proxy's or the connection pool's). What ``Client.send`` adds on top (event
    hooks, redirects, the client's cookies, timing wrappers) is nothing such a client uses, and
    skipping it saves a fifth of the time of a call to a fast server."""
    if auth is None:
        return _send_one(client, request)
    flow = auth.sync_auth_flow(request)
    try:
        request = next(flow)
        while True:
            response = _send_one(client, request)
            try:
                request = flow.send(response)
            except StopIteration:
                return response
            except BaseException:
                response.close()
                raise
            response.read()  # a flow that sends again (a renewed token) is done with this one
            response.close()
    finally:
        flow.close()


def _send_one(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    response = client._transport_for_url(request.url).handle_request(request)
    response.request = request
    return response


# -- the plain path: the engine's own pool, spoken to in plain data ---------------------------
#
# Most calls of a run go to a server the shared client reaches directly (no proxy), with no
# cookie stored yet and no auth or an auth that signs plain data (SigV4). Such a call is
# handed to the connection pool (httpcore) as plain bytes, and its answer read from the pool's
# stream: no httpx Request or Response is built. The headers sent are those httpx would send
# for the same request (Host first, then the request's, then Content-Length). Anything else
# takes the httpx path below, which gives the same results.


class _PlainAuth(Protocol):
    """An auth flow that signs a request given as plain data, in one go (`SigV4Auth`)."""

    def apply(
        self, method: str, url: httpx.URL, headers: list[tuple[str, str]], body: bytes
    ) -> httpx.URL: ...


def _plain_pool(client: httpx.Client, url: httpx.URL) -> httpcore.ConnectionPool | None:
    if not is_own_client(client):
        return None
    transport = client._transport_for_url(url)
    if type(transport) is not httpx.HTTPTransport:  # a proxy's, a mock, a caller's
        return None
    pool = transport._pool
    return pool if type(pool) is httpcore.ConnectionPool else None


def _plain_headers(command: HttpExchange, url: httpx.URL) -> list[tuple[str, str]]:
    """The request headers as httpx would send them (see ``httpx.Request``)."""
    names = {name.lower() for name, _ in command.headers}
    auto: list[tuple[str, str]] = []
    if "host" not in names and url.host:
        auto.append(("Host", url.netloc.decode("ascii")))
    sized = "content-length" in names or "transfer-encoding" in names
    if command.body:
        tail = [] if sized else [("Content-Length", str(len(command.body)))]
        return [*auto, *command.headers, *tail]
    if not sized and command.method in ("POST", "PUT", "PATCH"):
        auto.append(("Content-Length", "0"))
    return [*auto, *command.headers]


def _decoded_headers(raw: list[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    """Response headers as httpx's ``multi_items()`` gives them: names in lower case, text
    decoded as ASCII, else UTF-8, else ISO-8859-1 (the first that fits them all)."""
    for encoding in ("ascii", "utf-8", "iso-8859-1"):
        try:
            return tuple((k.decode(encoding).lower(), v.decode(encoding)) for k, v in raw)
        except UnicodeDecodeError:
            continue
    raise AssertionError("ISO-8859-1 decodes every byte")  # pragma: no cover


def _exchange_plain(
    pool: httpcore.ConnectionPool,
    command: HttpExchange,
    url: httpx.URL,
    jar: RunCookies,
    flow: _PlainAuth | None,
) -> HttpReply | Failure | None:
    """One exchange on the plain path (None: its headers are not ASCII; httpx's path says
    what that means)."""
    at, start = time.time(), time.monotonic()
    body = command.body or b""
    headers = _plain_headers(command, url)
    sent: SentRequest | None = None
    try:
        if flow is not None:
            url = flow.apply(command.method, url, headers, body)
        sent = _plain_sent(command.method, url, headers, body)
        try:
            raw_headers = [(k.encode("ascii"), v.encode("ascii")) for k, v in headers]
        except UnicodeEncodeError:
            return None
        request = httpcore.Request(
            command.method,
            httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=raw_headers,
            content=body,
            extensions={"timeout": _timeout(command)},
        )
        with deadline(command.timeout), map_httpcore_exceptions():
            response = pool.handle_request(request)
            try:
                answer = _decoded_headers(response.headers)
                data = _plain_body(response, answer, command, url, start + command.timeout)
            finally:
                response.close()
        if any(name == "set-cookie" for name, _ in answer):  # names come in lower case
            jar.extract(
                httpx.Response(
                    response.status,
                    headers=response.headers,
                    request=httpx.Request(command.method, url),
                )
            )
        extensions = response.extensions
        reason = extensions.get("reason_phrase")
        return HttpReply(
            response.status,
            answer,
            data,
            sent,
            at,
            time.monotonic() - start,
            httpx.codes.get_reason_phrase(response.status)
            if reason is None
            else reason.decode("ascii", "ignore"),
            extensions.get("http_version", b"HTTP/1.1").decode("ascii", "ignore"),
        )
    except _FAILURES as exc:
        fallback = sent or _plain_sent(command.method, url, headers, body)
        return _failure(command, exc, at, time.monotonic() - start, fallback)


def _plain_sent(
    method: str, url: httpx.URL, headers: list[tuple[str, str]], body: bytes
) -> SentRequest:
    """The request as recorded: names in lower case, as httpx's ``multi_items()`` gives."""
    return SentRequest(method, str(url), tuple((k.lower(), v) for k, v in headers), body)


def _plain_body(
    response: httpcore.Response,
    headers: tuple[tuple[str, str], ...],
    command: HttpExchange,
    url: httpx.URL,
    stop_at: float,
) -> bytes:
    coding = _own_coding(", ".join(v for k, v in headers if k == "content-encoding"))
    if coding is None:  # brotli, zstd, several codings: httpx's decoders, as on its path
        wrapped = httpx.Response(
            response.status,
            headers=response.headers,
            stream=_Stream(cast("Iterable[bytes]", response.stream)),  # a sync pool's stream
            request=httpx.Request(command.method, url),
        )
        return _collect(wrapped, command, stop_at)
    chunks = cast("Iterable[bytes]", response.stream)  # a sync pool's stream
    return _read(chunks, _Body(command.max_body, coding, None), stop_at)


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def _exchange_sync(
    client: httpx.Client, command: HttpExchange, jar: RunCookies, table: Mapping[str, httpx.Auth]
) -> HttpReply | Failure:
    if jar.empty:  # no cookie stored for this run: maybe the plain path
        signer = table.get(command.auth) if command.auth is not None else None
        if command.auth is None or callable(getattr(signer, "apply", None)):
            url = _url(command.url)
            pool = _plain_pool(client, url)
            if pool is not None:
                plain = cast("_PlainAuth | None", signer)
                answer = _exchange_plain(pool, command, url, jar, plain)
                if answer is not None:
                    return answer
    at, start = time.time(), time.monotonic()
    request: httpx.Request | None = None
    try:
        request = _request(command, jar)
        with deadline(command.timeout):
            if is_own_client(client):
                flow = _auth(command, table)
                response = _send_direct(
                    client,
                    request,
                    None if isinstance(flow, httpx._client.UseClientDefault) else flow,
                )
            else:
                response = client.send(request, auth=_auth(command, table), stream=True)
            try:
                request = response.request
                body = _collect(response, command, start + command.timeout)
            finally:
                response.close()
        jar.extract(response)
        return _reply(response, body, at, time.monotonic() - start)
    except _FAILURES as exc:
        sent = _sent(request) if request is not None else None
        return _failure(command, exc, at, time.monotonic() - start, sent)


def _answer_time(command: Command) -> Time:
    if isinstance(command, Wait):
        time.sleep(command.seconds)
    return Time(time.time())


#: What a recording may answer to each kind of command (`Time` for the others).
_EXPECTED: dict[type, tuple[type, ...]] = {
    HttpExchange: (HttpReply, Failure),
    Subscribe: (Subscribed, Failure),
    Publish: (Published, Failure),
    Receive: (Message, Failure),
}


def _unsupported(command: Command) -> Failure:
    return Failure(f"this driver cannot run {type(command).__name__} commands", time.time())


def drive_sync(
    run: Run,
    client: httpx.Client,
    cookies: RunCookies | None = None,
    auth: Mapping[str, httpx.Auth] | None = None,
    record: list[Result] | None = None,
    messages: Mapping[str, Any] | None = None,
) -> RunResult:
    """Drive a run to its end with a synchronous httpx client.

    ``cookies`` is the run's cookie jar (a new one when None); ``auth`` the auth table (key ->
    ``httpx.Auth``, from [`bind`][arazzo_engine.run.setup.bind]); ``record`` a list that gets
    every result answered.
    """
    jar = cookies if cookies is not None else RunCookies()
    table = auth or {}
    install_deadlines(client)
    broker: Any = None
    try:
        command = next(run)
        while True:
            result: Result
            if isinstance(command, HttpExchange):
                result = _exchange_sync(client, command, jar, table)
            elif isinstance(command, (Wait, Now)):
                result = _answer_time(command)
            else:  # Subscribe, Publish, Receive, Unsubscribe: brokers, only when used
                if broker is None:
                    from ..protocols.session import SyncMessageSession

                    broker = SyncMessageSession(**(messages or {}))
                result = broker.execute(command)
            if record is not None:
                record.append(result)
            command = run.send(result)
    except StopIteration as stop:
        done: RunResult = stop.value
        return done
    finally:
        if broker is not None:
            broker.close()


async def read_body_async(response: httpx.Response, max_body: int | None) -> bytes:
    """Read a streamed response's body: at most ``max_body`` bytes after decoding, gzip and
    deflate inflated in bounded pieces (a compression bomb stops at the limit); raises
    `BodyTooLarge` beyond it. The drivers' reader, for others that send (Temporal
    activities)."""
    body = _Body(max_body, _encoding(response), response.request)
    chunks: AsyncIterator[bytes] = response.aiter_raw() if body.own else response.aiter_bytes()
    async for chunk in chunks:
        body.add(chunk)
    return body.done()


async def _send_direct_async(
    client: httpx.AsyncClient, request: httpx.Request, auth: httpx.Auth | None
) -> httpx.Response:
    """`_send_direct` for an async client the engine made."""
    if auth is None:
        return await _send_one_async(client, request)
    flow = auth.async_auth_flow(request)
    try:
        request = await flow.__anext__()
        while True:
            response = await _send_one_async(client, request)
            try:
                request = await flow.asend(response)
            except StopAsyncIteration:
                return response
            except BaseException:
                await response.aclose()
                raise
            await response.aread()
            await response.aclose()
    finally:
        await flow.aclose()


async def _send_one_async(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    response = await client._transport_for_url(request.url).handle_async_request(request)
    response.request = request
    return response


async def _exchange_async(
    client: httpx.AsyncClient,
    command: HttpExchange,
    jar: RunCookies,
    table: Mapping[str, httpx.Auth],
) -> HttpReply | Failure:
    import asyncio  # here: a synchronous run (the CLI's) never imports it

    at, start = time.time(), time.monotonic()
    sent: list[httpx.Request] = []

    async def exchange() -> HttpReply:
        request = _request(command, jar)
        sent.append(request)
        flow = _auth(command, table)
        if is_own_client(client):
            response = await _send_direct_async(
                client, request, None if isinstance(flow, httpx._client.UseClientDefault) else flow
            )
        else:
            response = await client.send(request, auth=flow, stream=True)
        try:
            sent.append(response.request)
            body = await read_body_async(response, command.max_body)
        finally:
            await response.aclose()
        jar.extract(response)
        return _reply(response, body, at, time.monotonic() - start)

    try:
        try:
            return await asyncio.wait_for(exchange(), command.timeout)
        except asyncio.TimeoutError:
            raise _TotalTimeout from None
    except _FAILURES as exc:
        request = sent[-1] if sent else None
        return _failure(
            command, exc, at, time.monotonic() - start, _sent(request) if request else None
        )


async def drive_async(
    run: Run,
    client: httpx.AsyncClient,
    cookies: RunCookies | None = None,
    auth: Mapping[str, httpx.Auth] | None = None,
    record: list[Result] | None = None,
    messages: Mapping[str, Any] | None = None,
) -> RunResult:
    """Drive a run to its end with an asynchronous httpx client (arguments as for
    `drive_sync`). Each call is bounded by its total timeout."""
    jar = cookies if cookies is not None else RunCookies()
    table = auth or {}
    broker: Any = None
    try:
        command = next(run)
        while True:
            result: Result
            if isinstance(command, HttpExchange):
                result = await _exchange_async(client, command, jar, table)
            elif isinstance(command, Wait):
                import asyncio

                await asyncio.sleep(command.seconds)
                result = Time(time.time())
            elif isinstance(command, Now):
                result = Time(time.time())
            else:  # Subscribe, Publish, Receive, Unsubscribe: brokers, only when used
                if broker is None:
                    from ..protocols.session import MessageSession

                    broker = MessageSession(**(messages or {}))
                result = await broker.execute(command)
            if record is not None:
                record.append(result)
            command = run.send(result)
    except StopIteration as stop:
        done: RunResult = stop.value
        return done
    finally:
        if broker is not None:
            await broker.aclose()


def drive_replay(run: Run, results: Iterable[Result]) -> RunResult:
    """Drive a run with recorded results, in order, and no I/O: no request is sent, no time
    passes. Raises `ReplayMismatch` when the run asks for something the recording does not
    answer (another kind of command, or more commands than recorded)."""
    answers = iter(results)
    try:
        command = next(run)
        while True:
            try:
                result = next(answers)
            except StopIteration:
                raise ReplayMismatch(
                    f"the recording ends before the run: no result for {type(command).__name__}"
                ) from None
            expected = _EXPECTED.get(type(command), (Time,))
            if not isinstance(result, expected):
                raise ReplayMismatch(
                    f"the run asked {type(command).__name__} and the recording answers "
                    f"{type(result).__name__}"
                )
            command = run.send(result)
    except StopIteration as stop:
        done: RunResult = stop.value
        return done
