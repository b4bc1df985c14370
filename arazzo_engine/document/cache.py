"""The in-process cache of loaded documents: parse nothing twice, always see an edited file.

[`load`][arazzo_engine.load] (and so `run_workflow(path, ...)`) keeps the documents it built,
keyed by the path as given, the file's resolved path and the loading options. A kept document
is returned again only if every file it was built from (the Arazzo document and each source
description read from disk, including those that could not be read) still has the same
identity: size, modification time (ns), inode and device, and the same content check (a
BLAKE2 hash of the whole file up to 64 KiB, else of its size and first and last 4 KiB). An
edited, replaced or newly created file is therefore always read again. Documents that fetched
a remote (http/https) source are not kept.

A kept `Document` holds only what is derived from the files (the parsed data, compiled
workflow plans and validators, the validation report), never the state of a run, so runs
sharing it do not see each other.

The cache holds at most `MAX_DOCUMENTS` documents and `MAX_TEXTS` parsed files (least recently
used first out). Turn it off with ``load(..., cache=False)`` or the environment variable
``ARAZZO_CACHE=0``; empty it with `clear_cache()`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DOCUMENTS", "MAX_TEXTS", "FileIdentity", "cache_enabled", "clear_cache"]

#: Documents kept (each with its loaded sources).
MAX_DOCUMENTS = 32
#: Parsed files kept (shared by documents that name the same source).
MAX_TEXTS = 64
#: Files up to this size are hashed whole for the content check.
_FULL_HASH_LIMIT = 64 * 1024
_EDGE = 4096


@dataclass(frozen=True)
class FileIdentity:
    """What must not change for a cached parse of a file to be reused."""

    size: int
    mtime_ns: int
    inode: int
    device: int
    check: bytes


def cache_enabled(cache: bool | None = None) -> bool:
    """Whether to use the cache: ``cache`` if given, else not when ``ARAZZO_CACHE=0``."""
    if cache is not None:
        return cache
    return os.environ.get("ARAZZO_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def content_check(data: bytes) -> bytes:
    """The content check of a file's bytes (see the module docstring)."""
    if len(data) <= _FULL_HASH_LIMIT:
        return hashlib.blake2b(data, digest_size=16).digest()
    return _edges_check(len(data), data[:_EDGE], data[-_EDGE:])


def _edges_check(size: int, head: bytes, tail: bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(size.to_bytes(8, "little"))
    digest.update(head)
    digest.update(tail)
    return digest.digest()


def identity_of(result: os.stat_result, data: bytes) -> FileIdentity:
    """The identity of a file just read: its ``fstat`` and its bytes."""
    return FileIdentity(
        result.st_size, result.st_mtime_ns, result.st_ino, result.st_dev, content_check(data)
    )


def current_identity(path: str) -> FileIdentity | None:
    """The identity of the file at ``path`` now, or ``None`` if it is not a readable file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        result = os.fstat(fd)
        if not stat.S_ISREG(result.st_mode):
            return None
        if result.st_size <= _FULL_HASH_LIMIT:
            data = os.read(fd, _FULL_HASH_LIMIT + 1)
            check = content_check(data)
        else:
            head = os.pread(fd, _EDGE, 0)
            tail = os.pread(fd, _EDGE, result.st_size - _EDGE)
            check = _edges_check(result.st_size, head, tail)
    except OSError:
        return None
    finally:
        os.close(fd)
    return FileIdentity(result.st_size, result.st_mtime_ns, result.st_ino, result.st_dev, check)


Dependencies = tuple[tuple[str, "FileIdentity | None"], ...]


class _Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, tuple[Dependencies, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            self.items.move_to_end(key)
        deps, value = found
        if all(current_identity(path) == identity for path, identity in deps):
            return value
        with self.lock:
            if self.items.get(key) is found:
                del self.items[key]
        return None

    def put(self, key: Hashable, deps: Dependencies, value: Any) -> None:
        with self.lock:
            self.items[key] = (deps, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


documents = _Lru(MAX_DOCUMENTS)
texts = _Lru(MAX_TEXTS)


def clear_cache() -> None:
    """Forget every cached document and parsed file."""
    documents.clear()
    texts.clear()
