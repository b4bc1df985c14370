"""Credentials for OpenAPI security schemes, supplied by the caller, never by the document.

Where credentials come from, first match wins:

1. ``auth=`` of [`arazzo_engine.run_workflow`][arazzo_engine.run_workflow] (and ``--auth``
   on the command line): a mapping, or a callable provider ``provider(source, scheme_name, scheme)
   -> credentials | None``.
   A mapping is looked up with these keys, in order:

   * ``"SOURCE:SCHEME"`` (``"pets:bearerAuth"``),
   * ``"SOURCE"`` holding a mapping of scheme names (``{"pets": {"bearerAuth": ...}}``),
   * ``"SCHEME"`` (``{"bearerAuth": ...}``),
   * ``"SOURCE"`` holding credentials directly (used for every scheme of that source).

2. A credentials file (``--credentials FILE``, ``credentials_file=``), YAML or JSON, with the
   same shape as the ``auth=`` mapping.

3. Environment variables ``ARAZZO_AUTH_<SOURCE>_<SCHEME>_<FIELD>``, then
   ``ARAZZO_AUTH_<SCHEME>_<FIELD>``: every name upper-cased and every character that is not a
   letter or digit replaced by ``_`` (source ``pet-store``, scheme ``api_key``, field ``value``
   -> ``ARAZZO_AUTH_PET_STORE_API_KEY_VALUE``).

Credentials are a mapping of fields (`FIELDS`), a string (the API key, the bearer token,
``user:password`` for basic/digest, an access token for OAuth2), a ``(user, password)`` pair,
an `httpx.Auth` used as it is, or a zero-argument callable returning one of these.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import httpx

from ..errors import AuthError

__all__ = [
    "FIELDS",
    "AuthProvider",
    "CredentialStore",
    "Credentials",
    "env_name",
    "load_credentials_file",
]

#: The fields a credential may have (a mapping's keys; environment variable suffixes upper-cased).
FIELDS = (
    "value",
    "token",
    "username",
    "password",
    "client_id",
    "client_secret",
    "refresh_token",
    "access_token",
    "scope",
    "token_url",
    "cert",
    "key",
    "key_password",
)
_SECRET_FIELDS = frozenset(
    {
        "value",
        "token",
        "password",
        "client_secret",
        "refresh_token",
        "access_token",
        "key_password",
    }
)
_ALIASES = {
    "api_key": "value",
    "apikey": "value",
    "key_value": "value",
    "user": "username",
    "bearer": "token",
    "secret": "client_secret",
    "clientid": "client_id",
    "clientsecret": "client_secret",
    "refreshtoken": "refresh_token",
    "accesstoken": "access_token",
    "tokenurl": "token_url",
    "certificate": "cert",
}

#: ``provider(source_name, scheme_name, scheme_object)`` returning credentials or None.
AuthProvider = Callable[[str, str, Mapping[str, Any]], Any]


def _normalise_field(name: str) -> str:
    lowered = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return _ALIASES.get(lowered, _ALIASES.get(lowered.replace("_", ""), lowered))


def env_name(*parts: str) -> str:
    """``ARAZZO_AUTH_`` + each part upper-cased, non-alphanumerics turned to ``_``."""
    return "ARAZZO_AUTH_" + "_".join(re.sub(r"[^A-Za-z0-9]", "_", p).upper() for p in parts)


@dataclass(frozen=True, repr=False)
class Credentials:
    """Normalised credentials for one scheme. The repr shows which fields are set, no values."""

    value: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    access_token: str | None = None
    scope: str | None = None
    token_url: str | None = None
    cert: str | None = None
    key: str | None = None
    key_password: str | None = None
    auth: httpx.Auth | None = None
    shorthand: str | None = None  # a bare string: its meaning depends on the scheme

    def __repr__(self) -> str:
        present = [f.name for f in fields(self) if getattr(self, f.name) is not None]
        return f"Credentials({', '.join(present)})"

    def secrets(self) -> list[str]:
        """The secret values these credentials hold (for redaction)."""
        out = [getattr(self, name) for name in _SECRET_FIELDS]
        if self.shorthand is not None:
            out.append(self.shorthand)
            if ":" in self.shorthand:
                out.append(self.shorthand.split(":", 1)[1])
        return [v for v in out if isinstance(v, str) and v]


def _coerce(raw: Any, where: str) -> Credentials:
    if isinstance(raw, Credentials):
        return raw
    if isinstance(raw, httpx.Auth):
        return Credentials(auth=raw)
    if callable(raw):
        return _coerce(raw(), where)
    if isinstance(raw, str):
        return Credentials(shorthand=raw)
    if isinstance(raw, (tuple, list)) and len(raw) == 2 and all(isinstance(x, str) for x in raw):
        return Credentials(username=raw[0], password=raw[1])
    if isinstance(raw, Mapping):
        values: dict[str, Any] = {}
        for name, value in raw.items():
            field_name = _normalise_field(str(name))
            if field_name not in FIELDS:
                raise AuthError(
                    f"credentials for {where}: unknown field {name!r} (known: {', '.join(FIELDS)})"
                )
            if value is None:
                continue
            if isinstance(value, (list, tuple)) and field_name == "scope":
                value = " ".join(str(v) for v in value)
            values[field_name] = str(value)
        return Credentials(**values)
    raise AuthError(
        f"credentials for {where} must be a mapping of fields, a string, a (user, password) "
        f"pair, an httpx.Auth or a callable; got {type(raw).__name__}"
    )


def _looks_like_fields(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(k, str) and _normalise_field(k) in FIELDS for k in value)
    )


def load_credentials_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML or JSON credentials file (the shape of the ``auth=`` mapping)."""
    from ..document.loader import load_text

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthError(f"cannot read the credentials file {path}: {exc.strerror}") from None
    data = load_text(text, str(path)).data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AuthError(f"the credentials file {path} must hold a mapping")
    return data


