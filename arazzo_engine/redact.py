"""Keeping secrets out of results, logs, traces and error messages.

A `Redactor` knows the secret *values* of a run (credentials, tokens fetched during the
run, inputs declared ``format: password`` or ``writeOnly: true``) and the *names* of secret
parameters (the API key header, query parameter or cookie a scheme uses). It masks both
wherever they appear: header values, URLs, bodies, outputs and free text. A disabled redactor
(``redact=False``, ``--no-redact``) changes nothing, for debugging.
"""

from __future__ import annotations

import base64
import contextvars
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "Redactor",
    "SecretLogFilter",
    "is_secret_schema",
    "redact_headers",
    "secret_input_values",
    "strings_of",
]

REDACTED = "***"

#: Headers whose values are always secret, whatever the scheme.
_SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "x-amz-security-token", "x-api-key", "api-key", "x-auth-token"}
)
#: Authorization schemes whose value is computed anew for every request (nothing to learn).
_PER_REQUEST_SCHEMES = frozenset({"aws4-hmac-sha256", "digest"})
_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@\s]*@")
_LOGGED_SECRET_HEADER = re.compile(
    r"(\(b'(?:set-cookie|cookie|authorization|proxy-authorization|x-amz-security-token)',"
    r" b')[^']*'",
    re.IGNORECASE,
)
#: Values shorter than this are not masked in free text (they would mask unrelated text).
MIN_SECRET_LENGTH = 4


class Redactor:
    """The secrets of one run and how to mask them. Thread-safe to extend."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._values: set[str] = set()
        self._params: set[str] = set()  # lower-cased names of secret query params / cookies
        self._headers: set[str] = set()  # lower-cased names of secret headers
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        #: Counts the secret values learned; a record masked at an older version is masked
        #: again at the end of the run (a token learned after its step was recorded).
        self.version = 0
        # Containers found clean (nothing to mask) at `_clean_at`: id -> the container, held
        # so that its id is not reused. Masking the same body again (its outputs, the trace,
        # the result) then costs a lookup. Forgotten when a new secret is learned.
        self._clean: dict[int, Any] = {}
        self._clean_at = 0

    # -- what is secret -------------------------------------------------------------------

    def add_value(self, value: Any) -> None:
        """Mask ``value`` (and its URL-encoded forms) wherever it appears."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            before = len(self._values)
            self._values.update({value, quote(value, safe=""), quote_plus(value)})
            if len(self._values) != before:
                self._pattern = None
                self.version += 1

    def add_basic(self, username: str, password: str) -> None:
        """Mask HTTP Basic credentials: the password, and ``user:password`` in base64 as the
        ``Authorization`` header (and any server echoing it) carries them."""
        self.add_value(password)
        self.add_value(base64.b64encode(f"{username}:{password}".encode()).decode("ascii"))

    def add_sent_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        """Learn the credentials a request carried (whatever auth flow added them), so that a
        response echoing them is masked too."""
        for name, value in headers:
            lower = name.lower()
            if lower in ("authorization", "proxy-authorization"):
                scheme, _, credential = value.partition(" ")
                if scheme.lower() in _PER_REQUEST_SCHEMES:
                    continue  # a fresh signature each request: masked by header name already
                self.add_value(credential.strip() or scheme)
            elif lower in _SECRET_HEADERS or lower in self._headers:
                self.add_value(value)

    def add_header(self, name: str) -> None:
        """A header whose value is secret (an API key header)."""
        self._headers.add(name.lower())

    def add_param(self, name: str) -> None:
        """A query parameter or cookie whose value is secret."""
        self._params.add(name.lower())

    @property
    def secret_headers(self) -> frozenset[str]:
        """Names (lower-case) of headers this run treats as secret beyond the usual ones."""
        return frozenset(self._headers)

    # -- masking --------------------------------------------------------------------------

    def _regex(self) -> re.Pattern[str] | None:
        pattern = self._pattern  # the common case, without the lock
        if pattern is not None or not self._values:
            return pattern
        with self._lock:
            if self._pattern is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            return self._pattern

    def text(self, value: str) -> str:
        """``value`` with every known secret value masked."""
        if not self.enabled or not value:
            return value
        return _mask_text(value, self._regex())

    def url(self, url: str) -> str:
        """A URL with its userinfo, secret query parameters and known secret values masked."""
        if not self.enabled:
            return url
        if self._params and "?" in url:
            parts = urlsplit(url)
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            if any(k.lower() in self._params for k, _ in pairs):
                masked = [(k, REDACTED if k.lower() in self._params else v) for k, v in pairs]
                url = urlunsplit(
                    (parts.scheme, parts.netloc, parts.path, urlencode(masked, safe="*"), "")
                )
        return self.text(url)

    def cookie_header(self, value: str) -> str:
        """A ``Cookie`` header value with every cookie value masked."""
        if not self.enabled:
            return value
        pairs = [p.strip() for p in value.split(";") if p.strip()]
        return "; ".join(f"{p.partition('=')[0]}={REDACTED}" for p in pairs)

    def value(self, data: Any) -> Any:
        """JSON-like ``data`` with known secret values masked in its strings: a copy where
        something is masked (mappings become dicts, sequences lists), and ``data`` itself,
        shared and never mutated, where nothing is."""
        if not self.enabled:
            return data
        if self._clean_at != self.version or len(self._clean) > _MAX_CLEAN:
            self._clean = {}
            self._clean_at = self.version
        return self._masked(data, self._regex())

    def decoded(self, text: str, data: Any) -> Any:
        """`value` of ``data``, which was decoded from ``text`` (a JSON document, or the text
        itself). Without a backslash in ``text``, every string in ``data`` is a piece of
        ``text`` as written, so when ``text`` holds no secret and no ``@`` (userinfo), nothing
        in ``data`` can: it is returned as it is, without a walk."""
        if not self.enabled:
            return data
        if "\\" not in text and "@" not in text:
            pattern = self._regex()
            if pattern is None or pattern.search(text) is None:
                return data
        return self.value(data)

    def _masked(self, data: Any, pattern: re.Pattern[str] | None) -> Any:
        kind = type(data)
        if kind is str:
            return _mask_text(data, pattern) if data else data
        if kind in _SCALARS:
            return data
        if self._clean.get(id(data)) is data:
            return data
        if kind is dict or isinstance(data, Mapping):
            copied = {k: self._masked(v, pattern) for k, v in data.items()}
            if kind is dict and all(copied[k] is v for k, v in data.items()):
                self._clean[id(data)] = data
                return data
            return copied
        if kind is list or kind is tuple or isinstance(data, (list, tuple)):
            items = [self._masked(v, pattern) for v in data]
            if kind is list and all(a is b for a, b in zip(items, data, strict=True)):
                self._clean[id(data)] = data
                return data
            return items
        if isinstance(data, str):  # a str subclass
            return self.text(data)
        return data

    @contextmanager
    def logging_filter(self) -> Iterator[None]:
        """Mask this run's secrets in the log records made while the block runs.

        The redactor becomes the current one of this context (a context variable, so two runs
        in two threads or two asyncio tasks each mask their own secrets), and a shared filter
        is attached, for as long as some run is active, to the handlers of the root logger
        and to the engine's, httpx's, httpcore's and botocore's loggers (see `_install`).
        The record factory and every other part of logging are left alone; when the last run
        ends, the filter is removed from exactly where it was attached.
        """
        if not self.enabled:
            yield
            return
        token = _CURRENT.set((*_CURRENT.get(), self))
        _install()
        try:
            yield
        finally:
            _uninstall()
            _CURRENT.reset(token)


