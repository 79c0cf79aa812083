"""What every command receives: the home it works on (kept apart so commands need not import
the group that registers them)."""

from __future__ import annotations

import click

from kmsearch.home import Home


class Context:
    def __init__(self, home: Home):
        self.home = home


pass_ctx = click.make_pass_decorator(Context)
