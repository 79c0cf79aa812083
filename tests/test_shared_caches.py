"""What SearchService derives from the index is computed once and shared by the server's
threads (kmsearch.engine.shared), bounded, and never outlives the index it was read from."""

from __future__ import annotations

import random
import threading

from kmsearch.engine.search import SearchService
from kmsearch.engine.shared import PerGeneration
from tests import core_fixtures

small_kb = core_fixtures.small_kb


def _in_thread(fn):
    out = {}

    def run():
        out["value"] = fn()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out["value"]


def test_threads_share_one_browse_list_and_one_set_per_audience(small_kb):
    service = SearchService(small_kb.home)
    try:
        mine = service.documents("public")
        theirs = _in_thread(lambda: service.documents("public"))
        # The same objects, not equal copies: one list for the whole server, not one a thread.
        assert [id(d) for d in mine] == [id(d) for d in theirs]
        assert {d.audience for d in mine} == {"public"}
        staff = _in_thread(lambda: service.documents("staff"))
        assert len(staff) > len(mine)

        searcher = service._searcher()
        here = service._allowed(searcher, "public", None, None, None)

        def there():
            return service._allowed(service._searcher(), "public", None, None, None)

        assert _in_thread(there) is here
        assert isinstance(here, frozenset)  # shared: nobody may change it
        assert service._allowed(searcher, "staff", None, None, None) is None  # staff see all
        # The audience is part of the key: a staff filter never answers a citizen.
        staff_only = service._allowed(searcher, "staff", "กองคลัง", None, None)
        public_only = service._allowed(searcher, "public", "กองคลัง", None, None)
        assert public_only < staff_only
    finally:
        service.close()


def test_facet_values_from_urls_cannot_grow_the_shared_sets(small_kb):
    service = SearchService(small_kb.home)
    try:
        for n in range(200):
            service.search("ภาษีป้าย", audience="public", division=f"กอง{n}")
        generations, values = service._sets_shared.size()
        assert generations == 1 and values <= service._sets_shared.per_generation
        # The audience set itself is still right after being pushed out.
        public = service.search("ภาษีป้าย", audience="public", page=1, pagelen=100)
        assert public.total and all(h.audience == "public" for h in public.hits)
    finally:
        service.close()


def test_a_thread_on_a_new_index_does_not_get_the_old_generation_values(tmp_path):
    """Another thread's browse list must follow a document made staff-only by an index run."""
    root, home = core_fixtures.two_public_guides(tmp_path)
    service = SearchService(home)
    try:
        assert sorted(d.title for d in _in_thread(lambda: service.documents("public"))) == [
            "คำแนะนำ", "อื่น"]
        core_fixtures.make_guide_staff_only(root, home)
        assert [d.title for d in service.documents("public")] == ["อื่น"]
        assert [d.title for d in _in_thread(lambda: service.documents("public"))] == ["อื่น"]
        assert _in_thread(lambda: service.search("ภาษีป้าย", audience="public").total) == 0
    finally:
        service.close()


def test_per_generation_store_keeps_the_newest_indexes_and_bounded_values():
    store = PerGeneration(per_generation=2, generations=2)
    calls = []

    def make(v):
        return lambda: calls.append(v) or v

    assert store.get(("a", 1), "x", make(1)) == 1
    assert store.get(("a", 1), "x", make(99)) == 1  # computed once
    store.get(("a", 1), "y", make(2))
    store.get(("a", 1), "z", make(3))  # pushes out x, the oldest
    assert store.size() == (1, 2)
    assert store.get(("a", 1), "x", make(4)) == 4
    store.get(("a", 2), "x", make(5))
    store.get(("a", 3), "x", make(6))  # a third index: the least recently used one goes
    assert store.size()[0] == 2
    assert store.get(("a", 1), "x", make(7)) == 7
    assert calls == [1, 2, 3, 4, 5, 6, 7]


def test_typo_scans_in_memory_find_exactly_what_whoosh_finds(small_kb):
    from kmsearch.engine.suggest import terms_within, vocabulary

    service = SearchService(small_kb.home)
    try:
        searcher = service._searcher()
        terms = vocabulary(searcher)
        assert list(terms) == sorted(terms) and len(terms) > 100
        words = {t for t in terms if len(t) >= 3}
        rng = random.Random(5)
        edited = []  # terms with one to three random insertions, deletions or substitutions
        for word in sorted(words)[::5]:
            chars = list(word)
            for _ in range(rng.choice((1, 2, 3))):
                at, ch = rng.randrange(len(chars)), rng.choice(chars)
                edit = rng.choice("ids")
                if edit == "i":
                    chars.insert(at, ch)
                elif edit == "d" and len(chars) > 2:
                    del chars[at]
                else:
                    chars[at] = ch
            edited.append("".join(chars))
        probes = sorted(words)[::7] + edited + ["ภาษีป่าย", "เบี้ยยังชีบ", "ใบอนุญาด", "zzzz", "กระทบยอด",
                                                "ก", "ภาษี" * 12]
        found = 0
        for word in probes:
            for dist in (1, 2):
                for prefix in (0, 1) if word in edited[:20] else (1,):
                    mine = list(terms_within(terms, word, dist, prefix=prefix))
                    whoosh = list(searcher.reader().terms_within("content", word, dist, prefix=prefix))
                    assert mine == whoosh, (word, dist, prefix)
                    found += len(mine)
        assert found > len(probes)  # the probes near real terms found some
        assert list(terms_within((), "ภาษี", 1, prefix=1)) == []
    finally:
        service.close()


def test_the_vocabulary_is_loaded_once_for_all_threads_and_only_when_a_typo_needs_it(small_kb):
    service = SearchService(small_kb.home)
    try:
        service.search("ภาษีป้าย", audience="public")  # every word known: no scan
        assert service._vocabulary_shared.size() == (0, 0)
        typo = service.search("ภาษีป่าย", audience="public")
        assert typo.suggestion == "ภาษีป้าย" or typo.searched == "ภาษีป้าย"
        assert service._vocabulary_shared.size() == (1, 1)
        assert _in_thread(lambda: service.search("ภาษีป่าย", audience="staff").total)
        assert service._vocabulary_shared.size() == (1, 1)
    finally:
        service.close()
