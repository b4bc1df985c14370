"""A loaded Arazzo document and the source descriptions it names."""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from ..errors import DocumentError, Location, WorkflowNotFoundError
from ..openapi.description import OpenAPIDescription
from . import cache as _cache
from .cache import FileIdentity, identity_of
from .diskcache import load_text_cached
from .loader import LoadedText, pointer_join, resolve_reference

if TYPE_CHECKING:
    from ..asyncapi.description import AsyncAPIDescription
    from ..compile.plan import WorkflowPlan

__all__ = ["Document", "LoadOptions", "SourceDescription", "load"]

#: How long fetching a remote source description may take in all (connect, headers, body).
REMOTE_TIMEOUT = 10.0
#: The largest source (file, or remote body after decompression) read, in bytes.
MAX_SOURCE_BYTES = 50 * 1024 * 1024
#: Redirects followed when fetching a remote source (each one checked against the policy).
MAX_REDIRECTS = 5

SUPPORTED_VERSIONS = ("1.0.", "1.1.")

#: Compiles one workflow of a Document: `arazzo_engine.compile.plan_workflow`, installed by
#: `install_planner` when the compiler is imported.
_PLANNER: Callable[[Document, str], WorkflowPlan] | None = None


def install_planner(planner: Callable[[Document, str], WorkflowPlan]) -> None:
    """Make ``Document.plan`` compile with ``planner`` (called by `arazzo_engine.compile`)."""
    global _PLANNER
    _PLANNER = planner


@dataclass(frozen=True)
class LoadOptions:
    """How sources are read: size limit, remote policy, deadline (see [`load`][arazzo_engine.load]).

    ``allow_remote`` is ``True`` (any http/https host), ``False`` (none) or a frozenset of
    host names allowed (redirects included).
    """

    max_bytes: int = MAX_SOURCE_BYTES
    allow_remote: bool | frozenset[str] = True
    remote_timeout: float = REMOTE_TIMEOUT


_DEFAULT_OPTIONS = LoadOptions()


class _Reads:
    """The files one load read (for the cache) and whether it fetched anything remote."""

    def __init__(
        self,
        options: LoadOptions = _DEFAULT_OPTIONS,
        use_cache: bool = False,
        disk: bool | None = None,
    ) -> None:
        self.options = options
        self.use_cache = use_cache
        #: The disk cache of parsed files: ``load(cache=...)``; ``None`` leaves it to the
        #: environment (`arazzo_engine.document.diskcache.disk_cache_enabled`).
        self.disk = disk
        self.files: dict[str, FileIdentity | None] = {}
        self.remote = False


def _parse(uri: str, where: Location | None, reads: _Reads) -> LoadedText:
    """Read and parse ``uri``, reusing a cached parse of an unchanged file when allowed (in
    this process, else on disk: `arazzo_engine.document.diskcache`)."""
    if not reads.use_cache or urlparse(uri).scheme in ("http", "https"):
        return load_text_cached(_read(uri, where, reads.options, reads), uri, reads.disk)
    path = unquote(urlparse(uri).path) if uri.startswith("file:") else uri
    real = os.path.realpath(path)
    key = (uri, real)
    found = _cache.texts.get(key)
    if found is not None:
        identity, loaded = found
        if identity.size <= reads.options.max_bytes:
            reads.files[real] = identity
            result: LoadedText = loaded
            return result
    loaded = load_text_cached(_read(uri, where, reads.options, reads), uri, reads.disk)
    identity = reads.files.get(real)
    if identity is not None:
        _cache.texts.put(key, ((real, identity),), (identity, loaded))
    return loaded


def _read(
    uri: str,
    where: Location | None,
    options: LoadOptions = _DEFAULT_OPTIONS,
    reads: _Reads | None = None,
) -> str:
    """The text at ``uri`` (a path, ``file:`` or ``http(s):`` URL), within ``options``."""
    parsed = urlparse(uri)
    if parsed.scheme in ("http", "https"):
        if reads is not None:
            reads.remote = True
        return _fetch(uri, where, options)
    if parsed.scheme not in ("", "file") and not (len(parsed.scheme) == 1 and os.name == "nt"):
        raise DocumentError(
            f"cannot read {uri}: only files and http/https URLs are supported", where
        )
    path = unquote(parsed.path) if parsed.scheme == "file" else uri
    data = _read_file(path, where, options, reads)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"cannot read {path}: {exc}", where) from None


