"""Training data and training runs for the dialogue-act model (:mod:`assistant.acts`).

Turns come from four sources, each with a group that a split never cuts through:
- ``simmc``: SIMMC 2.1 dev (real paraphrased fashion shopping turns; group = the dialogue), its acts mapped onto
  ours, the assistant's previous turn as context;
- ``bitext``: Bitext customer support (group = the instruction template), intents mapped onto the support acts;
- ``templates``: the fine-tuning dialogue templates (:mod:`finetune.templates`), filled with the store's items;
- ``written``: the phrasings of :mod:`finetune.act_phrases` over eight kinds of shop.

:func:`cross_validate` gives out-of-fold predictions for every turn (k folds over groups); :func:`train` fits the
shipped head on all of it with a validation split for early stopping and writes its card.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.acts import ACTS, ActModel, Context, HeadConfig, ensemble, features, train_head

from . import act_phrases as P
from . import templates as T

SIMMC_ACTS = {"REQUEST:GET": "new_need", "INFORM:REFINE": "refine", "INFORM:GET": "refine", "ASK:GET": "ask_item",
              "REQUEST:COMPARE": "compare", "INFORM:DISAMBIGUATE": "disambiguate",
              "REQUEST:ADD_TO_CART": "add_to_cart"}
BITEXT_ACTS = {
    "cancel_order": "cancel_order", "change_order": "cancel_order", "change_shipping_address": "cancel_order",
    "track_order": "order_status", "delivery_period": "policy", "track_refund": "refund_status",
    "get_refund": "start_return", "payment_issue": "payment_problem", "contact_human_agent": "human",
    "contact_customer_service": "human", "complaint": "human", "place_order": "add_to_cart",
    "check_refund_policy": "policy", "check_cancellation_fee": "policy", "delivery_options": "policy",
    "check_payment_methods": "policy", "create_account": "policy", "edit_account": "policy",
    "delete_account": "policy", "switch_account": "policy", "recover_password": "policy",
    "registration_problems": "policy", "set_up_shipping_address": "policy", "check_invoice": "policy",
    "get_invoice": "policy", "newsletter_subscription": "policy", "review": "policy",
}
TEMPLATE_ACTS = {"search": "new_need", "search_price": "new_need", "search_range": "new_need",
                 "search_min": "new_need", "search_brand": "new_need", "search_rating": "new_need",
                 "search_stock": "new_need", "refine_cheaper": "refine", "refine_under": "refine",
                 "refine_color": "refine", "refine_not_brand": "refine", "refine_more": "refine",
                 "refine_more_like": "refine", "refine_details": "details", "refine_compare": "compare",
                 "details": "details", "compare": "compare", "policy": "policy", "order_status": "order_status",
                 "order_missing_email": "order_status", "order_missing_both": "order_status",
                 "start_return": "start_return", "escalate": "human", "off_topic": "off_topic",
                 "harmful": "harmful", "greeting": "greeting"}
# the policy templates that are really a problem to solve, not a question about the rules
POLICY_PROBLEMS = ((re.compile(r"(?i)damaged|broken"), "damaged_item"), (re.compile(r"(?i)declined"), "payment_problem"),
                   (re.compile(r"(?i)cancel my order|change my order|change the shipping address"), "cancel_order"),
                   (re.compile(r"(?i)start a return"), "start_return"), (re.compile(r"(?i)until my refund"), "refund_status"))
ORDS = ("first", "second", "third", "last")
MY_ORDER = re.compile(r"(?i)\bmy (order|package|parcel|purchase|delivery|item|product|stuff)\b")


@dataclass(frozen=True)
class Turn:
    text: str
    act: str
    context: Context
    group: str
    source: str


def _previous(i: int, turns: Sequence[Mapping[str, Any]]) -> str:
    return turns[i - 1].get("system_transcript", "") if i > 0 else ""


def simmc_turns(path: str | Path) -> list[Turn]:
    """SIMMC 2.1 shopper turns with our acts; the scene is always on screen, so ``shown`` is true."""
    path = Path(path)
    if path.is_dir():
        path = path / "simmc2.1_dials_dstc11_dev.json"
    data = json.loads(path.read_text())
    out = []
    for dia in data["dialogue_data"]:
        turns = dia["dialogue"]
        for i, t in enumerate(turns):
            act = SIMMC_ACTS.get(t["transcript_annotated"]["act"])
            if act and t["transcript"].strip():
                out.append(Turn(t["transcript"].strip(), act, Context(_previous(i, turns), True, i > 0),
                                f"simmc:{dia['dialogue_idx']}", "simmc"))
    return out


def bitext_turns(path: str | Path, rng: random.Random, context_share: float = 0.3) -> list[Turn]:
    """Bitext instructions with our support acts; a share gets an earlier product reply as context (support
    questions come in the middle of shopping too)."""
    from .support import read_bitext

    path = Path(path)
    if path.is_dir():
        path = next(path.glob("*.csv"))
    out = []
    for row in read_bitext(path):
        act = BITEXT_ACTS.get(row.intent)
        if act:
            if row.intent == "delivery_period" and MY_ORDER.search(row.instruction):
                act = "order_status"  # "when will my order arrive" is about one order; "how long does it take", policy
            out.append(Turn(row.instruction.strip(), act, _support_context(rng, context_share), row.template_id,
                            "bitext"))
    return out


def _support_context(rng: random.Random, share: float) -> Context:
    if rng.random() < share:
        return Context(_search_reply(rng), True, True)
    return Context()


def _search_reply(rng: random.Random, noun: str = "") -> str:
    domain = rng.choice(list(P.DOMAINS.values()))
    noun = noun or rng.choice(domain["need"])
    return rng.choice(P.SEARCH_REPLY).format(k=rng.choice((3, 5)), n=noun, t=_title(rng, noun),
                                             price=f"${rng.randint(5, 300)}.99")


def _title(rng: random.Random, noun: str) -> str:
    return f"{rng.choice(P.BRANDS).title()} {noun.split()[-1].title()} {rng.choice(('Pro', 'Classic', 'Lite', 'II'))}"


def _fill(form: str, rng: random.Random, domain: Mapping[str, Sequence[str]] | None = None) -> str:
    domain = domain or rng.choice(list(P.DOMAINS.values()))
    c, c2 = rng.sample(P.COLORS, 2)
    lo = rng.choice((10, 20, 30, 50, 100, 200))
    o, o2 = rng.sample(ORDS[:3], 2)
    price = rng.choice((f"${lo}", f"{lo} dollars", f"{lo} bucks", f"{lo}", f"€{lo}", f"£{lo}"))
    values = {"n": rng.choice(domain["need"]), "p": rng.choice(P.PERSONS), "c": c, "c2": c2,
              "b": rng.choice(P.BRANDS), "o": o, "o2": o2, "price": price, "lo": f"${lo}", "hi": f"${lo * 2}",
              "r": rng.choice(domain["refine"]), "oid": rng.choice(P.ORDER_IDS), "s": rng.choice(P.SIZES),
              "sup": rng.choice(P.SUPERLATIVES), "adj": rng.choice(P.ADJECTIVES), "k": rng.choice(("two", "3", "one")),
              "x": rng.choice(P.THINGS), "pr": rng.choice(P.PROPERTIES), "pr2": rng.choice(P.PROPERTIES),
              "f": rng.choice(P.FEATURES), "u": rng.choice(P.USES), "j": rng.choice(P.JUDGED),
              "fit": rng.choice(P.FITS), "aspect": rng.choice(P.ASPECTS)}
    return form.format(**values)


def _vary(text: str, rng: random.Random) -> str:
    """Real typing: lower / first-capital, trailing punctuation dropped or doubled, sometimes a slip."""
    from .dialogues import typo

    r = rng.random()
    text = text.capitalize() if r < 0.3 else text
    if rng.random() < 0.25:
        text = text.rstrip("?.!")
    elif rng.random() < 0.1:
        text = text + text[-1] if text and text[-1] in "?!" else text
    if rng.random() < 0.1:
        text = typo(text, rng)
    return text


def written_turns(rng: random.Random, repeats: int = 3, items: Mapping[str, Any] | None = None) -> list[Turn]:
    """The written phrasings over every kind of shop, each with a plausible context; group = the phrasing.
    ``items`` give real titles for "tell me more about <title>"."""
    out: list[Turn] = []

    def add(act: str, forms: Iterable[str], context: Any, tag: str, n: int = repeats) -> None:
        for j, form in enumerate(forms):
            for _ in range(n):
                domain = rng.choice(list(P.DOMAINS.values()))
                text = _vary(_fill(form, rng, domain), rng)
                ctx = context(rng, domain) if callable(context) else context
                out.append(Turn(text, act, ctx, f"written:{tag}:{j}", "written"))

    def shown(rng: random.Random, domain: Mapping[str, Sequence[str]]) -> Context:
        prev = rng.choice(P.DETAILS_REPLY).format(t=_title(rng, rng.choice(domain["need"])), price="$29.99") \
            if rng.random() < 0.2 else _search_reply(rng, rng.choice(domain["need"]))
        return Context(prev, True, True, cart=rng.random() < 0.2)

    def maybe_shown(rng: random.Random, domain: Mapping[str, Sequence[str]]) -> Context:
        return shown(rng, domain) if rng.random() < 0.5 else Context()

    def anything(rng: random.Random, domain: Mapping[str, Sequence[str]]) -> Context:
        r = rng.random()
        if r < 0.5:
            return shown(rng, domain)
        if r < 0.75:
            return Context(rng.choice(P.SUPPORT_REPLY))
        return Context()

    def asked(rng: random.Random, domain: Mapping[str, Sequence[str]]) -> Context:
        return Context(rng.choice(P.DISAMBIGUATE_PROMPTS), True, True)

    add("new_need", P.NEED_FORMS, maybe_shown, "need", repeats * 2)
    add("new_need", P.NEED_PRICED, maybe_shown, "need_priced")
    for name, domain in P.DOMAINS.items():
        for j, q in enumerate(domain["ask"]):
            for _ in range(repeats):
                out.append(Turn(_vary(q, rng), "ask_item", shown(rng, domain), f"written:ask:{name}:{j}", "written"))
        for j, r in enumerate(domain["refine"]):
            for k, form in enumerate(rng.sample(P.REFINE_FORMS, 3)):
                out.append(Turn(_vary(form.format(r=r), rng), "refine", shown(rng, domain),
                                f"written:refine:{name}:{j}", "written"))
    add("refine", P.REFINE_GENERIC, shown, "refine")
    add("ask_item", P.ASK_GENERIC, shown, "ask")
    add("compare", P.COMPARE_FORMS, shown, "compare")
    add("details", P.DETAILS_FORMS, shown, "details")
    titles = [i.title for i in (items or {}).values()] or [_title(rng, n) for d in P.DOMAINS.values()
                                                           for n in d["need"]]
    ids = list((items or {}).keys()) or ["LT-00042", "BOOK-017", "sku-1183"]
    for act, forms, tag in (("add_to_cart", P.CART_ADD_NAMED, "cart_add_named"),
                            ("remove_from_cart", P.CART_REMOVE_NAMED, "cart_remove_named")):
        for j, form in enumerate(forms):
            for _ in range(repeats * 2):
                name = rng.choice(ids) if rng.random() < 0.5 else rng.choice(titles).split(",")[0]
                name = name.lower() if rng.random() < 0.3 else name
                out.append(Turn(_vary(form.format(t=name), rng), act,
                                maybe_shown(rng, rng.choice(list(P.DOMAINS.values()))), f"written:{tag}:{j}",
                                "written"))
    for j, form in enumerate(P.COMPARE_TITLED):
        for _ in range(repeats * 2):
            t, t2 = (rng.choice(titles).split(",")[0] for _ in range(2))
            out.append(Turn(_vary(form.format(t=t, t2=t2), rng), "compare",
                            maybe_shown(rng, rng.choice(list(P.DOMAINS.values()))), f"written:compare_titled:{j}",
                            "written"))
    for j, form in enumerate(P.DETAILS_TITLED):
        for _ in range(repeats * 2):
            title = rng.choice(titles)
            title = title if rng.random() < 0.5 else title.split(",")[0]
            out.append(Turn(_vary(form.format(t=title if rng.random() < 0.7 else title.lower()), rng), "details",
                            maybe_shown(rng, rng.choice(list(P.DOMAINS.values()))), f"written:details_titled:{j}",
                            "written"))
    add("disambiguate", P.DISAMBIGUATE_FORMS, asked, "disambiguate")
    add("add_to_cart", P.CART_ADD, shown, "cart_add")
    add("add_to_cart", P.CART_ADD_MORE, shown, "cart_add_more")
    add("remove_from_cart", P.CART_REMOVE_MORE, lambda r, d: Context(_search_reply(r), True, True, cart=True),
        "cart_remove_more")
    add("refine", P.REFINE_SHORT, shown, "refine_short")
    add("ask_item", P.ASK_MORE, shown, "ask_more")
    add("ask_item", P.ASK_BUILT, shown, "ask_built", repeats * 2)
    add("ask_item", P.ASK_SUITED, shown, "ask_suited", repeats * 2)

    def answered(rng: random.Random, domain: Mapping[str, Sequence[str]]) -> Context:
        title = _title(rng, rng.choice(domain["need"]))
        return Context(_fill(rng.choice(P.ANSWER_REPLY).replace("{t}", title), rng, domain), True, True,
                       cart=rng.random() < 0.2)

    add("ask_item", P.FOLLOW_UPS, answered, "follow_up", repeats * 2)
    add("ask_item", P.ASK_BUILT, answered, "ask_after_answer")
    add("new_need", P.NEED_MORE, shown, "need_more")
    add("smalltalk", P.SMALLTALK_MORE, anything, "smalltalk_more")
    add("view_cart", P.CART_VIEW, lambda r, d: Context(_search_reply(r), True, True, cart=True) if r.random() < 0.6
        else Context(cart=True), "cart_view")
    add("remove_from_cart", P.CART_REMOVE, lambda r, d: Context("Your cart: 2 items, total $58.98.", True, True,
                                                                 cart=True), "cart_remove")
    add("smalltalk", P.SMALLTALK, anything, "smalltalk")
    add("greeting", P.GREETING, anything, "greeting")
    for act, forms in (("damaged_item", P.DAMAGED), ("refund_status", P.REFUND_STATUS),
                       ("payment_problem", P.PAYMENT), ("cancel_order", P.CANCEL), ("human", P.HUMAN),
                       ("order_status", P.ORDER_STATUS), ("start_return", P.START_RETURN), ("policy", P.POLICY),
                       ("off_topic", P.OFF_TOPIC), ("harmful", P.HARMFUL)):
        add(act, forms, anything, act)
    for act, forms in P.SUPPORT_STORIES.items():
        add(act, forms, anything, f"{act}_story")
    return out


def template_turns(rng: random.Random, items: Mapping[str, Any] | None = None, repeats: int = 2) -> list[Turn]:
    """The fine-tuning templates (:data:`finetune.templates.FAMILIES`) filled with a store's items."""
    pool = list((items or {}).values())
    out = []
    for family, forms in T.FAMILIES.items():
        act = TEMPLATE_ACTS.get(family)
        if act is None:
            continue
        for j, form in enumerate(forms):
            for _ in range(repeats):
                item = rng.choice(pool) if pool else None
                text = _template_text(form, item, pool, rng)
                a = act
                if family == "policy":
                    a = next((label for rx, label in POLICY_PROBLEMS if rx.search(text)), act)
                ctx = Context(_search_reply(rng), True, True) if family.startswith("refine") or (
                    act in ("details", "compare") and rng.random() < 0.6) or rng.random() < 0.2 else Context()
                out.append(Turn(_vary(text, rng), a, ctx, f"templates:{family}:{j}", "templates"))
    return out


