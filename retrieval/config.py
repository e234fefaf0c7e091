"""The typed configuration of one store's retrieval: where its files live, the vector store, the embedder, the
search and the long-tail re-ranking. It validates itself; `longtail.config.Settings` builds one for the
configured store (:meth:`~longtail.config.Settings.store_config`) and takes its defaults from here."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

ChromaMode = Literal["persistent", "http", "ephemeral"]
Fusion = Literal["rrf", "score"]
Reranker = Literal["none", "exposure", "xquad"]
CHOICES = {"chroma_mode": ("persistent", "http", "ephemeral"), "fusion": ("rrf", "score"),
           "reranker": ("none", "exposure", "xquad")}
SHARES = ("dense_weight", "tail_share", "relevance_floor", "exposure_weight", "head_share",
          "tail_share_of_interactions", "personalization", "gem_weight")


CATALOG_FILE = "catalog.sqlite"  # in the store's folder: items, the interaction log, the impression log


class StoreConfigError(ValueError):
    """A retrieval setting is invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class StoreConfig:
    name: str = "store"
    store_dir: Path = field(default_factory=lambda: Path("store"))  # catalog.sqlite, rejects/ (and the app's files)
    chroma_dir: Path = field(default_factory=lambda: Path("chroma"))  # the on-disk Chroma store (shared by stores)
    chroma_mode: ChromaMode = "persistent"
    chroma_host: str = "localhost"
    chroma_port: int = 8000
    embedding_model: str = ""
    embed_batch_size: int = 64
    embed_max_chars: int = 1000
    candidates: int = 100
    fusion: Fusion = "rrf"
    dense_weight: float = 0.5
    reranker: Reranker = "exposure"
    lambda_: float = 0.3
    tail_share: float = 0.3
    relevance_floor: float = 0.6
    exposure_weight: float = 0.5
    head_share: float = 0.2
    tail_share_of_interactions: float = 0.2
    gem_weight: float = 0.0
    personalization: float = 0.0

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise StoreConfigError(f"{name}={getattr(self, name)!r} is not one of {', '.join(allowed)}.")
        for name in SHARES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise StoreConfigError(f"{name}={getattr(self, name)} must lie between 0 and 1.")
        if self.head_share + self.tail_share_of_interactions > 1.0:
            raise StoreConfigError("head_share + tail_share_of_interactions must not exceed 1.")
        if self.lambda_ < 0:
            raise StoreConfigError(f"lambda_={self.lambda_} must be >= 0 (0 turns the long-tail re-ranking off).")
        for name in ("embed_batch_size", "embed_max_chars", "candidates", "chroma_port"):
            if getattr(self, name) <= 0:
                raise StoreConfigError(f"{name} must be a positive integer, got {getattr(self, name)}.")

    @property
    def catalog_db(self) -> Path:
        return self.store_dir / CATALOG_FILE

    @property
    def rejects_dir(self) -> Path:
        return self.store_dir / "rejects"


def default(name: str) -> Any:
    """The default of one retrieval setting (so that `Settings` does not keep a second copy)."""
    f = {f.name: f for f in fields(StoreConfig)}[name]
    return f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
