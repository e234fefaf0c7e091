"""The fine-tuning dataset: Bitext support rows + generated store dialogues, deduplicated, split without leaks.

Split rule: templates (a generated phrasing, or a Bitext instruction with its entity masked), items and customers
are each assigned to exactly one part (train / val / test, or k folds + test) *before* any example is made, and
an example of part P uses only P's templates, P's items (other parts' items are excluded from every search) and
P's customers. :func:`leaks` checks the result; the tests assert it finds nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from tqdm.auto import tqdm

from longtail.config import Settings

from . import templates as T
from .config import FinetuneConfig
from .dialogues import DialogueMaker, Example, Sources
from .support import SupportRow, read_bitext


# ------------------------------------------------------------------------------------------------ partitioning
def part_names(cfg: FinetuneConfig) -> tuple[list[str], list[float]]:
    """Part names and weights: train/val/test, or fold0..fold(k-1) + test when ``kfold`` > 1."""
    if cfg.kfold > 1:
        rest = (1.0 - cfg.test_share) / cfg.kfold
        return [f"fold{i}" for i in range(cfg.kfold)] + ["test"], [rest] * cfg.kfold + [cfg.test_share]
    return ["train", "val", "test"], [1.0 - cfg.val_share - cfg.test_share, cfg.val_share, cfg.test_share]


def unit_hash(seed: int, key: str) -> float:
    return int(hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()[:12], 16) / float(16 ** 12)


def assign(keys: Iterable[str], names: Sequence[str], weights: Sequence[float], seed: int) -> dict[str, str]:
    """Each key to one part, by a seeded hash (stable when keys are added or removed)."""
    total = sum(weights)
    bounds, acc = [], 0.0
    for w in weights:
        acc += w / total
        bounds.append(acc)
    out = {}
    for key in keys:
        u = unit_hash(seed, key)
        out[key] = next((n for n, b in zip(names, bounds) if u < b), names[-1])
    return out


def allocate(n: int, weights: Sequence[float]) -> list[int]:
    """Split ``n`` units by ``weights`` (largest remainder); every part gets one when n >= number of parts."""
    total = sum(weights)
    raw = [n * w / total for w in weights]
    counts = [int(r) for r in raw]
    if n >= len(weights):
        counts = [max(1, c) for c in counts]
    while sum(counts) > n:
        counts[counts.index(max(counts))] -= 1
    order = sorted(range(len(weights)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(counts) < n:
        counts[order[i % len(order)]] += 1
        i += 1
    return counts


def assign_templates(groups: dict[str, list[str]], names: Sequence[str], weights: Sequence[float],
                     seed: int) -> dict[str, str]:
    """Templates to parts, stratified within each group (family / intent), shuffled by the seed."""
    out: dict[str, str] = {}
    for group, tids in sorted(groups.items()):
        tids = sorted(tids)
        random.Random(f"{seed}:{group}").shuffle(tids)
        begin = 0
        for name, count in zip(names, allocate(len(tids), weights)):
            for tid in tids[begin:begin + count]:
                out[tid] = name
            begin += count
    return out


# ------------------------------------------------------------------------------------------------ the dataset
@dataclass
class Dataset:
    parts: dict[str, list[Example]]
    notes: list[str] = field(default_factory=list)
    counters: Counter = field(default_factory=Counter)

    def splits(self, cfg: FinetuneConfig) -> dict[str, list[Example]]:
        """train / val / test (with k folds: every fold but ``cfg.fold`` is train, that one is val)."""
        if cfg.kfold > 1:
            val = f"fold{cfg.fold}"
            train = [e for name, exs in self.parts.items() if name.startswith("fold") and name != val for e in exs]
            return {"train": train, "val": list(self.parts.get(val, [])), "test": list(self.parts.get("test", []))}
        return {name: list(self.parts.get(name, [])) for name in ("train", "val", "test")}

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, examples in self.parts.items():
            with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
                for e in examples:
                    fh.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
        (folder / "meta.json").write_text(json.dumps({"notes": self.notes, "counters": dict(self.counters)},
                                                     indent=2))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Dataset":
        folder = Path(folder)
        parts = {p.stem: [Example.from_dict(json.loads(line)) for line in p.open(encoding="utf-8") if line.strip()]
                 for p in sorted(folder.glob("*.jsonl"))}
        meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").exists() else {}
        return cls(parts, meta.get("notes", []), Counter(meta.get("counters", {})))


def leaks(parts: dict[str, list[Example]]) -> dict[str, list[str]]:
    """Templates, items and customers found in more than one part (empty lists = no leak)."""
    out: dict[str, list[str]] = {}
    for attr in ("template", "items", "customers"):
        owner: dict[str, set[str]] = {}
        for name, examples in parts.items():
            for e in examples:
                values = [e.template] if attr == "template" else list(getattr(e, attr))
                for v in values:
                    owner.setdefault(v, set()).add(name)
        out[attr] = sorted(k for k, names in owner.items() if len(names) > 1)
    return out


def skeleton(template: str) -> str:
    """A template with its slots blanked and punctuation dropped ("Tell me about {item_id}!" -> "tell me about {}")."""
    text = re.sub(r"\{[^{}]*\}", " {} ", template.lower())
    return " ".join(re.findall(r"[a-z0-9']+|\{\}", text))


def quality_test_skeletons() -> set[str]:
    """Skeletons of the assistant quality benchmark's test templates: never used for training data."""
    try:
        from evaluation.assistant_quality import TEMPLATES, templates_for
    except ImportError:
        return set()
    return {skeleton(TEMPLATES[t][1]) for t in templates_for("test")}


