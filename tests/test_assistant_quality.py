"""The held-out quality set and the `longtail eval assistant` / `longtail chat` commands (no LLM, hash embedder)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from evaluation.assistant_quality import TEMPLATES, quality_cases, templates_for
from assistant.testing import shared_store


def test_test_split_has_200_turns_and_shares_no_template_with_train():
    store = shared_store()
    test = quality_cases(store, 0, "test")
    train = quality_cases(store, 0, "train")
    assert len(test) >= 200
    assert {c["template"] for c in test}.isdisjoint({c["template"] for c in train})
    assert set(templates_for("test")) | set(templates_for("train")) == set(TEMPLATES)
    categories = {c["category"] for c in test}
    assert {"shopping", "refinement", "support", "order", "order_privacy", "injection", "off_topic"} <= categories
    assert categories == {c["category"] for c in train}
    assert quality_cases(store, 0, "test") == test  # deterministic for a seed
    assert quality_cases(store, 1, "test") != test


def test_eval_command_scores_the_router_and_templates(tmp_path):
    from longtail.cli import cli

    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "--chroma-mode", "ephemeral", "--store",
                                      "demo", "--embedding-model", "hash-256", "eval", "assistant", "--backend",
                                      "fake", "--limit", "60", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{"):])
    run = out["runs"]["router+templates"]
    assert out["cases"] == 60
    assert run["tool_choice_accuracy"] > 0.9 and run["refusal_correctness"] > 0.9
    assert run["explanation_faithfulness"] == 1.0 and run["privacy_leaks"] == 0


def test_chat_command_answers_in_the_terminal(tmp_path):
    from longtail.cli import cli

    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "--chroma-mode", "ephemeral",
                                      "--embedding-model", "hash-256", "chat", "--backend", "fake", "--session",
                                      "term"], input="a wool beanie\nwhat's the capital of France?\n")
    assert result.exit_code == 0, result.output
    assert "bot> Here are" in result.output and "  1. " in result.output
    assert "only help with shopping" in result.output
