"""The store's own purchase-probability model (:mod:`retrieval.recommender`), trained from its interaction log.

    model = train_store_recommender(db, index)       # sequences from the log, text vectors from the index
    model.save(store_dir)                            # recommender.pt + the catalog order it was trained on
    model = StoreRecommender.load(store_dir)         # None when the store has none yet
    model.scores(["LT-00012", "LT-00345"])           # logits, in ``model.ids`` order, for that history

The search uses it as the personalised candidate list of a shopper with a history (a third list in the
fusion, see :meth:`retrieval.search.Searcher.search`). A shopper's sequence is their purchases, carts, likes and
reviews in time order (views are too weak a signal to count as a next purchase; ``EVENTS``). Items added to the
catalog after training rank below every item the model knows until it is trained again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .recommender import Recommender, RecommenderConfig

EVENTS = ("purchase", "add_to_cart", "like", "review")
MODEL_FILE, ITEMS_FILE, VECTORS_FILE = "recommender.pt", "recommender-items.json", "recommender-vectors.npy"


def store_sequences(rows: Sequence[tuple[str, str, str, str]], events: Sequence[str] = EVENTS
                    ) -> dict[str, list[str]]:
    """Each user's items in time order (``rows``: user, item, event, timestamp); an item repeated back to back
    (a cart, then its purchase) counts once."""
    by_user: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for user, item, event, ts in rows:
        if event in events:
            by_user[user].append((ts, item))
    out = {}
    for user, seen in by_user.items():
        seq: list[str] = []
        for _, item in sorted(seen, key=lambda x: x[0]):  # stable: same-second events keep log order
            if not seq or seq[-1] != item:
                seq.append(item)
        out[user] = seq
    return out


class StoreRecommender:
    """A fitted :class:`~retrieval.recommender.Recommender` over the store's catalog, addressed by item id."""

    def __init__(self, model: Recommender, ids: Sequence[str], vectors: np.ndarray):
        self.model, self.ids, self.vectors = model, list(ids), vectors
        self.row = {item_id: n for n, item_id in enumerate(self.ids)}

    def scores(self, history: Sequence[str]) -> np.ndarray:
        """The logit of every item of :attr:`ids` for a shopper whose history is ``history`` (item ids, oldest
        first; unknown ids are ignored)."""
        return self.model.logits([[self.row[i] for i in history if i in self.row]])[0]

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ITEMS_FILE).write_text(json.dumps(self.ids), encoding="utf-8")
        np.save(folder / VECTORS_FILE, self.vectors)
        return self.model.save(folder / MODEL_FILE)

    @classmethod
    def load(cls, folder: str | Path) -> "StoreRecommender | None":
        folder = Path(folder)
        if not (folder / MODEL_FILE).exists():
            return None
        ids = json.loads((folder / ITEMS_FILE).read_text(encoding="utf-8"))
        vectors = np.load(folder / VECTORS_FILE)
        return cls(Recommender.load(folder / MODEL_FILE, vectors), ids, vectors)


def train_store_recommender(db, index, config: RecommenderConfig | None = None, progress: bool = True
                            ) -> tuple[StoreRecommender, dict]:
    """Train on the store's interaction log; item text vectors come from its vector index. Returns the model and
    a summary (users, sequences, items, epochs, best validation NDCG@10)."""
    stored, vectors = index.embeddings()
    ids = list(db.items())
    where = {item_id: n for n, item_id in enumerate(stored)}
    missing = [i for i in ids if i not in where]
    if missing:
        raise RuntimeError(f"{len(missing)} catalog item(s) are not in the vector index: run `longtail index`.")
    vectors = np.asarray(vectors, dtype=np.float32)[[where[i] for i in ids]]
    row = {item_id: n for n, item_id in enumerate(ids)}
    sequences = [[row[i] for i in seq if i in row] for seq in store_sequences(list(db.iter_interactions())).values()]
    sequences = [s for s in sequences if len(s) >= 2]
    if not sequences:
        raise ValueError("No shopper has two or more purchases, carts, likes or reviews in this store's log: "
                         "import interactions first (`longtail index --interactions FILE`).")
    model = Recommender.fit(sequences, vectors, config or RecommenderConfig(), progress=progress)
    best = max((h.get("val_ndcg@10", 0.0) for h in model.history), default=0.0)
    summary = {"users": len(sequences), "interactions": sum(len(s) for s in sequences), "items": len(ids),
               "epochs": len(model.history), "val_ndcg@10": round(best, 4), "config": asdict(model.cfg)}
    return StoreRecommender(model, ids, vectors), summary
