"""A first-come, first-served line for a local model's generation slots.

A local model generates for a fixed number of shoppers at once (one for transformers, ``llm_slots`` llama.cpp
contexts). Everyone else waits in a bounded line, in order of arrival:

    place = model.line.join()   # a slot now, or a place in the line (ModelBusy when the line is full)
    while not place.wait(0.5):  # the assistant tells the shopper ``place.number`` meanwhile
        ...
    model.stream(messages, place=place)  # runs on the place's slot; more calls may follow on it
    place.leave()               # the slot goes to the first in line (also when the shopper left mid-wait)

``with line.hold() as slot`` does all of that for a single call.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any


class ModelBusy(RuntimeError):
    """Every slot is generating and ``max_waiting`` shoppers already wait for one."""

    def __init__(self, waiting: int):
        super().__init__(f"The local model is busy: {waiting} replies are waiting for it. Raise llm_slots (more "
                         f"contexts), llm_max_waiting (a longer line), or serve the model with llama.cpp's server "
                         f"(llm_backend='openai').")
        self.waiting = waiting


class Place:
    """One caller's place: ``slot`` once it is their turn; ``number`` their place in the line (1 = next,
    0 = holding a slot, or left)."""

    def __init__(self, line: Line):
        self._line = line
        self.slot: Any = None
        self.left = False

    @property
    def number(self) -> int:
        with self._line._cond:
            return self._line._waiting.index(self) + 1 if self in self._line._waiting else 0

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (None: as long as it takes) for a slot; True once it is held."""
        with self._line._cond:
            return self._line._cond.wait_for(lambda: self.slot is not None or self.left, timeout) and not self.left

    def leave(self) -> None:
        """Give the slot back (or the place in the line up); twice is the same as once."""
        self._line._leave(self)


class Line:
    """``slots``: the resources handed out (each to one caller at a time); at most ``max_waiting`` wait."""

    def __init__(self, slots: Sequence[Any], max_waiting: int = 16):
        if not slots or max_waiting < 0:
            raise ValueError(f"{len(slots)} slots, max_waiting={max_waiting}: need at least one slot and "
                             f"max_waiting >= 0.")
        self._free = list(reversed(slots))  # the last one handed back is handed out first (its cache is warm)
        self._waiting: deque[Place] = deque()
        self._cond = threading.Condition()
        self.max_waiting = max_waiting

    @property
    def waiting(self) -> int:
        """Callers in the line now."""
        return len(self._waiting)

    def join(self) -> Place:
        """A slot at once when one is free and nobody waits; else the last place in the line."""
        place = Place(self)
        with self._cond:
            if self._free and not self._waiting:
                place.slot = self._free.pop()
            elif len(self._waiting) >= self.max_waiting:
                raise ModelBusy(len(self._waiting))
            else:
                self._waiting.append(place)
        return place

    def _leave(self, place: Place) -> None:
        with self._cond:
            if place.left:
                return
            place.left = True
            if place.slot is not None:
                self._free.append(place.slot)
            else:
                self._waiting.remove(place)
            while self._free and self._waiting:  # first come, first served
                self._waiting.popleft().slot = self._free.pop()
            self._cond.notify_all()

    @contextlib.contextmanager
    def hold(self, place: Place | None = None) -> Iterator[Any]:
        """A slot for the block: ``place``'s when given (and kept after), else one waited for and given back."""
        if place is not None:
            if place.slot is None or place.left:
                raise ValueError("This place holds no slot: wait() for it first.")
            yield place.slot
            return
        place = self.join()
        try:
            place.wait()
            yield place.slot
        finally:
            place.leave()