def _mask_text(value: str, pattern: re.Pattern[str] | None) -> str:
    if "@" in value:  # credentials written into a URL: scheme://user:password@host
        value = _USERINFO.sub(r"\1***:***@", value)
    return pattern.sub(REDACTED, value) if pattern is not None else value


_SCALARS = frozenset({int, float, bool, type(None)})
#: The most clean containers a redactor remembers (see `Redactor.value`).
_MAX_CLEAN = 100_000

#: The redactors of the runs active in this context (a nested run adds its own).
_CURRENT: contextvars.ContextVar[tuple[Redactor, ...]] = contextvars.ContextVar(
    "arazzo_engine_redactors", default=()
)
#: Loggers whose records are masked at the source (and their existing descendants).
_LOGGERS = ("arazzo_engine", "httpx", "httpcore", "botocore", "urllib3")


def _mask_record(record: logging.LogRecord, redactors: Iterable[Redactor]) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return
    # header tuples as httpcore logs them, e.g. (b'Set-Cookie', b'session=...'): values
    # learned only after the record was made (a cookie the server sets, an echoed credential)
    masked = _LOGGED_SECRET_HEADER.sub(r"\1***'", message)
    for redactor in redactors:
        masked = redactor.url(masked) if "?" in masked else redactor.text(masked)
    if masked != message:
        record.msg = masked
        record.args = ()


