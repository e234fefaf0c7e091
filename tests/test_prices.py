"""Price bounds respect meaning: direction, negation, ranges, units that are not prices, "no budget"."""

from __future__ import annotations

import pytest

from assistant.prices import read_prices, without_prices
from assistant.testing import demo_assistant


@pytest.mark.parametrize("text, bounds", [
    ("not more than 30", {"max_price": 30}),
    ("can't go above $50", {"max_price": 50}),
    ("I don't want to spend more than 80", {"max_price": 80}),
    ("no less than 20", {"min_price": 20}),
    ("at least $25", {"min_price": 25}),
    ("around $600", {"min_price": 480, "max_price": 720}),
    ("between 10 and 20 euros", {"min_price": 10, "max_price": 20}),
    ("from 10 to 20", {"min_price": 10, "max_price": 20}),
    ("$10-$20 please", {"min_price": 10, "max_price": 20}),
    ("40 or less", {"max_price": 40}),
    ("1,200 dollars max", {"max_price": 1200}),
    ("50 tops", {"max_price": 50}),
    ("$40 or more", {"min_price": 40}),
    ("my budget is $50", {"max_price": 50}),
    ("a tv over 50 inches under 600", {"max_price": 600}),
    ("phones with at least 16GB", {}),
    ("battery over 5000 mAh", {}),
    ("less than 2 kg", {}),
    ("over 4 stars", {}),
    ("running shoes for a girl of 7", {}),
    ("a 3 person tent", {}),
])
def test_price_bounds_follow_the_words(text, bounds):
    assert read_prices(text).as_args() == bounds


def test_pounds_are_money_only_in_a_store_that_prices_in_gbp():
    assert read_prices("a kettle under 5 pounds").as_args() == {}
    assert read_prices("a kettle under 5 pounds", "GBP").as_args() == {"max_price": 5}


@pytest.mark.parametrize("text", ["budget is not a problem", "money is no object", "no budget, just the best",
                                  "price doesn't matter"])
def test_no_budget_means_no_price_filter(text):
    bounds = read_prices(text)
    assert bounds.unlimited and bounds.as_args() == {}


def test_price_phrases_leave_the_need_in_the_query():
    text = "headphones under 100 bucks"
    assert without_prices(text, read_prices(text)).split() == ["headphones"]


def test_refinements_use_the_stated_bounds_and_no_budget_lifts_them():
    bot = demo_assistant()
    run = lambda m: [e for e in bot.respond("p", m) if type(e).__name__ == "ToolCall"][0]  # noqa: E731
    assert run("a backpack under $80").arguments["max_price"] == 80
    around = run("around 60 then").arguments
    assert (around["min_price"], around["max_price"]) == (48, 72)
    lifted = run("budget is not a problem").arguments
    assert "max_price" not in lifted and "min_price" not in lifted and "backpack" in lifted["query"]
    assert "max_price" not in run("a phone with at least 16GB").arguments


@pytest.mark.parametrize("text,lo,hi", [
    ("under a hundred", None, 100), ("no more than seventy five", None, 75), ("keep it under 2 grand", None, 2000),
    ("i don't want to spend more than a tenner", None, 10), ("a couple hundred at most", None, 200),
    ("between fifty and eighty", 50, 80), ("around six hundred", 480, 720), ("i've got 80 to spend", None, 80),
    ("under five dollars", None, 5), ("a two person tent", None, None), ("the second one", None, None),
    ("for my twenty year old under 40", None, 40),
])
def test_spoken_amounts(text, lo, hi):
    b = read_prices(text)
    assert (b.min_price, b.max_price) == (lo, hi)


def test_quid_is_money_and_the_need_is_what_is_left():
    b = read_prices("a scarf, twenty quid max", "GBP")
    assert b.max_price == 20
    assert without_prices("a scarf, twenty quid max", b).split() == ["a", "scarf,"]


@pytest.mark.parametrize("text,lo,hi", [
    ("it shouldn't cost more than $250", None, 250), ("my limit is 70", None, 70),
    ("nothing below 30 please", 30, None), ("something in the 30-50 range", 30, 50),
    ("anywhere from 200 up to 350 euros", 200, 350), ("budget around 1k", 800, 1200),
    ("about a hundred and fifty", 120, 180), ("a 4k tv under 500", None, 500),
])
def test_negated_comparatives_limits_ranges_and_k(text, lo, hi):
    b = read_prices(text)
    assert (b.min_price, b.max_price) == (lo, hi)
