"""`kmsearch settings`: every setting with its environment variable, meaning and value."""

from __future__ import annotations

import click

from kmsearch.cli.context import pass_ctx
from kmsearch.home import SETTINGS, shown_value


@click.command("settings")
@pass_ctx
def settings_command(ctx) -> None:
    """List the settings (environment variables), what each does and its current value.

    Exits 1 when a value cannot be used, naming what is wrong."""
    home = ctx.home
    for name, setting in SETTINGS.items():
        if name == "home":
            value = str(home.path)
        elif name == "database_url":
            value = home.database_url
        else:
            value = home.setting(name)
        default = "" if setting.default is None else f" (default {setting.default})"
        click.echo(f"{setting.env} = {shown_value(name, value)}")
        click.echo(f"    {setting.help}{default}")
    problems = home.problems()
    for line in problems:
        click.echo(f"error: {line}", err=True)
    if problems:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
    group.add_command(settings_command)
