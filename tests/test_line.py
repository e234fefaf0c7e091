"""The local model's line (assistant.line): first come, first served over a fixed number of slots, bounded, and
a place given up when its shopper leaves."""

from __future__ import annotations

import threading

import pytest

from assistant.line import Line, ModelBusy


def test_places_are_served_in_order_of_arrival_and_the_line_is_bounded():
    line = Line(["ctx"], max_waiting=2)
    first = line.join()
    assert first.slot == "ctx" and first.number == 0
    second, third = line.join(), line.join()
    assert (second.number, third.number, line.waiting) == (1, 2, 2)
    with pytest.raises(ModelBusy, match="2 replies are waiting"):
        line.join()
    assert not second.wait(0.01)  # still the first's turn
    first.leave()
    assert second.wait(0) and second.slot == "ctx" and third.number == 1
    first.leave()  # twice is once: the slot is not handed out twice
    assert third.slot is None and line.waiting == 1
    second.leave()
    assert third.wait(0) and line.waiting == 0


def test_a_shopper_who_leaves_the_line_moves_the_others_up():
    line = Line(["a", "b"], max_waiting=4)
    a, b = line.join(), line.join()
    assert {a.slot, b.slot} == {"a", "b"}
    c, d = line.join(), line.join()
    c.leave()  # left while waiting: never gets a slot
    assert d.number == 1 and line.waiting == 1
    b.leave()
    assert d.wait(0) and d.slot == "b" and c.slot is None


def test_hold_waits_for_a_slot_in_another_thread():
    line = Line(["only"])
    held = line.join()
    got = []
    worker = threading.Thread(target=lambda: got.append(line.hold().__enter__()))
    worker.start()
    worker.join(0.2)
    assert worker.is_alive() and line.waiting == 1  # waits in line
    held.leave()
    worker.join(5)
    assert got == ["only"]
    with pytest.raises(ValueError, match="slot"):
        Line([])
