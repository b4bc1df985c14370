"""Character-level scanning: runtime expressions and the tokens of simple conditions.

The runtime-expression grammar (Arazzo 1.1 ABNF, which restates 1.0.1 with identifier rules) is
regular, so it is scanned here in one pass by `scan_expression`. Where an expression ends
depends on where it sits (the scanning *mode*):

* ``"whole"``: the expression is a whole string; names, references and pointers run to the end
  (they may contain spaces, but never ``{`` or ``}``).
* ``"template"``: inside ``{$...}``; everything stops at ``}``.
* ``"condition"``: an operand of a simple condition; everything stops at whitespace, an
  operator character, a parenthesis or a bracket, so that ``.member`` and ``[index]`` after the
  expression are navigation on its value. A JSON pointer (after ``#/``) is the exception: as
  RFC 6901 says, ``.``, ``[`` and ``]`` are ordinary characters of its reference tokens, so
  ``$response.body#/filter[0]`` reads the member ``filter[0]``, exactly as in outputs.

`tokenize_condition` turns a condition into `Token` objects; a runtime expression
with its navigation is one ``operand`` token.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from arazzo_engine.errors import ExpressionError
from arazzo_engine.expressions.ast import ROOTS, RuntimeExpression

__all__ = ["Mode", "Token", "scan_expression", "tokenize_condition"]

Mode = Literal["whole", "template", "condition"]

_ROOT = re.compile(r"[A-Za-z]+")
_WORD = re.compile(r"[A-Za-z]+")
_STRICT = re.compile(r"[A-Za-z0-9_-]+")  # step ids, workflow ids, source names
#: A step id with spaces, read only when '.outputs.' follows (Arazzo 1.0 documents use such ids;
#: the compiler accepts them there with a warning when the step exists, and refuses them in 1.1).
_SPACED_STEP = re.compile(r"[A-Za-z0-9_-]+(?: +[A-Za-z0-9_-]+)+(?=\.outputs\.)")
_IDENT = re.compile(r"[A-Za-z0-9._-]+")  # input/output/component names
_TOKEN = {  # RFC 9110 header token; in conditions without the operator characters ! & | '
    "whole": re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"),
    "template": re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"),
    "condition": re.compile(r"[A-Za-z0-9#$%*+.^_`~-]+"),
}
_FREE = {  # unrestricted names (query/path names, source description references)
    "whole": re.compile(r"[^{}\x00-\x1f]+"),
    "template": re.compile(r"[^{}\x00-\x1f]+"),
    "condition": re.compile(r"""[^{}\s()\[\]=!<>&|'"]+"""),
}
_POINTER_SEGMENT = {  # reference-token characters other than '~' escapes
    "whole": re.compile(r"[^/~{}\x00-\x1f]+"),
    "template": re.compile(r"[^/~{}\x00-\x1f]+"),
    # RFC 6901: after '#/', '[' ']' and '.' are ordinary characters of a reference token.
    "condition": re.compile(r"""[^/~{}\s()=!<>&|'"]+"""),
}
_COMPONENT_KINDS = ("parameters", "successActions", "failureActions", "inputs")
_SOURCES = ("header", "query", "path", "body")


class _Scanner:
    """A cursor over ``text`` that raises `ExpressionError` at the failing offset."""

    def __init__(self, text: str, pos: int, mode: Mode) -> None:
        self.text = text
        self.pos = pos
        self.mode = mode

    def fail(self, message: str, pos: int | None = None) -> NoReturn:
        raise ExpressionError(message, self.text, self.pos if pos is None else pos)

    def found(self) -> str:
        if self.pos >= len(self.text):
            return "but the expression ends"
        return f"found {self.text[self.pos]!r}"

    def match(self, regex: re.Pattern[str], what: str) -> str:
        m = regex.match(self.text, self.pos)
        if m is None:
            self.fail(f"expected {what}, {self.found()}")
        self.pos = m.end()
        return m.group()

    def expect(self, literal: str, what: str) -> None:
        if not self.text.startswith(literal, self.pos):
            self.fail(f"expected {what}, {self.found()}")
        self.pos += len(literal)

    def choice(self, options: tuple[str, ...], what: str) -> str:
        start = self.pos
        m = _WORD.match(self.text, start)
        word = m.group() if m else ""
        if word not in options:
            listed = ", ".join(repr(o) for o in options)
            got = f"found {word!r}" if word else self.found()
            self.fail(f"expected {what} ({listed}), {got}", start)
        self.pos = start + len(word)
        return word

    def pointer(self) -> str | None:
        """An optional ``#`` followed by an RFC 6901 pointer; returns the pointer text."""
        if not self.text.startswith("#", self.pos):
            return None
        self.pos += 1
        start = self.pos
        segment = _POINTER_SEGMENT[self.mode]
        while self.text.startswith("/", self.pos):
            self.pos += 1
            while True:
                m = segment.match(self.text, self.pos)
                if m is not None:
                    self.pos = m.end()
                elif self.text.startswith(("~0", "~1"), self.pos):
                    self.pos += 2
                elif self.text.startswith("~", self.pos):
                    self.fail(
                        "invalid escape in JSON pointer: '~' must be followed by 0 ('~') or 1 ('/')"
                    )
                else:
                    break
        if start == self.pos and (
            segment.match(self.text, self.pos) or self.text.startswith("~", self.pos)
        ):
            self.fail(f"a JSON pointer after '#' must start with '/', {self.found()}")
        return self.text[start : self.pos]


