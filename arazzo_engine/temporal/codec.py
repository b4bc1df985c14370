"""An optional payload codec that encrypts what Temporal stores (inputs, activity results,
outputs) with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``).

Response bodies pass through Temporal's event history (the core needs them for criteria and
outputs); when a body can hold a secret (a login step's token), encrypt the history: give the
same key to every client and worker of the namespace.

>>> from arazzo_engine.temporal.codec import encrypted_converter, new_key
>>> client = await Client.connect(address, data_converter=encrypted_converter(key))

The key comes from the worker's and client's own configuration (``ARAZZO_TEMPORAL_KEY``), never
from the history. The Temporal Web UI then shows ``binary/encrypted`` payloads (run a codec
server to read them there).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

__all__ = ["ENCODING", "FernetCodec", "encrypted_converter", "new_key"]

#: The ``encoding`` metadata of an encrypted payload.
ENCODING = b"binary/encrypted"


def new_key() -> str:
    """A new random key (URL-safe base64 text) for `FernetCodec`."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


class FernetCodec(PayloadCodec):
    """Encrypts every payload with ``key`` (from `new_key`); decrypts payloads it encrypted and
    passes any other payload through unchanged."""

    def __init__(self, key: str | bytes) -> None:
        from cryptography.fernet import Fernet

        self._fernet = Fernet(key)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt each payload (serialised whole: metadata and data)."""
        return [
            Payload(
                metadata={"encoding": ENCODING},
                data=self._fernet.encrypt(payload.SerializeToString()),
            )
            for payload in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt the payloads `encode` made (a wrong key raises ``InvalidToken``)."""
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)
                continue
            decoded = Payload()
            decoded.ParseFromString(self._fernet.decrypt(payload.data))
            out.append(decoded)
        return out


def encrypted_converter(key: str | bytes) -> DataConverter:
    """Temporal's default data converter with `FernetCodec`: pass it as ``data_converter`` to
    ``Client.connect`` on every client and worker."""
    return dataclasses.replace(DataConverter.default, payload_codec=FernetCodec(key))