class CredentialStore:
    """Looks up the credentials of a (source, scheme) in the caller's ``auth``, a credentials
    file and the environment, in that order."""

    def __init__(
        self,
        auth: Mapping[str, Any] | AuthProvider | None = None,
        file_data: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.auth = auth
        self.file_data = file_data or {}
        self.environ = os.environ if environ is None else environ

    @staticmethod
    def _from_mapping(table: Mapping[str, Any], source: str, scheme: str) -> Any:
        for key in (f"{source}:{scheme}",):
            if key in table:
                return table[key]
        per_source = table.get(source)
        if isinstance(per_source, Mapping) and scheme in per_source:
            return per_source[scheme]
        if scheme in table:
            return table[scheme]
        if per_source is not None and (
            not isinstance(per_source, Mapping) or _looks_like_fields(per_source)
        ):
            return per_source
        return None

    def _from_env(self, source: str, scheme: str) -> Credentials | None:
        for prefix in ((source, scheme), (scheme,)):
            found: dict[str, Any] = {
                name: self.environ[env_name(*prefix, name)]
                for name in FIELDS
                if env_name(*prefix, name) in self.environ
            }
            if found:
                return Credentials(**found)
        return None

    def lookup(self, source: str, scheme: str, definition: Mapping[str, Any]) -> Credentials | None:
        """The credentials for ``scheme`` of ``source``, or None when none are supplied."""
        where = f"security scheme {scheme!r} of source {source!r}"
        raw: Any = None
        if callable(self.auth) and not isinstance(self.auth, Mapping):
            raw = self.auth(source, scheme, definition)
        elif isinstance(self.auth, Mapping):
            raw = self._from_mapping(self.auth, source, scheme)
        if raw is None:
            raw = self._from_mapping(self.file_data, source, scheme)
        if raw is not None:
            return _coerce(raw, where)
        return self._from_env(source, scheme)

    def client_certificate(self) -> tuple[str, str | None, str | None] | None:
        """A client certificate (cert, key, key password) given among the credentials, if any,
        for mutualTLS: the first entry with a ``cert`` field."""
        tables = [t for t in (self.auth, self.file_data) if isinstance(t, Mapping)]
        for table in tables:
            for value in _walk_credentials(table):
                if isinstance(value, Mapping):
                    normal = {_normalise_field(str(k)): v for k, v in value.items()}
                    if normal.get("cert"):
                        key = normal.get("key")
                        password = normal.get("key_password")
                        return (
                            str(normal["cert"]),
                            str(key) if key else None,
                            str(password) if password else None,
                        )
        for name in _cert_variables(self.environ):
            value = self.environ.get(name)
            if value:
                key = self.environ.get(name[: -len("CERT")] + "KEY")
                password = self.environ.get(name[: -len("CERT")] + "KEY_PASSWORD")
                return value, key, password
        return None


def _cert_variables(environ: Mapping[str, str]) -> list[str]:
    """The names of the ``ARAZZO_AUTH_*_CERT`` variables, in order. Run at every run's start:
    the process environment's undecoded names are filtered before anything is decoded."""
    raw = getattr(environ, "_data", None) if environ is os.environ else None
    if isinstance(raw, dict) and os.name != "nt":
        return [
            os.fsdecode(name)
            for name in raw
            if name.startswith(b"ARAZZO_AUTH_") and name.endswith(b"_CERT")
        ]
    return [n for n in environ if n.startswith("ARAZZO_AUTH_") and n.endswith("_CERT")]


def _walk_credentials(table: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for value in table.values():
        if _looks_like_fields(value):
            out.append(value)
        elif isinstance(value, Mapping):
            out.extend(v for v in value.values() if _looks_like_fields(v))
    return out
