"""Shared batches for an embedder called by many shoppers at once.

Every chat turn embeds a sentence or two (the shopper's message for the act model, the search query). One
MiniLM call on one short sentence costs about as much as a call on ten (``longtail bench ui``: the encoder
was 58% of a turn's CPU with ten shoppers at once), so concurrent calls are merged: the first caller runs the
encoder on what is waiting, and callers that arrive meanwhile wait for the next run and share it. A caller
alone never waits (no timer, no worker thread); bulk calls (indexing, with a progress bar) pass straight
through.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .embed import Embedder


@dataclass
class _Call:
    texts: list[str]
    vectors: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False
    rows: list[int] = field(default_factory=list)  # this call's rows in the merged batch


class BatchingEmbedder:
    """``inner`` behind one lock, with concurrent :meth:`encode` calls merged into one batch of at most
    ``max_texts`` distinct texts. Same ``name``, ``dim`` and results as ``inner`` (up to float rounding)."""

    def __init__(self, inner: Embedder, max_texts: int = 64):
        if max_texts < 1:
            raise ValueError(f"max_texts must be >= 1, got {max_texts}.")
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_texts = max_texts
        self._cond = threading.Condition()
        self._waiting: list[_Call] = []
        self._busy = False
        self.runs = 0  # encoder runs, and the calls they served: how much was shared
        self.calls = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if progress or len(texts) > self.max_texts:
            with self._cond:  # bulk work waits for a free encoder, then runs as it was asked
                while self._busy:
                    self._cond.wait()
                self._busy = True
            try:
                return self.inner.encode(texts, batch_size=batch_size, progress=progress)
            finally:
                self._release([])
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        call = _Call(texts)
        with self._cond:
            self._waiting.append(call)
            while not call.done and self._busy:
                self._cond.wait()
            if call.done:
                return self._result(call)
            self._busy = True  # this caller runs the encoder for everyone waiting
            batch = self._take()
        try:
            self._run(batch)
        finally:
            self._release(batch)
        return self._result(call)

    def _take(self) -> list[_Call]:
        """The waiting calls that fit in one batch, oldest first (the caller's own is among them)."""
        batch, distinct = [], set()
        for call in self._waiting:
            more = distinct | set(call.texts)
            if batch and len(more) > self.max_texts:
                break
            batch.append(call)
            distinct = more
        self._waiting = self._waiting[len(batch):]
        return batch

    def _run(self, batch: list[_Call]) -> None:
        unique: dict[str, int] = {}
        for call in batch:
            call.rows = [unique.setdefault(t, len(unique)) for t in call.texts]
        try:
            vectors = self.inner.encode(list(unique))
        except BaseException as exc:  # every caller in the batch gets the error, none is left waiting
            for call in batch:
                call.error = exc
            return
        for call in batch:
            call.vectors = vectors[call.rows]

    def _release(self, batch: list[_Call]) -> None:
        with self._cond:
            for call in batch:
                call.done = True
            if batch:
                self.runs += 1
                self.calls += len(batch)
            self._busy = False
            self._cond.notify_all()

    @staticmethod
    def _result(call: _Call) -> np.ndarray:
        if call.error is not None:
            raise call.error
        assert call.vectors is not None
        return call.vectors
