"""Answers to questions about items already shown, from each item's own data (assistant/answers.py).

Structured answers use HashEmbedder (the embedder plays no part); description answers use the real MiniLM,
loaded once (the session fixture ``minilm`` from conftest.py).
"""

from __future__ import annotations

import pytest

from assistant.answers import Answer, answer_question, parse_quantity, split_sentences
from assistant.explain import FactChecker, facts_for
from retrieval import HashEmbedder, Item

HASH = HashEmbedder()

THRILLER = Item(id="BK-001", title="The Silent Harbor", brand="Marlow Press", price=14.99, rating=4.4,
                rating_count=230, category=("Books", "Fiction", "Thrillers"),
                attributes={"page_count": "352", "format": "paperback"},
                description="A detective returns to her coastal hometown to solve a cold case. A gripping "
                            "page-turner from the first chapter.")
SAGA = Item(id="BK-002", title="Gardens of Light", brand="Fernleaf Books", price=22.5, rating=4.8, rating_count=12,
            category=("Books", "Fiction", "Literary Fiction"), attributes={"pages": "416 pages", "format": "hardcover"},
            description="A quiet family saga across three generations of gardeners.")
PULSE = Item(id="PH-001", title="Nexbyte Pulse 7 Smartphone, 128 GB", brand="Nexbyte", price=399.0, rating=4.1,
             rating_count=88, category=("Electronics", "Phones"),
             attributes={"headphone_jack": "yes", "battery": "5000 mAh", "weight": "189 g", "color": "graphite"},
             description="A 6.5-inch OLED display with a 120 Hz refresh rate. The 5000 mAh battery lasts up to two "
                         "days on a charge.")
AIR = Item(id="PH-002", title="Lumora Air Smartphone, 256 GB", brand="Lumora", price=649.0, rating=4.6,
           rating_count=310, category=("Electronics", "Phones"),
           attributes={"headphone_jack": "no", "battery": "4200 mAh", "weight": "0.17 kg", "color": "silver"},
           description="An ultra-thin aluminium body. Wireless charging and IP68 dust and water resistance.")
# another store's keys: spaces, capitals, camel case; the facts only in the description
VOLT = Item(id="PH-003", title="Voltaic Mini Phone", brand="Voltaic", price=199.0,
            attributes={"Item Weight": "5.3 oz", "BatteryLife": "18 hours"},
            description="Compact and pocketable. No 3.5 mm headphone jack; use USB-C or Bluetooth audio.")
TRAIL = Item(id="SH-001", title="Corebound Trail Runner", brand="Corebound", price=119.95, rating=4.3,
             rating_count=57, category=("Shoes", "Running"),
             attributes={"sizes": "US 7-12", "colors": "black, blue, red", "weight": "10.2 oz"},
             description="Lugged outsole for grip on loose trails. Waterproof up to 50 m thanks to a sealed "
                         "membrane. Reflective heel tab for low light.")
RACER = Item(id="SH-002", title="Tidal Road Racer", brand="Tidal & Thread", price=89.0, rating=4.5,
             rating_count=140, category=("Shoes", "Running"),
             attributes={"size": "US 9", "color": "white", "item_weight": "0.6 lb", "material": "mesh"},
             description="A featherlight racing flat with a carbon plate. Breathable mesh upper keeps feet cool. "
                         "The machine-made stitching is extra durable.")
BOOT = Item(id="SH-003", title="Kestrel Hiking Boot", brand="Kestrel", price=159.0, category=("Shoes", "Hiking"),
            attributes={"color": "brown", "weight": "1.2 kg", "material": "full-grain leather"},
            description="Built for rocky ground.")
ALL = [THRILLER, SAGA, PULSE, AIR, VOLT, TRAIL, RACER, BOOT]
CHECKER = FactChecker({i.id: i for i in ALL})


def checked(question: str, items: list[Item], embedder=HASH) -> Answer:
    """The answer, after the checks every answer must pass: no item ids in the text, every claim supported by
    the items' own data or the shopper's words, evidence only from the items asked about."""
    answer = answer_question(question, items, embedder)
    for item in ALL:
        assert item.id.lower() not in answer.text.lower()
    check = CHECKER.check(answer.text, facts_for(items, [question]))
    assert check.ok, (answer.text, check.unsupported)
    assert {e[0] for e in answer.evidence} <= {i.id for i in items}
    return answer


# ------------------------------------------------------------------------------------------------ fields
def test_attribute_values_by_key_words_synonyms_and_plurals():
    answer = checked("how many pages?", [THRILLER])
    assert answer.found and "352" in answer.text and "The Silent Harbor" in answer.text
    assert answer.evidence == [("BK-001", "attributes.page_count", "352")]
    assert "416 pages" in checked("how many pages does it have?", [SAGA]).text

    sizes = checked("what sizes does it come in?", [TRAIL])
    assert "US 7-12" in sizes.text and sizes.evidence == [("SH-001", "attributes.sizes", "US 7-12")]
    assert "US 9" in checked("what size is it?", [RACER]).text
    assert "5000 mAh" in checked("how big is the battery?", [PULSE]).text
    assert "0.6 lb" in checked("how much does it weigh?", [RACER]).text  # item_weight
    assert "5.3 oz" in checked("what's the weight?", [VOLT]).text  # "Item Weight"
    assert "18 hours" in checked("how long does the battery last?", [VOLT]).text  # "BatteryLife"
    assert "full-grain leather" in checked("what is it made of?", [BOOT]).text
    assert "color white" in checked("what colour is it?", [RACER]).text


