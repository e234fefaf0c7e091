"""The held-out questions about shown items (`longtail eval dialogue`): the per-case checks, the data file, and a
run through the assistant on the demo store with cases written here (not the held-out ones)."""

from __future__ import annotations

import pytest

from assistant.replies import NOT_SAID_OFFER
from evaluation import questions
from evaluation.dialogue import DATA, STORES, read_jsonl, store_catalogs


def case(kind="value", **kw):
    return {"id": "t", "store": "demo", "kind": kind, "shown": [], "text": "", **kw}


def test_the_checks_pass_a_right_answer_and_fail_each_kind_of_wrong_one():
    c = case(expect_any=["528", "528 pages"], must_not=["400"])
    assert questions.check(c, "Killing Floor: pages 528.", ["ask_about_items"]) == ""
    assert questions.check(c, "Killing Floor: PAGES 528.", []) == ""  # case-insensitive
    assert questions.check(c, "Killing Floor: pages 400.", ["ask_about_items"]).startswith("none of")
    assert questions.check(c, "528 or 400 pages", ["ask_about_items"]) == "said ['400']"
    assert questions.check(c, "Here are 5 books: 528 pages.", ["search_products"]) == "ran a new search"
    both = case(expect_all=["£12.49", "£8.99"])
    assert questions.check(both, "The pen costs £12.49.", []) == "missing ['£8.99']"
    # "the listing does not say" is right only when no shown item's data says it
    assert questions.check(case("not_said"), f"The listing does not say. {NOT_SAID_OFFER}", []) == ""
    assert questions.check(case("not_said"), "Yes, it is stretchy.", []) == "did not say the listing does not say"
    assert questions.check(case(expect_any=["IP68"]), f"The listing does not say. {NOT_SAID_OFFER}",
                           []) == "said the listing does not say"


def test_the_held_out_cases_are_well_formed_and_every_title_is_in_its_shop():
    from retrieval import load_items

    cases = read_jsonl(DATA / "question_turns.jsonl")
    assert len(cases) >= 80 and len({c["id"] for c in cases}) == len(cases)
    assert {c["kind"] for c in cases} == set(questions.KINDS)
    assert {c["store"] for c in cases} <= set(STORES)
    for name, path in store_catalogs().items():
        titles = {i.title for i in load_items(path, progress=False)[0]}
        mine = [c for c in cases if c["store"] == name]
        assert mine, name
        for c in mine:
            assert 1 <= len(c["shown"]) <= 4 and set(c["shown"]) <= titles, (c["id"], c["shown"])
            assert c["kind"] == "not_said" or c["expect_any"] or c.get("expect_all"), c["id"]


@pytest.fixture(scope="module")
def asked():
    from assistant.testing import demo_assistant, shared_store

    store = shared_store()
    items = list(store.db.items().values())
    tent = next(i for i in items if i.price is not None and i.attributes and "tent" in i.title.lower())
    others = sorted((i for i in items if i.category == tent.category and i.price is not None and i.id != tent.id),
                    key=lambda i: i.price)
    low = others[0]
    key, value = next(iter(tent.attributes.items()))
    cases = [
        {"id": "price", "store": "demo", "kind": "value", "shown": [tent.title, low.title],
         "text": "how much is the first one", "expect_any": [f"{tent.price:,.2f}"], "must_not": []},
        {"id": "attr", "store": "demo", "kind": "value", "shown": [tent.title, low.title],
         "text": f"what {key.replace('_', ' ')} is the first one?", "expect_any": [value], "must_not": []},
        {"id": "cheaper", "store": "demo", "kind": "compare", "shown": [tent.title, low.title],
         "text": "which of these two is cheaper?",
         "expect_any": [low.title.split(",")[0] if low.price < tent.price else tent.title.split(",")[0]]},
        {"id": "unsaid", "store": "demo", "kind": "not_said", "shown": [tent.title, low.title],
         "text": "does the first one come with a lifetime warranty from the maker?", "expect_any": []},
    ]
    results = questions.run({"demo": store}, lambda s, acts: demo_assistant(store=s), cases)
    return {r.case: r for r in results}, questions.figures(results)


def test_questions_about_shown_items_are_answered_from_their_data_in_the_assistant(asked):
    results, figures = asked
    for name in ("price", "attr", "cheaper", "unsaid"):
        r = results[name]
        assert r.ok, (name, r.why, r.reply)
        assert "search_products" not in r.tools
    assert figures["n"] == 4 and figures["share"] == 1.0 and figures["answerable"]["n"] == 3
    assert figures["per_kind"]["not_said"]["n"] == 1 and figures["failures"] == []


def test_a_title_not_in_the_shop_is_an_error_that_names_it():
    from assistant.testing import shared_store

    with pytest.raises(ValueError, match="Nowhere Tent"):
        questions.resolve(shared_store().db.items(), ["Nowhere Tent"])
