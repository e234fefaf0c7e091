"""Lexical search: BM25 over item texts with `bm25s`, scoring every item so filters can mask any of them."""

from __future__ import annotations

from typing import Sequence

import bm25s
import numpy as np


class BM25Index:
    def __init__(self, texts: Sequence[str]):
        self.size = len(texts)
        tokens = bm25s.tokenize(list(texts), stopwords="en", show_progress=False)
        self.vocab = tokens.vocab
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every item for ``query`` (zeros when no query word is in the vocabulary)."""
        words = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
        words = [w for w in words if w in self.vocab]
        if not words or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(words), dtype=np.float32)
