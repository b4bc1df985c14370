"""Start-up cost of the package, side by side with a bare interpreter (issue 8).

Each measurement starts a new process, as a shell, a CI step or an editor's test runner would:

* ``python -c pass`` (the baseline);
* ``python -c "import arazzo_engine"``;
* ``arazzo-engine --help``;
* ``arazzo-engine list tests/data/pets.arazzo.yaml`` (a small document and its OpenAPI source);
* a pytest session on a tiny test file in a temporary directory, with the package's pytest
  plugin (installed through its entry point) and with ``-p no:arazzo``.

Prints the median wall time of ``--runs`` starts of each (taken in rounds, every case once per
round) and its difference to the baseline (the
plugin: to the session without it), in ms. A measurement, never a test: nothing is asserted.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "tests" / "data" / "pets.arazzo.yaml"

TINY_TEST = "def test_one():\n    assert 1 + 1 == 2\n"


def _time_ms(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the child) of one run, in ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def _cli() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("arazzo-engine")
    return [str(script)] if script.exists() else [sys.executable, "-m", "arazzo_engine"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="starts of each process (15)")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)  # the plugin loads as it does for users
    env["ARAZZO_CACHE"] = "0"
    python = sys.executable
    cli = _cli()
    work = Path(tempfile.mkdtemp(prefix="arazzo-startup-"))
    try:
        (work / "test_tiny.py").write_text(TINY_TEST)
        pytest_argv = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_tiny.py"]
        # one start of each first, so that every measurement reads warm files
        cases = [
            ("python -c pass", [python, "-c", "pass"]),
            ('python -c "import arazzo_engine"', [python, "-c", "import arazzo_engine"]),
            ("arazzo-engine --help", [*cli, "--help"]),
            (f"arazzo-engine list {DOCUMENT.relative_to(ROOT)}", [*cli, "list", str(DOCUMENT)]),
            ("pytest, tiny file, -p no:arazzo", [*pytest_argv, "-p", "no:arazzo"]),
            ("pytest, tiny file, with the plugin", pytest_argv),
        ]
        for _, argv in cases:
            subprocess.run(
                argv, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        # in rounds (each case once per round), so that a change of load on the machine
        # weighs on every case alike
        walls: dict[str, list[float]] = {label: [] for label, _ in cases}
        cpus: dict[str, list[float]] = {label: [] for label, _ in cases}
        for _ in range(args.runs):
            for label, argv in cases:
                wall, cpu = _time_ms(argv, work, env)
                walls[label].append(wall)
                cpus[label].append(cpu)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall_ms = {label: statistics.median(values) for label, values in walls.items()}
    cpu_ms = {label: statistics.median(values) for label, values in cpus.items()}
    print(f"median of {args.runs} fresh processes each ({python}); CPU = user + system")
    print(f"{'process':<48} {'wall ms':>8} {'CPU ms':>7}   {'difference (wall / CPU) ms':<40}")
    for label in wall_ms:
        if label.startswith("pytest") and label != "pytest, tiny file, -p no:arazzo":
            against = "pytest, tiny file, -p no:arazzo"
        elif label == "python -c pass":
            against = ""
        else:
            against = "python -c pass"
        difference = "(baseline)"
        if against:
            difference = (
                f"{wall_ms[label] - wall_ms[against]:+.1f} / "
                f"{cpu_ms[label] - cpu_ms[against]:+.1f} vs {against}"
            )
        print(f"{label:<48} {wall_ms[label]:>8.1f} {cpu_ms[label]:>7.1f}   {difference}")


if __name__ == "__main__":
    main()