def test_price_and_brand_of_one_item():
    answer = checked("what's the price and the brand of the first one?", [PULSE])
    assert "$399.00" in answer.text and "Nexbyte" in answer.text
    assert ("PH-001", "price", "$399.00") in answer.evidence and ("PH-001", "brand", "Nexbyte") in answer.evidence
    assert "Fernleaf Books" in checked("who makes it?", [SAGA]).text
    rating = checked("what are the reviews like?", [TRAIL])
    assert "4.3/5" in rating.text and "57" in rating.text
    assert "yes, in stock" in checked("is it in stock?", [PULSE]).text
    assert "Thrillers" in checked("what genre is it?", [THRILLER]).text


def test_several_items_answered_each_by_title():
    answer = checked("how much are they?", [PULSE, AIR, TRAIL])
    for item, price in ((PULSE, "$399.00"), (AIR, "$649.00"), (TRAIL, "$119.95")):
        assert price in answer.text
    assert "Nexbyte Pulse 7 Smartphone:" in answer.text and "Lumora Air Smartphone:" in answer.text
    assert len(answer.evidence) == 3


# ------------------------------------------------------------------------------------------------ yes / no
def test_yes_no_from_attributes():
    answer = checked("does it have a headphone jack?", [PULSE, AIR])
    assert "Nexbyte Pulse 7 Smartphone: yes" in answer.text and "Lumora Air Smartphone: no" in answer.text
    assert answer.found

    which = checked("which one has a headphone jack?", [PULSE, AIR])
    assert which.text.startswith("Yes for Nexbyte Pulse 7 Smartphone; no for Lumora Air Smartphone.")


def test_yes_no_about_a_value():
    assert "yes (colors black, blue, red)" in checked("does the first one come in blue?", [TRAIL]).text
    no_blue = checked("does the first one come in blue?", [RACER])
    assert "no (color white)" in no_blue.text and no_blue.found

    assert "yes (sizes US 7-12)" in checked("does it come in size 10?", [TRAIL]).text  # inside the range
    assert "no (size US 9)" in checked("does it come in size 10?", [RACER]).text

    thriller = checked("is that one a thriller?", [THRILLER])
    assert "yes" in thriller.text and ("BK-001", "category", "Books > Fiction > Thrillers") in thriller.evidence

    brand = checked("is it by Nexbyte?", [PULSE, AIR])
    assert "Nexbyte Pulse 7 Smartphone: yes (brand Nexbyte)" in brand.text
    assert "Lumora Air Smartphone: no (brand Lumora)" in brand.text


def test_yes_no_against_a_limit():
    answer = checked("is it under $100?", [TRAIL, RACER])
    assert "Corebound Trail Runner: no, $119.95 is over $100" in answer.text
    assert "Tidal Road Racer: yes, $89.00 is under $100" in answer.text
    weight = checked("does it weigh less than 300 g?", [PULSE, BOOT])
    assert "Nexbyte Pulse 7 Smartphone: yes (weight 189 g)" in weight.text
    assert "Kestrel Hiking Boot: no (weight 1.2 kg)" in weight.text
    battery = checked("is the battery over 4500 mAh?", [PULSE, AIR])
    assert "Nexbyte Pulse 7 Smartphone: yes" in battery.text and "Lumora Air Smartphone: no" in battery.text


def test_genre_and_material_not_listed(minilm):
    saga = checked("is that one a thriller?", [SAGA], minilm)
    assert "no, not listed as thriller (category Books > Fiction > Literary Fiction)" in saga.text
    # the property nearest in meaning to the value asked about shows what the item is instead
    assert "no, not listed as hardcover (format paperback)" in checked("is it a hardcover?", [THRILLER], minilm).text
    leather = checked("is it made of leather?", [RACER], minilm)  # "leather" is a store material: checked
    assert "no (material mesh)" in leather.text
    assert "yes" in checked("is it made of leather?", [BOOT], minilm).text


# ------------------------------------------------------------------------------------------------ description
def test_waterproof_from_the_description(minilm):
    answer = checked("is it waterproof?", [TRAIL], minilm)
    assert answer.found
    assert answer.text.startswith("Corebound Trail Runner: yes, the description says")
    assert "Waterproof up to 50 m" in answer.text
    assert answer.evidence == [("SH-001", "description", "Waterproof up to 50 m thanks to a sealed membrane.")]

    # "water resistance" is not "waterproof": quoted, without a yes
    phone = checked("is it waterproof?", [AIR], minilm)
    assert phone.found and "water resistance" in phone.text and ": yes" not in phone.text


