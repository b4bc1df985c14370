"""``python -m arazzo_engine.aws SERVICE [--api-version V] [--operations A,B] -o FILE``."""

from __future__ import annotations

import sys

from arazzo_engine.aws.openapi import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
