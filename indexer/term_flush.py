"""The end of an index run: every term's postings handed to the codec, in term order.

GroupedSegmentWriter (segment_writer.py) gathers the postings per term; here they are written
a term at a time through w3_terms.TermsWriter (byte for byte what Whoosh writes), or through
Whoosh's own calls for another codec. This step starts when every document has been added,
when the extraction workers have ended: with the postings all in memory, a forked child
(forked.py) encodes the terms after the first OWN_SHARE of the work on the other core, and
this process writes the child's bytes after its own. At 960 text files that is ~35,000
terms, 1.2 s on one core.
"""

from __future__ import annotations

from array import array

from kmsearch.indexer import forked
from kmsearch.indexer.w3_terms import TermsWriter, terms_writer


def field_lengths(lengths, doccount: int, fieldnames) -> dict[str, list[int]]:
    """Each document's length in each field (zeros without length statistics).

    Read here, before any fork: the length reader seeks and reads the segment's files through
    file objects a forked child would share with this process, so both reading at once could
    read each other's positions."""
    if lengths is None:
        return {name: [0] * doccount for name in fieldnames}
    return {name: [lengths.doc_field_length(d, name) for d in range(doccount)] for name in fieldnames}


# Share of the terms (by estimated cost) this process writes itself when a forked child
# encodes the rest: it also has to add the child's terms to the files.
OWN_SHARE = 0.45
MIN_FORKED_TERMS = 5_000  # fewer take less time than forking and handing bytes back


def write_terms(fieldwriter, schema, lengths: dict[str, list[int]], pool) -> None:
    """Hand every term of pool to the codec, in order: through w3_terms.TermsWriter (the same
    bytes, a term at a time) for the whoosh3 codec, else through Whoosh's own calls.

    With the postings all in memory, a forked child (indexer/forked.py) encodes the terms
    after the first OWN_SHARE while this process writes those; then this process writes the
    child's bytes after its own, as if it had encoded them."""
    writer = terms_writer(fieldwriter)
    if writer is None:
        _write(fieldwriter, schema, lengths, pool.sorted_terms())
        return
    items = pool.sorted_in_memory()
    split = _split_point(items, OWN_SHARE) if items and len(items) >= MIN_FORKED_TERMS else 0
    child = forked.start(_encode, writer, schema, lengths, items[split:]) if split else None
    if child is None:
        _write(writer, schema, lengths, items if items is not None else pool.sorted_terms())
        return
    try:
        last = _write(writer, schema, lengths, items[:split], finish=False)
        encoded = child.result()
    except BaseException:
        child.stop()
        raise
    if encoded is None:  # the child failed: this process writes its part too
        encoded = items[split:]
    _write(writer, schema, lengths, encoded, last=last)


def _split_point(items, share: float) -> int:
    """Index of items at which the first `share` of the estimated writing cost ends: per term
    about as much as ~200 postings (a call, a compressed block), plus its postings."""
    costs = [200 + len(term.docs) for _key, term in items]
    target, total = share * sum(costs), 0
    for n, cost in enumerate(costs):
        total += cost
        if total >= target:
            return n + 1
    return len(items)


def _postings(term):
    """(docnums, weights, values) of term as the codec gets them, or None for no posting."""
    docs, weights, values = term.columns()
    if docs and docs[0] == -1:  # Whoosh's marker of a spelling-only word: no posting
        keep = [i for i, d in enumerate(docs) if d != -1]
        docs = array("q", [docs[i] for i in keep])
        weights = [weights[i] for i in keep]
        values = [values[i] for i in keep]
    return (docs, weights, values) if docs else None


def _encode(writer, schema, lengths: dict[str, list[int]], items) -> list:
    """((field, term), (postings, term info) or None) for items: the forked child's part."""
    out, encoder, lastfield = [], None, None
    for key, term in items:
        fieldname = key[0]
        if fieldname != lastfield:
            encoder, lastfield = writer.encoder(schema[fieldname]), fieldname
        found = _postings(term)
        out.append((key, found and encoder.encode(*found, lengths[fieldname])))
    return out


def _write(writer, schema, lengths: dict[str, list[int]], items, last=None, finish=True):
    """Write items, ((field, term), _Term or the encoded (postings, term info) or None) in
    order, through writer (a TermsWriter, or Whoosh's field writer). last: the field left
    open by a previous call; returns the field left open when finish is False."""
    for (fieldname, tbytes), item in items:
        if fieldname != last:
            if last is not None:
                writer.finish_field()
            writer.start_field(fieldname, schema[fieldname])
            last = fieldname
        if isinstance(item, tuple):
            writer.add_encoded(tbytes, *item)
            continue
        found = _postings(item) if item is not None else None
        if found is None:
            continue
        if isinstance(writer, TermsWriter):
            writer.add_term(tbytes, *found, lengths[fieldname])
        else:  # Whoosh's own calls, a posting at a time
            field_lengths = lengths[fieldname]
            writer.start_term(tbytes)
            for docnum, weight, value in zip(*found, strict=True):
                writer.add(docnum, weight, value, field_lengths[docnum])
            writer.finish_term()
    if finish and last is not None:
        writer.finish_field()
    return last