def scan_expression(text: str, start: int, mode: Mode) -> tuple[RuntimeExpression, int]:
    """Scan one runtime expression that begins with ``$`` at ``text[start]``.

    Returns the expression and the offset just after it; the caller checks what follows.
    Raises `ExpressionError` (position relative to ``text``) when it is malformed.
    """
    s = _Scanner(text, start, mode)
    if not text.startswith("$", start):
        s.fail("a runtime expression starts with '$'")
    s.pos += 1
    m = _ROOT.match(text, s.pos)
    if m is None:
        s.fail(f"expected a name after '$' such as $inputs, $steps or $response, {s.found()}")
    root = m.group()
    if root not in ROOTS:
        hint = ""
        folded = {r.casefold(): r for r in ROOTS}
        if root.casefold() in folded:
            hint = f"; names are case-sensitive: did you mean ${folded[root.casefold()]}?"
        else:
            close = difflib.get_close_matches(root, ROOTS, n=1)
            if close:
                hint = f"; did you mean ${close[0]}?"
        s.fail(f"unknown runtime expression ${root}{hint}", s.pos)
    s.pos = m.end()
    fields: dict[str, Any] = {}
    if root in ("request", "response"):
        s.expect(".", f"'.' after ${root}")
        source = s.choice(_SOURCES, f"a part of the {root}")
        fields["source"] = source
        if source == "body":
            fields["pointer"] = s.pointer()
        elif source == "header":
            s.expect(".", "'.' and a header name")
            fields["name"] = s.match(_TOKEN[mode], "a header name")
        else:
            s.expect(".", f"'.' and a {source} parameter name")
            fields["name"] = s.match(_FREE[mode], f"a {source} parameter name")
    elif root in ("inputs", "outputs"):
        s.expect(".", f"'.' and a name after ${root}")
        fields["name"] = s.match(_IDENT, f"an {root[:-1]} name")
        fields["pointer"] = s.pointer()
    elif root == "steps":
        s.expect(".", "'.' and a step id after $steps")
        spaced = _SPACED_STEP.match(text, s.pos)
        fields["target"] = s.match(_STRICT if spaced is None else _SPACED_STEP, "a step id")
        if not text.startswith(".outputs.", s.pos):
            s.fail(
                f"expected '.outputs.' after the step id ($steps.<stepId>.outputs.<name>), "
                f"{s.found()}"
            )
        s.pos += len(".outputs.")
        fields["field"] = "outputs"
        fields["name"] = s.match(_IDENT, "an output name")
        fields["pointer"] = s.pointer()
    elif root == "workflows":
        s.expect(".", "'.' and a workflow id after $workflows")
        fields["target"] = s.match(_STRICT, "a workflow id")
        s.expect(".", "'.inputs.' or '.outputs.' after the workflow id")
        fields["field"] = s.choice(("inputs", "outputs"), "inputs or outputs")
        s.expect(".", f"'.' and a name after {fields['field']}")
        fields["name"] = s.match(_IDENT, "a name")
        fields["pointer"] = s.pointer()
    elif root == "sourceDescriptions":
        s.expect(".", "'.' and a source description name after $sourceDescriptions")
        fields["target"] = s.match(_STRICT, "a source description name")
        s.expect(".", "'.' and an operationId, workflowId or field after the source name")
        fields["name"] = s.match(_FREE[mode], "an operationId, workflowId or field name")
    elif root == "components":
        s.expect(".", "'.' and a component kind after $components")
        fields["field"] = s.choice(_COMPONENT_KINDS, "a component kind")
        s.expect(".", "'.' and a component name")
        fields["name"] = s.match(_IDENT, "a component name")
    return RuntimeExpression(text=text[start : s.pos], root=root, **fields), s.pos


# --- simple conditions ---------------------------------------------------------------------

TokenKind = Literal[
    "operand", "number", "string", "name", "op", "and", "or", "not", "lparen", "rparen", "eof"
]


@dataclass(frozen=True)
class Token:
    """One condition token. ``value`` is the parsed value (see `tokenize_condition`)."""

    kind: TokenKind
    value: Any
    start: int
    end: int


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MEMBER = re.compile(r"[A-Za-z0-9_-]+")
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"[0-9]+")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_ASCII_DIGITS = frozenset("0123456789")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
# Python refuses to convert integers longer than this (sys.int_info.default_max_str_digits);
# a literal or index that long is refused here as a located ExpressionError instead.
MAX_INTEGER_DIGITS = 4000


def _integer(literal: str, text: str, pos: int) -> int:
    """``int(literal)``, refusing (located) the literals too long to convert."""
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ExpressionError(
            f"integer literal too long ({len(literal)} digits; at most {MAX_INTEGER_DIGITS})",
            text,
            pos,
        )
    return int(literal)


