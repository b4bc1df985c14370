"""The schema check (defined in `arazzo_engine.compile.structural`)."""

from __future__ import annotations

from ..compile.structural import check_structure, schema_for, schema_version

__all__ = ["check_structure", "schema_for", "schema_version"]
