"""CLI commands for the staff roster (filled in by the web/roster work)."""

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
