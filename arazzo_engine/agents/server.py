"""An MCP server that offers Arazzo workflows as tools, on the official ``mcp`` Python SDK.

Needs the ``mcp`` extra (``pip install 'arazzo-engine[mcp]'``). Transports: stdio (a client
starts ``arazzo-engine mcp DOCUMENT``) and streamable HTTP at ``/mcp`` (127.0.0.1 unless told
otherwise). Each ``tools/call`` runs its workflow with ``arun_workflow``; calls run
concurrently up to a bound, report each finished step as a progress notification, and stop
when the client cancels them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..document.model import Document
from ..errors import ConfigurationError
from .tools import ServerInputs, WorkflowTool, build_tools, run_tool

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

__all__ = ["build_server", "serve_mcp"]

#: How many tool calls may run at once (the others wait their turn).
DEFAULT_CONCURRENCY = 8


def _require_mcp() -> None:
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "the MCP server needs the 'mcp' package: pip install 'arazzo-engine[mcp]'"
        ) from None


def build_server(
    tools: Sequence[WorkflowTool],
    settings: Mapping[str, Any] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    name: str = "arazzo-engine",
) -> Server[Any]:
    """A low-level MCP ``Server`` listing ``tools`` and running them with ``settings`` (the
    run settings of ``arun_workflow``); at most ``concurrency`` calls run at once."""
    _require_mcp()
    import anyio
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from .. import __version__

    by_name = {tool.name: tool for tool in tools}
    listed = [types.Tool.model_validate(tool.definition("mcp")) for tool in tools]
    limit = anyio.Semaphore(max(1, concurrency))
    run_settings = dict(settings or {})

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            known = ", ".join(by_name) or "none"
            return types.CallToolResult(
                content=[types.TextContent(text=f"unknown tool {params.name!r} ({known})")],
                is_error=True,
            )
        send, receive = anyio.create_memory_object_stream[str](max_buffer_size=1000)
        count = 0

        def on_step(record: Any) -> None:
            status = record.status_code if record.status_code is not None else "no response"
            mark = "ok" if record.success else "failed"
            # progress is best effort; the result has every step
            with contextlib.suppress(
                anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError
            ):
                send.send_nowait(f"step {record.step_id}: {status} ({mark})")

        async def forward() -> None:
            nonlocal count
            async with receive:
                async for message in receive:
                    count += 1
                    await ctx.session.report_progress(count, None, message)

        async with limit, anyio.create_task_group() as group:
            group.start_soon(forward)
            try:
                outcome = await run_tool(tool, params.arguments, run_settings, on_step=on_step)
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.lowlevel.checkpoint()  # let queued step callbacks run
                send.close()
        content: list[types.ContentBlock] = [types.TextContent(text=outcome.text)]
        if outcome.is_error:
            return types.CallToolResult(content=content, is_error=True)
        return types.CallToolResult(content=content, structured_content=outcome.structured)

    return Server(
        name,
        version=__version__,
        instructions="Each tool runs one Arazzo workflow (several API calls) and returns its "
        "outputs. Credentials are configured on the server.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve_mcp(
    documents: Document | str | os.PathLike[str] | Sequence[Document | str | os.PathLike[str]],
    *,
    workflows: Sequence[str] | None = None,
    inputs: ServerInputs = None,
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    concurrency: int = DEFAULT_CONCURRENCY,
    log: TextIO | None = None,
    **settings: Any,
) -> None:
    """Serve the workflows of ``documents`` as MCP tools until the client (stdio) or the
    process (HTTP) stops.

    Args:
        documents: Arazzo documents (paths, URLs or loaded ``Document`` objects).
        workflows: serve only these workflowIds (default: every workflow).
        inputs: server-side inputs (a mapping, or a function of a workflow's resolved inputs
            schema): secret inputs are supplied here and are never tool parameters.
        transport: ``stdio`` or ``http`` (streamable HTTP at ``http://HOST:PORT/mcp``).
        host: the address the HTTP transport listens on (127.0.0.1).
        port: the port the HTTP transport listens on (8000).
        concurrency: how many tool calls may run at once.
        log: where start-up warnings go (stderr).
        **settings: run settings of ``arun_workflow`` (servers, aws, auth, credentials_file,
            timeouts, max_steps, contract ...).

    Raises:
        ConfigurationError: the ``mcp`` package is missing, or no workflow can be served.
    """
    import anyio

    _require_mcp()
    out = log or sys.stderr
    if transport not in ("stdio", "http"):
        raise ConfigurationError(f"unknown transport {transport!r} (stdio or http)")
    tools, warnings = build_tools(documents, workflows=workflows, inputs=inputs)
    for warning in warnings:
        print(f"warning: {warning}", file=out)
    if not tools:
        raise ConfigurationError("no workflow can be served as a tool (see the warnings)")
    server = build_server(tools, settings, concurrency=concurrency)
    names = ", ".join(t.name for t in tools)
    if transport == "stdio":
        print(f"serving {len(tools)} tool(s) over stdio: {names}", file=out, flush=True)
        anyio.run(_serve_stdio, server)
    else:
        print(
            f"serving {len(tools)} tool(s) at http://{host}:{port}/mcp: {names}",
            file=out,
            flush=True,
        )
        anyio.run(_serve_http, server, host, port)


async def _serve_stdio(server: Server[Any]) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def _serve_http(server: Server[Any], host: str, port: int) -> None:
    import uvicorn

    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()
