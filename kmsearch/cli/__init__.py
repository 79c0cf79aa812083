"""The kmsearch command line: thin click wrappers over the core (see CLI-CONTRACT.md).

This package is the one place that wires click to the core, the indexer and the web app; each
command calls a library function and turns domain errors into click errors with a hint.
"""

from __future__ import annotations

import click

from kmsearch.cli import km, search, staff
from kmsearch.cli.context import Context
from kmsearch.home import Home


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
    """kmsearch: Thai knowledge search for the municipality's KM plan."""
    ctx.obj = Context(Home(home_dir))


for _module in (search, staff, km):
    _module.register(main)