def _read_file(
    path: str, where: Location | None, options: LoadOptions, reads: _Reads | None
) -> bytes:
    """Read a regular file of at most ``options.max_bytes`` (never a device, FIFO or socket)."""
    if reads is not None:
        reads.files[os.path.realpath(path)] = None  # until it is read: a later file is seen
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise DocumentError(f"file not found: {path}", where) from None
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}", where) from None
    try:
        result = os.fstat(fd)
        if not stat.S_ISREG(result.st_mode):
            raise DocumentError(f"cannot read {path}: not a regular file", where)
        if result.st_size > options.max_bytes:
            raise DocumentError(_too_large(path, options.max_bytes), where)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > options.max_bytes:
                raise DocumentError(_too_large(path, options.max_bytes), where)
            chunks.append(chunk)
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}", where) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if reads is not None:
        reads.files[os.path.realpath(path)] = identity_of(result, data)
    return data


def _too_large(what: str, limit: int) -> str:
    return (
        f"cannot read {what}: larger than the {limit:,}-byte limit for a source "
        "(load(..., max_bytes=...) raises it)"
    )


def _check_remote(uri: str, where: Location | None, options: LoadOptions) -> None:
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https"):
        raise DocumentError(f"cannot fetch {uri}: only http and https URLs are fetched", where)
    if options.allow_remote is False:
        raise DocumentError(
            f"cannot fetch {uri}: remote sources are turned off (allow_remote=False)", where
        )
    if options.allow_remote is not True and (parsed.hostname or "") not in options.allow_remote:
        raise DocumentError(
            f"cannot fetch {uri}: host {parsed.hostname!r} is not in the allowed hosts", where
        )


def _fetch(uri: str, where: Location | None, options: LoadOptions) -> str:
    """Fetch a remote source: allowed hosts only, within the size limit and the deadline."""
    import asyncio  # here: most loads read only files
    import concurrent.futures

    _check_remote(uri, where, options)
    coroutine = _fetch_async(uri, where, options)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from inside an event loop (an async caller loading synchronously): a thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _fetch_async(uri: str, where: Location | None, options: LoadOptions) -> str:
    import asyncio

    try:
        return await asyncio.wait_for(_fetch_body(uri, where, options), options.remote_timeout)
    except asyncio.TimeoutError:
        raise DocumentError(
            f"cannot fetch {uri}: not received within {options.remote_timeout:g} s", where
        ) from None