def load_sources(settings: Settings, embedder: str = "minilm", progress: bool = True) -> Sources:
    """The store (a bundled store installed on first use), its orders and policy index, as the assistant builds
    them. ``embedder="hash"`` indexes in memory with the fast hash embedder (a bundled store goes to a temporary
    folder, so nothing of the real data dir is written)."""
    import tempfile

    import chromadb

    from assistant.build import load_orders, load_policies
    from longtail import stores
    from retrieval import CatalogDB, HashEmbedder

    if embedder == "hash":
        if settings.store in stores.BUNDLED:
            settings = settings.replace(data_dir=tempfile.mkdtemp(prefix="longtail-ft-"))
        settings = settings.replace(chroma_mode="ephemeral")
        stores.require(settings)
        store = stores.open_store(settings, progress, client=chromadb.EphemeralClient(), embedder=HashEmbedder(),
                                  db=CatalogDB(settings.store_dir / stores.CATALOG))
    else:
        store = stores.open_store(settings, progress)
    if len(store.db) == 0:
        raise RuntimeError(f"Store {settings.store!r} has no catalog: import one with `longtail index PATH` first.")
    policies = load_policies(store)
    orders = load_orders(store.config.store_dir, in_memory=True)
    return Sources(store, orders, policies, stores.facts(store.config.store_dir))


