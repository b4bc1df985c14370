"""What a run's message driver connects with: broker credentials and TLS, from the run's
settings (the same ``auth`` / credentials file / environment, ``verify`` and ``cert`` as HTTP).

A broker's user and password are looked up like an HTTP scheme's, under ``SOURCE:SCHEME`` of
the user/password security scheme its AsyncAPI server declares (``petOrders:brokerUser``), and
given to the run's redactor so that they never show in results, reports or logs.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ..asyncapi.binding import USER_PASSWORD_TYPES, broker_auth_key
from .base import BrokerCredentials, TlsSettings

__all__ = ["message_settings"]


def message_settings(
    documents: Iterable[Any],
    store: Any,
    redactor: Any,
    verify: Any = None,
    cert: Any = None,
    servers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for a `MessageSession` of a run over ``documents`` (loaded Arazzo
    documents): ``credentials`` by auth key and ``tls``. ``store`` is the run's
    `CredentialStore`; ``verify``/``cert`` as for HTTP; a password in a ``servers`` broker URL
    (``nats://user:password@host``) is given to ``redactor`` too."""
    for url in (servers or {}).values():
        password = urlsplit(url).password
        if password:
            redactor.add_value(unquote(password))
    credentials: dict[str, BrokerCredentials] = {}
    for document in documents:
        for name, source in document.sources.items():
            description = getattr(source, "asyncapi", None)
            if description is None:
                continue
            for server in description.servers.values():
                key = broker_auth_key(name, server)
                if key is None or key in credentials:
                    continue
                scheme = next(s for s in server.security if s.get("type") in USER_PASSWORD_TYPES)
                found = store.lookup(name, str(scheme.get("name")), scheme)
                if found is None:
                    continue
                username = found.username
                password = found.password
                if username is None and found.shorthand and ":" in found.shorthand:
                    username, password = found.shorthand.split(":", 1)
                if username is None:
                    continue
                if password:
                    redactor.add_value(password)
                credentials[key] = BrokerCredentials(username, password)
    tls = TlsSettings()
    if isinstance(verify, ssl.SSLContext):
        tls = TlsSettings(ssl_context=verify)
    elif isinstance(verify, (str, os.PathLike)):
        tls = TlsSettings(ca_bundle=os.fspath(verify))
    if cert is not None and tls.ssl_context is None:
        pem, key = (cert, None) if isinstance(cert, (str, os.PathLike)) else (cert[0], cert[1])
        tls = TlsSettings(tls.ca_bundle, os.fspath(pem), None if key is None else os.fspath(key))
    return {"credentials": credentials, "tls": tls}
