"""A limit on what one compressed stream of a PDF may unpack to, for pdfminer.

pdfminer.six unpacks Flate streams with zlib.decompress, without a limit: a 200 KB PDF whose
page holds 200 MB of compressed spaces took 433 MB of memory (a 1 GB one would take
gigabytes), and a 21 KB one holding 20 MB of page operators 65 s. Its fallback for a stream with a bad checksum feeds zlib one byte at a time
and appends to a bytes object, which is quadratic in the stream's size. install() replaces
both, inside pdfminer.pdftypes only, with versions that stop at the DOCX limits (size,
ratio) and are linear; a stream beyond a limit fails the file with a message naming it.
"""

from __future__ import annotations

import logging
import types
import zlib

from kmsearch.indexer.document import ExtractionError
from kmsearch.indexer.limits import MAX_PART_BYTES, MAX_RATIO, RATIO_FROM_BYTES, size_text

logger = logging.getLogger(__name__)


def _too_large() -> ExtractionError:
    return ExtractionError(
        f"PDF too large to index: a compressed stream unpacks to more than "
        f"{size_text(MAX_PART_BYTES)} (the limit)"
    )


def _decompress(data: bytes, wbits: int = zlib.MAX_WBITS, bufsize: int = 0) -> bytes:
    """zlib.decompress that refuses to produce more than MAX_PART_BYTES, or more than
    MAX_RATIO times its input when that is over RATIO_FROM_BYTES (a 21 KB PDF holding
    20 MB of page operators kept pdfminer's lexer busy for a minute)."""
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, MAX_PART_BYTES)
    if not d.eof:
        if len(out) >= MAX_PART_BYTES:
            raise _too_large()
        raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
    return _within_ratio(out, len(data) - len(d.unused_data))


def _within_ratio(out: bytes, packed: int) -> bytes:
    if len(out) > RATIO_FROM_BYTES and len(out) > MAX_RATIO * packed:
        raise ExtractionError(
            f"PDF too compressed to index (a zip bomb?): a stream unpacks to "
            f"{len(out) / max(packed, 1):.0f} times its packed size (limit {MAX_RATIO})"
        )
    return out


def _decompress_corrupted(data: bytes) -> bytes:
    """A stream whose checksum (its last bytes) is wrong: what precedes it, in one pass."""
    d = zlib.decompressobj()
    out = d.decompress(data[:-3], MAX_PART_BYTES)  # an error before the checksum propagates
    if d.unconsumed_tail or len(out) >= MAX_PART_BYTES:
        raise _too_large()
    try:
        out += d.decompress(data[-3:], MAX_PART_BYTES - len(out))
    except zlib.error:
        logger.warning("Data-loss while decompressing corrupted data")
    return _within_ratio(out, len(data))


class _BoundedZlib(types.ModuleType):
    """The zlib module as pdfminer.pdftypes sees it: decompress bounded, the rest as is."""

    def __init__(self) -> None:
        super().__init__("zlib")
        self.decompress = _decompress
        self.error = zlib.error

    def __getattr__(self, name: str):
        return getattr(zlib, name)


def install() -> None:
    """Bound pdfminer's Flate decoding in this process (idempotent)."""
    from pdfminer import pdftypes

    if not isinstance(pdftypes.zlib, _BoundedZlib):
        pdftypes.zlib = _BoundedZlib()
        pdftypes.decompress_corrupted = _decompress_corrupted
