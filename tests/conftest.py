"""Shared fixtures: the project's paths and a scripted HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http_server import ScriptedServer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SPEC = ROOT / "specs" / "arazzo" / "amazon-ecr-publish-image-workflow.yml"
SHARED = Path(os.environ.get("ARAZZO_SHARED_DIR", ROOT.parent / "shared"))
# clean schema-check verdicts of the test documents go to a folder of this session's own
os.environ.setdefault("ARAZZO_CACHE_DIR", tempfile.mkdtemp(prefix="arazzo-test-cache-"))


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as scripted:
        yield scripted
