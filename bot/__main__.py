"""`python -m bot` is the same as the `reviewbot` command."""

from bot.cli import main

raise SystemExit(main())
