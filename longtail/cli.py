"""The `longtail` command: a thin click layer over the library. Every command that prints results or figures
has ``--json``. Subcommands of the other packages (chat, serve, eval, gems, finetune) are attached lazily
so that `longtail search` never pays for importing the LLM or UI stacks."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .config import ConfigError, Settings, load_settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _open_store(ctx: click.Context):
    from .stores import UnknownStore, open_store

    try:
        return open_store(_settings(ctx), progress=True)
    except UnknownStore as exc:
        raise click.ClickException(str(exc)) from None


def emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        click.echo(text)


class LazyGroup(click.Group):
    """A group whose commands live in other packages and are imported only when invoked."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name]
            try:
                return getattr(__import__(module, fromlist=[attr]), attr)
            except (ImportError, AttributeError) as exc:
                reason = f"`{ctx.command_path} {name}` is unavailable ({exc}). Install everything with `make install`."

                def unavailable() -> None:
                    raise click.ClickException(reason)

                return click.Command(name, callback=unavailable, help=f"(unavailable: {exc})")
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        """Any command on a store that does not exist ends with the message that says which stores do."""
        from .stores import UnknownStore

        try:
            return super().invoke(ctx)
        except UnknownStore as exc:
            raise click.ClickException(str(exc)) from None


TOP_LEVEL = {
    "chat": ("assistant.cli", "chat"),
    "serve": ("ui.cli", "serve"),
    "agents": ("ui.cli", "agents"),
    "gems": ("evaluation.cli", "gems"),
    "finetune": ("finetune.cli", "finetune"),
    "acts": ("finetune.cli", "acts"),
}
BENCH = {
    "assistant": ("assistant.cli", "bench_assistant"),
    "ui": ("ui.cli", "bench_ui"),
}
EVAL = {
    "amazon": ("evaluation.cli", "eval_amazon"),
    "demo": ("evaluation.cli", "eval_demo"),
    "wands": ("evaluation.cli", "eval_wands"),
    "recs": ("evaluation.cli", "eval_recs"),
    "assistant": ("evaluation.cli", "eval_assistant"),
    "references": ("evaluation.cli", "eval_references"),
    "dialogue": ("evaluation.cli", "eval_dialogue"),
}


@click.group(cls=LazyGroup, lazy=TOP_LEVEL)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config file.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where stores, indexes and caches live.")
@click.option("--store", help="Store (catalog) name; 'demo' is the bundled demo store.")
@click.option("--chroma-mode", type=click.Choice(["persistent", "http", "ephemeral"]))
@click.option("--chroma-host")
@click.option("--chroma-port", type=int)
@click.option("--embedding-model", help="sentence-transformers model id or path.")
@click.version_option(package_name="longtail-assistant")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, **overrides: Any) -> None:
    """Longtail: a shopping assistant that finds the long tail."""
    try:
        ctx.obj = {"settings": load_settings(config_path, **overrides)}
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


@cli.group("bench", cls=LazyGroup, lazy=BENCH)
def bench_group() -> None:
    """Speed benchmarks (medians over several runs, ratios against a baseline from the same run)."""


@cli.group("eval", cls=LazyGroup, lazy=EVAL)
def eval_group() -> None:
    """Offline evaluations: recommendations on real data, and the assistant's quality."""


@cli.command("config")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def config_cmd(ctx: click.Context, as_json: bool) -> None:
    """Show every setting, its value and what it does."""
    rows = _settings(ctx).describe()
    sensitive = {"admin_password", "openai_api_key"}
    values = {name: ("***" if name in sensitive and value else value) for name, value, _ in rows}
    text = "\n".join(f"{name:28} {values[name]!s:40} {help_}" for name, _, help_ in rows)
    emit(values, as_json, text)


