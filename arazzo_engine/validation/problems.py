"""The validator's result types: `Problem` and `Report` (defined in `arazzo_engine.compile`)."""

from __future__ import annotations

from ..compile.problems import Problem, Report, Severity

__all__ = ["Problem", "Report", "Severity"]
