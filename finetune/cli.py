"""``longtail finetune``: build the dialogue data, train the LoRA adapter, evaluate it, write its model card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .config import FinetuneConfig, FinetuneConfigError, load_config


def _settings() -> Any:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj and "settings" in root.obj:
        return root.obj["settings"]
    from longtail.config import load_settings

    return load_settings()


def _print_stats(data: dict[str, Any]) -> None:
    st = data["stats"]
    click.echo(f"{'split':<6} {'examples':>8} {'bitext':>7} {'catalog':>7} {'multi':>6} {'templ':>6} {'items':>6} "
               f"{'cust':>5} {'tok mean':>8} {'tok max':>7}")
    for name, s in st["splits"].items():
        tok = s.get("tokens", {})
        click.echo(f"{name:<6} {s['examples']:>8} {s['bitext']:>7} {s['catalog']:>7} {s['multi_turn']:>6} "
                   f"{s['templates']:>6} {s['items']:>6} {s['customers']:>5} {tok.get('mean', ''):>8} "
                   f"{tok.get('max', ''):>7}")
    click.echo(f"leaks across splits (templates / items / customers): {st['leaks']}")
    click.echo(f"counters: {st['counters']}")
    for name, s in st["splits"].items():
        click.echo(f"{name} first tool: " + ", ".join(f"{k} {v}" for k, v in s["first_tool"].items()))
    click.echo("train kinds: " + ", ".join(f"{k} {v}" for k, v in st["splits"]["train"]["kinds"].items()))
    for note in st["notes"]:
        click.echo(f"note: {note}")


@click.command("finetune")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML file of fine-tuning settings (default: finetune.toml when present).")
@click.option("--stats", "stats_only", is_flag=True, help="Build the dataset and print its statistics only.")
@click.option("--dry-run", is_flag=True, help="Build data, load the model, time one batch; train nothing.")
@click.option("--quality-only", is_flag=True,
              help="Only rerun the quality benchmark (base vs the adapter in output_dir) and update its card.")
@click.option("--output", help="Override output_dir.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override any setting (repeatable).")
@click.option("--help-config", is_flag=True, help="List every setting with its default and help text.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def finetune(config_path: str | None, stats_only: bool, dry_run: bool, quality_only: bool, output: str | None,
             sets: tuple[str, ...], help_config: bool, as_json: bool) -> None:
    """Fine-tune the assistant's model (LoRA; QLoRA on CUDA) on support and store dialogues."""
    if help_config:
        for name, default, text in FinetuneConfig.describe():
            click.echo(f"{name} = {default!r}\n    {text}")
        return
    overrides: dict[str, Any] = {}
    for item in sets:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: write KEY=VALUE, e.g. --set max_steps=20", param_hint="--set")
        key, value = item.split("=", 1)
        overrides[key.strip().replace("-", "_")] = value.strip()
    if output:
        overrides["output_dir"] = output
    path = config_path or ("finetune.toml" if Path("finetune.toml").exists() else None)
    try:
        cfg = load_config(path, **overrides)
    except FinetuneConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from .run import run

    parts = ["longtail", "finetune"] + (["--config", path] if path else []) + [f"--set {s}" for s in sets] + (
        ["--output", output] if output else [])
    try:
        if quality_only:
            from .run import quality_only as rerun_quality

            report = rerun_quality(cfg, _settings(), progress=not as_json,
                                   command=" ".join(parts[:2] + ["--quality-only"] + parts[2:]))
        else:
            report = run(cfg, _settings(), stats_only=stats_only, dry_run=dry_run, progress=not as_json,
                         command=" ".join(parts))
    except FinetuneConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    if quality_only:
        from .evaluate import table

        click.echo(table(report["quality"]))
        click.echo(f"model card: {cfg.output / 'README.md'}")
        return
    _print_stats(report["data"])
    if "dry_run" in report:
        d = report["dry_run"]
        click.echo(f"dry run: first loss {d['first_loss']}, {d['tokens_per_second']} tokens/s, {d['steps']} steps, "
                   f"about {d['estimated_minutes']} min for {report['data']['used']['train']} training examples.")
        return
    if "training" in report:
        t = report["training"]
        click.echo(f"trained {t['steps']} steps ({t['stopped']}) in {t['seconds'] / 60:.1f} min, "
                   f"{t['tokens_per_second']} tokens/s; adapter {report['adapter_mb']} MB in {cfg.output}")
        from .evaluate import loss_table, table

        click.echo(loss_table(report["losses"]))
        if report.get("quality"):
            click.echo(table(report["quality"]))
        click.echo(f"model card: {cfg.output / 'README.md'}")


@click.group("acts")
def acts() -> None:
    """The dialogue-act model: train it, try it."""


@acts.command("train")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default="../shared/data", show_default=True,
              help="Folder with simmc2.1-dev/ and bitext-customer-support/.")
@click.option("--output", type=click.Path(file_okay=False), help="Where to write the model (default: the shipped "
              "assistant/act_model).")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds for the figures (1: none).")
@click.option("--epochs", default=30, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def acts_train(data_dir: str, output: str | None, folds: int, epochs: int, seed: int, as_json: bool) -> None:
    """Train the dialogue-act head on SIMMC 2.1, Bitext and the written phrasings; print the cross-validated
    figures and write the weights with their card."""
    from assistant.acts import DEFAULT_DIR, HeadConfig
    from longtail.cli import emit
    from retrieval import SentenceTransformerEmbedder

    from .acts import run

    settings = _settings()
    if not Path(data_dir).exists():
        raise click.ClickException(f"{data_dir} does not exist: give --data with the folder that holds "
                                   f"simmc2.1-dev/ and bitext-customer-support/.")
    try:
        report = run(data_dir, output or DEFAULT_DIR, SentenceTransformerEmbedder(settings.embedding_model),
                     folds, HeadConfig(epochs=epochs, seed=seed), cache=settings.cache_dir / "act-embeddings.npz",
                     progress=not as_json, command=f"longtail acts train --data {data_dir} --folds {folds}")
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    lines = [f"{report['data']['turns']} turns; model in {report['output']} ({report['seconds']} s)"]
    for source, r in (report.get("cv") or {}).items():
        if isinstance(r, dict):
            lines.append(f"  {source:<10} n={r['n']:<5} accuracy {r['accuracy']:.3f} "
                         f"[{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]  macro-F1 {r['macro_f1']:.3f}")
    emit(report, as_json, "\n".join(lines))


@acts.command("predict")
@click.argument("message")
@click.option("--previous", default="", help="The assistant's previous reply.")
@click.option("--shown", is_flag=True, help="Items are on screen.")
def acts_predict(message: str, previous: str, shown: bool) -> None:
    """The act the shipped model gives MESSAGE."""
    from assistant.acts import Context, shipped
    from retrieval import SentenceTransformerEmbedder

    model = shipped(SentenceTransformerEmbedder(_settings().embedding_model))
    if model is None:
        raise click.ClickException("No act model is shipped: train one with `longtail acts train`.")
    act, p = model.predict(message, Context(previous, shown, shown))
    click.echo(f"{act} ({p:.2f})")
