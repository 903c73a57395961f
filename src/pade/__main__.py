"""`python -m pade` runs the CLI."""

from pade.cli import main

main()
