"""The in-process cache of loaded documents: parse nothing twice, always see an edited file.

[`load`][arazzo_engine.load] (and so `run_workflow(path, ...)`) keeps the documents it built,
keyed by the path as given, the file's resolved path and the loading options. A kept document
is returned again only if every file it was built from (the Arazzo document and each source
description read from disk, including those that could not be read) still has the same
identity: size, modification and status-change times (ns), inode and device. Any write, and
any change of the modification time, sets the status-change time to now; a file whose
timestamps were too recent to tell a later edit apart when it was read (changed less than two
seconds before) is also compared by a content check (a BLAKE2 hash of the whole file up to
64 KiB, else of its size and first and last 4 KiB). An edited, replaced or newly created file is
therefore always read again. Documents that fetched
a remote (http/https) source are not kept.

A kept `Document` holds only what is derived from the files (the parsed data, compiled
workflow plans and validators, the validation report), never the state of a run, so runs
sharing it do not see each other.

The cache holds at most `MAX_DOCUMENTS` documents and `MAX_TEXTS` parsed files (least recently
used first out). Turn it off with ``load(..., cache=False)`` or the environment variable
``ARAZZO_CACHE=0`` (which turn off the disk cache of parsed files,
`arazzo_engine.document.diskcache`, too); empty it with `clear_cache()`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import threading
import time
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


#: A file whose status changed less than this before it was read is "racy": its timestamps
#: cannot tell a later same-size edit apart, so its content is checked on every reuse.
_SETTLE_NS = 2_000_000_000


@dataclass(frozen=True)
class FileIdentity:
    """What must not change for a cached parse of a file to be reused."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int
    check: bytes
    settled: bool = False
    """The file's status last changed well before it was read (see `current_identity`)."""

    def same_status(self, result: os.stat_result) -> bool:
        return (
            result.st_size == self.size
            and result.st_mtime_ns == self.mtime_ns
            and result.st_ctime_ns == self.ctime_ns
            and result.st_ino == self.inode
            and result.st_dev == self.device
        )

    def matches(self, other: FileIdentity | None) -> bool:
        return other is not None and (
            other.size,
            other.mtime_ns,
            other.ctime_ns,
            other.inode,
            other.device,
            other.check,
        ) == (self.size, self.mtime_ns, self.ctime_ns, self.inode, self.device, self.check)


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
        result.st_size,
        result.st_mtime_ns,
        result.st_ctime_ns,
        result.st_ino,
        result.st_dev,
        content_check(data),
        settled=result.st_ctime_ns < time.time_ns() - _SETTLE_NS,
    )


def unchanged(path: str, known: FileIdentity | None) -> bool:
    """Whether the file at ``path`` still has the identity ``known`` (``None``: unreadable).

    Size, modification and status-change times (ns), inode and device must match. Any write,
    and any ``utime``, sets the status-change time to now, so for a file that had settled when
    it was read (its status last changed two seconds or more before) matching metadata is
    enough; for a racy one the content check is compared too.
    """
    if known is not None and known.settled:
        try:
            result = os.stat(path)
        except OSError:
            return False
        return stat.S_ISREG(result.st_mode) and known.same_status(result)
    current = current_identity(path)
    return current is None if known is None else known.matches(current)


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
    return FileIdentity(
        result.st_size, result.st_mtime_ns, result.st_ctime_ns, result.st_ino, result.st_dev, check
    )


Dependencies = tuple[tuple[str, "FileIdentity | None"], ...]


def _still_valid(deps: Dependencies) -> Dependencies | None:
    """``deps`` if every file is unchanged (None if one changed). A file that was racy when it
    was read, and whose content check still matches now that its status has settled, comes
    back marked settled: a later edit changes its status-change time, so the next reuse needs
    only a ``stat`` (instead of reading and hashing the file every time)."""
    upgraded: list[tuple[str, FileIdentity | None]] = []
    changed = False
    for path, identity in deps:
        if identity is None or identity.settled:
            if not unchanged(path, identity):
                return None
        else:
            current = current_identity(path)
            if current is None or not identity.matches(current):
                return None
            if current.ctime_ns < time.time_ns() - _SETTLE_NS:
                identity = dataclasses.replace(identity, settled=True)
                changed = True
        upgraded.append((path, identity))
    return tuple(upgraded) if changed else deps


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
        checked = _still_valid(deps)
        if checked is not None:
            if checked is not deps:  # racy files found settled: plain stat checks from now on
                with self.lock:
                    if self.items.get(key) is found:
                        self.items[key] = (checked, value)
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
