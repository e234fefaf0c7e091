"""Evaluation: validation/test loss and perplexity, and the assistant's quality benchmark, base vs fine-tuned.

The quality benchmark (:mod:`evaluation.assistant_quality`, test-split templates only; the fine-tuning data never uses
them) is played through the real :class:`~assistant.dialogue.Assistant` with ``tool_mode="model"``: the model
writes the tool call and the reply. When its call is missing or invalid the assistant falls back to its
deterministic router; such turns count as the model's failures in ``model_tool_choice`` (the system-level
``tool_choice_accuracy`` of :func:`evaluation.assistant_quality.summarise` includes the router's rescue).
"""

from __future__ import annotations

from typing import Any, Sequence


from evaluation.metrics import wilson
from longtail.config import Settings

ROWS = (("model_tool_choice", "tool choice by the model (no router rescue)"),
        ("model_tool_choice_accuracy", "tool choice by the model (evaluation.assistant_quality's count)"),
        ("model_valid_call_rate", "valid tool calls written by the model"),
        ("tool_choice_accuracy", "tool choice (system, with router fallback)"),
        ("argument_accuracy", "arguments"),
        ("explanation_faithfulness", "explanation faithfulness"),
        ("model_text_faithfulness", "model reply faithfulness (claims supported)"),
        ("model_sentences_kept", "model reply sentences kept by the fact checker"),
        ("model_sentences_replaced", "model reply sentences replaced by a template explanation"),
        ("refusal_correctness", "refusals correct"),
        ("privacy_leaks", "privacy leaks"),
        ("seconds_per_turn_p50", "seconds per turn (median)"))


def play(assistant: Any, cases: Sequence[dict], label: str, progress: bool = True) -> dict[str, Any]:
    """Run the cases through ``assistant`` (the quality benchmark's own loop) and summarise, adding the
    model-only figures: a turn counts for the model only if its own tool call, not the router's fallback, won."""
    from assistant.events import ToolCall
    from evaluation.assistant_quality import run_cases, sentence_rates, summarise

    counts = {"model_ok": 0, "tool_cases": 0}
    misses: list[dict[str, Any]] = []

    def model_only(case: dict, score: Any, events: list) -> None:
        if not case["refusal"]:
            counts["tool_cases"] += 1
            calls = [e for e in events if isinstance(e, ToolCall) and e.error is None]
            rescued = bool(calls and calls[-1].fallback)
            ok = score.tool_ok and not rescued
            counts["model_ok"] += ok
            if not ok:
                misses.append({"case": case["id"], "message": case["message"], "expected": case["tool"],
                               "used": score.tool_used, "router_rescued": rescued})

    scores = run_cases(assistant, cases, progress=progress, on_turn=model_only)
    model_ok, tool_cases = counts["model_ok"], counts["tool_cases"]
    summary = summarise(scores)
    summary["model_tool_choice"] = round(model_ok / tool_cases, 4) if tool_cases else None
    summary["model_tool_counts"] = [model_ok, tool_cases]
    summary["model_tool_misses"] = misses
    rates = sentence_rates(assistant.stats)
    summary["model_sentences_kept"], summary["model_sentences_replaced"] = rates["kept"], rates["replaced"]
    summary["counters"] = dict(assistant.stats)
    return summary


def quality_comparison(settings: Settings, adapter: str | None, n_cases: int, seed: int = 0,
                       progress: bool = True) -> dict[str, Any]:
    """The quality benchmark for the base model and for base + ``adapter``, on the same test cases."""
    from assistant.build import build_assistant
    from assistant.loading import load_chat_model
    from evaluation.assistant_quality import quality_cases, spread_cases
    from longtail.stores import open_store

    store = open_store(settings, progress)
    cases = spread_cases(quality_cases(store, seed, "test"), n_cases)
    out: dict[str, Any] = {"cases": len(cases), "templates": len({c["template"] for c in cases})}
    runs = [("base", settings.replace(llm_adapter=""), False)]
    if adapter:
        runs.append(("fine-tuned", settings.replace(llm_adapter=str(adapter)), True))
    for label, s, use_adapter in runs:
        model = load_chat_model(s, adapter=use_adapter, progress=progress)
        # ephemeral: in-memory orders and conversations (benchmark returns must not touch the real order book)
        bot = build_assistant(s.replace(chroma_mode="ephemeral"), store=store, model=model,
                              tool_mode="model")
        out[label] = play(bot, cases, label, progress)
        out["quantization"] = getattr(getattr(model, "loaded", None), "quantization", "?")
    return out


def table(comparison: dict[str, Any]) -> str:
    """Markdown table: one row per figure, base and fine-tuned side by side; the model's tool choice also shows its
    counts and 95% interval (a few dozen turns: one miss moves it by 2 points)."""
    cols = [c for c in ("base", "fine-tuned") if c in comparison]
    lines = ["| figure | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for key, label in ROWS:
        cells = []
        for c in cols:
            v = comparison[c].get(key)
            cell = ("n/a" if v is None else f"{v:.1%}" if isinstance(v, float) and key not in (
                "seconds_per_turn_p50",) else f"{v:.2f}" if isinstance(v, float) else str(v))
            counts = comparison[c].get("model_tool_counts") if key == "model_tool_choice" else None
            if counts:
                lo, hi = wilson(*counts)
                cell += f" ({counts[0]}/{counts[1]}; 95% CI {lo:.0%}-{hi:.0%})"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def loss_table(losses: dict[str, dict[str, float | None]]) -> str:
    """Markdown table of loss / perplexity per split and model."""
    lines = ["| split | model | loss per trained token | perplexity |", "|---|---|---|---|"]
    for split, row in losses.items():
        for model, value in row.items():
            if model.endswith("_ppl"):
                continue
            ppl = row.get(model + "_ppl")
            lines.append(f"| {split} | {model} | {value:.4f} | {ppl:.2f} |" if value is not None
                         else f"| {split} | {model} | n/a | n/a |")
    return "\n".join(lines)
