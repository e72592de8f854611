"""Run `python -m sandbox --help` for the commands."""

from .cli import main

raise SystemExit(main())
