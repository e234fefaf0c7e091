"""`longtail finetune` end to end on a tiny model saved to disk: data -> training -> adapter + model card."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

pytest.importorskip("peft")

from longtail.cli import cli  # noqa: E402


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    from assistant.dialogue import system_prompt
    from finetune.tiny import tiny_model, tiny_tokenizer

    folder = tmp_path_factory.mktemp("tiny-lm")
    corpus = [system_prompt("Longtail Demo Store"), '<tool_call>{"name": "search_products", "arguments": {}}',
              "Top pick: LT-00001, $19.99. I couldn't find an order with that order number."] * 20
    tok = tiny_tokenizer(corpus, vocab_size=800)
    tiny_model(len(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_finetune_command_trains_and_writes_card(tmp_path, tiny_dir):
    out = tmp_path / "adapter"
    sets = ["model=" + str(tiny_dir), "embedder=hash", "product_dialogues=60", "bitext_csv=", "max_steps=3",
            "batch_size=2", "grad_accum=1", "eval_every=2", "quality_cases=0", "max_length=8192",
            "max_eval_examples=6", "max_train_examples=12"]
    args = ["--data-dir", str(tmp_path / "d"), "--chroma-mode", "ephemeral", "finetune", "--output", str(out),
            "--json"]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["training"]["steps"] == 3
    assert report["data"]["stats"]["leaks"] == {"template": 0, "items": 0, "customers": 0}
    assert {"val", "test"} <= set(report["losses"])
    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    card = (out / "README.md").read_text()
    assert "## Reproduce" in card and "--set max_steps=3" in card and "| test | fine-tuned |" in card
    assert not (out / "checkpoint").exists()

    # the quality benchmark alone, rerun on the trained adapter: base and fine-tuned side by side in the card
    args = ["--data-dir", str(tmp_path / "d"), "--chroma-mode", "ephemeral", "--embedding-model", "hash-64",
            "finetune", "--quality-only", "--output", str(out), "--json", "--set", "model=" + str(tiny_dir),
            "--set", "quality_cases=3"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["quality"]["cases"] == 3 and report["training"]["steps"] == 3  # training report kept
    for label in ("base", "fine-tuned"):
        assert report["quality"][label]["turns"] == 3 and report["quality"][label]["privacy_leaks"] == 0
    card = (out / "README.md").read_text()
    assert "| figure | base | fine-tuned |" in card and "--quality-only" in card and "| test | fine-tuned |" in card


def test_quality_only_needs_a_trained_adapter(tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "finetune", "--quality-only", "--output",
                                      str(tmp_path / "nothing")])
    assert result.exit_code != 0 and "train first" in result.output


def test_finetune_command_reports_bad_settings(tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "finetune", "--set", "lora_rank=8"])
    assert result.exit_code != 0 and "Unknown fine-tuning setting 'lora_rank'" in result.output
    result = CliRunner().invoke(cli, ["finetune", "--help-config"])
    assert result.exit_code == 0 and "target_modules" in result.output