class _CurrentRunFilter(logging.Filter):
    """Masks each record with the redactors of the context that logs it (none: unchanged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redactors = _CURRENT.get()
        if redactors:
            _mask_record(record, redactors)
        return True


_FILTER = _CurrentRunFilter()
_INSTALL_LOCK = threading.Lock()
_active_runs = 0
_attached: list[logging.Filterer] = []


_PREFIXES = tuple(f"{n}." for n in _LOGGERS)
#: The descendants found last time, with the size of the logger registry then and the names
#: that were placeholders (loggers are never removed; a placeholder may become a logger).
_known: tuple[int, list[logging.Logger], list[str]] = (-1, [], [])


def _descendants() -> list[logging.Logger]:
    """The existing loggers below the named ones (scanned again only when the registry grew
    or a placeholder among them became a logger)."""
    global _known
    registry = logging.Logger.manager.loggerDict
    size, loggers, placeholders = _known
    if size == len(registry) and not any(
        isinstance(registry.get(name), logging.Logger) for name in placeholders
    ):
        return loggers
    loggers, placeholders = [], []
    for name, logger in list(registry.items()):
        if name.startswith(_PREFIXES):
            if isinstance(logger, logging.Logger):
                loggers.append(logger)
            else:
                placeholders.append(name)
    _known = (len(registry), loggers, placeholders)
    return loggers


def _targets() -> list[logging.Filterer]:
    """The loggers and handlers the filter goes on: the named loggers, their descendants that
    exist now, and the handlers of all of these and of the root logger (records that
    propagate from any logger pass through those)."""
    loggers = [logging.getLogger(name) for name in _LOGGERS] + _descendants()
    targets: list[logging.Filterer] = []
    for logger in [logging.getLogger(), *loggers]:
        if logger is not logging.getLogger():
            targets.append(logger)
        targets.extend(logger.handlers)
    if logging.lastResort is not None:  # where records go when no handler is configured
        targets.append(logging.lastResort)
    unique: dict[int, logging.Filterer] = {id(t): t for t in targets}
    return list(unique.values())


def _install() -> None:
    global _active_runs
    with _INSTALL_LOCK:
        _active_runs += 1
        if _active_runs > 1:
            return
        for target in _targets():
            if _FILTER not in target.filters:
                target.addFilter(_FILTER)
                _attached.append(target)


def _uninstall() -> None:
    global _active_runs
    with _INSTALL_LOCK:
        _active_runs -= 1
        if _active_runs > 0:
            return
        for target in _attached:
            target.removeFilter(_FILTER)
        _attached.clear()


class SecretLogFilter(logging.Filter):
    """A logging filter that masks a redactor's secrets in each record's message (for callers
    who want to attach it to their own handlers)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask, and keep the record."""
        _mask_record(record, [self.redactor])
        return True


def is_secret_schema(schema: Any) -> bool:
    """Whether an input's schema marks it secret: ``format: password``, ``writeOnly: true``
    or the extension ``x-secret: true``. The one rule used everywhere inputs are masked."""
    return isinstance(schema, Mapping) and (
        schema.get("format") == "password"
        or schema.get("writeOnly") is True
        or schema.get("x-secret") is True
    )


def strings_of(value: Any) -> list[str]:
    """Every string inside a JSON-like value (scalars as text): what is masked of a secret
    value that is not a string (an object holding a token, a numeric PIN)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings_of(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def secret_input_values(schema: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> list[str]:
    """The names of the given inputs whose schema marks them secret (see
    `is_secret_schema`; top-level properties)."""
    props = (schema or {}).get("properties")
    if not isinstance(props, Mapping):
        return []
    return [str(name) for name, prop in props.items() if name in inputs and is_secret_schema(prop)]


#: Headers whose values are secrets (the always-secret ones and the credential headers).
SECRET_HEADERS = _SECRET_HEADERS | {"authorization", "proxy-authorization"}

_SIGV4 = re.compile(r"^(AWS4-HMAC-SHA256)\s.*?(SignedHeaders=[^,\s]+)", re.IGNORECASE)


def _redact_authorization(value: str) -> str:
    sigv4 = _SIGV4.match(value)
    if sigv4:  # keep which headers were signed: useful, and not a secret
        return f"{sigv4.group(1)} Credential={REDACTED}, {sigv4.group(2)}, Signature={REDACTED}"
    scheme, _, rest = value.partition(" ")
    return f"{scheme} {REDACTED}" if rest else REDACTED


def redact_headers(
    headers: Iterable[tuple[str, str]],
    extra_secrets: frozenset[str] = frozenset(),
    redactor: Redactor | None = None,
) -> list[tuple[str, str]]:
    """A copy of ``headers`` with secret values masked: the usual credential headers, the
    ``extra_secrets`` names (and the redactor's API key headers), cookie values (names kept),
    and any known secret value elsewhere. A disabled redactor returns the headers unchanged."""
    if redactor is not None and not redactor.enabled:
        return list(headers)
    extra = extra_secrets | (redactor.secret_headers if redactor is not None else frozenset())
    out = []
    for name, value in headers:
        lower = name.lower()
        if lower in ("authorization", "proxy-authorization"):
            value = _redact_authorization(value)
        elif lower == "cookie":
            value = "; ".join(
                f"{p.strip().partition('=')[0]}={REDACTED}" for p in value.split(";") if p.strip()
            )
        elif lower == "set-cookie":
            value = f"{value.partition('=')[0].strip()}={REDACTED}"
        elif lower in SECRET_HEADERS or lower in extra:
            value = REDACTED
        elif redactor is not None:
            value = redactor.text(value)
        out.append((name, value))
    return out
