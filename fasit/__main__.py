"""`python -m fasit` runs the command-line interface."""

from fasit.cli import main

raise SystemExit(main())
