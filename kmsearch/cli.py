"""The kmsearch command line: thin click wrappers over the core (see CLI-CONTRACT.md).

This is the one module that wires click to the core, the indexer and the web app; each
command calls a library function and turns domain errors into click errors with a hint.
"""

from __future__ import annotations

import click

from kmsearch.home import Home


class Context:
    """What every command receives: the home it works on."""

    def __init__(self, home: Home):
        self.home = home


pass_ctx = click.make_pass_decorator(Context)


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


def _register() -> None:
    """Attach the command groups that live in their own modules."""
    from kmsearch import cli_km, cli_search, cli_staff

    for module in (cli_search, cli_staff, cli_km):
        module.register(main)


_register()
