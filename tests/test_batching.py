"""Concurrent embedder calls share encoder runs and each caller gets its own rows."""

import threading
import time

import numpy as np
import pytest

from retrieval.batching import BatchingEmbedder
from retrieval.embed import HashEmbedder


class SlowEmbedder(HashEmbedder):
    """A hashing embedder that takes a while per call and records what each call was given."""

    def __init__(self, delay: float = 0.05, fail_on: str = ""):
        super().__init__(64)
        self.delay, self.fail_on, self.calls = delay, fail_on, []

    def encode(self, texts, batch_size=64, progress=False):
        self.calls.append(list(texts))
        time.sleep(self.delay)
        if self.fail_on and self.fail_on in texts:
            raise RuntimeError("encoder broke")
        return super().encode(texts)


def run_at_once(embedder, requests):
    results, errors = [None] * len(requests), [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def call(n):
        barrier.wait()
        try:
            results[n] = embedder.encode(requests[n])
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            errors[n] = exc

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results, errors


def test_concurrent_calls_share_runs_and_get_their_own_rows():
    inner = SlowEmbedder()
    shared = BatchingEmbedder(inner)
    requests = [[f"query {n} shoes", "the previous reply"] for n in range(10)]
    results, errors = run_at_once(shared, requests)
    assert errors == [None] * 10
    for texts, got in zip(requests, results):
        np.testing.assert_allclose(got, HashEmbedder(64).encode(texts), atol=1e-6)
    assert shared.calls == 10
    assert len(inner.calls) == shared.runs < 10  # merged: fewer encoder runs than calls
    assert max(len(c) for c in inner.calls) > 2
    assert all(len(c) == len(set(c)) for c in inner.calls)  # a text shared by callers is encoded once per run


def test_a_caller_alone_runs_at_once_and_bulk_calls_pass_through():
    inner = SlowEmbedder(delay=0)
    shared = BatchingEmbedder(inner, max_texts=4)
    assert shared.encode([]).shape == (0, 64)
    shared.encode(["one"])
    shared.encode(["a", "b", "c", "d", "e"])  # over max_texts: as asked, in one call
    shared.encode(["x"], progress=True)
    assert inner.calls == [["one"], ["a", "b", "c", "d", "e"], ["x"]]
    assert (shared.name, shared.dim) == (inner.name, inner.dim)


def test_a_failing_run_fails_every_caller_in_it_and_the_next_run_works():
    inner = SlowEmbedder(fail_on="boom")
    shared = BatchingEmbedder(inner)
    results, errors = run_at_once(shared, [["boom"], ["fine"], ["also fine"]])
    failed = [e for e in errors if e is not None]
    assert failed and all(isinstance(e, RuntimeError) for e in failed)
    assert all(r is not None for r, e in zip(results, errors) if e is None)
    assert shared.encode(["after"]).shape == (1, 64)  # nothing left locked


def test_max_texts_is_checked():
    with pytest.raises(ValueError, match="max_texts"):
        BatchingEmbedder(HashEmbedder(8), max_texts=0)
