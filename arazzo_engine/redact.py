"""Keeping secrets out of results, logs, traces and error messages.

A :class:`Redactor` knows the secret *values* of a run (credentials, tokens fetched during the
run, inputs declared ``format: password`` or ``writeOnly: true``) and the *names* of secret
parameters (the API key header, query parameter or cookie a scheme uses). It masks both
wherever they appear: header values, URLs, bodies, outputs and free text. A disabled redactor
(``redact=False``, ``--no-redact``) changes nothing, for debugging.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

__all__ = ["REDACTED", "Redactor", "SecretLogFilter", "secret_input_values"]

REDACTED = "***"
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
        with self._lock:
            if self._pattern is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            return self._pattern

    def text(self, value: str) -> str:
        """``value`` with every known secret value masked."""
        if not self.enabled or not value:
            return value
        pattern = self._regex()
        return pattern.sub(REDACTED, value) if pattern else value

    def url(self, url: str) -> str:
        """A URL with secret query parameters and known secret values masked."""
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
        """A deep copy of JSON-like ``data`` with known secret values masked in strings."""
        if not self.enabled:
            return data
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, Mapping):
            return {k: self.value(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.value(v) for v in data]
        return data

    @contextmanager
    def logging_filter(self) -> Iterator[None]:
        """Mask this run's secrets in every log record created while the block runs (any
        logger: httpx, httpcore, botocore, the engine's own), by way of the record factory."""
        if not self.enabled:
            yield
            return
        _install_factory()
        with _ACTIVE_LOCK:
            _ACTIVE.append(self)
        try:
            yield
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE.remove(self)


_ACTIVE: list[Redactor] = []
_ACTIVE_LOCK = threading.Lock()
_INSTALLED: list[Any] = []


def _mask_record(record: logging.LogRecord, redactors: list[Redactor]) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return
    masked = message
    for redactor in redactors:
        masked = redactor.url(masked) if "?" in masked else redactor.text(masked)
    if masked != message:
        record.msg = masked
        record.args = ()


def _install_factory() -> None:
    """Wrap the logging record factory once; it masks only while some run is active."""
    with _ACTIVE_LOCK:
        if _INSTALLED:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record: logging.LogRecord = previous(*args, **kwargs)
            if _ACTIVE:
                _mask_record(record, list(_ACTIVE))
            return record

        logging.setLogRecordFactory(factory)
        _INSTALLED.append(factory)


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


def secret_input_values(schema: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> list[str]:
    """The names of inputs whose schema says ``format: password`` or ``writeOnly: true``
    (top-level properties)."""
    names: list[str] = []
    props = (schema or {}).get("properties")
    if not isinstance(props, Mapping):
        return names
    for name, prop in props.items():
        if not isinstance(prop, Mapping) or name not in inputs:
            continue
        if prop.get("format") == "password" or prop.get("writeOnly") is True:
            names.append(str(name))
    return names
