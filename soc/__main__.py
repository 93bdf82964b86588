"""`python -m soc` is the `soc` command."""

from soc.cli.main import main

main()
