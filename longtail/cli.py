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


def _open_store(ctx: click.Context, demo: bool = True):
    from retrieval import Store, ensure_demo_store

    settings = _settings(ctx)
    store = Store(settings)
    if demo and settings.store == "demo":
        ensure_demo_store(store, progress=True)
    return store


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


TOP_LEVEL = {
    "chat": ("assistant.cli", "chat"),
    "serve": ("ui.cli", "serve"),
    "gems": ("evaluation.cli", "gems"),
    "finetune": ("finetune.cli", "finetune"),
}
BENCH = {
    "retrieval": ("retrieval.bench", "bench_retrieval"),
    "assistant": ("assistant.cli", "bench_assistant"),
    "ui": ("ui.cli", "bench_ui"),
}
EVAL = {
    "amazon": ("evaluation.cli", "eval_amazon"),
    "demo": ("evaluation.cli", "eval_demo"),
    "wands": ("evaluation.cli", "eval_wands"),
    "recs": ("evaluation.cli", "eval_recs"),
    "assistant": ("assistant.cli", "eval_assistant"),
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


def _parse_mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r}: use SOURCE_COLUMN=field, e.g. --map sku=id", param_hint="--map")
        src, dst = pair.split("=", 1)
        mapping[src.strip()] = dst.strip()
    return mapping


@cli.command("index")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--interactions", type=click.Path(exists=True, dir_okay=False), help="Interaction log to import.")
@click.option("--map", "mapping", multiple=True, help="Column mapping SOURCE=field (repeatable).")
@click.option("--format", "fmt", default="auto",
              type=click.Choice(["auto", "table", "recbole", "unisrec", "amazon2023"]))
@click.option("--rebuild", is_flag=True, help="Drop the vector collection and embed everything again.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def index_cmd(ctx: click.Context, path: str | None, interactions: str | None, mapping: tuple[str, ...], fmt: str,
              rebuild: bool, as_json: bool) -> None:
    """Import a catalog file (and an interaction log) into the store and sync the vector index.

    Without PATH, (re)indexes the store's current catalog (the demo store is loaded on first use)."""
    from retrieval import ImportFailed, Store, ensure_demo_store

    settings = _settings(ctx)
    column_mapping = _parse_mapping(mapping)
    store = Store(settings)
    if rebuild:
        store.client.delete_collection(store.index.collection.name)
        store = Store(settings, db=store.db)
    out: dict[str, Any] = {"store": settings.store}
    try:
        if path:
            report = store.import_catalog(path, column_mapping, fmt, progress=not as_json)
            out["catalog"] = {"accepted": report.accepted, "rejected": len(report.rejects), "notes": report.notes}
            if not as_json:
                click.echo(report.summary())
                if report.rejects:
                    click.echo(f"rejects written to {settings.store_dir / 'rejects'}")
        if interactions:
            report = store.import_interactions(interactions, progress=not as_json)
            out["interactions"] = {"accepted": report.accepted, "rejected": len(report.rejects)}
            if not as_json:
                click.echo(report.summary())
        if not path and settings.store == "demo":
            ensure_demo_store(store, progress=not as_json)
        sync = store.sync_index(progress=not as_json)
    except (ImportFailed, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    out["index"] = sync.__dict__ | {"items_per_second": sync.items_per_second}
    emit(out, as_json, f"index: {sync.total} items ({sync.embedded} embedded, {sync.unchanged} unchanged, "
                       f"{sync.deleted} deleted) in {sync.seconds:.1f} s")


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
            f"    trace: dense #{t.dense_rank or '-'} bm25 #{t.bm25_rank or '-'} relevance {t.relevance:.3f} "
            f"| {t.bucket} pop {t.popularity:g} exposure {t.exposure} penalty {t.penalty:.3f} "
            f"| {t.reranker} λ={t.lam:g} final {t.final_score:.3f} rank {t.rank_before}→{t.rank_after} ({arrow})")


@cli.command("search")
@click.argument("query")
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
@click.option("--user", help="Personalise with this user's history.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search_cmd(ctx: click.Context, query: str, k: int, lam: float | None, reranker: str | None, user: str | None,
               as_json: bool, **filter_args: Any) -> None:
    """Search the catalog and print results with their retrieval traces."""
    store = _open_store(ctx)
    personalization = None
    if user and _settings(ctx).personalization == 0:
        personalization = 0.3
    hits = store.search(query, _filters(**filter_args), user_id=user, k=k, lam=lam, reranker=reranker,
                        personalization=personalization)
    text = "\n".join(format_hit(n, h) for n, h in enumerate(hits, 1)) or "no results"
    emit([h.to_dict() for h in hits], as_json, text)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":
    main()
