"""The typed configuration of one store's retrieval: where its files live, the vector store, the embedder, the
search and the long-tail re-ranking. It validates itself; `longtail.config.Settings` builds one for the
configured store (:meth:`~longtail.config.Settings.store_config`) and takes its defaults from here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

ChromaMode = Literal["persistent", "http", "ephemeral"]
Fusion = Literal["rrf", "score"]
Reranker = Literal["none", "exposure", "xquad"]
CHOICES = {"chroma_mode": ("persistent", "http", "ephemeral"), "fusion": ("rrf", "score"),
           "reranker": ("none", "exposure", "xquad")}
SHARES = ("dense_weight", "tail_share", "relevance_floor", "exposure_weight", "head_share",
          "tail_share_of_interactions", "personalization", "gem_weight", "personal_weight")


CATALOG_FILE = "catalog.sqlite"  # in the store's folder: items, the interaction log, the impression log


class StoreConfigError(ValueError):
    """A retrieval setting is invalid; the message says which and how to fix it."""


# Chroma's collection-name rules (chromadb 1.x validates them in Rust: 3-512 characters; the Python server of
# chromadb < 1.0, still met through chroma_mode=http, allowed 3-63): [a-zA-Z0-9._-], first and last character
# a letter or digit, no "..", not an IPv4 address. A store's name must itself pass them with the 63-character
# limit (it is also a folder name), and so must every collection name made from it.
COLLECTION_NAME_CHARS = (3, 512)
STORE_NAME_CHARS = (3, 63)
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]")
_IPV4 = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
POLICY_SUFFIX = "-policies"  # assistant.policies.PolicyIndex: "<store>-policies"
MODEL_SLUG_CHARS = 48  # the embedding model's part of an items collection name (retrieval.store.model_slug)
GENERATION_SUFFIX = "-g999999"  # the longest suffix a rebuild adds (retrieval.service.Store.sync_index)


def name_problem(name: str, chars: tuple[int, int] = COLLECTION_NAME_CHARS) -> str | None:
    """Why Chroma would refuse ``name`` as a collection name, or None when it would accept it."""
    if not isinstance(name, str):
        return f"it must be text, got {type(name).__name__}"
    low, high = chars
    if not low <= len(name) <= high:
        return f"it has {len(name)} characters; use {low}-{high}"
    if not _NAME.fullmatch(name):
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "._-"))})
        if bad:
            return f"it contains {', '.join(map(repr, bad))}; use only letters a-z, A-Z, digits, '-', '_' and '.'"
        return "it must start and end with a letter or a digit"
    if ".." in name:
        return "it contains '..'"
    if _IPV4.fullmatch(name):
        return "it is an IPv4 address"
    return None


def derived_collection_names(store: str) -> list[str]:
    """The longest Chroma collection names made from a store's name (items, with the longest model part and
    rebuild suffix, and policies), for validation."""
    return [f"{store}-items-{'m' * MODEL_SLUG_CHARS}{GENERATION_SUFFIX}", f"{store}{POLICY_SUFFIX}"]


def store_name_problem(store: str) -> str | None:
    """Why ``store`` cannot name a store (checked before anything is created), or None."""
    problem = name_problem(store, STORE_NAME_CHARS)
    if problem:
        return problem
    for derived in derived_collection_names(store):
        problem = name_problem(derived)
        if problem:
            return f"the collection name {derived!r} made from it would be refused by Chroma: {problem}"
    return None


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
    personal_weight: float = 0.4  # the trained purchase model's list in the fusion, for shoppers with a history

    def __post_init__(self) -> None:
        problem = store_name_problem(self.name)
        if problem:
            raise StoreConfigError(f"store name {self.name!r} cannot be used: {problem}. It names the store's "
                                   f"folder and Chroma collections: use 3-63 letters, digits, '-', '_' or '.', "
                                   f"starting and ending with a letter or digit (e.g. 'my-shop').")
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