def build_dataset(cfg: FinetuneConfig, src: Sources, progress: bool = True) -> Dataset:
    """Generate, deduplicate and split every example (deterministic for a given seed and store)."""
    names, weights = part_names(cfg)
    notes: list[str] = []
    counters: Counter = Counter()
    item_part = assign(src.items, names, weights, cfg.seed)
    cust_part = assign(src.customers, names, weights, cfg.seed + 1)
    held = quality_test_skeletons()
    family_groups = {f: [f"{f}.{i}" for i, t in enumerate(ts) if skeleton(t) not in held]
                     for f, ts in T.FAMILIES.items()}
    counters["templates_reserved_for_quality_test"] = sum(len(ts) for ts in T.FAMILIES.values()) - sum(
        len(v) for v in family_groups.values())
    rows: list[SupportRow] = []
    if cfg.bitext_csv:
        if Path(cfg.bitext_csv).exists():
            rows = [r for r in read_bitext(cfg.bitext_csv, cfg.bitext_limit) if skeleton(r.instruction) not in held]
        else:
            notes.append(f"Bitext CSV {cfg.bitext_csv} not found: support rows skipped.")
    bitext_groups: dict[str, list[str]] = {}
    for row in rows:
        bitext_groups.setdefault(row.intent, [])
        if row.template_id not in bitext_groups[row.intent]:
            bitext_groups[row.intent].append(row.template_id)
    tpl_part = assign_templates({**family_groups, **bitext_groups}, names, weights, cfg.seed + 2)

    parts: dict[str, list[Example]] = {n: [] for n in names}
    seen: set[str] = set()
    bar = tqdm(total=cfg.product_dialogues + len(rows), desc="dialogues", unit=" ex", disable=not progress)
    for n, (name, weight) in enumerate(zip(names, weights)):
        rng = random.Random(cfg.seed * 1000 + n)
        mine = [i for i, p in item_part.items() if p == name]
        maker = DialogueMaker(src, name, mine, [c for c, p in cust_part.items() if p == name],
                              [i for i, p in item_part.items() if p != name], rng)
        families = {f: [int(t.rsplit(".", 1)[1]) for t in tids if tpl_part[t] == name]
                    for f, tids in family_groups.items()}
        families = {f: idx for f, idx in families.items() if idx}
        fams = sorted(families)
        fam_weights = [T.WEIGHTS.get(f, 1.0) for f in fams]
        want = round(cfg.product_dialogues * weight / sum(weights))
        made = attempts = 0
        while made < want and attempts < want * 4 and fams:
            attempts += 1
            family = rng.choices(fams, fam_weights)[0]
            ex = maker.make(family, rng.choice(families[family]))
            if ex is None:
                continue
            if ex.key() in seen:
                counters["duplicates"] += 1
                continue
            seen.add(ex.key())
            parts[name].append(ex)
            made += 1
            bar.update(1)
        for row in rows:
            if tpl_part.get(row.template_id) != name:
                continue
            ex = maker.with_context(maker.support(row))
            bar.update(1)
            if ex is None:
                continue
            if ex.key() in seen:
                counters["duplicates"] += 1
                continue
            seen.add(ex.key())
            parts[name].append(ex)
        counters["dropped_unfaithful_or_invalid"] += maker.dropped
    bar.close()
    for name in names:
        random.Random(f"{cfg.seed}:{name}").shuffle(parts[name])
    return Dataset(parts, notes, counters)


def sample(examples: list[Example], n: int, seed: int) -> list[Example]:
    """At most ``n`` examples, stratified by kind family (proportional, at least one of each)."""
    if not n or len(examples) <= n:
        return list(examples)
    groups: dict[str, list[Example]] = {}
    for e in examples:
        groups.setdefault(e.kind.split(":")[0] if e.source == "bitext" else e.kind, []).append(e)
    keys = sorted(groups)
    counts = allocate(n, [len(groups[k]) for k in keys])
    rng = random.Random(seed)
    out: list[Example] = []
    for k, c in zip(keys, counts):
        out += rng.sample(groups[k], min(c, len(groups[k])))
    rng.shuffle(out)
    return out


def stats(dataset: Dataset, cfg: FinetuneConfig, token_counts: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """Counts per split, kind and source; templates / items / customers per split; the leak check."""
    splits = dataset.splits(cfg)
    out: dict[str, Any] = {"splits": {}, "leaks": {k: len(v) for k, v in leaks(dataset.parts).items()},
                           "notes": dataset.notes, "counters": dict(dataset.counters)}
    for name, examples in splits.items():
        kinds = Counter(e.kind if e.source == "catalog" else "bitext" for e in examples)
        tools = Counter(_first_tool(e) for e in examples)
        info: dict[str, Any] = {
            "examples": len(examples), "bitext": sum(e.source == "bitext" for e in examples),
            "catalog": sum(e.source == "catalog" for e in examples),
            "multi_turn": sum(e.train_from > 1 for e in examples),
            "templates": len({e.template for e in examples}), "items": len({i for e in examples for i in e.items}),
            "customers": len({c for e in examples for c in e.customers}), "kinds": dict(sorted(kinds.items())),
            "first_tool": dict(sorted(tools.items()))}
        if token_counts and name in token_counts and token_counts[name]:
            counts = sorted(token_counts[name])
            info["tokens"] = {"total": sum(counts), "mean": round(sum(counts) / len(counts), 1),
                              "median": counts[len(counts) // 2], "max": counts[-1]}
        out["splits"][name] = info
    return out


def _first_tool(e: Example) -> str:
    """The tool of the first trained assistant message ('none' = a direct reply)."""
    from .masking import tool_name

    for m in e.messages[e.train_from:]:
        if m["role"] == "assistant":
            return tool_name(m["content"]) or "none"
    return "none"
