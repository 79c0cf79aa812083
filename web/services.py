"""What the web app shares between requests: the home, the database, the search service.

One Services object per app, kept in app.extensions (no module-level singletons), built
the same way by `kmsearch serve`, the tests and the load benchmark.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from kmsearch.web.recorder import AccessRecorder

from kmsearch.engine.search import SearchService
from kmsearch.home import Home
from kmsearch.km import knowledge_map
from kmsearch.store import connect

EXTENSION = "kmsearch"


class Services:
    """The home, engine, access recorder and search service.

    The search service opens the index only when a search asks, so the app starts (and shows
    a page) before anything is indexed.
    """

    def __init__(self, home: Home, logger: logging.Logger):
        self.home = home
        self.engine = connect(home.database_url)
        self.recorder = AccessRecorder(self.engine, logger)
        self.search = SearchService(home)
        self._map: tuple[float, list[knowledge_map.Topic]] | None = None

    def topics(self) -> list[knowledge_map.Topic]:
        """The knowledge map, re-read when the indexer copies in a new one."""
        path = Path(self.home.knowledge_map_path)
        mtime = path.stat().st_mtime if path.exists() else 0.0
        cached = self._map
        if cached is None or cached[0] != mtime:
            cached = (mtime, knowledge_map.load(path))
            self._map = cached
        return cached[1]

    def close(self) -> None:
        """Flush the access log and release database connections."""
        self.recorder.close()
        self.engine.dispose()
        self.search.close()


def services() -> Services:
    return current_app.extensions[EXTENSION]
