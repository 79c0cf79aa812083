"""The kmsearch command line: thin click wrappers over the core (see CLI-CONTRACT.md).

This package is the one place that wires click to the core, the indexer and the web app; each
command calls a library function and turns domain errors into click errors with a hint.
"""

from __future__ import annotations

import click

from kmsearch.cli import km, search, settings, staff
from kmsearch.cli.context import Context
from kmsearch.home import Home, SettingsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    "home_dir",
    envvar="KMSEARCH_HOME",
    default="var",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder holding the index, the database and files (env KMSEARCH_HOME).",
)
@click.version_option(package_name="kmsearch")
@click.pass_context
def main(ctx: click.Context, home_dir: str) -> None:
    """kmsearch: Thai knowledge search for the municipality's KM plan.

    Settings come from environment variables: `kmsearch settings` lists them."""
    home = Home(home_dir)
    if ctx.invoked_subcommand != "settings":  # which shows what is wrong instead
        try:
            home.validate()
        except SettingsError as exc:
            raise click.ClickException(f"{exc}\n(see `kmsearch settings`)") from None
    ctx.obj = Context(home)


for _module in (search, staff, km, settings):
    _module.register(main)
