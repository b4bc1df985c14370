"""nox sessions: tests, lint, typecheck, docs, benchmarks."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, end-to-end over loopback, conformance)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (MkDocs + mkdocstrings) in strict mode: any warning, such
    as a broken link or a docstring reference that does not resolve, fails the build."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(session.create_tmp()) + "/site")


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run the benchmarks (ratios against raw httpx in the same process); see benchmarks/README.md.

    ``nox -s benchmarks -- --quick`` runs fewer iterations."""
    session.install("-e", ".[test]")
    quick = "--quick" in session.posargs
    session.run("python", "benchmarks/bench_load.py")
    session.run("python", "benchmarks/bench_publish_image.py", "--runs", "50" if quick else "300")
    session.run("python", "benchmarks/bench_concurrency.py", "--rounds", "2" if quick else "5")
    session.run("python", "benchmarks/bench_cold_start.py", "--runs", "3" if quick else "10")
    session.run("python", "benchmarks/bench_soak.py", "--runs", "1000" if quick else "10000")
