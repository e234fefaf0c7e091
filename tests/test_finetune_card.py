"""The adapter card's weight-format section: the CPU default by the rule "the fastest quantized format whose
model tool choice is within 1 point of bf16's"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from finetune.card import choose_format, record_format

SHIPPED = Path(__file__).resolve().parents[1] / "finetune" / "adapters" / "default"


def fmt(choice, seconds, quantized=True):
    return {"model_tool_choice_accuracy": choice, "model_valid_call_rate": 0.95, "model_text_faithfulness": 0.99,
            "seconds_per_turn_p50": seconds, "quantized": quantized, "model_tools_cases": 29, "date": "2026-12-03"}


def test_the_fastest_format_within_a_point_of_bf16_is_the_default():
    bf16 = fmt(0.897, 3.0, quantized=False)
    assert choose_format({"transformers bf16": bf16, "GGUF Q8_0": fmt(0.862, 1.9)})[0] is None  # 3.5 points
    chosen, why = choose_format({"transformers bf16": bf16, "GGUF Q8_0": fmt(0.890, 1.9),
                                 "GGUF Q4_K_M": fmt(0.889, 1.5), "GGUF Q4_0": fmt(0.80, 1.0)})
    assert chosen == "GGUF Q4_K_M" and "fastest" in why  # Q4_0 is faster but 9.7 points below
    assert choose_format({"GGUF Q8_0": fmt(0.9, 1.0)})[0] is None  # nothing to compare with


def test_recording_a_format_rewrites_the_card(tmp_path):
    folder = tmp_path / "adapter"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    before = json.loads((folder / "metrics.json").read_text())
    record_format(folder, "transformers bf16", fmt(0.897, 3.03, quantized=False))
    card = record_format(folder, "GGUF Q8_0 (llama.cpp)", fmt(0.862, 1.91)).read_text()
    assert "## Weight formats on CPU" in card and "| GGUF Q8_0 (llama.cpp) | 29 | 86.2% |" in card
    assert "bf16 stays the CPU default" in card
    kept = json.loads((folder / "metrics.json").read_text())
    # the two formats added or replaced, the others and the rest of the report kept
    assert set(kept["formats"]) == set(before.get("formats", {})) | {"transformers bf16", "GGUF Q8_0 (llama.cpp)"}
    assert set(kept) == set(before) | {"formats"} and kept["training"] == before["training"]
