"""The parsed-document cache on disk seen from the command line: fresh processes write it, read
it, and say exactly the same thing (with the same lines and columns) as without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FLOW = """arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: one
        operationId: listPets
      - stepId: two
        operationId: nosuchOperation
"""

API = """openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses: {'200': {description: ok}}
"""


def _run(folder: Path, cache: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ARAZZO_CACHE", "ARAZZO_DISK_CACHE")}
    env.update(ARAZZO_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT), **extra)
    return subprocess.run(
        [sys.executable, "-m", "arazzo_engine", "run", "flow.arazzo.yaml", "w"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_located_error_is_the_same_from_the_cache(tmp_path: Path) -> None:
    (tmp_path / "flow.arazzo.yaml").write_text(FLOW)
    (tmp_path / "api.yaml").write_text(API)
    cache = tmp_path / "cache"
    without = _run(tmp_path, cache, ARAZZO_DISK_CACHE="0")
    assert not (cache / "parsed").exists()
    written = _run(tmp_path, cache)
    entries = sorted((cache / "parsed").iterdir())
    assert len(entries) == 2  # the document and its source
    read = _run(tmp_path, cache)
    assert sorted((cache / "parsed").iterdir()) == entries
    assert without.returncode == written.returncode == read.returncode == 2
    assert "flow.arazzo.yaml:10:22" in without.stderr
    assert without.stderr == written.stderr == read.stderr
