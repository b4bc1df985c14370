"""``python -m arazzo_engine``."""

from .cli import _exit, main

_exit(main())
