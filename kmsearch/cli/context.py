"""What every command receives: the home it works on (kept apart so commands need not import
the group that registers them)."""

from __future__ import annotations

import click

from kmsearch.home import Home


class Context:
    def __init__(self, home: Home):
        self.home = home


pass_ctx = click.make_pass_decorator(Context)


class Lazy:
    """A module imported when first used, so that `kmsearch --help` and commands that do
    not need it do not pay for importing it (SQLAlchemy, Whoosh, the KM plan)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        import importlib

        return getattr(importlib.import_module(self._name), attr)
