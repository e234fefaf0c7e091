"""The traced fast path of SentenceTransformerEmbedder (retrieval/embed.py) on the real MiniLM."""

from __future__ import annotations

import numpy as np

from retrieval.embed import FAST_MAX_TEXTS, SentenceTransformerEmbedder


def test_the_traced_path_gives_sentence_transformers_vectors(minilm):
    inner = getattr(minilm, "inner", minilm)
    assert isinstance(inner, SentenceTransformerEmbedder) and inner.fast_path()
    texts = ["running shorts under $50", "x", "Here are 5 picks for \"rain jacket\", including 2 lesser-known "
             "finds. " * 8, ""]  # short, long (padding), empty
    fast = inner.encode(texts)
    reference = inner.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert fast.dtype == np.float32 and fast.shape == (4, inner.dim)
    assert np.allclose(fast, reference, atol=1e-4)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_long_calls_and_other_models_keep_sentence_transformers_encode(minilm):
    inner = getattr(minilm, "inner", minilm)
    many = [f"item number {i}" for i in range(FAST_MAX_TEXTS + 1)]
    assert np.allclose(inner.encode(many), inner.model.encode(many, normalize_embeddings=True), atol=1e-4)
    slow = SentenceTransformerEmbedder(fast=False)
    assert not slow.fast and np.allclose(slow.encode(["a query"]), inner.encode(["a query"]), atol=1e-4)
