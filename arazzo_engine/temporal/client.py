"""Connecting to Temporal, the same way for clients and workers.

``ARAZZO_TEMPORAL_KEY`` (a key from [`new_key`][arazzo_engine.temporal.codec.new_key]), when
set, encrypts every payload (see [`codec`][arazzo_engine.temporal.codec]): set it the same on
every client and worker of a namespace.
"""

from __future__ import annotations

import os

from temporalio.client import Client

__all__ = ["KEY_VARIABLE", "connect"]

#: The environment variable holding the payload encryption key.
KEY_VARIABLE = "ARAZZO_TEMPORAL_KEY"


async def connect(address: str, namespace: str = "default") -> Client:
    """A Temporal client for ``address`` (``HOST:PORT``), encrypting payloads when
    ``ARAZZO_TEMPORAL_KEY`` is set."""
    key = os.environ.get(KEY_VARIABLE)
    if key:
        from .codec import encrypted_converter

        return await Client.connect(
            address, namespace=namespace, data_converter=encrypted_converter(key)
        )
    return await Client.connect(address, namespace=namespace)