def _navigation(text: str, pos: int) -> tuple[tuple[str | int, ...], int]:
    """Scan ``.member`` and ``[index]`` / ``['key']`` steps after an operand's expression."""
    path: list[str | int] = []
    while pos < len(text):
        char = text[pos]
        if char == ".":
            m = _MEMBER.match(text, pos + 1)
            if m is None:
                raise ExpressionError("expected a member name after '.'", text, pos + 1)
            path.append(m.group())
            pos = m.end()
        elif char == "[":
            m = _DIGITS.match(text, pos + 1)
            if m is not None:
                path.append(_integer(m.group(), text, pos + 1))
                pos = m.end()
            elif text.startswith("'", pos + 1):
                key, pos = _string(text, pos + 1)
                path.append(key)
            else:
                raise ExpressionError(
                    "expected an index (0, 1, ...) or a quoted key after '['", text, pos + 1
                )
            if not text.startswith("]", pos):
                raise ExpressionError("expected ']'", text, pos)
            pos += 1
        else:
            break
    return tuple(path), pos


def _string(text: str, start: int) -> tuple[str, int]:
    """Scan a single-quoted string at ``text[start]``; ``''`` stands for one quote."""
    chunks: list[str] = []
    pos = start + 1
    while True:
        end = text.find("'", pos)
        if end == -1:
            raise ExpressionError("unterminated string: missing closing quote", text, start)
        chunks.append(text[pos:end])
        if text.startswith("''", end):
            chunks.append("'")
            pos = end + 2
        else:
            return "".join(chunks), end + 1


def tokenize_condition(text: str) -> list[Token]:
    """Split a simple condition into tokens, ending with an ``eof`` token.

    Token values: ``operand`` -> ``(RuntimeExpression, path)``; ``number`` -> int or float;
    ``string`` -> str; ``name`` -> the word (``true``/``false``/``null`` or an error later);
    ``op`` -> the operator text; others -> their text.
    """
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    while True:
        m = _SPACE.match(text, pos)
        if m is not None:
            pos = m.end()
        if pos >= n:
            tokens.append(Token("eof", None, n, n))
            return tokens
        char = text[pos]
        start = pos
        if char == "$":
            expression, pos = scan_expression(text, pos, "condition")
            path, pos = _navigation(text, pos)
            tokens.append(Token("operand", (expression, path), start, pos))
        elif char == "'":
            value, pos = _string(text, pos)
            tokens.append(Token("string", value, start, pos))
        elif char == '"':
            end = text.find('"', pos + 1)
            inner = text[pos + 1 : end] if end != -1 else text[pos + 1 :]
            quoted = "'" + inner.replace("'", "''") + "'"
            raise ExpressionError(
                f"strings in conditions use single quotes, not double quotes: write {quoted}",
                text,
                pos,
            )
        elif char in _ASCII_DIGITS or (char == "-" and text[pos + 1 : pos + 2] in _ASCII_DIGITS):
            # ASCII only: str.isdigit() is also true for '٣' or '²', which _NUMBER does not match.
            m = _NUMBER.match(text, pos)
            if m is None:  # the branch condition guarantees a match
                raise ExpressionError("expected a number", text, pos)
            literal = m.group()
            number: int | float = (
                _integer(literal, text, pos)
                if m.group(1) is None and m.group(2) is None
                else float(literal)
            )
            pos = m.end()
            tokens.append(Token("number", number, start, pos))
        elif char in _NAME_START:
            # ASCII only: str.isalpha() is also true for 'é', which _NAME does not match.
            m = _NAME.match(text, pos)
            if m is None:  # _NAME_START guarantees a match
                raise ExpressionError("expected a name", text, pos)
            pos = m.end()
            tokens.append(Token("name", m.group(), start, pos))
        elif text.startswith(_OPERATORS, pos):
            op = next(o for o in _OPERATORS if text.startswith(o, pos))
            pos += len(op)
            tokens.append(Token("op", op, start, pos))
        elif text.startswith("&&", pos):
            pos += 2
            tokens.append(Token("and", "&&", start, pos))
        elif text.startswith("||", pos):
            pos += 2
            tokens.append(Token("or", "||", start, pos))
        elif char == "!":
            pos += 1
            tokens.append(Token("not", "!", start, pos))
        elif char == "(":
            pos += 1
            tokens.append(Token("lparen", "(", start, pos))
        elif char == ")":
            pos += 1
            tokens.append(Token("rparen", ")", start, pos))
        elif char == "=":
            raise ExpressionError("'=' is not an operator: use '==' to compare", text, pos)
        elif char == "&":
            raise ExpressionError("'&' is not an operator: use '&&' for 'and'", text, pos)
        elif char == "|":
            raise ExpressionError("'|' is not an operator: use '||' for 'or'", text, pos)
        else:
            hint = ""
            if char.isalnum():
                hint = f" (names and numbers in conditions are ASCII; quote text: '{char}')"
            raise ExpressionError(f"unexpected character {char!r}{hint}", text, pos)
