"""Re-rankers on cases small enough to check by hand."""

import pytest

from retrieval import Candidate, exposure_rerank, xquad_rerank
from retrieval.popularity import Popularity, buckets, log_normalise


def test_exposure_penalty_tail_beats_head_exactly_when_the_numbers_say_so():
    # head: 1.0 - lam*1.0 ; tail: 0.8 - lam*0.0  -> tail wins iff lam > 0.2
    def order(lam):
        cands = [Candidate("head", 1.0, penalty=1.0), Candidate("tail", 0.8, penalty=0.0, long_tail=True)]
        return [c.id for c in exposure_rerank(cands, lam)]

    assert order(0.0) == ["head", "tail"]
    assert order(0.19) == ["head", "tail"]
    assert order(0.21) == ["tail", "head"]
    ranked = exposure_rerank([Candidate("h", 1.0, 1.0), Candidate("t", 0.8, 0.0)], 0.5)
    assert [round(c.score, 6) for c in ranked] == [0.8, 0.5]


def test_relevance_floor_keeps_irrelevant_tail_items_out():
    cands = [Candidate("h1", 1.0, 1.0), Candidate("h2", 0.9, 1.0), Candidate("junk", 0.2, 0.0, True)]
    # without a floor a huge lambda would lift the irrelevant item to the top
    assert exposure_rerank([Candidate(**c.__dict__) for c in cands], 5.0)[0].id == "junk"
    ranked = exposure_rerank(cands, 5.0, floor=0.5)
    assert [c.id for c in ranked] == ["h1", "h2", "junk"]


def test_xquad_guarantees_tail_share_among_relevant_items_only():
    cands = [Candidate(f"h{i}", 1.0 - i * 0.01, 1.0) for i in range(6)]
    cands += [Candidate("t_ok", 0.7, 0.0, True), Candidate("t_ok2", 0.65, 0.0, True),
              Candidate("t_junk", 0.1, 0.0, True)]
    top = xquad_rerank(cands, k=4, lam=0.0, min_tail_share=0.5, floor=0.5)[:4]
    ids = [c.id for c in top]
    # lam=0 picks by relevance (h0..h3); the guarantee then swaps the two weakest heads for the two
    # relevant tail items; the junk tail item (0.1 < 0.5 * 1.0) never gets in.
    assert ids == ["h0", "h1", "t_ok", "t_ok2"]
    assert "t_junk" not in ids


def test_xquad_with_lambda_interleaves_head_and_tail():
    cands = [Candidate("h1", 1.0, 1.0), Candidate("h2", 0.95, 1.0), Candidate("t1", 0.8, 0.0, True)]
    # step 1: h1 = (1-.5)*1 + .5*.5*1 = .75 ; t1 = .4 + .25 = .65 -> h1
    # step 2: h2 = .475 + .25*0 (head fully covered) = .475 ; t1 = .4 + .25*1 = .65 -> t1
    ranked = xquad_rerank(cands, k=3, lam=0.5)
    assert [c.id for c in ranked] == ["h1", "t1", "h2"]
    assert ranked[1].score == pytest.approx(0.65)


def test_popularity_buckets_follow_interaction_shares():
    counts = {"a": 50, "b": 30, "c": 10, "d": 5, "e": 5, "f": 0}
    # total 100; head = items before 20% cumulative share -> a ; tail = items starting at >= 80% -> c? no:
    # cumulative before: a 0, b .5, c .8, d .9, e .95, f 1.0 -> head {a}, tail {c,d,e,f}, mid {b}
    b = buckets(counts, counts, head_share=0.2, tail_share=0.2)
    assert b == {"a": "head", "b": "mid", "c": "tail", "d": "tail", "e": "tail", "f": "tail"}
    norm = log_normalise(counts, counts)
    assert norm["a"] == 1.0 and norm["f"] == 0.0 and 0 < norm["d"] < norm["c"] < norm["b"] < 1


def test_penalty_blends_exposure_when_impressions_exist():
    pop = Popularity({"a": 9.0, "b": 0.0}, exposure_weight=0.5)
    assert pop.penalty("a") == 1.0 and pop.penalty("b") == 0.0
    pop.set_exposure({"b": 3})
    assert pop.penalty("a") == pytest.approx(0.5) and pop.penalty("b") == pytest.approx(0.5)


def test_shown_items_are_demoted_by_their_closeness_not_sent_to_the_end():
    """After five helmets, "size L" shows helmets again before unrelated unseen items; an unseen item about as
    close as a shown one goes first."""
    from assistant.tools import SEEN_WEIGHT, _demote_seen
    from retrieval.catalog import Item
    from retrieval.search import SearchHit, Trace

    def hit(item_id, dense):
        trace = Trace(1, dense, None, None, 0.0, 1.0, 0.0, 0.0, 0, 0.0, "tail", True, None, 0.0, 1.0, 1, 1,
                      "none", 0.0)
        return SearchHit(Item(id=item_id, title=item_id), trace)

    helmets = [hit("helmet-1", 0.62), hit("helmet-2", 0.58)]
    unrelated = [hit("football", 0.31), hit("swim-cap", 0.28)]
    assert [h.item.id for h in _demote_seen(list(unrelated), list(helmets))] == [
        "helmet-1", "helmet-2", "football", "swim-cap"]
    close = [hit("helmet-3", 0.62 * SEEN_WEIGHT + 0.01)]
    assert [h.item.id for h in _demote_seen(close, [helmets[0]])] == ["helmet-3", "helmet-1"]
