"""OAuth2 and OpenID Connect as an httpx auth flow.

`OAuth2Auth` fetches an access token from the token endpoint (client credentials,
password or refresh-token grant), caches it until it expires, sends it as a bearer token, and
on a 401 fetches a new one (with the refresh token when it has one) and retries once. With an
``openIdConnectUrl`` the token endpoint is discovered from that document first. Everything goes
through the run's own client (the flow yields the token requests), so it works the same with
the synchronous and the asynchronous drivers, over the run's connection pool, proxy and TLS
settings.

Token values never appear in exceptions or reprs; every token obtained is handed to
``on_secret`` so that the run can mask it.
"""

from __future__ import annotations

import base64
import time
from base64 import b64encode
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from ..errors import AuthError
from ..media import error_summary

__all__ = ["GRANTS", "OAuth2Auth", "OAuth2Settings"]

GRANTS = ("client_credentials", "password", "refresh_token", "access_token")


@dataclass(frozen=True, repr=False)
class OAuth2Settings:
    """What a flow needs. ``grant`` is ``client_credentials``, ``password``, ``refresh_token``
    or ``access_token`` (a token given by the caller, used as it is)."""

    grant: str
    token_url: str | None = None
    discovery_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    refresh_token: str | None = None
    access_token: str | None = None
    scope: str | None = None
    label: str = "OAuth2"

    def __repr__(self) -> str:
        return f"OAuth2Settings(grant={self.grant!r}, token_url={self.token_url!r})"


def _basic_token(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


class OAuth2Auth(httpx.Auth):
    """Bearer tokens from an OAuth2 token endpoint, cached, refreshed once on a 401."""

    requires_response_body = True

    def __init__(
        self,
        settings: OAuth2Settings,
        *,
        on_secret: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._on_secret = on_secret or (lambda _value: None)
        self._clock = clock
        self._token: str | None = settings.access_token
        self._expires_at: float | None = None
        self._refresh_token = settings.refresh_token
        self._token_url = settings.token_url
        #: How many tokens this flow has fetched (for tests and diagnostics).
        self.fetches = 0

    def __repr__(self) -> str:
        return f"OAuth2Auth({self.settings.label}, grant={self.settings.grant!r})"

    # -- the flow -------------------------------------------------------------------------

    def _valid(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._clock() < self._expires_at

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Get a token if needed, send with it, and on a 401 renew it once and resend."""
        if not self._valid():
            yield from self._obtain(request, renew=self._token is not None)
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code != 401 or not self._can_fetch():
            return
        yield from self._obtain(request, renew=True)
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def _can_fetch(self) -> bool:
        return bool(self._token_url or self.settings.discovery_url) and (
            self.settings.grant != "access_token" or self._refresh_token is not None
        )

    def _obtain(
        self, request: httpx.Request, *, renew: bool
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._can_fetch():
            raise AuthError(
                f"{self.settings.label}: no access token and no token endpoint to get one from"
            )
        if self._token_url is None:
            yield from self._discover(request)
        assert self._token_url is not None
        grant = self.settings.grant
        if (renew and self._refresh_token) or grant == "access_token":
            grant = "refresh_token"
        form: dict[str, str] = {"grant_type": grant}
        if grant == "password":
            if not self.settings.username or self.settings.password is None:
                raise AuthError(f"{self.settings.label}: the password flow needs username/password")
            form["username"] = self.settings.username
            form["password"] = self.settings.password
        elif grant == "refresh_token":
            if not self._refresh_token:
                raise AuthError(f"{self.settings.label}: no refresh token")
            form["refresh_token"] = self._refresh_token
        if self.settings.scope:
            form["scope"] = self.settings.scope
        headers = {"Accept": "application/json"}
        auth: tuple[str, str] | None = None
        if self.settings.client_id and self.settings.client_secret is not None:
            auth = (self.settings.client_id, self.settings.client_secret)
            self._on_secret(_basic_token(*auth))  # the Authorization header's own form
        elif self.settings.client_id:
            form["client_id"] = self.settings.client_id
        url = urljoin(str(request.url), self._token_url)
        token_request = httpx.Request("POST", url, data=form, headers=headers)
        if auth is not None:
            pair = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            token_request.headers["Authorization"] = f"Basic {pair}"
        response = yield token_request
        self.fetches += 1
        if not response.is_success:
            raise AuthError(
                f"{self.settings.label}: the token endpoint {url} refused the {grant} grant: "
                f"{_summary(response)}"
            )
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(f"{self.settings.label}: the token endpoint {url} sent no access_token")
        self._on_secret(token)
        self._token = token
        refresh = body.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            self._on_secret(refresh)
            self._refresh_token = refresh
        expires_in = body.get("expires_in")
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
            margin = min(5.0, float(expires_in) * 0.1)
            self._expires_at = self._clock() + float(expires_in) - margin
        else:
            self._expires_at = None

    def _discover(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        assert self.settings.discovery_url is not None
        url = urljoin(str(request.url), self.settings.discovery_url)
        response = yield httpx.Request("GET", url, headers={"Accept": "application/json"})
        try:
            body: Any = response.json() if response.is_success else None
        except ValueError:
            body = None
        endpoint = body.get("token_endpoint") if isinstance(body, dict) else None
        if not isinstance(endpoint, str) or not endpoint:
            raise AuthError(
                f"{self.settings.label}: the OpenID Connect document {url} "
                f"({_summary(response)}) names no token_endpoint"
            )
        self._token_url = urljoin(url, endpoint)


def _summary(response: httpx.Response) -> str:
    return error_summary(
        response.status_code, response.content, response.headers.get("content-type")
    )
