"""Next-item recommendation tasks (leave-one-out) read from UniSRec / RecBole files or a store's interaction log.

A :class:`RecTask` holds the catalog (item ``n`` is row ``n`` of every score matrix), one evaluation row per
user (history, target) and the training sequences the systems are fitted on. In leave-one-out the history of
an evaluation row is everything before the target, so the histories *are* the training data: models and
popularity counts never see a target. :meth:`RecTask.holdout_last` carves a tuning split out of it (each user's
last history item becomes the target), which is where lambda is chosen, never on the split reported.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from retrieval import Item, load_interactions, load_items


def default_data_root() -> Path:
    """``../shared/data`` beside the repository (where the project's real data sets live)."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass
class RecTask:
    name: str
    items: list[Item]
    users: list[str]
    histories: list[list[int]]
    targets: np.ndarray
    fit_sequences: list[list[int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.targets = np.asarray(self.targets, dtype=np.int64)
        if not self.fit_sequences:
            self.fit_sequences = [list(h) for h in self.histories]
        if len(self.users) != len(self.histories) or len(self.users) != len(self.targets):
            raise ValueError("users, histories and targets must have one entry per evaluation row.")

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_users(self) -> int:
        return len(self.users)

    def popularity(self) -> np.ndarray:
        """Interaction count of each item in the training sequences (never the targets)."""
        flat = [i for seq in self.fit_sequences for i in seq]
        return np.bincount(np.asarray(flat, dtype=np.int64), minlength=self.n_items).astype(np.float64)

    def holdout_last(self) -> "RecTask":
        """The tuning split: each user's last history item is the target, the rest the history. Users with a
        single history item keep it for fitting but are not evaluated."""
        keep = [n for n, h in enumerate(self.histories) if len(h) >= 2]
        fit = [list(h[:-1]) if len(h) >= 2 else list(h) for h in self.fit_sequences]
        return RecTask(f"{self.name}/tune", self.items, [self.users[n] for n in keep],
                       [list(self.histories[n][:-1]) for n in keep],
                       np.array([self.histories[n][-1] for n in keep], dtype=np.int64), fit,
                       notes=["tuning split: each user's last history item held out"])

    def subsample(self, n_users: int | None, seed: int = 0) -> "RecTask":
        """The same task on ``n_users`` random evaluation users (models are still fitted on everyone)."""
        if not n_users or n_users >= self.n_users:
            return self
        rows = np.sort(np.random.default_rng(seed).choice(self.n_users, n_users, replace=False))
        return RecTask(self.name, self.items, [self.users[n] for n in rows], [self.histories[n] for n in rows],
                       self.targets[rows], self.fit_sequences,
                       notes=self.notes + [f"{n_users} of {self.n_users} users sampled (seed {seed})"])


# -- readers --------------------------------------------------------------------------------------------------
def _read_index(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            original, index = line.split("\t")
            out[original.strip()] = int(index)
    return out


def _catalog(items_path: Path, index_path: Path | None) -> tuple[list[Item], dict[str, int]]:
    """Items in row order and a map from the ids used in the interaction file to rows."""
    items, _ = load_items(items_path, progress=False)
    by_id = {item.id: item for item in items}
    if index_path is not None and index_path.exists():
        index = _read_index(index_path)
        ordered: list[Item] = [Item(id="", title="")] * (max(index.values()) + 1)
        for original, row in index.items():
            ordered[row] = by_id.get(original) or Item(id=original, title=original)
        return ordered, {str(row): row for row in index.values()}
    return items, {item.id: n for n, item in enumerate(items)}


def _unisrec_rows(path: Path) -> Iterable[tuple[str, list[str], str]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            parts = line.rstrip("\r\n").split("\t")
            if number == 0 and parts[0].startswith("user_id"):
                continue
            if len(parts) == 3:
                yield parts[0], parts[1].split(), parts[2].strip()


def load_sequence_split(inter_path: str | Path, items_path: str | Path, name: str | None = None) -> RecTask:
    """A UniSRec split file (``user <TAB> history <TAB> target``) or a RecBole atomic ``.inter`` log (one
    interaction per row, leave-one-out on timestamp order) against an item file (``.text``, ``.item``, or any
    table :func:`retrieval.load_items` reads). A ``<stem>.item2index`` beside the item file maps indices."""
    inter_path, items_path = Path(inter_path), Path(items_path)
    for p in (inter_path, items_path):
        if not p.exists():
            raise FileNotFoundError(f"{p} does not exist.")
    stem = items_path.name.split(".")[0]
    items, row = _catalog(items_path, items_path.parent / f"{stem}.item2index")
    header = inter_path.open(encoding="utf-8").readline()
    users: list[str] = []
    histories: list[list[int]] = []
    targets: list[int] = []
    skipped = 0
    if "item_id_list" in header:
        for user, history, target in _unisrec_rows(inter_path):
            if target not in row or any(i not in row for i in history) or not history:
                skipped += 1
                continue
            users.append(user)
            histories.append([row[i] for i in history])
            targets.append(row[target])
    else:
        rows, _ = load_interactions(inter_path, progress=False)
        by_id = {item.id: n for n, item in enumerate(items)}  # the log names items by their own ids
        return from_interactions(items, rows, name or inter_path.stem, by_id, target_event=None)
    notes = [f"{skipped} row(s) skipped: unknown item or empty history"] if skipped else []
    return RecTask(name or inter_path.name, items, users, histories, np.array(targets), notes=notes)


def from_interactions(items: Sequence[Item], rows: Iterable[tuple[str, str, str, str]], name: str,
                      row: dict[str, int] | None = None, target_event: str | None = "purchase") -> RecTask:
    """Leave-one-out from an interaction log ``(user, item, event, timestamp)``: per user, in time order, the
    target is the last interaction (the last ``target_event`` one when given) and the history everything
    before it except earlier events on the target item itself. Users with no such target or no history are
    left out."""
    row = row or {item.id: n for n, item in enumerate(items)}
    per_user: dict[str, list[tuple[str, int, str]]] = {}
    for user, item_id, event, ts in rows:
        if item_id in row:
            per_user.setdefault(user, []).append((ts, row[item_id], event))
    users, histories, targets = [], [], []
    for user in sorted(per_user):
        events = sorted(per_user[user], key=lambda e: e[0])  # stable: same-time events keep file order
        last = max((n for n, e in enumerate(events) if target_event is None or e[2] == target_event), default=-1)
        if last <= 0:
            continue
        target = events[last][1]
        # the views / carts of the target itself lead up to the purchase: they would leak it, so they go
        history = [e[1] for e in events[:last] if e[1] != target]
        if not history:
            continue
        users.append(user)
        histories.append(history)
        targets.append(target)
    if not users:
        raise ValueError(f"{name}: no user has a history followed by a "
                         f"{target_event or 'final'} interaction; nothing to evaluate.")
    return RecTask(name, list(items), users, histories, np.array(targets))


def load_unisrec(data_dir: str | Path, split: str = "valid") -> RecTask:
    """``<Name>.text`` + ``<Name>.item2index`` + ``<Name>.<split>.inter`` from one folder."""
    data_dir = Path(data_dir)
    texts = sorted(data_dir.glob("*.text"))
    if not texts:
        raise FileNotFoundError(f"No *.text item file in {data_dir}; expected the UniSRec layout "
                                f"(<Name>.text, <Name>.item2index, <Name>.{split}.inter).")
    stem = texts[0].name.split(".")[0]
    inter = data_dir / f"{stem}.{split}.inter"
    if not inter.exists():
        have = ", ".join(p.name for p in sorted(data_dir.glob("*.inter"))) or "none"
        raise FileNotFoundError(f"{inter} does not exist (split files here: {have}).")
    return load_sequence_split(inter, texts[0], name=f"{stem}.{split}")


def load_demo() -> RecTask:
    """The bundled demo store: the last purchase of each user is the target, earlier events the history."""
    from longtail.stores import BUNDLED

    demo = BUNDLED["demo"]
    items, _ = load_items(demo.catalog, progress=False)
    with demo.interactions.open(encoding="utf-8") as fh:
        rows = [(r["user_id"], r["item_id"], r.get("event", ""), r.get("timestamp", "")) for r in csv.DictReader(fh)]
    return from_interactions(items, rows, "demo")