async def _fetch_body(uri: str, where: Location | None, options: LoadOptions) -> str:
    import httpx

    timeout = httpx.Timeout(options.remote_timeout)
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            url = uri
            for _ in range(MAX_REDIRECTS + 1):
                async with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = str(response.url.join(response.headers["location"]))
                        _check_remote(url, where, options)
                        continue
                    if response.status_code != 200:
                        raise DocumentError(
                            f"cannot fetch {uri}: HTTP {response.status_code}", where
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > options.max_bytes:
                        raise DocumentError(_too_large(uri, options.max_bytes), where)
                    chunks: list[bytes] = []
                    total = 0
                    async for chunk in response.aiter_bytes():  # decompressed
                        total += len(chunk)
                        if total > options.max_bytes:
                            raise DocumentError(_too_large(uri, options.max_bytes), where)
                        chunks.append(chunk)
                    encoding = response.encoding or "utf-8"
                    return b"".join(chunks).decode(encoding, errors="replace")
            raise DocumentError(f"cannot fetch {uri}: more than {MAX_REDIRECTS} redirects", where)
    except httpx.HTTPError as exc:
        raise DocumentError(f"cannot fetch {uri}: {exc}", where) from None


#: (kept under its old name; the rule lives in the loader, which AsyncAPI references share)
_resolve = resolve_reference


@dataclass
class SourceDescription:
    """One entry of ``sourceDescriptions``, loaded."""

    name: str
    url: str
    type: str
    uri: str
    openapi: OpenAPIDescription | None = None
    arazzo: Document | None = None
    asyncapi: AsyncAPIDescription | None = None
    error: DocumentError | None = None
    """Why the source could not be loaded; steps that need it fail to bind with this error."""


class Document:
    """An Arazzo document with its sources loaded. Load once, run many times.

    Parsing, source loading and the operation index happen here; each workflow is compiled into a
    [`WorkflowPlan`][arazzo_engine.document.plan.WorkflowPlan] the first time it is asked for,
    and that plan is reused by every later run.
    """

    def __init__(
        self,
        loaded: LoadedText,
        *,
        _loading: dict[str, Document] | None = None,
        _reads: _Reads | None = None,
    ) -> None:
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
            self._load_source(
                pointer_join("/sourceDescriptions", index), source, loading, _reads or _Reads()
            )

    def _list(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            raise DocumentError(f"'{key}' must be a non-empty list", self.location("/" + key))
        return value

    def _load_source(
        self, pointer: str, source: Any, loading: dict[str, Document], reads: _Reads
    ) -> None:
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
        if kind not in ("openapi", "arazzo", "asyncapi"):
            entry.error = DocumentError(
                f"source description {name!r} has type {kind!r}; only 'openapi', 'asyncapi' "
                "and 'arazzo' are supported",
                self.location(pointer_join(pointer, "type")),
            )
            return
        try:
            if kind == "arazzo":
                entry.arazzo = loading.get(uri) or Document(
                    _parse(uri, url_where, reads), _loading=loading, _reads=reads
                )
            elif kind == "asyncapi":
                from ..asyncapi.description import AsyncAPIDescription as _AsyncAPI

                entry.asyncapi = _AsyncAPI(
                    name,
                    _parse(uri, url_where, reads),
                    fetch=lambda ref, at: _read(ref, at, reads.options, reads),
                )
            else:
                entry.openapi = OpenAPIDescription(name, _parse(uri, url_where, reads))
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


_DEFAULT_LIMITS = (MAX_SOURCE_BYTES, True, REMOTE_TIMEOUT)


def load(
    source: str | os.PathLike[str],
    *,
    cache: bool | None = None,
    allow_remote: bool | Collection[str] = True,
    max_bytes: int = MAX_SOURCE_BYTES,
    remote_timeout: float = REMOTE_TIMEOUT,
) -> Document:
    """Load an Arazzo document (YAML or JSON) from a path or URL, with its source descriptions.

    Loading is cached in the process (see [`arazzo_engine.document.cache`][]): loading the same
    unchanged files again returns the same `Document` without parsing anything, and an edited
    file is always read again. Each parsed file is also kept on disk, keyed by the SHA-256 of its
    bytes, for the next process (see [`arazzo_engine.document.diskcache`][];
    ``ARAZZO_DISK_CACHE=0`` turns that one off). ``cache=False`` (or the environment variable
    ``ARAZZO_CACHE=0``) turns both off.

    Sources are read within bounds: only regular files, at most ``max_bytes`` each (50 MiB);
    remote ``http``/``https`` sources (no other scheme) within ``remote_timeout`` seconds in
    all and ``max_bytes`` after decompression. ``allow_remote`` is ``True`` (any host),
    ``False`` (no remote source: use it for documents you do not trust) or a collection of
    host names allowed, redirects included. A source that breaks a bound is a
    [`DocumentError`][arazzo_engine.errors.DocumentError] for the workflows that use it.

    Raises [`DocumentError`][arazzo_engine.errors.DocumentError] with file, line and column.
    """
    uri = os.fspath(source)
    scheme = urlparse(uri).scheme if ":" in uri else ""
    if scheme not in ("http", "https", "file"):
        uri = os.path.normpath(uri)
    if (max_bytes, allow_remote, remote_timeout) == _DEFAULT_LIMITS:
        options = _DEFAULT_OPTIONS  # the usual call: one options object, hashed once
    else:
        options = LoadOptions(
            max_bytes=max_bytes,
            allow_remote=(
                allow_remote if isinstance(allow_remote, bool) else frozenset(allow_remote)
            ),
            remote_timeout=remote_timeout,
        )
    use_cache = _cache.cache_enabled(cache)
    key = (uri, None if os.path.isabs(uri) else os.getcwd(), options)
    if use_cache and scheme not in ("http", "https"):
        found = _cache.documents.get(key)
        if found is not None:
            document: Document = found
            return document
    reads = _Reads(options, use_cache, disk=cache)
    document = Document(_parse(uri, Location(uri), reads), _reads=reads)
    if use_cache and not reads.remote:
        _cache.documents.put(key, tuple(reads.files.items()), document)
    return document
