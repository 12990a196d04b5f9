"""The `affinity` command line: one Typer app per command group, mounted on a root app."""
