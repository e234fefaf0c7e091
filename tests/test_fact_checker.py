"""The fact checker's rules for sentences about one item: its own price, brand, author and colour; a title
written with another item's id; ids in any letter case; titles that no item has."""

from __future__ import annotations

import pytest

from assistant.explain import FactChecker, facts_for
from retrieval import ItemNames
from retrieval.catalog import item_from_record

ITEMS = {i.id: i for i in (
    item_from_record({"id": "BOOK-001", "title": "The Quiet Harbor", "brand": "Penguin", "price": 14.99,
                      "rating": 4.5, "rating_count": 20, "attributes": {"author": "Mara Lindqvist", "pages": "352"},
                      "category": "Books > Fiction", "description": "A slow mystery on the coast."}),
    item_from_record({"id": "BOOK-002", "title": "Ember Road", "brand": "Vintage", "price": 18.50, "rating": 4.1,
                      "rating_count": 8, "attributes": {"author": "Tomas Reyes", "pages": "210"},
                      "category": "Books > Thriller", "description": "A road thriller."}),
    item_from_record({"id": "OFFICE-013", "title": "Ridgeback Desk Lamp", "brand": "Lumen", "price": 39.0,
                      "attributes": {"color": "black"}, "category": "Office", "description": "A desk lamp."}),
)}


@pytest.fixture(scope="module")
def checker():
    return FactChecker(ITEMS, ItemNames(ITEMS))


def facts(*ids, said=("something to read",)):
    return facts_for([ITEMS[i] for i in ids], list(said))


def test_a_sentence_about_one_item_may_only_use_that_items_facts(checker):
    shown = facts("BOOK-001", "BOOK-002")
    assert checker.check("The Quiet Harbor costs $14.99 and is by Mara Lindqvist.", shown).ok
    assert not checker.check("The Quiet Harbor costs $18.50.", shown).ok  # the other book's price
    assert not checker.check("The Quiet Harbor is by Tomas Reyes.", shown).ok  # the other book's author
    assert not checker.check("Ember Road is published by Penguin.", shown).ok  # the other book's brand
    assert checker.check("Both cost under $20: $14.99 and $18.50.", shown).ok  # two items: pooled facts


def test_the_shoppers_own_numbers_may_be_repeated(checker):
    shown = facts("BOOK-002", said=("a thriller under $25",))
    assert checker.check("Ember Road is under your $25 budget at $18.50.", shown).ok


def test_a_title_with_another_items_id_is_unsupported(checker):
    shown = facts("BOOK-001", "BOOK-002")
    assert checker.check("The Quiet Harbor (BOOK-001) is a mystery.", shown).ok
    bad = checker.check("The Quiet Harbor (BOOK-002) is a mystery.", shown)
    assert not bad.ok and any(u.startswith("pair:") for u in bad.unsupported)


def test_ids_count_in_any_letter_case(checker):
    shown = facts("OFFICE-013")
    assert checker.check("The Ridgeback Desk Lamp (office-013) is black.", shown).ok
    assert not checker.check("Try office-099, a great lamp.", shown).ok  # no such item


def test_a_title_no_item_has_is_flagged(checker):
    shown = facts("BOOK-001")
    bad = checker.check("You might also love The Midnight Glass Orchard by the same author.", shown)
    assert not bad.ok and any(u.startswith("title:") for u in bad.unsupported)
    assert checker.check("The Quiet Harbor Is A Slow Mystery.", shown).ok  # title case of words it has
