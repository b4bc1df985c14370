"""A loaded Arazzo document and the source descriptions it names."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlparse

from ..errors import DocumentError, Location, WorkflowNotFoundError
from ..openapi.description import OpenAPIDescription
from .loader import LoadedText, load_text, pointer_join

if TYPE_CHECKING:
    from ..compile.plan import WorkflowPlan

__all__ = ["Document", "SourceDescription", "load"]

#: How long a remote source description may take to arrive.
REMOTE_TIMEOUT = 10.0

SUPPORTED_VERSIONS = ("1.0.", "1.1.")

#: Compiles one workflow of a Document: `arazzo_engine.compile.plan_workflow`, installed by
#: `install_planner` when the compiler is imported.
_PLANNER: Callable[[Document, str], WorkflowPlan] | None = None


def install_planner(planner: Callable[[Document, str], WorkflowPlan]) -> None:
    """Make ``Document.plan`` compile with ``planner`` (called by `arazzo_engine.compile`)."""
    global _PLANNER
    _PLANNER = planner


def _read(uri: str, where: Location | None) -> str:
    parsed = urlparse(uri)
    if parsed.scheme in ("http", "https"):
        import httpx  # only for remote sources: loading a local document needs no HTTP client

        try:
            response = httpx.get(uri, timeout=REMOTE_TIMEOUT, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise DocumentError(f"cannot fetch {uri}: {exc}", where) from None
        if response.status_code != 200:
            raise DocumentError(f"cannot fetch {uri}: HTTP {response.status_code}", where)
        return response.text
    path = unquote(parsed.path) if parsed.scheme == "file" else uri
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(f"file not found: {path}", where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read {path}: {exc}", where) from None


def _resolve(base: str, reference: str) -> str:
    """Resolve a relative reference against the URI (or file path) of the referring document."""
    if urlparse(reference).scheme in ("http", "https", "file") or os.path.isabs(reference):
        return reference
    if urlparse(base).scheme in ("http", "https", "file"):
        return urljoin(base, reference)
    return os.path.normpath(os.path.join(os.path.dirname(base), reference))


@dataclass
class SourceDescription:
    """One entry of ``sourceDescriptions``, loaded."""

    name: str
    url: str
    type: str
    uri: str
    openapi: OpenAPIDescription | None = None
    arazzo: Document | None = None
    error: DocumentError | None = None
    """Why the source could not be loaded; steps that need it fail to bind with this error."""


class Document:
    """An Arazzo document with its sources loaded. Load once, run many times.

    Parsing, source loading and the operation index happen here; each workflow is compiled into a
    [`WorkflowPlan`][arazzo_engine.document.plan.WorkflowPlan] the first time it is asked for,
    and that plan is reused by every later run.
    """

    def __init__(self, loaded: LoadedText, *, _loading: dict[str, Document] | None = None) -> None:
        self.loaded = loaded
        self.uri = loaded.uri
        data = loaded.data
        if not isinstance(data, dict):
            raise DocumentError("an Arazzo document must be a mapping", loaded.location(""))
        version = data.get("arazzo")
        if not isinstance(version, str):
            raise DocumentError(
                "missing or non-string 'arazzo' version field", loaded.location("/arazzo")
            )
        if not version.startswith(SUPPORTED_VERSIONS):
            raise DocumentError(
                f"Arazzo {version} is not supported (1.0.x and 1.1.x are)",
                loaded.location("/arazzo"),
            )
        self.data: dict[str, Any] = data
        self.version = version
        #: Things derived from this document once and reused by every run (compiled validators).
        self.cache: dict[tuple[str, str], Any] = {}
        self.workflows: dict[str, tuple[str, dict[str, Any]]] = {}
        for index, workflow in enumerate(self._list("workflows")):
            pointer = pointer_join("/workflows", index)
            workflow_id = workflow.get("workflowId") if isinstance(workflow, dict) else None
            if not isinstance(workflow_id, str):
                raise DocumentError("a workflow needs a 'workflowId'", self.location(pointer))
            if workflow_id in self.workflows:
                raise DocumentError(
                    f"workflowId {workflow_id!r} is used twice",
                    self.location(pointer_join(pointer, "workflowId")),
                )
            self.workflows[workflow_id] = (pointer, workflow)
        loading = {} if _loading is None else _loading
        loading[self.uri] = self
        self.sources: dict[str, SourceDescription] = {}
        for index, source in enumerate(self._list("sourceDescriptions")):
            self._load_source(pointer_join("/sourceDescriptions", index), source, loading)

    def _list(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            raise DocumentError(f"'{key}' must be a non-empty list", self.location("/" + key))
        return value

    def _load_source(self, pointer: str, source: Any, loading: dict[str, Document]) -> None:
        where = self.location(pointer)
        if not isinstance(source, dict) or not isinstance(source.get("name"), str):
            raise DocumentError("a source description needs a 'name'", where)
        name, url = source["name"], source.get("url")
        if name in self.sources:
            raise DocumentError(f"source description name {name!r} is used twice", where)
        if not isinstance(url, str):
            raise DocumentError(f"source description {name!r} needs a 'url'", where)
        kind = source.get("type", "openapi")
        uri = _resolve(self.uri, url)
        url_where = self.location(pointer_join(pointer, "url"))
        entry = SourceDescription(name, url, kind, uri)
        self.sources[name] = entry
        if kind not in ("openapi", "arazzo"):
            entry.error = DocumentError(
                f"source description {name!r} has type {kind!r}; only 'openapi' and 'arazzo' "
                "are supported",
                self.location(pointer_join(pointer, "type")),
            )
            return
        try:
            if kind == "arazzo":
                entry.arazzo = loading.get(uri) or Document(
                    load_text(_read(uri, url_where), uri), _loading=loading
                )
            else:
                entry.openapi = OpenAPIDescription(name, load_text(_read(uri, url_where), uri))
        except DocumentError as exc:
            # Kept, not raised: only the workflows that use this source are affected.
            entry.error = exc

    def location(self, pointer: str) -> Location:
        """Where ``pointer`` sits in this document (file, line, column)."""
        return self.loaded.location(pointer)

    @property
    def components(self) -> Mapping[str, Any]:
        """The ``components`` object (empty when absent)."""
        value = self.data.get("components")
        return value if isinstance(value, dict) else {}

    def workflow_ids(self) -> list[str]:
        """Every workflowId of the document, in order."""
        return list(self.workflows)

    def raw_workflow(self, workflow_id: str) -> tuple[str, dict[str, Any]]:
        """The JSON Pointer and raw object of a workflow."""
        try:
            return self.workflows[workflow_id]
        except KeyError:
            known = ", ".join(self.workflows) or "none"
            raise WorkflowNotFoundError(
                f"no workflow {workflow_id!r} in {self.uri} (workflows: {known})"
            ) from None

    def plan(self, workflow_id: str) -> WorkflowPlan:
        """The compiled plan of a workflow (the whole document is compiled once, on first use,
        and kept). Raises the `DocumentError` that stops the workflow when the compiler found
        an error affecting it (the errors ``validate()`` reports for it)."""
        if _PLANNER is None:
            # The compiler depends on this module, never the reverse: it installs itself here
            # when imported (`arazzo_engine.compile.plan_workflow`).
            importlib.import_module("arazzo_engine.compile")
        assert _PLANNER is not None, "arazzo_engine.compile installs the planner"
        return _PLANNER(self, workflow_id)

    def __repr__(self) -> str:
        return f"<Document {self.uri} workflows={list(self.workflows)}>"


def load(source: str | os.PathLike[str]) -> Document:
    """Load an Arazzo document (YAML or JSON) from a path or URL, with its source descriptions.

    Raises [`DocumentError`][arazzo_engine.errors.DocumentError] with file, line and column.
    """
    uri = os.fspath(source)
    if urlparse(uri).scheme not in ("http", "https", "file"):
        uri = os.path.normpath(uri)
    return Document(load_text(_read(uri, Location(uri)), uri))