def _template_text(form: str, item: Any, pool: Sequence[Any], rng: random.Random) -> str:
    other = rng.choice(pool) if pool else None
    q = (item.category[-1].lower() if item is not None and item.category else rng.choice(
        rng.choice(list(P.DOMAINS.values()))["need"]))
    o, o2 = rng.sample(ORDS[:3], 2)
    values = {"q": q, "p": rng.choice((20, 30, 50, 100)), "lo": 20, "hi": 60, "brand": getattr(item, "brand", "") or
              rng.choice(P.BRANDS), "r": rng.choice((4, 4.5)), "id": getattr(item, "id", "LT-00042"),
              "id2": getattr(other, "id", "LT-00043"), "color": rng.choice(P.COLORS), "oid": rng.choice(P.ORDER_IDS),
              "email": "sam@example.com", "reason": rng.choice(T.RETURN_REASONS), "ord": o, "ord2": o2}
    return form.format(**values)


def catalog_turns(rng: random.Random, items: Mapping[str, Any] | None, n: int = 800) -> list[Turn]:
    """Product requests in a catalog's own words: a title without its brand and variant ("2-person dome tent"),
    or its category, in the need forms; group = the item."""
    pool = list((items or {}).values())
    out: list[Turn] = []
    for item in rng.sample(pool, min(n, len(pool))):
        title = item.title.split(",")[0]
        if item.brand and title.lower().startswith(item.brand.lower()):
            title = title[len(item.brand):]
        phrase = " ".join(title.lower().split())
        if rng.random() < 0.3 and item.category:
            phrase = item.category[-1].lower()
        form = rng.choice(("{n}", "{n}", "a {n}", *P.NEED_FORMS[:20], *P.NEED_PRICED[:3]))
        ctx = Context(_search_reply(rng), True, True) if rng.random() < 0.4 else Context()
        out.append(Turn(_vary(_fill(form.replace("{n}", phrase), rng), rng), "new_need", ctx, f"catalog:{item.id}",
                        "catalog"))
    return out


