"""Parsed documents on disk: a fresh process does not parse an unchanged file again.

Parsing the 359 KB generated ECR OpenAPI takes about 45 ms, most of a short CLI run. So every
file the loader parses (the Arazzo document and each source it loads) is also kept on disk, as
JSON data, under a name derived from the SHA-256 of the exact text parsed; the next process that
reads the same bytes takes the data from there instead of parsing them.

What an entry holds is what the loader produces: the JSON data, and the line and column of
every node when the loader recorded them while parsing (YAML up to 64 KiB); positions of the
other documents are computed from the text on first use, as without this cache, so error
locations are the same either way.

Where. In the cache folder (`cache_folder`): ``ARAZZO_CACHE_DIR`` when set, else
``$XDG_CACHE_HOME/arazzo-engine`` (``~/.cache/arazzo-engine``), sub-folder ``parsed``.

Safety.

* Data only: an entry is a JSON header line and a JSON payload; nothing in it is executed
  (no pickle, no marshal).
* An entry records the SHA-256 of the text it was made from, of the payload, the payload's
  length and a salt (the entry format and the loader's source code); each is checked on every
  read, and any mismatch, truncation or unreadable JSON is a miss (the entry is written again),
  never an error.
* The folders are created private (0700). An entry is used only if both folders and the file
  are owned by the current user and not writable by group or others, and are a real folder
  and a regular file (neither is followed through a symbolic link); otherwise it is not used.
* Concurrent writers: each writes a temporary file in the same folder and renames it into
  place (`os.replace`, atomic), so a reader sees a whole entry or none.
* Bounded: an entry of more than `MAX_ENTRY_BYTES` is not written. The folder is checked on a
  process's first write and on every `EVICT_EVERY`-th after (listing it costs about 2 ms when
  full); when it holds more than `MAX_ENTRIES` entries or `MAX_TOTAL_BYTES`, the oldest entries
  (by modification time, refreshed on use) go until 7/8 of both bounds remain.

Turning it off. ``ARAZZO_DISK_CACHE=0`` turns off this cache only; ``ARAZZO_CACHE=0`` or
``load(..., cache=False)`` turn off every load cache, this one included. Deleting the folder
is always safe. On a system without user ids (Windows) it is off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import time
from typing import Any

from .cache import cache_enabled
from .loader import LoadedText, load_text, looks_like_json

__all__ = [
    "EVICT_EVERY",
    "MAX_ENTRIES",
    "MAX_ENTRY_BYTES",
    "MAX_TOTAL_BYTES",
    "cache_folder",
    "disk_cache_enabled",
    "load_text_cached",
]

#: The largest entry written (bytes).
MAX_ENTRY_BYTES = 64 * 1024 * 1024
#: The most bytes all entries may take together (oldest removed first).
MAX_TOTAL_BYTES = 256 * 1024 * 1024
#: The most entries kept (oldest removed first).
MAX_ENTRIES = 512
#: The folder's bounds are checked on a process's first write and on every this-many-th after.
EVICT_EVERY = 16
#: Temporary files older than this (seconds) were left by a writer that died: removed.
_STALE_TEMPORARY = 600.0

_FORMAT = "arazzo-engine parsed document 1"
_SUFFIX = ".entry"
_TEMPORARY = ".tmp-"
_OFF = ("0", "false", "no", "off")


def cache_folder() -> str:
    """The folder of the on-disk caches: ``ARAZZO_CACHE_DIR``, else ``$XDG_CACHE_HOME`` (when
    an absolute path) or ``~/.cache``, followed by ``arazzo-engine``."""
    chosen = os.environ.get("ARAZZO_CACHE_DIR")
    if chosen:
        return chosen
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "arazzo-engine")


def disk_cache_enabled(cache: bool | None = None) -> bool:
    """Whether parsed documents are kept on disk (see the module docstring)."""
    if not cache_enabled(cache) or not hasattr(os, "getuid"):
        return False
    return os.environ.get("ARAZZO_DISK_CACHE", "1").strip().lower() not in _OFF


@functools.lru_cache(maxsize=1)
def _salt() -> str:
    """What an entry depends on besides the text: the format and the loader's code."""
    from . import loader

    digest = hashlib.sha256(_FORMAT.encode())
    try:
        with open(loader.__file__, "rb") as source:
            digest.update(source.read())
    except OSError:  # pragma: no cover - no source next to the module (a zip): the version
        from .. import __version__

        digest.update(__version__.encode())
    return digest.hexdigest()


