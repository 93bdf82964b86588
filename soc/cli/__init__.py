"""The `soc` command."""
