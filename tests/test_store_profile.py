"""The store profile: id shapes, currency and vocabularies learned from a store's own data; items named by id
in any case or by title."""

from __future__ import annotations

import pytest

from retrieval import IdShape, Item, ItemNames, StoreProfile

TEXT = "tell me about phone-010 and #1001 or lt-00042, a waterproof 1200 B00005N5PF state-of-the-art kettle"


@pytest.mark.parametrize("ids, found, generic", [
    (["LT-%05d" % i for i in range(1, 200)], ["lt-00042"], False),
    (["PHONE-010", "SPORT-001", "BOOK-003", "OFFICE-012", "PHONE-002", "SPORT-002", "BOOK-001", "OFFICE-001"],
     ["phone-010"], False),
    (["#1001", "#1002", "#1010"], ["#1001"], False),
    (["B00005N5PF", "B07XYZ1234", "B000ABCDEF"], ["B00005N5PF"], False),
    (["1001", "1002", "1003"], ["1001", "1200"], True),  # plain numbers: matches need context
    (["classic-leather-sneaker", "red-running-shoes", "blue-wool-scarf"], ["state-of-the"] * 0, True),
])
def test_id_shapes_are_learned_from_the_ids(ids, found, generic):
    shape = IdShape.learn(ids)
    assert shape.findall(TEXT) == found and shape.generic is generic
    assert all(shape.matches(i) and shape.matches(i.lower()) for i in ids)


def test_a_masked_example_is_never_a_real_order_number():
    for ids in (["ORD-10001", "ORD-10002"], ["#1234"], ["1"]):
        example = IdShape.learn(ids, mask=True).example
        assert example not in ids and IdShape.learn(ids).matches(example)


def test_order_numbers_that_look_like_numbers_need_the_word_order():
    profile = StoreProfile.learn({}, ["1001", "1002"])
    assert profile.order_ids_in("phones under 1200") == []
    assert profile.order_ids_in("where is order #1001?") == ["1001"]
    assert profile.order_ids_in("my order number is 1002") == ["1002"]
    assert StoreProfile.learn({}, ["#1001"]).order_ids_in("status of #1001 please") == ["#1001"]


ITEMS = {i.id: i for i in [
    Item("BOOK-001", "Billy Summers: A Novel by Stephen King", currency="EUR", attributes={"color": "red"}),
    Item("BOOK-002", "The Shining by Stephen King", currency="EUR", attributes={"color": "red"}),
    Item("PHONE-010", "Nokia 3310 Classic Phone", currency="EUR", attributes={"color": "blue"}),
    Item("socks", "Wool Socks", currency="USD", attributes={"color": "blue"}),
]}


def test_items_are_named_by_id_in_any_case_but_plain_word_ids_need_context():
    names = ItemNames(ITEMS)
    assert names.ids_in("compare phone-010 and Book-001") == ["PHONE-010", "BOOK-001"]
    assert names.ids_in("I like wool socks") == []  # an id that is an ordinary word is not read from prose
    assert names.ids_in("socks") == ["socks"] and names.ids_in("item socks") == ["socks"]
    assert names.canonical(" 'phone-010'. ") == "PHONE-010"


def test_items_are_named_by_title_or_a_distinctive_part_of_it():
    names = ItemNames(ITEMS)
    assert names.by_title("tell me more about the Billy Summers book") == ["BOOK-001"]
    assert names.by_title("the shining one") == ["BOOK-002"]
    assert names.by_title("the Stephen King books") == []  # two titles have both words: it names neither
    assert names.by_title("the Nokia phone") == ["PHONE-010"]
    assert names.by_title("show me something nice") == []
    assert names.by_title("the Shining by Stephen King", among=["BOOK-002"]) == ["BOOK-002"]


def test_items_on_screen_are_named_by_words_the_others_lack():
    names = ItemNames(ITEMS)
    screen = ["BOOK-001", "BOOK-002", "PHONE-010"]
    assert names.named_among("is the shining one in stock?", screen) == ["BOOK-002"]
    assert names.named_among("how much are the stephen king ones", screen) == ["BOOK-001", "BOOK-002"]
    assert names.named_among("what is it made of", screen) == []  # no word tells them apart
    assert names.distinct_among("the stephen king one", screen) is None  # two of them: not one
    assert names.distinct_among("the nokia", screen) == "PHONE-010"


def test_currency_and_vocabularies_come_from_the_items():
    profile = StoreProfile.learn(ITEMS)
    assert profile.currency == "EUR" and profile.colors == ("blue", "red")
    assert profile.item_ids.example == "BOOK-001"