def _private(info: os.stat_result, kind: int) -> bool:
    """Owned by the current user, not writable by group or others, of the ``kind`` asked."""
    return (
        stat.S_IFMT(info.st_mode) == kind
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _entries_folder(create: bool) -> str | None:
    """The ``parsed`` folder if it (and the cache folder) may be trusted, creating both (0700)
    when ``create``; ``None`` when the cache cannot be used."""
    root = cache_folder()
    folder = os.path.join(root, "parsed")
    for path in (root, folder):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
                os.mkdir(path, 0o700)
                info = os.lstat(path)
            except OSError:
                return None
        except OSError:
            return None
        if not _private(info, stat.S_IFDIR):
            return None
    return folder


def _key(digest: str, mode: str) -> str:
    return hashlib.sha256(f"{_salt()}\0{mode}\0{digest}".encode()).hexdigest() + _SUFFIX


def load_text_cached(text: str, uri: str, cache: bool | None = None) -> LoadedText:
    """`load_text`, taking the result from the disk cache when an entry for these exact bytes
    exists and may be trusted, and writing one otherwise (see the module docstring)."""
    if not disk_cache_enabled(cache):
        return load_text(text, uri)
    mode = "json" if looks_like_json(uri, text) else "yaml"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    name = _key(digest, mode)
    folder = _entries_folder(create=False)
    if folder is not None:
        found = _read_entry(os.path.join(folder, name), digest, mode)
        if found is not None:
            data, positions = found
            return LoadedText(data, uri, text, positions)
    loaded = load_text(text, uri)  # a parse error is raised here, and nothing is written
    folder = folder or _entries_folder(create=True)
    if folder is not None:
        _write_entry(folder, name, digest, mode, loaded)
    return loaded


def _read_entry(
    path: str, digest: str, mode: str
) -> tuple[Any, dict[str, tuple[int, int]] | None] | None:
    """The data and positions of a trusted, intact entry for ``digest``; ``None`` otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not _private(info, stat.S_IFREG) or info.st_size > MAX_ENTRY_BYTES:
            return None
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    header_end = raw.find(b"\n")
    try:
        header = json.loads(raw[:header_end]) if header_end > 0 else None
        payload = raw[header_end + 1 :]
        if (
            not isinstance(header, dict)
            or header.get("format") != _FORMAT
            or header.get("salt") != _salt()
            or header.get("source") != digest
            or header.get("mode") != mode
            or header.get("length") != len(payload)
            or header.get("payload") != hashlib.sha256(payload).hexdigest()
        ):
            return None
        body = json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, or an integer too long to read back
        return None
    if not isinstance(body, list) or len(body) != 2:
        return None
    data, listed = body
    positions: dict[str, tuple[int, int]] | None = None
    if listed is not None:
        if not isinstance(listed, dict):
            return None
        positions = {}
        for pointer, place in listed.items():
            if not (isinstance(place, list) and len(place) == 2):
                return None
            positions[pointer] = (place[0], place[1])
    with contextlib.suppress(OSError):  # in use: the oldest entries are the ones evicted
        os.utime(path)
    return data, positions


def _write_entry(folder: str, name: str, digest: str, mode: str, loaded: LoadedText) -> None:
    """Write an entry under a temporary name and rename it into place; any failure (a full
    or read-only disk, data JSON cannot hold) leaves the cache as it was."""
    try:
        payload = json.dumps([loaded.data, loaded.known_positions()], separators=(",", ":")).encode(
            "ascii"
        )
    except (TypeError, ValueError, RecursionError):  # pragma: no cover - the loader gives JSON
        return
    header = {
        "format": _FORMAT,
        "salt": _salt(),
        "source": digest,
        "mode": mode,
        "length": len(payload),
        "payload": hashlib.sha256(payload).hexdigest(),
    }
    content = json.dumps(header).encode("ascii") + b"\n" + payload
    if len(content) > MAX_ENTRY_BYTES:
        return
    temporary = os.path.join(folder, f"{_TEMPORARY}{os.getpid()}-{os.urandom(6).hex()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(temporary, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError:
        return
    try:
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temporary, os.path.join(folder, name))
    except OSError:
        _remove(temporary)
        return
    global _writes
    _writes += 1
    if _writes % EVICT_EVERY == 1 or EVICT_EVERY <= 1:
        _evict(folder)


_writes = 0  # entries this process wrote (races only shift when the next check comes)


def _evict(folder: str) -> None:
    """Remove the oldest entries beyond `MAX_ENTRIES` / `MAX_TOTAL_BYTES`, and temporary files
    a dead writer left behind."""
    entries: list[tuple[float, int, str]] = []
    now = time.time()
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if item.name.startswith(_TEMPORARY):
                    if now - info.st_mtime > _STALE_TEMPORARY:
                        _remove(item.path)
                elif item.name.endswith(_SUFFIX):
                    entries.append((info.st_mtime, info.st_size, item.path))
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    if len(entries) <= MAX_ENTRIES and total <= MAX_TOTAL_BYTES:
        return
    entries.sort()
    count = len(entries)
    keep_entries, keep_bytes = MAX_ENTRIES * 7 // 8, MAX_TOTAL_BYTES * 7 // 8
    for _, size, path in entries:
        if count <= keep_entries and total <= keep_bytes:
            break
        _remove(path)
        count -= 1
        total -= size


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # another process removed it first
        os.unlink(path)
