"""How much one file may make the indexer read, unpack and parse.

A file beyond a limit fails with a message naming the limit, and the run goes on. The limits
sit far above any real manual (the bundled DOCX files unpack to 13-23 KB of XML, 200-400
elements, 6 levels deep, packed 5-6 times) and far below what hurts: a 763 KB DOCX holding
250 MB of tiny XML elements took 89 s and 3.4 GB of memory before they existed.
"""

from __future__ import annotations

MB = 1024 * 1024

MAX_TEXT_FILE_BYTES = 16 * MB  # a .md/.txt/.html file (about 5,000 pages of Thai)
MAX_METADATA_BYTES = 1 * MB  # a .meta.yaml sidecar, or the YAML front matter of a file
MAX_PART_BYTES = 64 * MB  # one XML part of a DOCX, unpacked
MAX_RATIO = 100  # unpacked / packed size of a DOCX part larger than RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1 * MB
MAX_XML_ELEMENTS = 2_000_000  # elements in one XML part
MAX_XML_DEPTH = 200  # nesting of XML elements (the extractor walks them recursively)


def size_text(n: int) -> str:
    """A byte count as people read it: 250 MB, 16 KB, 512 bytes."""
    if n >= MB:
        return f"{n / MB:.0f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"
