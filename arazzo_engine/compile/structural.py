"""Structural validation: the document against our Arazzo 1.0 / 1.1 JSON Schema.

The schemas (``validation/schemas/arazzo-1.0.json`` and ``arazzo-1.1.json``) are written from
the specification text. They accept what the specification allows and the official schemas reject
(a Criterion ``type`` given as an Expression Type Object, any JSON value as a Payload
Replacement or Parameter ``value``).

A clean verdict is remembered on disk, so that a fresh process running an unchanged document
does not pay for the check (nor for importing jsonschema): an empty file named by the SHA-256
of the document's address and text, the schema, and the source of the loader and this module,
in ``$XDG_CACHE_HOME/arazzo-engine/`` (``~/.cache/arazzo-engine/``; ``ARAZZO_CACHE_DIR`` to
choose another folder). Only "no problems"
is recorded (a document with problems is checked again, to say where); any change of the text,
the schema or the checking code is another name. The folder is made private (0700) and a file
is trusted only if the current user owns it and nobody else may write it; files are written
under a temporary name and renamed into place. ``ARAZZO_CACHE=0`` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..document.cache import cache_enabled
from ..document.diskcache import cache_folder
from ..document.loader import LoadedText, pointer_join

if TYPE_CHECKING:  # jsonschema is imported when a document is first checked
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
from .problems import Problem

__all__ = ["check_structure", "schema_for", "schema_version"]

_STEP = re.compile(r"^/workflows/\d+/steps/\d+$")
_STEP_PARAMETER = re.compile(r"^/workflows/\d+/steps/\d+/parameters/\d+$")


def schema_version(data: Any) -> str:
    """``"1.1"`` for an ``arazzo: 1.1.x`` document, else ``"1.0"``."""
    version = data.get("arazzo") if isinstance(data, dict) else None
    if isinstance(version, str) and version.startswith("1.1"):
        return "1.1"
    return "1.0"


@functools.lru_cache(maxsize=2)
def schema_for(version: str) -> dict[str, Any]:
    """Our JSON Schema for Arazzo ``version`` (``"1.0"`` or ``"1.1"``)."""
    folder = resources.files("arazzo_engine").joinpath("validation").joinpath("schemas")
    text = folder.joinpath(f"arazzo-{version}.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.lru_cache(maxsize=2)
def _validator(version: str) -> Draft202012Validator:
    # A registry crawled once up front: without it, every `$ref` the validator follows crawls
    # the schema again (most of validate()'s time on a large document).
    # The meta-schemas (inputs schemas are checked against 2020-12) are crawled too: their
    # `$dynamicRef`s otherwise miss the registry's anchor index and re-crawl it on every use.
    from jsonschema import Draft202012Validator, validators
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    schema = schema_for(version)
    resource = DRAFT202012.create_resource(schema)
    registry: Registry[Any] = REGISTRY.with_resource(schema["$id"], resource).crawl()
    checker = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"uniqueItems": _unique_items}
    )
    # jsonschema combines a given `registry` with its own uncrawled one, so an already crawled
    # resolver is handed over directly (the `_resolver` init argument of jsonschema >= 4.18).
    validator: Draft202012Validator = checker(
        schema, _resolver=registry.resolver(base_uri=schema["$id"])
    )
    return validator


def _json_key(value: Any) -> Any:
    """A hashable form of a JSON value under JSON Schema equality (``1 == 1.0``, ``true != 1``)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, dict):
        return ("object", frozenset((k, _json_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_json_key(v) for v in value))
    return ("other", value)


def _unique_items(
    validator: Any, unique: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``uniqueItems`` in linear time (jsonschema compares every pair of mappings: quadratic
    in the number of workflows or steps)."""
    if unique and isinstance(instance, list):
        try:
            keys = [_json_key(item) for item in instance]
            duplicated = len(set(keys)) != len(keys)
        except TypeError:  # an unhashable scalar (never from YAML/JSON): the library decides
            duplicated = not _keywords_uniq(instance)
        if duplicated:
            from jsonschema.exceptions import ValidationError

            yield ValidationError(f"{instance!r} has non-unique elements")


def _keywords_uniq(instance: list[Any]) -> bool:
    from jsonschema._utils import uniq

    return bool(uniq(instance))


def _pointer(error: ValidationError) -> str:
    pointer = ""
    for token in error.absolute_path:
        pointer = pointer_join(pointer, token)
    return pointer


def _step_message(instance: Any, version: str) -> str:
    targets = ["operationId", "operationPath", "workflowId"]
    if version == "1.1":
        targets.append("channelPath")
    present = [t for t in targets if isinstance(instance, dict) and t in instance]
    if version == "1.1":
        rule = (
            "a step needs exactly one target: operationId or operationPath (OpenAPI), "
            "operationId or channelPath with an 'action' (AsyncAPI), or workflowId; "
            "'correlationId' only on 'receive' steps"
        )
    else:
        rule = "a step needs exactly one of operationId, operationPath and workflowId"
    found = f" (found: {', '.join(present)})" if present else " (found none)"
    return rule + found


def _likely_branch_error(error: ValidationError) -> ValidationError | None:
    """Of the errors of a oneOf/anyOf's branches, the one about the branch the author meant.

    A branch is unlikely when the instance is not even of its type, or when it is the Reusable
    Object branch (it requires ``reference``) and the instance has no ``reference``: the author
    wrote the object inline. Among the errors of the likely branches, the deepest says the most
    (an unknown ``type`` inside a Selector Object, a negative ``retryAfter``)."""
    context = list(error.context or ())
    branches: dict[Any, list[ValidationError]] = {}
    for e in context:
        branches.setdefault(
            e.relative_schema_path[0] if e.relative_schema_path else None, []
        ).append(e)
    instance = error.instance
    likely = [
        e
        for errors in branches.values()
        if not (
            isinstance(instance, dict)
            and "reference" not in instance
            and any(e.validator == "required" and "'reference'" in e.message for e in errors)
        )
        for e in errors
        if not (e.validator == "type" and e.instance is instance)
    ]
    candidates = likely or context
    deepest = max(len(e.absolute_path) for e in candidates)
    from jsonschema.exceptions import best_match

    chosen: ValidationError | None = best_match(
        [e for e in candidates if len(e.absolute_path) == deepest]
    )
    return chosen


def _describe(error: ValidationError, version: str) -> tuple[str, ValidationError]:
    """A readable message for ``error`` and the error it is about (a deeper one for oneOf)."""
    pointer = _pointer(error)
    if (
        error.validator == "oneOf"
        and _STEP_PARAMETER.match(pointer)
        and isinstance(error.instance, dict)
        and "in" not in error.instance
        and "reference" not in error.instance
    ):
        return "a parameter of an operation step needs 'in' (path, query, header or cookie)", error
    if error.validator in ("oneOf", "anyOf") and _STEP.match(pointer):
        deeper = [
            e
            for e in error.context or ()
            if e.validator not in ("required", "not", "oneOf")
            or (e.validator == "oneOf" and _STEP_PARAMETER.match(_pointer(e)))
        ]
        if deeper:
            from jsonschema.exceptions import best_match

            chosen = best_match(deeper)
            if chosen is not None and len(chosen.absolute_path) > len(error.absolute_path):
                return _describe(chosen, version)
        return _step_message(error.instance, version), error
    if error.validator in ("oneOf", "anyOf") and error.context:
        chosen = _likely_branch_error(error)
        if chosen is not None:
            return _describe(chosen, version)
    if (
        error.validator == "required"
        and isinstance(error.instance, dict)
        and error.instance.get("type") == "goto"
        and ("'stepId'" in error.message or "'workflowId'" in error.message)
    ):
        return "a goto action needs 'stepId' (a step of this workflow) or 'workflowId'", error
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        return error.message + " (only the fields of the specification and x- extensions)", error
    return error.message, error


def _errors(data: Any, version: str) -> Iterator[ValidationError]:
    yield from _validator(version).iter_errors(data)


def verdict_folder() -> str:
    """Where clean verdicts are kept (see the module docstring)."""
    return cache_folder()


@functools.lru_cache(maxsize=2)
def _salt(version: str) -> bytes:
    """What a verdict depends on besides the text: the schema, the loader that turns the text
    into data and this checking code."""
    from ..document import loader

    folder = resources.files("arazzo_engine").joinpath("validation").joinpath("schemas")
    digest = hashlib.sha256(folder.joinpath(f"arazzo-{version}.json").read_bytes())
    for module in (__file__, loader.__file__):
        with open(module, "rb") as source:
            digest.update(source.read())
    return digest.digest()


def _verdict_path(loaded: LoadedText, version: str) -> str | None:
    if not loaded.text or not cache_enabled():
        return None
    digest = hashlib.sha256(_salt(version))
    digest.update(loaded.uri.encode("utf-8", "surrogatepass") + b"\0")  # JSON or YAML reading
    digest.update(loaded.text.encode("utf-8", "surrogatepass"))
    return os.path.join(verdict_folder(), f"schema-ok-{digest.hexdigest()}")


def _known_clean(path: str) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)
    owner_ok = getuid is None or info.st_uid == getuid()
    return owner_ok and stat.S_ISREG(info.st_mode) and not info.st_mode & 0o022


def _remember_clean(path: str) -> None:
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".schema-ok-", dir=folder)
        os.close(handle)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only or full disk: the verdict is simply not kept


def check_structure(loaded: LoadedText) -> list[Problem]:
    """Every JSON Schema violation of the document, each at its instance pointer."""
    version = schema_version(loaded.data)
    remembered = _verdict_path(loaded, version)
    if remembered is not None and _known_clean(remembered):
        return []
    problems = _check(loaded, version)
    if remembered is not None and not problems:
        _remember_clean(remembered)
    return problems


def _check(loaded: LoadedText, version: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in _errors(loaded.data, version):
        message, about = _describe(error, version)
        pointer = _pointer(about)
        if (pointer, message) in seen:
            continue
        seen.add((pointer, message))
        problems.append(
            Problem(
                "schema", "error", message, loaded.location(pointer), _workflow_of(loaded, pointer)
            )
        )
    return problems


def _workflow_of(loaded: LoadedText, pointer: str) -> str | None:
    match = re.match(r"^/workflows/(\d+)(/|$)", pointer)
    if not match or not isinstance(loaded.data, dict):
        return None
    workflows = loaded.data.get("workflows")
    index = int(match.group(1))
    if isinstance(workflows, list) and index < len(workflows):
        workflow = workflows[index]
        if isinstance(workflow, dict) and isinstance(workflow.get("workflowId"), str):
            return str(workflow["workflowId"])
    return None
