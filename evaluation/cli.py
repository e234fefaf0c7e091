"""`longtail eval amazon|demo|wands|recs` and `longtail gems` (attached lazily by :mod:`longtail.cli`).

Each evaluation writes ``report.md``, ``report.json`` (every figure and the exact configuration) and PNG
plots to ``--out`` (default ``reports/<task>/``), and prints the markdown report (or the JSON with ``--json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from .data import RecTask, default_data_root, load_demo, load_sequence_split, load_unisrec
from .metrics import TailDefinition

DEFAULT_LAMBDAS = "0.05,0.1,0.2,0.3,0.5,0.8,1.2"


def _settings():
    ctx = click.get_current_context().find_root()
    if ctx.obj and "settings" in ctx.obj:
        return ctx.obj["settings"]
    from longtail.config import load_settings

    return load_settings()


def _floats(text: str, name: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: give comma-separated numbers, e.g. {DEFAULT_LAMBDAS}",
                                 param_hint=name) from None
    if not values or any(v < 0 for v in values):
        raise click.BadParameter("give at least one value, none negative", param_hint=name)
    return values


def _tail(text: str) -> TailDefinition:
    try:
        return TailDefinition.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tail") from None


def rec_options(fn):
    options = [
        click.option("--k", default=10, show_default=True, help="List length K."),
        click.option("--lambdas", default=DEFAULT_LAMBDAS, show_default=True, help="Lambda values to sweep."),
        click.option("--tail", "tail", default="items:0.2", show_default=True,
                     help="Tail items: items:SHARE (outside the top SHARE of items), "
                          "interactions:SHARE or count:N."),
        click.option("--rerank-tail", type=click.Choice(["metric", "product"]), default="metric",
                     show_default=True, help="Items the re-rankers treat as long tail: the --tail of the metric "
                                             "(what APLT counts) or the product's Popularity buckets."),
        click.option("--max-ndcg-loss", default=0.05, show_default=True,
                     help="Lambda is chosen on the tuning split as the highest APLT within this NDCG loss."),
        click.option("--choice", type=click.Choice(["robust", "point"]), default="robust", show_default=True,
                     help="robust: the loss must pass at the pessimistic end of its 95% bootstrap interval; "
                          "point: the measured loss alone."),
        click.option("--candidates", default=100, show_default=True, help="Candidates handed to the re-rankers."),
        click.option("--users", type=int, help="Evaluate a random subsample of N users (quick runs)."),
        click.option("--seed", default=0, show_default=True, help="Seed for everything random."),
        click.option("--no-gems", is_flag=True, help="Skip the hidden-gem model and its boost."),
        click.option("--gem-features", type=click.Choice(["tfidf", "embedding", "model"]), default="tfidf",
                     show_default=True, help="The gem score the re-rankers use: the text gem model's features "
                                             "(tfidf, embedding) or the purchase model's probability (model)."),
        click.option("--no-purchase", is_flag=True, help="Leave out the purchase-probability model (no training)."),
        click.option("--out", type=click.Path(file_okay=False), help="Report folder (default reports/<task>)."),
        click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of markdown."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _run_recs(task: RecTask, default_out: str, k: int, lambdas: str, tail: str, rerank_tail: str,
              max_ndcg_loss: float, choice: str,
              candidates: int, users: int | None, seed: int, no_gems: bool, gem_features: str, no_purchase: bool,
              out: str | None, as_json: bool, source: dict[str, Any]) -> None:
    from retrieval import load_embedder

    from .harness import EvalConfig
    from .recs import evaluate_recommendations
    from .report import rec_json, rec_markdown, write_rec_report
    from .systems import item_vectors

    start = time.perf_counter()
    settings = _settings()
    cfg = EvalConfig(k=k, candidates=candidates, seed=seed, tail=_tail(tail), lambdas=_floats(lambdas, "--lambdas"),
                     rerank_tail=rerank_tail,
                     max_ndcg_loss=max_ndcg_loss, choice=choice, floor=settings.relevance_floor, tail_share=settings.tail_share,
                     head_share=settings.head_share, gem_text=gem_features, progress=True,
                     purchase=not no_purchase, model_dir=str(settings.cache_dir / "eval"))
    if gem_features == "model" and no_purchase:
        raise click.BadParameter("--gem-features model needs the purchase model: drop --no-purchase.",
                                 param_hint="--gem-features")
    embedder = load_embedder(settings.embedding_model)
    t0 = time.perf_counter()
    vectors = item_vectors(task.items, embedder, settings.cache_dir / "eval", settings.embed_max_chars)
    embed_seconds = time.perf_counter() - t0
    ev = evaluate_recommendations(task, vectors, cfg, users=users, use_gems=not no_gems)
    ev.timings["embedding_seconds"] = embed_seconds
    ev.timings["wall_seconds"] = time.perf_counter() - start
    extra = source | {"embedding_model": embedder.name, "users_subsample": users,
                      "cache_dir": str(settings.cache_dir / "eval")}
    paths = write_rec_report(ev, Path(out or default_out), extra)
    if as_json:
        click.echo(json.dumps(rec_json(ev, extra) | {"files": {k_: str(p) for k_, p in paths.items()}}, indent=2))
    else:
        click.echo(rec_markdown(ev))
        click.echo(f"report: {paths['markdown']}  json: {paths['json']}  plots: "
                   + ", ".join(str(p) for key, p in paths.items() if key.endswith(("off", "ity", "enz", "ion"))))


@click.command("amazon")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="UniSRec folder (default ../shared/data/amazon-scientific-unisrec).")
@click.option("--split", default="valid", show_default=True, help="Split file to report on (<Name>.<split>.inter).")
@rec_options
def eval_amazon(data_dir: str | None, split: str, **opts: Any) -> None:
    """Next-item recommendation on the Amazon Scientific set (leave-one-out), all systems, lambda sweep."""
    folder = Path(data_dir) if data_dir else default_data_root() / "amazon-scientific-unisrec"
    try:
        task = load_unisrec(folder, split)
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc} Pass --data-dir to the UniSRec folder.") from None
    _run_recs(task, "reports/amazon", source={"data_dir": str(folder), "split": split}, **opts)


@click.command("recs")
@click.option("--inter", "inter_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Split file: UniSRec (user, item_id_list, item_id) or a RecBole atomic .inter log.")
@click.option("--items", "items_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Item file: UniSRec .text, RecBole .item, or a CSV/JSONL/Parquet catalog.")
@rec_options
def eval_recs(inter_path: str, items_path: str, **opts: Any) -> None:
    """Next-item recommendation on any RecBole / UniSRec split file and item text file."""
    try:
        task = load_sequence_split(inter_path, items_path)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    _run_recs(task, "reports/recs", source={"inter": inter_path, "items": items_path}, **opts)


@click.command("demo")
@rec_options
def eval_demo(**opts: Any) -> None:
    """The bundled demo store: each user's last purchase is the target, earlier events the history."""
    try:
        task = load_demo()
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(f"The demo store data is unavailable: {exc}") from None
    _run_recs(task, "reports/demo", source={"data": "longtail.demo"}, **opts)