@cli.command("stores")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stores_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the stores in the data dir (and the bundled ones), with their item counts."""
    from .stores import store_names

    settings = _settings(ctx)
    rows = {}
    for name in store_names(settings):
        db = settings.replace(store=name).catalog_db
        rows[name] = {"installed": db.exists(), "path": str(db.parent)}
    emit(rows, as_json, "\n".join(f"{n:20} {'installed' if r['installed'] else 'bundled, installed on first use':32} "
                                  f"{r['path']}" for n, r in rows.items()))


@cli.command("index")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--interactions", type=click.Path(exists=True, dir_okay=False), help="Interaction log to import.")
@click.option("--policies", type=click.Path(exists=True, file_okay=False),
              help="Folder of the store's policy pages (*.md, one '## ' section per topic; store.json for facts).")
@click.option("--orders", type=click.Path(exists=True, dir_okay=False),
              help="Orders (CSV / JSON): order_id, email, status, created, items or item_id+quantity, total, ...")
@click.option("--customers", type=click.Path(exists=True, dir_okay=False),
              help="Customers (CSV / JSON): customer_id, name, email.")
@click.option("--map", "mapping", multiple=True,
              help="Column mapping SOURCE=field, or A+B=field to join columns (repeatable).")
@click.option("--format", "fmt", default="auto",
              type=click.Choice(["auto", "table", "shopify", "recbole", "unisrec", "amazon2023"]))
@click.option("--append", is_flag=True, help="Add the file's items to the catalog instead of replacing it.")
@click.option("--allow-partial", is_flag=True, help="Import the valid rows even when many rows are rejected.")
@click.option("--yes", "-y", is_flag=True, help="Replace without asking when that deletes items.")
@click.option("--rebuild", is_flag=True,
              help="Embed everything again into a new vector collection, swapped in only when it is complete.")
@click.option("--verify", "verify_only", is_flag=True,
              help="Only check that every item finds itself in the vector index, and repair what does not "
                   "(every index run ends with this check).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def index_cmd(ctx: click.Context, path: str | None, interactions: str | None, policies: str | None,
              orders: str | None, customers: str | None, mapping: tuple[str, ...], fmt: str, append: bool,
              allow_partial: bool, yes: bool, rebuild: bool, verify_only: bool, as_json: bool) -> None:
    """Import a catalog file (and the store's interactions, policies, orders, customers) and sync the index.

    A new --store NAME is created by its first catalog. Without PATH, (re)indexes the store's current catalog
    (a bundled store is installed on first use). Every run ends by checking that each item finds itself in the
    vector index (re-adding or rebuilding what does not); --verify runs only that check."""
    from retrieval import ImportFailed, Store
    from retrieval.importers import parse_mapping

    from . import stores

    settings = _settings(ctx)
    if customers and not orders:
        raise click.UsageError("--customers goes with --orders (a customer list alone is never used).")
    if verify_only:
        if path or interactions or policies or orders or rebuild or append or mapping:
            raise click.UsageError("--verify checks the store as it is: give it no file and no other option.")
        _verify_store(settings, as_json)
        return
    try:
        column_mapping = parse_mapping(mapping)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    new = not settings.catalog_db.exists()
    if new and not path:
        try:
            stores.require(settings)
        except stores.UnknownStore as exc:
            raise click.ClickException(str(exc)) from None
    out: dict[str, Any] = {"store": settings.store}
    say = (lambda text: None) if as_json else click.echo
    try:
        # a rebuild of an existing store needs no sync of the collection it replaces
        direct = path or (rebuild and not new)
        store = Store(settings.store_config()) if direct else stores.open_store(settings, progress=not as_json)
        if path:
            report = store.import_catalog(path, column_mapping, fmt, replace=not append, progress=not as_json,
                                          allow_partial=allow_partial, confirm_delete=None if yes or as_json
                                          else _confirm_delete(path))
            out["catalog"] = {"accepted": report.accepted, "rejected": len(report.rejects), "notes": report.notes}
            say(report.summary())
            if report.rejects:
                say(f"rejects written to {settings.store_dir / 'rejects'}")
        if interactions:
            report = store.import_interactions(interactions, progress=not as_json)
            out["interactions"] = {"accepted": report.accepted, "rejected": len(report.rejects)}
            say(report.summary())
        if policies:
            report = stores.import_policies(settings.store_dir, policies)
            out["policies"] = {"accepted": report.accepted, "rejected": len(report.rejects), "notes": report.notes}
            say(report.summary())
        if orders:
            for report in stores.import_orders(store, orders, customers):
                out["orders" if report.source == str(orders) else "customers"] = {
                    "accepted": report.accepted, "rejected": len(report.rejects), "notes": report.notes}
                say(report.summary())
        sync = store.sync_index(progress=not as_json, rebuild=rebuild)
        check = store.verify(progress=not as_json)
    except (ImportFailed, RuntimeError) as exc:
        message = str(exc)
        if new and path:  # a failed first import leaves no half-made store behind (its rejects are kept)
            message = _remove_failed_store(settings, exc)
        raise click.ClickException(message) from None
    out["index"] = sync.__dict__ | {"items_per_second": sync.items_per_second}
    out["verify"] = check.to_dict()
    profile = _profile(store)
    out["profile"] = profile.describe()
    emit(out, as_json, f"index: {sync.total} items ({sync.embedded} embedded, {sync.unchanged} unchanged, "
                       f"{sync.deleted} deleted) in {sync.seconds:.1f} s"
                       + (" into a new collection, now current" if rebuild else "") + "\n"
                       f"{check.summary()}\n"
                       f"store {settings.store!r}: item ids like {profile.item_ids.example}"
                       + (f", order numbers like {profile.order_ids.example}" if profile.order_ids.example else
                          ", no orders yet (--orders FILE)")
                       + f", prices in {profile.currency}"
                       + (", attributes " + ", ".join(f"{k} ({len(v)} values)" for k, v in
                                                      list(profile.attributes.items())[:6])
                          if profile.attributes else "")
                       + ("" if (settings.store_dir / stores.POLICIES).is_dir() else
                          "; no policy pages yet (--policies DIR): shoppers asking about shipping or returns "
                          "are offered a person"))


def _verify_store(settings: Settings, as_json: bool) -> None:
    """`longtail index --verify`: every item must find itself in the top k of a query by its own vector."""
    from . import stores

    try:
        store = stores.open_store(settings, progress=not as_json)
        report = store.verify(progress=not as_json)
    except (stores.UnknownStore, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    emit({"store": settings.store, "verify": report.to_dict()}, as_json, report.summary())
    if not report.ok:
        raise click.ClickException(f"{report.remaining} item(s) still do not find themselves in the vector index.")


def _remove_failed_store(settings: Settings, exc: Exception) -> str:
    """Delete the store a failed first import began, keeping its rejects file under <data_dir>/rejects/."""
    import shutil

    message = str(exc)
    written = getattr(exc, "rejects_path", None)
    if written is not None and written.exists():
        kept = settings.data_dir / "rejects" / settings.store / written.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(written), kept)
        message = message.replace(str(written), str(kept))
    shutil.rmtree(settings.store_dir, ignore_errors=True)
    return message


def _confirm_delete(path: str):
    def confirm(count: int) -> bool:
        click.echo(f"Warning: replacing the catalog with {path} deletes {count} item(s) that the file does not "
                   f"have. Use --append to add the file instead, or --yes to replace without asking.", err=True)
        if not sys.stdin.isatty():
            return True
        return click.confirm("Replace the catalog?", default=False, err=True)

    return confirm


def _profile(store):
    from assistant.build import load_orders, store_profile

    return store_profile(store, load_orders(store.config.store_dir))


def _filters(min_price, max_price, category, brand, exclude_brand, in_stock, min_rating):
    from retrieval import Filters

    return Filters(min_price, max_price, category, brand, tuple(exclude_brand), True if in_stock else None,
                   min_rating)


def format_hit(n: int, hit) -> str:
    item, t = hit.item, hit.trace
    price = f"{item.price:.2f} {item.currency}" if item.price is not None else "no price"
    rating = f"{item.rating:.1f}★ ({item.rating_count})" if item.rating is not None else "unrated"
    moved = t.rank_before - t.rank_after
    arrow = f"↑{moved}" if moved > 0 else f"↓{-moved}" if moved < 0 else "="
    return (f"{n:2}. [{item.id}] {item.title}\n"
            f"    {price} · {rating} · {item.category_path} · {item.brand}\n"
            f"    trace: dense #{t.dense_rank or '-'} bm25 #{t.bm25_rank or '-'}"
            + (f" purchase model #{t.personal_rank}" if t.personal_rank else "") + f" relevance {t.relevance:.3f} "
            f"| {t.bucket} pop {t.popularity:g} exposure {t.exposure} penalty {t.penalty:.3f} "
            f"| {t.reranker} λ={t.lam:g} final {t.final_score:.3f} rank {t.rank_before}→{t.rank_after} ({arrow})")


@cli.command("search")
@click.argument("query", default="")
@click.option("-k", "--k", default=10, show_default=True, help="Results to show.")
@click.option("--lambda", "lam", type=float, help="Long-tail knob (default from config).")
@click.option("--reranker", type=click.Choice(["none", "exposure", "xquad"]))
@click.option("--min-price", type=float)
@click.option("--max-price", type=float)
@click.option("--category")
@click.option("--brand")
@click.option("--exclude-brand", multiple=True)
@click.option("--in-stock", is_flag=True, help="Only items in stock.")
@click.option("--min-rating", type=float)
@click.option("--user", help="Personalise with this user's history (and the store's purchase model, once "
                               "`longtail train-recommender` has run).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search_cmd(ctx: click.Context, query: str, k: int, lam: float | None, reranker: str | None, user: str | None,
               as_json: bool, **filter_args: Any) -> None:
    """Search the catalog and print results with their retrieval traces. With --user and no QUERY: that
    shopper's recommendations from the store's purchase model."""
    if not query.strip() and not user:
        raise click.UsageError("Give a QUERY, or --user ID for that shopper's recommendations.")
    store = _open_store(ctx)
    personalization = None
    if user and _settings(ctx).personalization == 0:
        personalization = 0.3
    hits = store.search(query, _filters(**filter_args), user_id=user, k=k, lam=lam, reranker=reranker,
                        personalization=personalization)
    text = "\n".join(format_hit(n, h) for n, h in enumerate(hits, 1)) or "no results"
    emit([h.to_dict() for h in hits], as_json, text)


@cli.command("train-recommender")
@click.option("--epochs", type=int, help="Most passes over the log (default: the model's, with early stopping).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def train_recommender_cmd(ctx: click.Context, epochs: int | None, as_json: bool) -> None:
    """Train the store's purchase-probability model on its own interaction log (purchases, carts, likes,
    reviews in time order) and save it beside the catalog: searches of shoppers with a history then fuse its
    ranking in, and `longtail search --user ID` with no query lists its picks."""
    import time
    from dataclasses import replace as dc_replace

    from retrieval.recommender import RecommenderConfig

    store = _open_store(ctx)
    config = RecommenderConfig() if epochs is None else dc_replace(RecommenderConfig(), epochs=epochs)
    start = time.perf_counter()
    try:
        summary = store.train_recommender(config, progress=not as_json)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    summary["seconds"] = round(time.perf_counter() - start, 1)
    text = (f"trained on {summary['users']} shoppers' sequences ({summary['interactions']} interactions, "
            f"{summary['items']} items) in {summary['seconds']} s, {summary['epochs']} epochs; validation "
            f"NDCG@10 {summary['val_ndcg@10']}. Saved in {store.config.store_dir}.")
    emit(summary, as_json, text)


@bench_group.command("retrieval")
@click.option("--synthetic-items", default=50_000, show_default=True, help="Size of the synthetic catalog (0: skip).")
@click.option("--runs", default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def bench_retrieval(ctx: click.Context, synthetic_items: int, runs: int, as_json: bool) -> None:
    """Index throughput and search latency on the demo store and a synthetic catalog."""
    from retrieval.bench import format_results, run_benchmark

    from .stores import BUNDLED

    settings = _settings(ctx)
    results = run_benchmark(BUNDLED["demo"].catalog, synthetic_items, runs, settings.embedding_model,
                            settings.embed_batch_size, settings.embed_max_chars, progress=not as_json)
    click.echo(json.dumps(results, indent=2) if as_json else format_results(results))


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":
    main()
