"""``import arazzo_engine`` stays cheap, and the package has no import cycles."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Heavy third-party packages that must not load with ``import arazzo_engine`` (nor with
#: ``arazzo-engine --help``/``--version`` or the pytest plugin's registration).
HEAVY = ("botocore", "httpx", "httpcore", "jsonschema", "openapi_core", "yaml", "elementpath")


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint('MODULES', json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert "MODULES" in proc.stdout, proc.stderr
    return set(json.loads(proc.stdout.split("MODULES", 1)[1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_importing_the_package_loads_no_heavy_library() -> None:
    modules = _modules_after("import arazzo_engine")
    assert _heavy(modules) == []
    assert [m for m in modules if m.startswith("arazzo_engine.")] == []


def test_a_public_name_is_imported_on_first_use() -> None:
    modules = _modules_after("from arazzo_engine import ArazzoError, validate")
    assert "arazzo_engine.validation" in modules
    assert "botocore" not in modules  # validating needs no AWS


def test_cli_help_and_version_load_no_heavy_library() -> None:
    code = (
        "from arazzo_engine.cli import main\n"
        "for argv in (['--help'], ['--version'], ['run', '--help'], ['list', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    assert _heavy(_modules_after(code)) == []


def test_the_pytest_plugin_loads_no_heavy_library() -> None:
    assert _heavy(_modules_after("import arazzo_engine.pytest_plugin")) == []


def test_dir_and_unknown_names() -> None:
    import arazzo_engine

    assert set(arazzo_engine.__all__) <= set(dir(arazzo_engine))
    with pytest.raises(AttributeError, match="no_such_name"):
        arazzo_engine.no_such_name  # noqa: B018


# --- import cycles -------------------------------------------------------------------------


def _graph() -> object:
    grimp = pytest.importorskip("grimp")
    return grimp.build_graph("arazzo_engine", exclude_type_checking_imports=True)


def _cycles(graph: object, ignored: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(graph.modules)  # type: ignore[attr-defined]
    edges = {
        m: sorted(
            t
            for t in graph.find_modules_directly_imported_by(m)  # type: ignore[attr-defined]
            if (m, t) not in ignored
        )
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles() -> None:
    """Not even through imports made inside functions: the import graph has no cycle."""
    assert _cycles(_graph(), set()) == []