@click.command("wands")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--k", default=10, show_default=True)
@click.option("--lambdas", default="0.1,0.3,0.5", show_default=True)
@click.option("--tail", "tail", default="items:0.2", show_default=True)
@click.option("--out", type=click.Path(file_okay=False), help="Report folder (default reports/wands).")
@click.option("--json", "as_json", is_flag=True)
def eval_wands(folder: str, k: int, lambdas: str, tail: str, out: str | None, as_json: bool) -> None:
    """Query-to-product retrieval with graded labels (WANDS layout: product.csv, query.csv, label.csv)."""
    from .report import COLUMNS, _fmt
    from .wands import evaluate_wands, load_wands, open_store

    try:
        data = load_wands(folder)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise click.ClickException(f"{folder}: {exc}") from None
    result = evaluate_wands(data, open_store(data, _settings()), k, _floats(lambdas, "--lambdas"), _tail(tail))
    cols = [c for c, _ in COLUMNS if "_" not in c and c != "pop_lift"]
    lines = [f"# WANDS-layout retrieval: {folder}", "", f"{result['queries']} queries, {result['items']} products; "
             f"{result['tail_definition']}. NDCG: graded (Exact 2, Partial 1); Recall/MRR: Exact products.", "",
             "| configuration | " + " | ".join(f"{c}@{k}" for c in cols) + " |", "|---|" + "---:|" * len(cols)]
    lines += [f"| {name} | " + " | ".join(_fmt(m[f'{c}@{k}']) for c in cols) + " |"
              for name, m in result["systems"].items()]
    text = "\n".join(lines) + "\n"
    target = Path(out or "reports/wands")
    target.mkdir(parents=True, exist_ok=True)
    (target / "report.md").write_text(text, encoding="utf-8")
    (target / "report.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    click.echo(json.dumps(result, indent=2) if as_json else text + f"\nreport: {target / 'report.md'}")


@click.command("gems")
@click.option("-n", "--n", "count", default=20, show_default=True, help="How many hidden gems to list.")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--seed", default=0, show_default=True)
@click.option("--features", type=click.Choice(["tfidf", "embedding"]), default="tfidf", show_default=True,
              help="Text features of the appeal model.")
@click.option("--json", "as_json", is_flag=True)
def gems(count: int, folds: int, seed: int, features: str, as_json: bool) -> None:
    """The store's top hidden gems: long-tail items whose text predicts high appeal (with CV quality)."""
    from longtail import stores
    from retrieval import Popularity, Store
    from retrieval.gems import hidden_gems, train_gem_model

    settings = _settings()
    try:
        store = stores.open_store(settings, progress=not as_json) if features == "embedding" else None
    except stores.UnknownStore as exc:
        raise click.ClickException(str(exc)) from None
    if store is None:  # TF-IDF needs the catalog and the log, not the vector index
        stores.require(settings)
        store = Store(settings.store_config())
        if settings.store in stores.BUNDLED and len(store.db) == 0:
            files = stores.BUNDLED[settings.store]
            store.import_catalog(files.catalog, progress=not as_json)
            if files.interactions:
                store.import_interactions(files.interactions, progress=not as_json)
    items = store.db.items()
    if not items:
        raise click.ClickException(f"Store {settings.store!r} is empty: import a catalog with `longtail index`.")
    counts = store.db.interaction_counts() or {i: float(it.rating_count) for i, it in items.items()}
    catalog, vectors = list(items.values()), None
    if features == "embedding":
        ids, vectors = store.index.embeddings(list(items))
        missing = len(set(items) - set(ids))
        if missing:
            raise click.ClickException(f"{missing} item(s) are not in the vector index: run `longtail index`.")
        catalog = [items[i] for i in ids]
    try:
        model = train_gem_model(catalog, counts, vectors=vectors, folds=folds, seed=seed, text=features)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    popularity = Popularity.from_store(store.db, items, settings.head_share, settings.tail_share_of_interactions)
    rows = hidden_gems(model.oof, popularity, count)
    for r in rows:
        r["title"] = items[r["id"]].title
    cv = {k: v for k, v in model.cv.items() if k != "calibration"}
    if as_json:
        click.echo(json.dumps({"store": settings.store, "cv": cv, "gems": rows}, indent=2, ensure_ascii=False))
        return
    click.echo(f"gem model: ROC AUC {cv['auc_mean']:.3f} ± {cv['auc_std']:.3f} ({cv['folds']}-fold CV), Brier "
               f"{cv['brier']:.4f} vs base rate {cv['brier_base_rate']:.4f}; label: {cv['label']}")
    for n, r in enumerate(rows, 1):
        click.echo(f"{n:2}. [{r['id']}] {r['title'][:70]}  gem {r['gem_score']:.3f}  {r['bucket']} "
                   f"({r['interactions']:g} interactions)")


# ------------------------------------------------------------------------------------------------ eval
def _evaluate(settings, store, cases, model, tool_mode: str, progress: bool) -> dict[str, Any]:
    from assistant.build import build_assistant

    from .assistant_quality import run_cases, sentence_rates, summarise

    bot = build_assistant(settings, store=store, model=model, tool_mode=tool_mode)
    scores = run_cases(bot, cases, progress=progress)
    summary = summarise(scores)
    rates = sentence_rates(bot.stats)
    summary["reply_sentences"] = rates["judged"]
    summary["reply_sentence_replacement_rate"] = rates["replaced"]
    summary["reply_sentence_drop_rate"] = rates["dropped"]
    summary["tool_mode"] = bot.tool_mode
    summary["turns_scored"] = len(cases)
    summary["model"] = getattr(model, "name", "?")
    summary["failures"] = [{"case": s.case_id, "expected": s.tool_expected, "used": s.tool_used, "notes": s.notes}
                           for s in scores if not s.tool_ok or s.args_ok is False or s.leaked
                           or s.refused != s.refusal_expected][:30]
    if tool_mode != "model":
        summary.pop("model_tool_choice_accuracy", None)
        summary.pop("model_valid_call_rate", None)
    return summary


@click.command("eval_assistant")
@click.option("--split", type=click.Choice(["test", "train", "all"]), default="test", show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--limit", type=int, help="Only the first N cases (quick looks).")
@click.option("--sample", type=int, help="N cases spread evenly over the templates (round-robin).")
@click.option("--backend", type=click.Choice(["local", "llamacpp", "fake"]), default="local", show_default=True,
              help="'fake' = no LLM (template replies; measures the router and the grounding alone); 'llamacpp' "
                   "= the GGUF of llm_gguf_type under llama.cpp.")
@click.option("--adapter", help="A LoRA adapter to compare with the base model (default: the shipped one, if any).")
@click.option("--model-tools/--no-model-tools", default=True, show_default=True,
              help="Also score the model choosing tools itself (constrained), before any fallback.")
@click.option("--model-tools-cases", default=34, show_default=True,
              help="Cases (spread over the templates) for the slower model-picks-tools runs.")
@click.option("--threads", type=int, help="torch CPU threads.")
@click.option("--card", is_flag=True, help="Record the fine-tuned model's figures in this weight format (bf16, "
                                           "or llm_gguf_type under --backend llamacpp) in the shipped adapter's "
                                           "card, which then states the CPU default by the 1-point rule.")
@click.option("--json", "as_json", is_flag=True)
def eval_assistant(split: str, seed: int, limit: int | None, sample: int | None, backend: str, adapter: str | None,
                   model_tools: bool, model_tools_cases: int, threads: int | None, card: bool, as_json: bool) -> None:
    """Quality on held-out dialogue turns: tool choice, arguments, explanation faithfulness, refusals;
    base model and fine-tuned adapter side by side."""
    from assistant.cli import _set_threads
    from assistant.loading import adapter_path
    from assistant.models import ScriptedChatModel
    from longtail.cli import emit
    from longtail.stores import open_store

    from .assistant_quality import quality_cases, spread_cases

    _set_threads(threads)
    settings = _settings().replace(**{k: v for k, v in (("llm_backend", backend), ("llm_adapter", adapter)) if v})
    store = open_store(settings, progress=not as_json)
    cases = quality_cases(store, seed, split)
    if sample:
        cases = spread_cases(cases, sample)
    if limit:
        cases = cases[:limit]
    runs: dict[str, Any] = {}
    if backend == "fake":
        runs["router+templates"] = _evaluate(settings, store, cases, ScriptedChatModel([]), "router", not as_json)
    else:
        from assistant.loading import load_chat_model

        base = load_chat_model(settings, adapter=False, progress=not as_json)
        runs["base"] = _evaluate(settings, store, cases, base, "router", not as_json)
        if model_tools:
            runs["base, model picks tools"] = _evaluate(settings, store, spread_cases(cases, model_tools_cases),
                                                        base, "model", not as_json)
        del base
        if adapter_path(settings) is not None:
            tuned = load_chat_model(settings, adapter=True, progress=not as_json)
            runs["fine-tuned"] = _evaluate(settings, store, cases, tuned, "router", not as_json)
            if model_tools:
                runs["fine-tuned, model picks tools"] = _evaluate(
                    settings, store, spread_cases(cases, model_tools_cases), tuned, "model", not as_json)
            if card:
                _record_format(settings, tuned, runs, len(cases))
        else:
            runs["fine-tuned"] = None
    out = {"split": split, "seed": seed, "cases": len(cases), "runs": runs}
    metrics = ["tool_choice_accuracy", "argument_accuracy", "explanation_faithfulness", "model_text_faithfulness",
               "reply_sentences", "reply_sentence_replacement_rate", "reply_sentence_drop_rate",
               "refusal_correctness", "privacy_leaks", "model_tool_choice_accuracy", "model_valid_call_rate",
               "seconds_per_turn_p50"]
    names = [n for n, r in runs.items() if r]
    lines = [f"eval assistant: {len(cases)} held-out turns ({split} split, seed {seed})",
             f"{'metric':28}" + "".join(f"{n[:30]:>32}" for n in names)]
    for metric in metrics:
        lines.append(f"{metric:28}" + "".join(f"{runs[n].get(metric, '-')!s:>32}" for n in names))
    if "fine-tuned" in runs and runs["fine-tuned"] is None:
        lines.append("fine-tuned: no adapter (set llm_adapter or ship finetune/adapters/default)")
    emit(out, as_json, "\n".join(lines))


def _record_format(settings: Any, tuned: Any, runs: dict[str, Any], cases: int) -> None:
    """The fine-tuned model's figures in this weight format, into the shipped adapter's card."""
    import sys
    import time

    from assistant.loading import adapter_path
    from finetune.card import record_format

    own = runs.get("fine-tuned, model picks tools")
    if not own:
        raise click.UsageError("--card needs the model-picks-tools run: drop --no-model-tools.")
    if settings.llm_backend == "llamacpp":
        name, quantized = f"GGUF {settings.llm_gguf_type.upper()} (llama.cpp)", True
    else:
        q = tuned.loaded.quantization
        name, quantized = f"transformers {'fp32' if q == 'none' else q}", q not in ("bf16", "none")
    keys = ("model_tool_choice_accuracy", "model_valid_call_rate", "model_text_faithfulness", "seconds_per_turn_p50")
    figures = {k: own.get(k) for k in keys} | {
        "quantized": quantized, "cases": cases, "model_tools_cases": own.get("turns_scored"),
        "date": time.strftime("%Y-%m-%d", time.gmtime()), "command": "longtail " + " ".join(sys.argv[1:])}
    path = record_format(adapter_path(settings), name, figures)
    click.echo(f"recorded {name} in {path}", err=True)


@click.command("eval_references")
@click.argument("catalog", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--map", "mapping", multiple=True, help="Column mapping SOURCE=field, as for `longtail index`.")
@click.option("--items", "n", default=300, show_default=True, help="Items sampled.")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def eval_references(catalog: str | None, mapping: tuple[str, ...], n: int, seed: int, as_json: bool) -> None:
    """How shoppers can name items: by id in any case, by title or a short distinctive part of it, two at once in
    a comparison. CATALOG is any file `longtail index` reads (default: the configured store's catalog)."""
    from longtail.cli import emit
    from retrieval import ImportFailed, load_items, parse_mapping

    from .references import evaluate_references, format_references

    settings = _settings()
    try:
        if catalog:
            items = {i.id: i for i in load_items(catalog, parse_mapping(mapping), progress=not as_json,
                                                 allow_partial=True)[0]}
        else:
            from longtail.stores import open_store

            items = open_store(settings, progress=not as_json).db.items()
    except (ImportFailed, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    result = evaluate_references(items, n, seed)
    result["catalog"] = catalog or f"store {settings.store}"
    emit(result, as_json, format_references(result))


@click.command("eval_dialogue")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default="../shared/data", show_default=True,
              help="Folder with simmc2.1-dev/ and bitext-customer-support/ (skipped when absent).")
@click.option("--folds", default=5, show_default=True, help="Folds for the SIMMC / Bitext held-out figures.")
@click.option("--no-corpora", is_flag=True, help="Skip the SIMMC / Bitext cross-validation (minutes).")
@click.option("--backend", type=click.Choice(["fake", "local", "llamacpp"]), default="fake", show_default=True,
              help="Who writes the replies to the held-out questions about shown items: 'fake' = the templates "
                   "alone; 'local' / 'llamacpp' = the fine-tuned model (the fact checker still guards it).")
@click.option("--json", "as_json", is_flag=True)
def eval_dialogue(data_dir: str, folds: int, no_corpora: bool, backend: str, as_json: bool) -> None:
    """Dialogue understanding, the learned act model against the rules: acts on held-out SIMMC 2.1 dialogues and
    Bitext templates, multi-turn dialogues end to end on two stores (ids like LT-00042 and Shopify handles),
    support messages, price bounds, questions about shown items, small talk, and the latency per turn."""
    from dataclasses import replace

    from assistant.build import build_assistant
    from assistant.conversations import ConversationStore
    from assistant.models import ScriptedChatModel
    from assistant.testing import export_like_shopify
    from longtail import stores as store_files
    from longtail.cli import emit
    from retrieval import SentenceTransformerEmbedder, Store

    from .dialogue import evaluate, format_report

    import functools
    import shutil
    import tempfile

    from .dialogue import STORES, store_catalogs

    settings = _settings()
    embedder = SentenceTransformerEmbedder(settings.embedding_model)
    demo = store_files.open_store(replace(settings, store="demo"), progress=not as_json, embedder=embedder)
    shop_settings = replace(settings, store="eval-shopify")
    if not shop_settings.catalog_db.exists():  # the demo data as a Shopify export: handle ids, '#1001' orders
        shop = Store(shop_settings.store_config(), embedder=embedder)
        store_files.install(shop, export_like_shopify(shop_settings.data_dir / "eval-shopify-export"),
                            progress=not as_json)
    else:
        shop = store_files.open_store(shop_settings, progress=not as_json, embedder=embedder)
    shops = {}  # the dialogues' own shops, imported afresh each run (a few hundred items: seconds)
    scratch = Path(tempfile.mkdtemp(prefix="longtail-eval-shops-"))
    for name, path in store_catalogs(STORES).items():
        shop_settings = replace(settings, data_dir=scratch, store=f"eval-{name}")
        shops[name] = Store(shop_settings.store_config(), embedder=embedder)
        store_files.install(shops[name], store_files.StoreFiles(path, policies=store_files.BUNDLED["demo"].policies),
                            progress=not as_json)

    def make(store, acts, model=None):
        return build_assistant(settings, store=store, model=model or ScriptedChatModel([]),
                               conversations=ConversationStore(":memory:"), tool_mode="router", acts=acts)

    ask = None
    if backend != "fake":
        from assistant.loading import load_chat_model

        llm = load_chat_model(settings.replace(llm_backend=backend), adapter=True, progress=not as_json)
        ask = functools.partial(make, model=llm)

    try:
        report = evaluate(shops, {"demo": demo, "eval-shopify": shop}, make, None if no_corpora else data_dir, embedder,
                          folds, settings.cache_dir / "act-embeddings.npz", progress=not as_json,
                          answers_dir=data_dir if Path(data_dir).exists() else None, ask_assistant=ask)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    emit(report, as_json, format_report(report))
