"""CLI commands for KM records and reports (filled in by the indicators work)."""

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
