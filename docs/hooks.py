"""MkDocs hooks: the CLI reference is generated from the argparse parser at build time, and
pages other engineers own get a placeholder until they exist (so ``--strict`` holds)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from mkdocs.structure.files import File, Files

MARKER = "<!-- cli-reference -->"
PLACEHOLDERS = {
    "auth.md": "# Authentication\n\nThis page is being written.\n",
    "conformance.md": "# Conformance\n\nThis page is being written.\n",
}


def _help(parser: argparse.ArgumentParser) -> str:
    os.environ["COLUMNS"] = "88"
    return parser.format_help()


def cli_reference() -> str:
    """Markdown for every command of ``arazzo-engine``, from the parser itself."""
    from arazzo_engine.cli import _parser

    parser = _parser()
    parts = ["## arazzo-engine", "", "```text", _help(parser).rstrip(), "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                parts += [f"## arazzo-engine {name}", "", "```text", _help(sub).rstrip(), "```", ""]
    return "\n".join(parts)


def on_files(files: Files, config: Any) -> Files:
    for name, text in PLACEHOLDERS.items():
        if files.get_file_from_path(name) is None:
            files.append(File.generated(config, name, content=text))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
