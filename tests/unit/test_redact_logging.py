"""Log masking is scoped to the run: a context variable, a filter, no global logging change."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from arazzo_engine.redact import Redactor


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((threading.current_thread().name, record.getMessage()))


def _logging_state() -> tuple[object, list[object], dict[str, list[object]]]:
    loggers = {
        name: list(logger.filters)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and logger.filters
    }
    root = logging.getLogger()
    handlers = [list(h.filters) for h in root.handlers]
    return logging.getLogRecordFactory(), handlers, loggers


@pytest.fixture
def collect() -> _Collect:
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler  # type: ignore[misc]
    root.removeHandler(handler)


def test_two_runs_in_two_threads_each_mask_their_own_secrets(collect: _Collect) -> None:
    before = _logging_state()
    secrets = {"run-a": "alpha-secret-value", "run-b": "bravo-secret-value"}
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            redactor = Redactor()
            redactor.add_value(secrets[name])
            with redactor.logging_filter():
                barrier.wait()  # both runs active at once
                for logger in ("arazzo_engine.run", "httpx", "httpcore.http11", "some.app"):
                    logging.getLogger(logger).warning(
                        "%s sends %s and %s", name, secrets["run-a"], secrets["run-b"]
                    )
                barrier.wait()
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,), name=n) for n in secrets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors
    by_thread = {n: [m for t, m in collect.lines if t == n] for n in secrets}
    assert len(by_thread["run-a"]) == len(by_thread["run-b"]) == 4
    for line in by_thread["run-a"]:
        assert line == "run-a sends *** and bravo-secret-value"
    for line in by_thread["run-b"]:
        assert line == "run-b sends alpha-secret-value and ***"
    # nothing of logging changed once both runs ended
    assert _logging_state() == before
    logging.getLogger("arazzo_engine.run").warning("after %s", secrets["run-a"])
    assert collect.lines[-1][1] == "after alpha-secret-value"


def test_the_record_factory_is_never_replaced(collect: _Collect) -> None:
    factory = logging.getLogRecordFactory()
    redactor = Redactor()
    redactor.add_value("charlie-secret")
    with redactor.logging_filter():
        assert logging.getLogRecordFactory() is factory
        logging.getLogger("arazzo_engine").warning("token charlie-secret")
    assert collect.lines[-1][1] == "token ***"


def test_asyncio_tasks_each_mask_their_own_secrets(collect: _Collect) -> None:
    async def run(name: str, secret: str, started: asyncio.Event, go: asyncio.Event) -> None:
        redactor = Redactor()
        redactor.add_value(secret)
        with redactor.logging_filter():
            started.set()
            await go.wait()
            logging.getLogger("httpx").warning("%s: delta-secret-1 echo-secret-22", name)

    async def main() -> None:
        a, b, go = asyncio.Event(), asyncio.Event(), asyncio.Event()
        tasks = [
            asyncio.create_task(run("a", "delta-secret-1", a, go)),
            asyncio.create_task(run("b", "echo-secret-22", b, go)),
        ]
        await a.wait()
        await b.wait()
        go.set()
        await asyncio.gather(*tasks)

    before = _logging_state()
    asyncio.run(main())
    messages = sorted(m for _, m in collect.lines[-2:])
    assert messages == ["a: *** echo-secret-22", "b: delta-secret-1 ***"]
    assert _logging_state() == before


def test_a_disabled_redactor_changes_nothing(collect: _Collect) -> None:
    redactor = Redactor(enabled=False)
    redactor.add_value("foxtrot-secret")
    before = _logging_state()
    with redactor.logging_filter():
        assert _logging_state() == before
        logging.getLogger("arazzo_engine").warning("foxtrot-secret")
    assert collect.lines[-1][1] == "foxtrot-secret"


def test_records_with_no_handler_configured_are_masked_too() -> None:
    import subprocess
    import sys

    code = (
        "import logging\n"
        "from arazzo_engine.redact import Redactor\n"
        "r = Redactor()\n"
        "r.add_value('golf-secret-value')\n"
        "with r.logging_filter():\n"
        "    logging.getLogger('some.app').warning('during golf-secret-value')\n"
        "logging.getLogger('some.app').warning('after golf-secret-value')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.stderr.splitlines() == ["during ***", "after golf-secret-value"]
