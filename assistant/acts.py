"""The dialogue-act model: what the shopper is doing in this turn, in the context of the conversation so far.

A pretrained sentence encoder (the bundled all-MiniLM-L6-v2, frozen) embeds the shopper's message and the
assistant's previous reply; a small classification head, trained with AdamW and cross-entropy
(:func:`train_head`, data from :mod:`finetune.acts`), reads those two vectors and a few context features (are
items on screen, is there a current need, is an order look-up pending, a handful of surface cues) and predicts one
of :data:`ACTS`. The shipped weights live in ``assistant/act_model/`` with a card; ``longtail acts train``
retrains them.

The act decides what the turn does (:mod:`assistant.router`); the arguments still come from the store's own data
(ids, titles, brands, prices).
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from .prices import read_prices

Act = Literal[
    "new_need", "refine", "ask_item", "compare", "details", "disambiguate", "add_to_cart", "view_cart",
    "remove_from_cart", "policy", "order_status", "start_return", "cancel_order", "damaged_item", "refund_status",
    "payment_problem", "human", "smalltalk", "greeting", "off_topic", "harmful",
]
ACTS: tuple[str, ...] = get_args(Act)
DESCRIPTIONS: dict[str, str] = {
    "new_need": "asks for products or a recommendation (a new need)",
    "refine": "changes the current need: cheaper, a colour, a size, for whom, similar, more, those again",
    "ask_item": "a question about an item already shown (a feature, a value, which one is lighter)",
    "compare": "compare items already shown",
    "details": "the details of one item",
    "disambiguate": "says which shown item it meant",
    "add_to_cart": "add an item to the cart, buy it",
    "view_cart": "see the cart",
    "remove_from_cart": "take an item out of the cart",
    "policy": "a question about the store's policies (returns, shipping, payment, warranty, account)",
    "order_status": "where an order is",
    "start_return": "return an item, get a refund for it",
    "cancel_order": "cancel or change an order (items, address)",
    "damaged_item": "an item arrived damaged, wrong or missing",
    "refund_status": "a refund not received yet",
    "payment_problem": "charged twice, card declined, payment failed",
    "human": "wants a person, a complaint",
    "smalltalk": "an acknowledgement or chat that needs no action",
    "greeting": "hello, thanks, goodbye",
    "off_topic": "nothing to do with the store",
    "harmful": "asks for something harmful or illegal",
}
# acts that are about products on screen: they need shown items
ABOUT_SHOWN = frozenset({"ask_item", "compare", "details", "disambiguate", "add_to_cart"})
SUPPORT = frozenset({"policy", "order_status", "start_return", "cancel_order", "damaged_item", "refund_status",
                     "payment_problem", "human"})
DEFAULT_DIR = Path(__file__).resolve().parent / "act_model"

_DEICTIC = re.compile(r"(?i)\b(it|its|it's|that|this|those|these|them|they|one|ones|both|either|the (?:first|second|"
                      r"third|last|other|left|right|top|bottom)|\w+est)\b")
_ORDINAL = re.compile(r"(?i)\b(first|1st|second|2nd|third|3rd|fourth|fifth|last|former|latter)\b|#\d\b")
_QUESTION_START = re.compile(r"(?i)^\s*(how|what|what's|when|can|could|do|does|did|is|are|was|will|would|where|"
                             r"which|who|why|has|have)\b")
_ORDER_ID = re.compile(r"(?i)(#\s?\d{3,}|\b[a-z]{0,4}-?\d{4,}\b)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@dataclass(frozen=True)
class Context:
    """What the act model knows about the conversation besides the message itself."""
    previous: str = ""  # the assistant's previous reply
    shown: bool = False  # items are on screen
    has_need: bool = False  # a product need is current (a search ran)
    pending: bool = False  # an order look-up waits for its number or email
    cart: bool = False  # the cart is not empty


def impossible(ctx: Context) -> frozenset[str]:
    """Acts the conversation's state rules out: taking something out of an empty cart, a question about or a
    choice between shown items when nothing is shown."""
    out = set()
    if not ctx.cart:
        out.add("remove_from_cart")
    if not ctx.shown:
        out |= {"ask_item", "disambiguate"}
    return frozenset(out)


def surface(text: str, ctx: Context) -> list[float]:
    """Context features and surface cues that a sentence vector blurs (counts, ids, ordinals); no intent words."""
    words = text.split()
    n = len(words)
    prices = read_prices(text)
    return [
        float(ctx.shown), float(ctx.has_need), float(ctx.pending), float(ctx.cart), float(not ctx.previous),
        float("?" in text), float(bool(_QUESTION_START.match(text))), float(bool(_DEICTIC.search(text))),
        float(bool(_ORDINAL.search(text))), float(bool(prices.as_args() or prices.unlimited)),
        float(bool(_ORDER_ID.search(text))), float(bool(_EMAIL.search(text))),
        float(n <= 2), float(3 <= n <= 6), float(7 <= n <= 15), float(n > 15),
    ]


N_SURFACE = len(surface("", Context()))


def features(texts: Sequence[str], contexts: Sequence[Context], embed: Any) -> np.ndarray:
    """One row per turn: [message vector, previous-reply vector, surface features]."""
    unique = list(dict.fromkeys([*texts, *(c.previous for c in contexts if c.previous)]))  # no reply: zeros
    vectors = dict(zip(unique, embed(unique)))
    dim = len(next(iter(vectors.values()))) if vectors else 0
    blank = np.zeros(dim, dtype=np.float32)
    rows = [np.concatenate([vectors[t], vectors[c.previous] if c.previous else blank,
                            np.asarray(surface(t, c), dtype=np.float32)])
            for t, c in zip(texts, contexts)]
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 2 * dim + N_SURFACE), dtype=np.float32)


@dataclass
class HeadConfig:
    hidden: int = 256
    dropout: float = 0.2
    lr: float = 2e-3
    weight_decay: float = 0.01
    epochs: int = 30
    batch_size: int = 64
    label_smoothing: float = 0.05
    patience: int = 4  # epochs without a better validation loss before stopping
    seed: int = 0
    # heads trained with their own seed and validation split, their probabilities averaged: one head's act on a
    # borderline turn ("i think i've heard of that brand") flipped with any change to the training data
    members: int = 5

    def __post_init__(self) -> None:
        if self.hidden < 1 or not 0 <= self.dropout < 1 or self.lr <= 0 or self.epochs < 1 or self.batch_size < 1 \
                or self.members < 1:
            raise ValueError(f"HeadConfig {self}: hidden, epochs, batch_size and members must be >= 1, "
                             f"0 <= dropout < 1, lr > 0.")


def _head(n_in: int, n_out: int, cfg: HeadConfig) -> Any:
    import torch

    return torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(n_in, cfg.hidden), torch.nn.GELU(),
                               torch.nn.Dropout(cfg.dropout), torch.nn.Linear(cfg.hidden, n_out))


def ensemble(heads: Sequence[Any]) -> Any:
    """Heads as one module whose softmax is the mean of theirs (it returns the log of the mean probability);
    one head is itself (its weights saved as a single head's)."""
    import torch

    if len(heads) == 1:
        return heads[0]

    class Ensemble(torch.nn.Module):
        def __init__(self, members: Sequence[Any]):
            super().__init__()
            self.members = torch.nn.ModuleList(members)

        def forward(self, x: Any) -> Any:
            probs = torch.stack([torch.softmax(m(x), dim=-1) for m in self.members]).mean(0)
            return torch.log(probs.clamp_min(1e-12))

    return Ensemble(heads)


def _members(head: Any) -> list[Any]:
    return list(head.members) if hasattr(head, "members") else [head]


@dataclass
class ActModel:
    """A trained head over an embedder; ``predict`` gives the act and its probability."""
    head: Any
    labels: tuple[str, ...]
    embedder_name: str
    config: HeadConfig = field(default_factory=HeadConfig)
    card: dict[str, Any] = field(default_factory=dict)
    embed: Any = None  # texts -> unit vectors (set by load / train)

    def probabilities(self, texts: Sequence[str], contexts: Sequence[Context]) -> np.ndarray:
        import torch

        x = torch.from_numpy(features(texts, contexts, self.embed))
        self.head.eval()
        with torch.no_grad():
            p = torch.softmax(self.head(x), dim=-1).numpy()
        for row, ctx in zip(p, contexts):  # what the conversation rules out gets no share
            ruled_out = [self.labels.index(a) for a in impossible(ctx) if a in self.labels]
            if ruled_out and row.sum() > row[ruled_out].sum():
                row[ruled_out] = 0.0
                row /= row.sum()
        return p

    def predict(self, text: str, ctx: Context = Context()) -> tuple[str, float]:
        p = self.probabilities([text], [ctx])[0]
        best = int(p.argmax())
        return self.labels[best], float(p[best])

    def predict_many(self, texts: Sequence[str], contexts: Sequence[Context]) -> list[str]:
        if not texts:
            return []
        return [self.labels[i] for i in self.probabilities(texts, contexts).argmax(axis=1)]

    def save(self, folder: str | Path) -> Path:
        import torch
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.head.state_dict().items()}, str(folder / "head.safetensors"))
        meta = {"labels": list(self.labels), "embedder": self.embedder_name, "n_surface": N_SURFACE,
                "config": {**self.config.__dict__, "hidden": int(_members(self.head)[0][1].out_features),
                           "members": len(_members(self.head))},
                "n_in": int(_members(self.head)[0][1].in_features), "torch": torch.__version__}
        (folder / "config.json").write_text(json.dumps(meta, indent=2) + "\n")
        (folder / "metrics.json").write_text(json.dumps(self.card, indent=2, default=str) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path, embedder: Any) -> ActModel:
        from safetensors.torch import load_file

        folder = Path(folder)
        if not (folder / "head.safetensors").exists():
            raise FileNotFoundError(f"No act model in {folder}: train one with `longtail acts train`.")
        meta = json.loads((folder / "config.json").read_text())
        if meta.get("n_surface") != N_SURFACE:
            raise ValueError(f"The act model in {folder} was trained with {meta.get('n_surface')} surface features; "
                             f"this code has {N_SURFACE}. Retrain it with `longtail acts train`.")
        cfg = HeadConfig(**{"members": 1, **meta["config"]})
        head = ensemble([_head(meta["n_in"], len(meta["labels"]), cfg) for _ in range(cfg.members)])
        head.load_state_dict(load_file(str(folder / "head.safetensors")))
        head.eval()
        card = json.loads((folder / "metrics.json").read_text()) if (folder / "metrics.json").exists() else {}
        return cls(head, tuple(meta["labels"]), meta["embedder"], cfg, card, embed=embedder.encode)


