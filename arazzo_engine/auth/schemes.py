"""httpx auth flows for the OpenAPI security schemes that add a value to each request."""

from __future__ import annotations

from collections.abc import Generator, Sequence

import httpx

__all__ = ["ApiKeyAuth", "BearerAuth", "MultiAuth", "merge_cookie"]


def merge_cookie(request: httpx.Request, name: str, value: str, *, override: bool) -> None:
    """Add cookie ``name=value`` to the request's ``Cookie`` header.

    A cookie of that name already on the request is kept unless ``override`` (an explicit
    ``in: cookie`` parameter wins over a cookie from the jar or a scheme).
    """
    pairs: list[tuple[str, str]] = []
    for part in request.headers.get("cookie", "").split(";"):
        part = part.strip()
        if part:
            key, _, val = part.partition("=")
            pairs.append((key.strip(), val))
    if any(k == name for k, _ in pairs):
        if not override:
            return
        pairs = [(k, v) for k, v in pairs if k != name]
    pairs.append((name, value))
    request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in pairs)


class ApiKeyAuth(httpx.Auth):
    """An OpenAPI ``apiKey`` scheme: the key in a header, a query parameter or a cookie.

    A value the request already carries under that name (set explicitly by a step) is kept.
    """

    def __init__(self, name: str, location: str, value: str) -> None:
        if location not in ("header", "query", "cookie"):
            raise ValueError(f"apiKey location must be header, query or cookie, not {location!r}")
        self.name = name
        self.location = location
        self._value = value

    def __repr__(self) -> str:
        return f"ApiKeyAuth(name={self.name!r}, in={self.location!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the key and send."""
        if self.location == "header":
            if self.name not in request.headers:
                request.headers[self.name] = self._value
        elif self.location == "query":
            params = request.url.params
            if self.name not in params:
                request.url = request.url.copy_merge_params({self.name: self._value})
        else:
            merge_cookie(request, self.name, self._value, override=False)
        yield request


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` (an ``http`` scheme with ``scheme: bearer``)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth()"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class MultiAuth(httpx.Auth):
    """Several schemes at once (a security requirement that lists more than one scheme).

    Each flow adds its part in order; a flow that needs several round trips (OAuth2, digest)
    runs with the request the earlier flows prepared.
    """

    def __init__(self, flows: Sequence[httpx.Auth]) -> None:
        self.flows = list(flows)
        self.requires_request_body = any(f.requires_request_body for f in self.flows)
        self.requires_response_body = any(f.requires_response_body for f in self.flows)

    def __repr__(self) -> str:
        return f"MultiAuth({self.flows!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Chain the flows: each wraps the next one's sending."""
        yield from self._chain(0, request)

    def _chain(
        self, index: int, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if index == len(self.flows):
            yield request
            return
        flow = self.flows[index].auth_flow(request)
        outgoing = next(flow)
        while True:
            if outgoing is request:
                # the request itself: let the remaining flows decorate it
                inner = self._chain(index + 1, outgoing)
                response = yield from inner_last(inner)
            else:
                response = yield outgoing
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return


def inner_last(
    flow: Generator[httpx.Request, httpx.Response, None],
) -> Generator[httpx.Request, httpx.Response, httpx.Response]:
    """Run ``flow`` to its end, returning the last response it was given."""
    outgoing = next(flow)
    while True:
        response = yield outgoing
        try:
            outgoing = flow.send(response)
        except StopIteration:
            return response
