"""The HTTP clients a run sends with: one connection pool per run, shared by its steps."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["TransportOptions", "make_async_client", "make_client"]


@dataclass(frozen=True)
class TransportOptions:
    """How a run's client connects. TLS verification is always on unless a CA bundle replaces
    the default trust store."""

    transport: httpx.BaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None


def make_client(options: TransportOptions) -> httpx.Client:
    """A synchronous client for one run."""
    return httpx.Client(transport=options.transport)


def make_async_client(options: TransportOptions) -> httpx.AsyncClient:
    """An asynchronous client for one run."""
    return httpx.AsyncClient(transport=options.async_transport)
