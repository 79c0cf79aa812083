"""A `regex` URL converter: document ids are matched exactly, so nothing else reaches a view."""

from werkzeug.routing import BaseConverter


class RegexConverter(BaseConverter):
    def __init__(self, url_map, pattern: str):
        super().__init__(url_map)
        self.regex = pattern
