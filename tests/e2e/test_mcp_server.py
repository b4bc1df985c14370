"""``arazzo-engine mcp`` driven by the official MCP SDK's own client, over real transports:
stdio (the server is a subprocess) and streamable HTTP (a subprocess listening on a free
127.0.0.1 port), against a shop API the test starts."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import ROOT
from tests.e2e.mcp_shop import SECRET, SLOW_ITEM, ShopApi, write_documents

pytest.importorskip("mcp", reason="the mcp extra is not installed: pip install '.[mcp]'")

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

TIMEOUT = 60


@pytest.fixture
def shop() -> Iterator[ShopApi]:
    with ShopApi() as api:
        yield api


@pytest.fixture
def documents(tmp_path: Path) -> tuple[Path, Path]:
    return write_documents(tmp_path)


def _server_args(documents: tuple[Path, Path], shop: ShopApi, *extra: str) -> list[str]:
    return [
        "-m",
        "arazzo_engine",
        "mcp",
        str(documents[0]),
        str(documents[1]),
        "--server",
        f"shop={shop.url}",
        "--input",
        f"apiKey={SECRET}",
        *extra,
    ]


@contextlib.asynccontextmanager
async def _stdio_session(args: list[str], errlog: Any) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=sys.executable, args=args, cwd=str(ROOT))
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def _dump(result: Any) -> str:
    return json.dumps(result.model_dump(mode="json", by_alias=True))


async def _check_tools(session: ClientSession) -> None:
    listed = {tool.name: tool for tool in (await session.list_tools()).tools}
    # 'needs-token' is left out (its secret is not configured); the two get-items collide
    assert sorted(listed) == ["get-item", "get-item_2", "place_order"]
    item = listed["get-item"]
    assert item.description is not None
    assert item.description.startswith("Read one item of the shop.")
    assert "returns its name and price" in item.description
    # the components.inputs $ref and the property $ref are resolved; the secret is gone
    assert item.input_schema["properties"] == {
        "itemId": {"type": "integer", "minimum": 1, "description": "The item to read"}
    }
    assert item.input_schema["required"] == ["itemId"]
    assert "$ref" not in json.dumps(item.input_schema)
    assert item.output_schema is not None
    assert set(item.output_schema["properties"]) == {"name", "price", "keyEcho"}
    assert item.annotations is not None
    assert item.annotations.read_only_hint is True
    order = listed["place_order"]
    assert order.annotations is not None and order.annotations.read_only_hint is False
    assert list(order.input_schema["properties"]) == ["quantity"]
    assert listed["get-item_2"].description == "The other document's get-item."
    assert "apiKey" not in listed["get-item_2"].input_schema.get("properties", {})


async def _check_calls(session: ClientSession, shop: ShopApi) -> None:
    progress: list[tuple[float, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, message))

    result = await session.call_tool("get-item", {"itemId": 7}, progress_callback=on_progress)
    assert not result.is_error, result.content
    structured = result.structured_content
    assert structured["name"] == "item 7"
    assert structured["price"] == 17.5
    # the API checked the key configured on the server and echoed it: masked in the result
    assert shop.seen[-1][2]["X-Api-Key"] == SECRET
    assert structured["keyEcho"] == "***"
    assert SECRET not in _dump(result)
    text = result.content[0].text  # type: ignore[union-attr]
    assert "readItem (200, ok)" in text
    assert progress and progress[-1][1] == "step readItem: 200 (ok)"

    # a failing workflow: an error result naming the step, its status and the criterion
    failed = await session.call_tool("place_order", {"quantity": 50})
    assert failed.is_error
    text = failed.content[0].text  # type: ignore[union-attr]
    assert "createOrder" in text
    assert "409" in text
    assert "$statusCode == 201" in text
    assert "Traceback" not in text
    assert SECRET not in _dump(failed)

    # bad arguments: answered with the schema's errors, and the API sees nothing
    before = len(shop.seen)
    bad = await session.call_tool("get-item", {"itemId": "seven"})
    assert bad.is_error
    text = bad.content[0].text  # type: ignore[union-attr]
    assert "itemId" in text and "'seven' is not of type 'integer'" in text
    zero = await session.call_tool("get-item", {"itemId": 0})
    assert zero.is_error and "minimum" in zero.content[0].text  # type: ignore[union-attr]
    missing = await session.call_tool("get-item", {})
    assert missing.is_error and "'itemId' is a required property" in _dump(missing)
    # the model cannot override a secret the server holds
    override = await session.call_tool("get-item", {"itemId": 1, "apiKey": "guess-1234"})
    assert override.is_error and "configured on the server" in _dump(override)
    assert len(shop.seen) == before

    # calls run concurrently (and all succeed)
    results: dict[int, Any] = {}

    async def call(number: int) -> None:
        results[number] = await session.call_tool("get-item", {"itemId": number})

    async with anyio.create_task_group() as group:
        for number in range(1, 5):
            group.start_soon(call, number)
    assert {n: r.structured_content["name"] for n, r in results.items()} == {
        n: f"item {n}" for n in range(1, 5)
    }


def test_stdio_lists_and_calls_tools(
    documents: tuple[Path, Path], shop: ShopApi, tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"

    async def main() -> None:
        with anyio.fail_after(TIMEOUT), log_path.open("w", encoding="utf-8") as log:
            async with _stdio_session(_server_args(documents, shop), log) as session:
                await _check_tools(session)
                await _check_calls(session, shop)

    anyio.run(main)
    log = log_path.read_text(encoding="utf-8")
    assert "serving 3 tool(s) over stdio" in log
    assert "'needs-token'" in log and "token are not configured on the server" in log
    assert "tool named 'get-item_2'" in log and "collides with" in log
    assert "tool named 'place_order'" in log
    assert SECRET not in log


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _http_server(args: list[str], log: Path) -> Iterator[str]:
    port = _free_port()
    with log.open("w", encoding="utf-8") as err:
        process = subprocess.Popen(
            [sys.executable, *args, "--transport", "http", "--port", str(port)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited: {log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise AssertionError("the server did not start listening")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_streamable_http_lists_and_calls_tools(
    documents: tuple[Path, Path], shop: ShopApi, tmp_path: Path
) -> None:
    log_path = tmp_path / "http.log"

    async def main(url: str) -> None:
        with anyio.fail_after(TIMEOUT):
            await session_checks(url)

    async def session_checks(url: str) -> None:
        async with (
            streamable_http_client(url) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await _check_tools(session)
            await _check_calls(session, shop)

    with _http_server(_server_args(documents, shop), log_path) as url:
        anyio.run(main, url)
    log = log_path.read_text(encoding="utf-8")
    assert "tool(s) at http://127.0.0.1:" in log and "/mcp" in log
    assert SECRET not in log


def test_bundled_ecr_workflow_as_a_tool_over_stdio(tmp_path: Path) -> None:
    pytest.importorskip("moto", reason="moto[server] is not installed: pip install '.[local]'")
    inputs = json.loads((ROOT / "examples" / "publish-image.inputs.json").read_text())
    spec = ROOT / "specs" / "arazzo" / "amazon-ecr-publish-image-workflow.yml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    (tmp_path / "config").write_text("", encoding="utf-8")
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "config"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    args = ["-m", "arazzo_engine", "mcp", str(spec), "--local-ecr", "mcp/demo"]
    args += ["--workflow", "publish-image"]
    log_path = tmp_path / "ecr.log"

    async def main() -> Any:
        params = StdioServerParameters(command=sys.executable, args=args, cwd=str(ROOT), env=env)
        with anyio.fail_after(120), log_path.open("w", encoding="utf-8") as log:
            async with (
                stdio_client(params, errlog=log) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                tools = (await session.list_tools()).tools
                assert [t.name for t in tools] == ["publish-image"]
                arguments = {**inputs, "repositoryName": "mcp/demo", "imageTag": "mcp-v1"}
                return await session.call_tool("publish-image", arguments)

    result = anyio.run(main)
    assert not result.is_error, result.content
    outputs = result.structured_content
    assert outputs["repositories"][0]["repositoryName"] == "mcp/demo"
    assert outputs["image"]["imageId"]["imageTag"] == "mcp-v1"
    assert outputs["images"][0]["imageManifest"] == inputs["imageManifest"]
    text = result.content[0].text  # type: ignore[union-attr]
    assert "confirmRepository (200, ok)" in text and "verifyImage (200, ok)" in text
    assert "local ECR: moto server at http://127.0.0.1:" in log_path.read_text()


def test_cancelling_a_call_stops_its_run(
    documents: tuple[Path, Path], shop: ShopApi, tmp_path: Path
) -> None:
    slow = str(documents[0].parent / "slow.arazzo.yaml")
    args = ["-m", "arazzo_engine", "mcp", slow, "--server", f"shop={shop.url}"]
    args += ["--input", f"apiKey={SECRET}"]

    async def main() -> None:
        with anyio.fail_after(TIMEOUT), (tmp_path / "log").open("w") as log:
            async with _stdio_session(args, log) as session:
                async with anyio.create_task_group() as group:
                    first = {"first": SLOW_ITEM, "second": 41}
                    group.start_soon(session.call_tool, "two-items", first)
                    while not shop.slow_started.is_set():
                        await anyio.sleep(0.05)
                    group.cancel_scope.cancel()
                # the server dropped the request the cancelled run was waiting for
                while not shop.abandoned.is_set():
                    await anyio.sleep(0.05)
                shop.release.set()
                # and still serves: a later call runs to its end
                later = await session.call_tool("two-items", {"first": 5, "second": 6})
                assert not later.is_error, later.content

    anyio.run(main)
    paths = [path for _, path, _ in shop.seen]
    assert paths == [f"/items/{SLOW_ITEM}", "/items/5", "/items/6"]  # never /items/41


def test_calls_overlap(documents: tuple[Path, Path], shop: ShopApi, tmp_path: Path) -> None:
    """A call waiting on a slow API does not hold up another call."""
    slow = str(documents[0].parent / "slow.arazzo.yaml")
    args = ["-m", "arazzo_engine", "mcp", slow, "--server", f"shop={shop.url}"]
    args += ["--input", f"apiKey={SECRET}"]
    finished: list[str] = []

    async def main() -> None:
        with anyio.fail_after(TIMEOUT), (tmp_path / "log").open("w") as log:
            async with _stdio_session(args, log) as session:

                async def slow_call() -> None:
                    result = await session.call_tool("two-items", {"first": SLOW_ITEM, "second": 2})
                    assert not result.is_error, result.content
                    finished.append("slow")

                async with anyio.create_task_group() as group:
                    group.start_soon(slow_call)
                    while not shop.slow_started.is_set():
                        await anyio.sleep(0.05)
                    quick = await session.call_tool("two-items", {"first": 3, "second": 4})
                    assert not quick.is_error, quick.content
                    finished.append("quick")  # while the slow call still waits for its answer
                    shop.release.set()

    anyio.run(main)
    assert finished == ["quick", "slow"]
