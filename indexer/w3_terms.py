"""The bytes Whoosh's whoosh3 codec writes for a term, built a whole term at a time.

At the end of an index run every term goes through the codec: W3FieldWriter.start_term,
add() per posting, finish_term, which buffers the postings in a W3PostingsWriter, pickles
and compresses each block, fills a W3TermInfo and adds it to the terms table. That is
~40 us a term, and with 35,000 terms at 960 text files it was 1.45 s, a third of the run,
while every worker already waited at the end. Of the 40 us, the block's zlib.compress is
about 10; the rest is Python calls on one posting or one statistic at a time.

TermsWriter does the same per term, with the term's postings in hand: each block's tuple
is pickled and compressed exactly as _write_block does, the term info is packed as
W3TermInfo.to_bytes packs it, and the terms table gets the entry OrderedHashWriter.add
gives it. The files are byte for byte Whoosh's own (tests/test_w3_terms.py compares whole
segments with those Whoosh's SegmentWriter writes); anything it does not know how to
write the same way (another codec, byte ids, inlined postings) goes through Whoosh's calls.
"""

from __future__ import annotations

import zlib
from array import array
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter, W3TermInfo
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _LENGTHS  # a table entry's key/value sizes
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

_TERMINFO = W3TermInfo._struct


def terms_writer(fieldwriter) -> TermsWriter | None:
    """A TermsWriter for fieldwriter if it is the whoosh3 codec's, writing postings the way
    TermsWriter does (int ids, never inlined); else None."""
    if type(fieldwriter) is not W3FieldWriter or type(fieldwriter._tindex) is not OrderedHashWriter:
        return None
    postwriter = fieldwriter._codec.postings_writer(fieldwriter._postfile)
    if type(postwriter) is not W3PostingsWriter or postwriter._byteids or postwriter._inlinelimit > 1:
        return None  # an inline limit of 1 inlines only terms without postings: none here
    return TermsWriter(fieldwriter, postwriter._blocklimit, postwriter._compression)


class TermsWriter:
    """Writes terms, in order, into a W3FieldWriter's postings file and terms table: per
    field, start_field, then add_term (or add_encoded) for each term, then finish_field."""

    def __init__(self, fieldwriter: W3FieldWriter, blocklimit: int, compression: int):
        self.fw = fieldwriter
        self.limit = blocklimit
        self.compression = compression
        self.tindex: OrderedHashWriter = fieldwriter._tindex
        self.fieldid = b""
        self.encode = None  # the current field's TermEncoder.encode
        self.post_at = self.table_at = 0

    def encoder(self, fieldobj) -> TermEncoder:
        return TermEncoder(self.limit, self.compression, fieldobj.format.fixed_value_size())

    def start_field(self, fieldname: str, fieldobj) -> None:
        self.fw.start_field(fieldname, fieldobj)  # the codec's field map and state, as Whoosh's
        self.fieldid = pack_ushort(self.fw._fieldid)
        self.encode = self.encoder(fieldobj).encode
        # Offsets are followed here instead of asked of the files at every write.
        self.post_at = self.fw._postfile.tell()
        self.table_at = self.tindex.dbfile.tell()

    def finish_field(self) -> None:
        if self.fw._postfile.tell() != self.post_at or self.tindex.dbfile.tell() != self.table_at:
            raise RuntimeError("index writer: file offsets went out of step with the codec's")
        self.fw.finish_field()

    def add_term(self, tbytes: bytes, docs, weights, values, field_lengths) -> None:
        """One term's postings (docnums ascending, at least one) as the codec writes them."""
        self.add_encoded(tbytes, *self.encode(docs, weights, values, field_lengths))

    def add_encoded(self, tbytes: bytes, postings: bytes, info: bytes) -> None:
        """A term encoded by TermEncoder.encode: its postings go at the end of the postings
        file, and the term info, with where they are, into the terms table."""
        start = self.post_at
        self.fw._postfile.write(postings)
        self.post_at += len(postings)
        value = info + pack_long(start) + pack_int(len(postings))  # W3TermInfo.to_bytes's tail
        # OrderedHashWriter.add
        tindex = self.tindex
        key = self.fieldid + tbytes
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        pos = self.table_at
        tindex.index.append(pos)
        tindex.dbfile.write(_LENGTHS.pack(len(key), len(value)) + key + value)
        self.table_at += 8 + len(key) + len(value)
        h = tindex.hashfn(key)
        tindex.buckets[h & 255].append((h, pos))
        tindex.lastkey = key


class TermEncoder:
    """The bytes of one field's terms, without writing them anywhere (so that another
    process can encode some of them)."""

    def __init__(self, blocklimit: int, compression: int, fixed_value_size: int | None):
        self.limit = blocklimit
        self.compression = compression
        self.fixed = fixed_value_size

    def encode(self, docs, weights, values, field_lengths) -> tuple[bytes, bytes]:
        """(postings, term info without its extent) of one term: docnums ascending, at least
        one; weights and values per posting; field_lengths per document of the field."""
        n = len(docs)
        limit, compression, fixed = self.limit, self.compression, self.fixed
        out = [WHOOSH3_HEADER_MAGIC]
        # The term's statistics, as W3TermInfo.add_block gathers them block by block
        total, minlength, maxlength, maxweight = 0, None, 0, 0
        for s in range(0, n, limit):
            e = s + limit if s + limit < n else n
            ids = docs[s:e]
            block_weights = weights[s:e]
            stored_weights = array("f", block_weights)  # what the codec keeps: 32-bit floats
            # _mini_ids, _mini_weights, _mini_values
            first = ids[0]
            mini_ids = (first, *map(int.__sub__, ids[1:], ids[:-1])) if e - s > 1 else (first,)
            w0 = stored_weights[0]
            if w0 == 1.0 and stored_weights.count(1.0) == e - s:
                mini_weights = None
            elif stored_weights.count(w0) == e - s:
                mini_weights = w0
            else:
                mini_weights = tuple(stored_weights)
            block_values = [v for v in values[s:e] if v]  # add_posting keeps non-empty ones
            if fixed is None or fixed < 0:
                mini_values = tuple(block_values)
            elif fixed == 0:
                mini_values = None
            else:
                mini_values = b"".join(block_values)
            data = dumps((mini_ids, mini_weights, mini_values), 2)
            if compression:
                data = zlib.compress(data, compression)
            # Block statistics: lengths of 0 do not count; the weight starts at 0
            lengths = [x for x in map(field_lengths.__getitem__, ids) if x]
            block_min = min(lengths) if lengths else None
            block_max = max(lengths) if lengths else 0
            block_maxweight = max(0, *block_weights)
            info = dumps((e - s, ids[-1], block_maxweight, compression,
                          length_to_byte(block_min), length_to_byte(block_max)), 2)
            length = len(info) + len(data)
            out.append(pack_int(-length if e == n else length))
            out.append(info)
            out.append(data)
            total += sum(stored_weights)
            minlength = block_min if minlength is None else min(minlength, block_min)
            maxlength = max(maxlength, block_max)
            maxweight = max(maxweight, block_maxweight)
        info = _TERMINFO.pack(
            False, total, n, 0 if minlength is None else length_to_byte(minlength),
            length_to_byte(maxlength), maxweight, docs[0], docs[-1],
        )
        return b"".join(out), info