def test_negated_description_answers_no(minilm):
    answer = checked("does it have a headphone jack?", [VOLT], minilm)
    assert answer.found and answer.text.startswith("Voltaic Mini Phone: no, the description says")
    assert "No 3.5 mm headphone jack" in answer.text


def test_open_question_quotes_the_best_sentence(minilm):
    screen = checked("what's the screen like?", [PULSE], minilm)
    assert "6.5-inch OLED display" in screen.text and screen.evidence[0][1] == "description"
    trails = checked("is it good for trails?", [TRAIL], minilm)
    assert "Lugged outsole for grip on loose trails." in trails.text
    about = checked("what is it about?", [THRILLER], minilm)
    assert "solve a cold case" in about.text


def test_not_said_when_nothing_says_it(minilm):
    answer = checked("is it waterproof?", [RACER], minilm)
    assert not answer.found and answer.unanswered == ["SH-002"] and answer.evidence == []
    assert answer.text == "Tidal Road Racer: the listing does not mention waterproof."
    # a sentence sharing a word but not answering ("machine-made stitching") is not an answer
    wash = checked("can I wash it in the machine?", [RACER], minilm)
    assert not wash.found and "machine-made" not in wash.text
    # "wireless" in the other phone's description says nothing about this one
    assert not checked("does it have wireless charging?", [PULSE], minilm).found
    mixed = checked("does it have wireless charging?", [PULSE, AIR], minilm)
    assert not mixed.found and mixed.unanswered == ["PH-001"]
    assert "Lumora Air Smartphone: yes, the description says" in mixed.text
    assert "Nexbyte Pulse 7 Smartphone: the listing does not mention wireless charging." in mixed.text


# ------------------------------------------------------------------------------------------------ comparisons
@pytest.mark.parametrize(("question", "items", "winner"), [
    ("which one is lighter?", [TRAIL, RACER], "Tidal Road Racer is lighter (item weight 0.6 lb)"),  # 272 g < 289 g
    ("which one is lighter?", [PULSE, AIR], "Lumora Air Smartphone is lighter (weight 0.17 kg)"),  # 170 g < 189 g
    ("which is the heaviest?", [TRAIL, RACER, BOOT], "Kestrel Hiking Boot is the heaviest (weight 1.2 kg)"),
    ("which is cheaper?", [THRILLER, SAGA], "The Silent Harbor is cheaper ($14.99)"),
    ("which one is more expensive?", [PULSE, AIR], "Lumora Air Smartphone is more expensive ($649.00)"),
    ("which has better reviews?", [PULSE, AIR], "Lumora Air Smartphone is rated higher (4.6/5 by 310 shoppers)"),
    ("which has more reviews?", [THRILLER, SAGA], "The Silent Harbor has more reviews (230 reviews)"),
    ("which has more pages?", [THRILLER, SAGA], "Gardens of Light has more pages (416 pages)"),  # "352" vs "416 pages"
    ("which book is longer?", [THRILLER, SAGA], "Gardens of Light is longer (416 pages)"),
    ("which has the bigger battery?", [PULSE, AIR], "Nexbyte Pulse 7 Smartphone has more battery (battery 5000 mAh)"),
])
def test_comparisons_name_the_winner(question, items, winner):
    answer = checked(question, items)
    assert answer.found and answer.text.startswith(winner), answer.text
    assert len(answer.evidence) == len(items)


def test_comparison_with_missing_values():
    answer = checked("which has better reviews?", [TRAIL, BOOT, RACER])
    assert answer.text.startswith("Tidal Road Racer is rated higher (4.5/5 by 140 shoppers)")
    assert "Kestrel Hiking Boot has no reviews yet." in answer.text and answer.unanswered == ["SH-003"]
    alone = checked("which is lighter?", [VOLT, THRILLER])
    assert not alone.found and "I can't compare them" in alone.text and "does not list weight" in alone.text


def test_no_items_asks_which():
    answer = answer_question("is it waterproof?", [], HASH)
    assert not answer.found and answer.evidence == []


# ------------------------------------------------------------------------------------------------ parts
@pytest.mark.parametrize(("text", "grams"), [
    ("1.2 kg", 1200), ("350 g", 350), ("16 oz", 453.59), ("2 lb", 907.18), ("3 lb 4 oz", 1474.18),
    ("2 x 10 lb", 9071.84), ("0.6 lb", 272.16),
])
def test_parse_quantity_converts_mass(text, grams):
    quantity = parse_quantity(text)
    assert quantity is not None and quantity.dim == "mass" and quantity.value == pytest.approx(grams, abs=0.01)


def test_parse_quantity_other_units():
    assert parse_quantity("8 hours (32 with case)") == parse_quantity("8 h")
    assert parse_quantity("64 oz", volume=True).dim == "volume"
    assert parse_quantity("4 cups").value < parse_quantity("64 oz", volume=True).value
    assert parse_quantity("192 pages").dim == "page" and parse_quantity("192 pages").value == 192
    assert parse_quantity("XL").value > parse_quantity("M").value
    assert parse_quantity("worsted") is None


def test_split_sentences():
    assert split_sentences("One. Two! Three?\n- Four\n• Five") == ["One.", "Two!", "Three?", "Four", "Five"]
