"""The store's policy pages (returns, shipping, payment, warranty, order changes) as searchable passages.

Each markdown page is split into its ``## `` sections; each section is one passage in its own Chroma collection
(``<store>-policies``) on the same client and embedder as the item index. Search fuses the dense similarity
with a small word-overlap score (robust to paraphrase and to exact terms like "express" or "warranty").
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

WORD = re.compile(r"[a-z0-9]+")
STOP = frozenset("a an and are as at be by can do does for from how i if in is it my of on or our the to "
                 "we what when where which with you your me there this that will".split())


@dataclass(frozen=True)
class Passage:
    source: str  # file name, e.g. "returns.md"
    section: str  # the "## " heading
    text: str

    @property
    def id(self) -> str:
        return hashlib.sha1(f"{self.source}#{self.section}".encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "section": self.section, "text": self.text}


def split_sections(source: str, markdown: str) -> list[Passage]:
    """One passage per ``## `` section (the page title and intro become a passage of their own if non-empty)."""
    passages: list[Passage] = []
    title, section, lines = "", "", []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            passages.append(Passage(source, section or title or source, body))

    for line in markdown.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].strip()
            continue
        if line.startswith("## "):
            flush()
            section, lines = line[3:].strip(), []
            continue
        lines.append(line)
    flush()
    return passages


def load_passages(folder: str | Path) -> list[Passage]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"No policy folder at {folder}: put the store's policy pages (*.md) there.")
    out: list[Passage] = []
    for path in sorted(folder.glob("*.md")):
        out.extend(split_sections(path.name, path.read_text(encoding="utf-8")))
    return out


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in WORD.findall(text.lower()) if w not in STOP}


class PolicyIndex:
    """Policy passages in the Chroma collection ``<name>-policies``; ``search(question)`` returns passages."""

    def __init__(self, client: Any, embedder: Any, passages: Sequence[Passage], name: str = "store",
                 facts: dict[str, Any] | None = None):
        self.embedder = embedder
        self.passages = list(passages)
        self.facts = facts or {}
        self.by_id = {p.id: p for p in self.passages}
        self.collection = client.get_or_create_collection(
            f"{name}-policies", embedding_function=None, metadata={"embedding_model": embedder.name},
            configuration={"hnsw": {"space": "cosine"}})
        if (self.collection.metadata or {}).get("embedding_model") not in (None, embedder.name):
            client.delete_collection(f"{name}-policies")
            self.collection = client.get_or_create_collection(
                f"{name}-policies", embedding_function=None, metadata={"embedding_model": embedder.name},
                configuration={"hnsw": {"space": "cosine"}})
        self._sync()
        self._vectors = self._load_vectors()
        self._word_sets = [_words(f"{p.source.removesuffix('.md')} {p.section} {p.section} {p.text}")
                           for p in self.passages]

    @classmethod
    def from_folder(cls, client: Any, embedder: Any, folder: str | Path, name: str = "store") -> "PolicyIndex":
        folder = Path(folder)
        facts_path = folder / "store.json"
        facts = json.loads(facts_path.read_text(encoding="utf-8")) if facts_path.exists() else {}
        return cls(client, embedder, load_passages(folder), name, facts)

    def _sync(self) -> None:
        got = self.collection.get(include=["metadatas"])
        stored = {i: (m or {}).get("hash") for i, m in zip(got["ids"], got["metadatas"])}
        wanted = {p.id: hashlib.sha1(p.text.encode()).hexdigest()[:16] for p in self.passages}
        stale = [i for i in stored if i not in wanted]
        if stale:
            self.collection.delete(ids=stale)
        todo = [p for p in self.passages if stored.get(p.id) != wanted[p.id]]
        if todo:
            vectors = self.embedder.encode([f"{p.section}. {p.text}" for p in todo])
            self.collection.upsert(ids=[p.id for p in todo], embeddings=vectors,
                                   metadatas=[{"source": p.source, "section": p.section, "hash": wanted[p.id]}
                                              for p in todo], documents=[p.text for p in todo])

    def _load_vectors(self) -> np.ndarray:
        if not self.passages:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        got = self.collection.get(ids=[p.id for p in self.passages], include=["embeddings"])
        by_id = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
        return np.stack([by_id[p.id] for p in self.passages])

    def search(self, question: str, k: int = 2) -> list[Passage]:
        """The ``k`` passages that best answer ``question`` (dense cosine + 0.5 x word-overlap share)."""
        if not self.passages or not question.strip():
            return []
        q = self.embedder.encode([question])[0]
        dense = self._vectors @ q
        words = _words(question)
        overlap = np.array([len(words & ws) / (len(words) or 1) for ws in self._word_sets])
        # the section heading and page name weigh extra: "return policy" should land in returns.md
        heads = [_words(f"{p.source.removesuffix('.md')} {p.section}") for p in self.passages]
        overlap += np.array([0.5 * len(words & h) / (len(words) or 1) for h in heads])
        score = dense + 0.5 * overlap
        order = np.argsort(-score, kind="stable")[:k]
        return [self.passages[i] for i in order if score[i] > 0]
