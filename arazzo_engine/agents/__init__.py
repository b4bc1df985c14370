"""Arazzo workflows as tools for AI agents: tool definitions (MCP, OpenAI, Anthropic) and an
MCP server. The MCP SDK is imported only by `serve_mcp` (the ``mcp`` extra)."""

from __future__ import annotations

from typing import Any

from .tools import FORMATS, ToolOutcome, WorkflowTool, build_tools, run_tool, tool_definitions

__all__ = [
    "FORMATS",
    "ToolOutcome",
    "WorkflowTool",
    "build_tools",
    "run_tool",
    "serve_mcp",
    "tool_definitions",
]


def __getattr__(name: str) -> Any:
    if name in ("serve_mcp", "build_server"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
