"""CLI commands index, search and serve (see CLI-CONTRACT.md)."""

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