def class_weights(y: Sequence[int], n: int) -> np.ndarray:
    """Inverse square-root frequency, mean 1: rare acts count more without drowning the common ones."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=n).astype(np.float64)
    w = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1)), 0.0)
    return (w / w[counts > 0].mean()).astype(np.float32)


def train_head(x: np.ndarray, y: Sequence[int], n_labels: int, cfg: HeadConfig | None = None,
               x_val: np.ndarray | None = None, y_val: Sequence[int] | None = None,
               progress: bool = False) -> tuple[Any, dict[str, Any]]:
    """AdamW + (class-weighted, label-smoothed) cross-entropy; early stopping on the validation loss when a
    validation set is given. Returns the head (best epoch) and the training log."""
    import torch

    cfg = cfg or HeadConfig()

    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    head = _head(x.shape[1], n_labels, cfg)
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    weights = torch.from_numpy(class_weights(y, n_labels))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=cfg.label_smoothing)
    xt, yt = torch.from_numpy(x), torch.as_tensor(list(y), dtype=torch.long)
    has_val = x_val is not None and y_val is not None and len(y_val) > 0
    xv = torch.from_numpy(x_val) if has_val else None
    yv = torch.as_tensor(list(y_val), dtype=torch.long) if has_val else None
    steps = max(1, math.ceil(len(yt) / cfg.batch_size)) * cfg.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps, pct_start=0.1)
    best, best_state, stale, log = float("inf"), None, 0, []
    order = list(range(len(yt)))
    bar = _bar(cfg.epochs, progress)
    for epoch in range(cfg.epochs):
        head.train()
        rng.shuffle(order)
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = torch.as_tensor(order[i:i + cfg.batch_size])
            loss = loss_fn(head(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        entry = {"epoch": epoch + 1, "train_loss": round(total / len(order), 4)}
        if has_val:
            head.eval()
            with torch.no_grad():
                logits = head(xv)
                val = float(torch.nn.functional.cross_entropy(logits, yv))
                entry.update(val_loss=round(val, 4), val_acc=round(float((logits.argmax(1) == yv).float().mean()), 4))
            if val < best - 1e-4:
                best, stale = val, 0
                best_state = {k: v.clone() for k, v in head.state_dict().items()}
            else:
                stale += 1
        log.append(entry)
        bar.update(1)
        if has_val and stale >= cfg.patience:
            break
    bar.close()
    if best_state is not None:
        head.load_state_dict(best_state)
    head.eval()
    return head, {"epochs": log, "stopped_at": len(log), "best_val_loss": round(best, 4) if has_val else None}


def _bar(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="act model", unit="epoch", disable=not enabled, leave=False)


_CACHE: dict[str, ActModel] = {}


def shipped(embedder: Any = None, folder: str | Path = DEFAULT_DIR) -> ActModel | None:
    """The act model in ``folder`` (None when there is none), loaded once per process. It runs over the encoder
    it was trained with: ``embedder`` when that is the same model (no second copy in memory), else its own."""
    folder = Path(folder)
    key = str(folder.resolve())
    if key not in _CACHE:
        if not (folder / "config.json").exists():
            return None
        name = json.loads((folder / "config.json").read_text())["embedder"]
        if embedder is None or getattr(embedder, "name", "") != name:
            from retrieval import SentenceTransformerEmbedder

            embedder = SentenceTransformerEmbedder("" if name == "all-MiniLM-L6-v2" else name)
        _CACHE[key] = ActModel.load(folder, embedder)
    return _CACHE[key]