def demo_items() -> dict[str, Any]:
    """The bundled demo catalog (data the project generates), for the catalog and template phrasings."""
    from longtail.demo import DATA_DIR
    from retrieval.catalog import item_from_record

    rows = [json.loads(line) for line in (DATA_DIR / "items.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return {r["id"]: item_from_record(r) for r in rows}


# ---------------------------------------------------------------------------------------------------- training
def all_turns(data_dir: str | Path | None, items: Mapping[str, Any] | None = None, seed: int = 0) -> list[Turn]:
    """Every source that is there: SIMMC and Bitext from ``data_dir`` (``../shared/data``), templates, written."""
    rng = random.Random(seed)
    turns: list[Turn] = []
    if data_dir is not None:
        data_dir = Path(data_dir)
        if (data_dir / "simmc2.1-dev").exists():
            turns += simmc_turns(data_dir / "simmc2.1-dev")
        if (data_dir / "bitext-customer-support").exists():
            turns += bitext_turns(data_dir / "bitext-customer-support", rng)
    items = items if items is not None else demo_items()
    turns += template_turns(rng, items)
    turns += catalog_turns(rng, items)
    turns += written_turns(rng, items=items)
    return turns


def fold_of(group: str, k: int, seed: int = 0) -> int:
    return int(hashlib.sha1(f"{seed}|{group}".encode()).hexdigest(), 16) % k


class Embeddings:
    """Sentence vectors for every text once, cached on disk by the embedder's name (re-runs skip the encoder)."""

    def __init__(self, embedder: Any, cache: str | Path | None = None, progress: bool = False):
        self.embedder = embedder
        self.cache = Path(cache) if cache else None
        self.progress = progress
        self.vectors: dict[str, np.ndarray] = {}
        if self.cache and self.cache.exists():
            data = np.load(self.cache, allow_pickle=False)
            self.vectors = dict(zip(data["texts"].tolist(), data["vectors"]))

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            for t, v in zip(missing, self.embedder.encode(missing, progress=self.progress and len(missing) > 200)):
                self.vectors[t] = v
            if self.cache:
                self.cache.parent.mkdir(parents=True, exist_ok=True)
                texts_ = list(self.vectors)
                np.savez(self.cache, texts=np.array(texts_), vectors=np.stack([self.vectors[t] for t in texts_]))
        return [self.vectors[t] for t in texts]


def _matrix(turns: Sequence[Turn], embed: Any) -> tuple[np.ndarray, list[int]]:
    x = features([t.text for t in turns], [t.context for t in turns], embed)
    return x, [ACTS.index(t.act) for t in turns]


def _members(x: np.ndarray, y: Sequence[int], train: np.ndarray, val: np.ndarray, cfg: HeadConfig) -> Any:
    """The fold's head: ``cfg.members`` heads on the training rows (each seed its own), averaged."""
    heads = [train_head(x[train], [y[i] for i in train], len(ACTS), replace(cfg, seed=cfg.seed + m), x[val],
                        [y[i] for i in val])[0] for m in range(cfg.members)]
    return ensemble(heads)


def cross_validate(turns: Sequence[Turn], embed: Any, k: int = 5, cfg: HeadConfig | None = None,
                   progress: bool = False) -> list[str]:
    """Out-of-fold predictions (one per turn): each fold's turns are predicted by a head trained on the others
    (one more fold held out for early stopping)."""
    import torch

    cfg = cfg or HeadConfig()

    x, y = _matrix(turns, embed)
    folds = np.array([fold_of(t.group, k, cfg.seed) for t in turns])
    pred = [""] * len(turns)
    for f in range(k):
        test = np.where(folds == f)[0]
        val = np.where(folds == (f + 1) % k)[0]
        train = np.where((folds != f) & (folds != (f + 1) % k))[0]
        head = _members(x, y, train, val, cfg)
        with torch.no_grad():
            out = head(torch.from_numpy(x[test])).argmax(1).numpy()
        for i, p in zip(test, out):
            pred[i] = ACTS[int(p)]
        if progress:
            acc = float(np.mean([pred[i] == turns[i].act for i in test]))
            print(f"  fold {f + 1}/{k}: {len(test)} turns, accuracy {acc:.3f}")
    return pred


def train(turns: Sequence[Turn], embed: Any, embedder_name: str, cfg: HeadConfig | None = None,
          val_share: float = 0.1, progress: bool = False) -> ActModel:
    """The head on all turns but a validation share of groups (for early stopping)."""
    cfg = cfg or HeadConfig()
    x, y = _matrix(turns, embed)
    heads, logs = [], []
    for m in range(cfg.members):  # each member stops early on its own share of groups
        is_val = np.array([fold_of(t.group, 1000, cfg.seed + 1 + m) < val_share * 1000 for t in turns])
        head, log = train_head(x[~is_val], [yy for yy, v in zip(y, is_val) if not v], len(ACTS),
                               replace(cfg, seed=cfg.seed + m), x[is_val], [yy for yy, v in zip(y, is_val) if v],
                               progress=progress)
        heads.append(head)
        logs.append(log)
    head = ensemble(heads)
    model = ActModel(head, ACTS, embedder_name, cfg, {"training": logs[0] if len(logs) == 1 else logs})
    model.embed = embed
    return model


def describe(turns: Sequence[Turn]) -> dict[str, Any]:
    return {"turns": len(turns), "groups": len({t.group for t in turns}),
            "by_source": dict(Counter(t.source for t in turns)),
            "by_act": dict(Counter(t.act for t in turns).most_common())}


def stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())



def run(data_dir: str | Path | None, output: str | Path, embedder: Any, folds: int = 5,
        cfg: HeadConfig | None = None, cache: str | Path | None = None, items: Mapping[str, Any] | None = None,
        progress: bool = False, command: str = "longtail acts train") -> dict[str, Any]:
    """Cross-validate (k folds over dialogues / templates / phrasings), train the shipped head on everything,
    write it with its card to ``output``. Returns the report."""
    from evaluation.metrics import classification_report

    cfg = cfg or HeadConfig()
    t0 = time.perf_counter()
    turns = all_turns(data_dir, items, cfg.seed)
    if not any(t.source == "simmc" for t in turns):
        raise FileNotFoundError(f"No SIMMC 2.1 dialogues under {data_dir}: the act model trains on "
                                f"../shared/data/simmc2.1-dev (give --data DIR).")
    embed = Embeddings(embedder, cache, progress)
    if progress:
        print(f"{len(turns)} turns; embedding (cached in {cache})" if cache else f"{len(turns)} turns; embedding")
    embed([t.text for t in turns] + [t.context.previous for t in turns if t.context.previous])
    report: dict[str, Any] = {"command": command, "date": stamp(), "data": describe(turns), "folds": folds,
                              "config": cfg.__dict__, "embedder": getattr(embedder, "name", "")}
    if folds > 1:
        if progress:
            print(f"{folds}-fold cross-validation (folds by dialogue / template / phrasing)")
        pred = cross_validate(turns, embed, folds, cfg, progress)
        report["cv"] = {"all": classification_report([t.act for t in turns], pred, ACTS)}
        for source in sorted({t.source for t in turns}):
            idx = [i for i, t in enumerate(turns) if t.source == source]
            report["cv"][source] = classification_report([turns[i].act for i in idx], [pred[i] for i in idx], ACTS)
        fold_acc = []
        for f in range(folds):
            idx = [i for i, t in enumerate(turns) if t.source == "simmc" and fold_of(t.group, folds, cfg.seed) == f]
            fold_acc.append(float(np.mean([pred[i] == turns[i].act for i in idx])) if idx else float("nan"))
        report["cv"]["simmc_fold_accuracy"] = [round(a, 4) for a in fold_acc]
    if progress:
        print("training the shipped head on all turns")
    model = train(turns, embed, getattr(embedder, "name", ""), cfg, progress=progress)
    report["training"] = model.card["training"]
    report["seconds"] = round(time.perf_counter() - t0, 1)
    model.card = report
    out = model.save(output)
    (out / "README.md").write_text(card_text(report))
    report["output"] = str(out)
    return report


def card_text(report: Mapping[str, Any]) -> str:
    """The act model's card: what it is, its data, its cross-validated figures, how to retrain it."""
    from evaluation.metrics import format_confusion

    d = report["data"]
    members = int(report.get("config", {}).get("members", 1))
    heads = (f"An ensemble of {members} classification heads (each with its own seed and early-stopping split; "
             "their probabilities averaged, so one head's flip on a borderline turn no longer decides it)"
             if members > 1 else "A classification head")
    lines = ["# The dialogue-act model", "",
             f"{heads} over the frozen all-MiniLM-L6-v2 sentence encoder: the shopper's message, the "
             "assistant's previous reply and a few context features (items on screen, a current need, a pending "
             "order look-up, the cart) -> one of the acts in `assistant/acts.py`. Trained with AdamW and "
             "class-weighted cross-entropy (label smoothing 0.05), early stopping on a validation split of groups. "
             "The cross-validation below trains the same ensemble in every fold.",
             "", f"Trained {report['date']} with `{report['command']}` in {report['seconds']} s.", "",
             "## Data", "", f"{d['turns']} turns in {d['groups']} groups (a split never cuts a group: a SIMMC "
             "dialogue, a Bitext instruction template, a written phrasing).", "",
             "| source | turns |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in d["by_source"].items()]
    lines += ["", "Acts: " + ", ".join(f"{k} {v}" for k, v in d["by_act"].items()), ""]
    cv = report.get("cv")
    if cv:
        lines += [f"## {report['folds']}-fold cross-validation (out-of-fold predictions)", "",
                  "| source | turns | accuracy | 95% interval | macro-F1 |", "|---|---|---|---|---|"]
        for source, r in cv.items():
            if isinstance(r, dict):
                lines.append(f"| {source} | {r['n']} | {r['accuracy']:.3f} | {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f} "
                             f"| {r['macro_f1']:.3f} |")
        lines += ["", f"SIMMC accuracy per fold: {cv.get('simmc_fold_accuracy')}", "",
                  "SIMMC 2.1 acts are mapped: REQUEST:GET -> new_need, INFORM:REFINE and INFORM:GET -> refine, "
                  "ASK:GET -> ask_item, REQUEST:COMPARE -> compare, INFORM:DISAMBIGUATE -> disambiguate, "
                  "REQUEST:ADD_TO_CART -> add_to_cart.", "",
                  "### Per act (all sources)", "", "| act | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for act, r in cv["all"]["per_label"].items():
            lines.append(f"| {act} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |")
        lines += ["", "### Confusion matrix (all sources; rows gold, columns predicted)", "", "```",
                  format_confusion(cv["all"]["confusion"], ACTS), "```", ""]
    lines += ["## Held-out figures", "", "`longtail eval dialogue` measures the shipped model on held-out data "
              "written apart from the training phrasings (`evaluation/data`), on SIMMC and Bitext by fold, and "
              "end to end in the assistant.", "", "## Retrain", "", "```", "longtail acts train --data ../shared/data",
              "```", ""]
    return "\n".join(lines)
