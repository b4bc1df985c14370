"""The runtime-expression forms the compiler reads leniently, each with a warning.

The checks and the binder read every string through the same `Grammar`, so ``validate`` and a
run agree on what an expression means:

- ``$response.body.x.y`` / ``$request.body.x`` / ``$message.payload.x`` (a dot after the body,
  as in the Arazzo 1.1 spec's own regex example and several official fixtures) is read as
  ``$response.body#/x/y``, in every document version (``body-dot-path`` warning);
- in an Arazzo 1.0 document, ``$steps.<id>.<name>`` without ``.outputs.`` (the form of the
  1.0.0 spec's own example) is read as ``$steps.<id>.outputs.<name>``
  (``deprecated-step-reference`` warning); in 1.1 it stays an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Grammar", "Note"]

_NAME = r"[A-Za-z0-9_\-]+"
_BODY_DOT = re.compile(
    r"\$(?P<root>response\.body|request\.body|message\.payload)"
    rf"(?P<path>(?:\.{_NAME}|\[[0-9]+\])+)"
)
_PATH_STEP = re.compile(rf"\.({_NAME})|\[([0-9]+)\]")
_EMBEDDED = re.compile(r"\{\$[^{}]*\}")
#: In 1.0 a step id may hold spaces (see `checks.Checks.spaced_step_id`).
_STEP_FIELD = re.compile(rf"\$steps\.(?P<id>{_NAME}(?: +{_NAME})*)\.(?P<name>{_NAME})")


@dataclass(frozen=True)
class Note:
    """One lenient reading: the warning ``code``, what was written and how it was read."""

    code: str
    written: str
    read_as: str

    @property
    def message(self) -> str:
        """The warning text, naming the standard form."""
        if self.code == "body-dot-path":
            return (
                f"{self.written!r} is not in the runtime-expression grammar (a JSON Pointer "
                f"follows the body): read as {self.read_as!r}, the standard form"
            )
        return (
            f"{self.written!r} omits '.outputs.' (an Arazzo 1.0.0 form, deprecated): read as "
            f"{self.read_as!r}, the standard form"
        )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _body_dot(match: re.Match[str]) -> str:
    tokens = [m.group(1) or m.group(2) for m in _PATH_STEP.finditer(match.group("path"))]
    return f"${match.group('root')}#/" + "/".join(_escape(t) for t in tokens)


class Grammar:
    """How one document's strings are read: the standard grammar plus the lenient forms
    its version allows (see the module docstring)."""

    def __init__(self, version: str) -> None:
        self.v10 = version.startswith("1.0")

    def text(self, text: str, *, condition: bool = False) -> tuple[str, list[Note]]:
        """``text`` rewritten into the standard form, and a note per rewrite.

        A value is read where it is an expression: the whole string when it starts with ``$``,
        else each embedded ``{$...}`` (other text is sent literally and left alone); a simple
        ``condition`` is read everywhere."""
        if "$" not in text:
            return text, []
        if not condition and not text.startswith("$"):
            notes_in: list[Note] = []

            def embedded(match: re.Match[str]) -> str:
                out, found = self._rewrite(match.group())
                notes_in.extend(found)
                return out

            return _EMBEDDED.sub(embedded, text), notes_in
        return self._rewrite(text)

    def _rewrite(self, text: str) -> tuple[str, list[Note]]:
        notes: list[Note] = []

        def body(match: re.Match[str]) -> str:
            read = _body_dot(match)
            notes.append(Note("body-dot-path", match.group(), read))
            return read

        out = _BODY_DOT.sub(body, text) if ".body." in text or ".payload." in text else text
        if self.v10 and "$steps." in out:

            def step(match: re.Match[str]) -> str:
                if match.group("name") == "outputs":
                    return match.group()
                read = f"$steps.{match.group('id')}.outputs.{match.group('name')}"
                notes.append(Note("deprecated-step-reference", match.group(), read))
                return read

            out = _STEP_FIELD.sub(step, out)
        return out, notes

    def value(self, raw: Any, report: Callable[[Note], None] | None = None) -> Any:
        """A raw value with each string read through `text` (mappings and lists copied only
        when something changed)."""
        if isinstance(raw, str):
            out, notes = self.text(raw)
            if report is not None:
                for note in notes:
                    report(note)
            return out
        if isinstance(raw, dict):
            items = {k: self.value(v, report) for k, v in raw.items()}
            return raw if all(items[k] is raw[k] for k in raw) else items
        if isinstance(raw, list):
            values = [self.value(v, report) for v in raw]
            return raw if all(a is b for a, b in zip(values, raw, strict=True)) else values
        return raw

    def criterion(self, raw: Any) -> Any:
        """A Criterion Object with its ``context`` (and a ``simple`` condition) rewritten."""
        if not isinstance(raw, dict):
            return raw
        out = dict(raw)
        for key in _criterion_fields(raw):
            out[key] = self.text(raw[key], condition=key == "condition")[0]
        return out


def _criterion_fields(raw: dict[str, Any]) -> Iterator[str]:
    if isinstance(raw.get("context"), str):
        yield "context"
    condition = raw.get("condition")
    if isinstance(condition, str) and (raw.get("type", "simple") == "simple" or "{$" in condition):
        yield "condition"
