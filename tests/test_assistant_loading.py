"""Loading a model with a LoRA adapter, plain and quantized (tiny random Llama built here, no download)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from longtail.config import Settings  # noqa: E402

from finetune.config import FinetuneConfig  # noqa: E402
from finetune.modeling import add_lora  # noqa: E402
from finetune.tiny import tiny_model, tiny_tokenizer  # noqa: E402


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """A saved tiny base model and a saved adapter whose weights really change the outputs."""
    root = tmp_path_factory.mktemp("loading")
    tok = tiny_tokenizer(["a red kettle please", "blue shoes for running", "where is my order"] * 20,
                         vocab_size=300)
    base = tiny_model(len(tok), seed=3, hidden=64, heads=4)
    base.save_pretrained(root / "base")
    tok.save_pretrained(root / "base")
    lora = add_lora(tiny_model(len(tok), seed=3, hidden=64, heads=4), FinetuneConfig(lora_r=4, lora_alpha=8))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    lora.save_pretrained(root / "adapter")
    ids = tok("a red kettle please", return_tensors="pt").input_ids
    with torch.no_grad():
        reference = lora.eval()(input_ids=ids).logits
        plain = base.eval()(input_ids=ids).logits
    return root, ids, reference, plain


def settings_for(root, adapter: bool = True) -> Settings:
    return Settings(data_dir=root / "data", chroma_mode="ephemeral", llm_model=str(root / "base"),
                    llm_adapter=str(root / "adapter") if adapter else "")


def logits(loaded, ids):
    with torch.no_grad():
        return loaded.model(input_ids=ids).logits.float()


def test_fp32_adapter_is_merged_and_exact(parts):
    from assistant.loading import load_model_and_tokenizer

    root, ids, reference, plain = parts
    loaded = load_model_and_tokenizer(settings_for(root), "none", device="cpu", progress=False)
    assert loaded.adapter is not None and not hasattr(loaded.model, "peft_config")
    assert torch.allclose(logits(loaded, ids), reference, atol=1e-4)
    assert not torch.allclose(plain, reference, atol=1e-2)  # the adapter matters


@pytest.mark.parametrize("mode", ["8bit", "4bit"])
def test_quantized_model_carries_the_merged_adapter(parts, mode):
    pytest.importorskip("bitsandbytes")
    from assistant.loading import ensure_merged, load_model_and_tokenizer

    root, ids, reference, plain = parts
    loaded = load_model_and_tokenizer(settings_for(root), mode, device="cpu", progress=False)
    if loaded.quantization != mode:
        pytest.skip(f"bitsandbytes {mode} unavailable here: {loaded.note}")
    assert not hasattr(loaded.model, "peft_config")  # merged before quantizing, no LoRA layers at decode time
    out = logits(loaded, ids)
    base_q = logits(load_model_and_tokenizer(settings_for(root, adapter=False), mode, device="cpu",
                                             progress=False), ids)
    # quantization error is small next to what the adapter changes
    assert (out - reference).abs().mean() < 0.5 * (base_q - reference).abs().mean()
    folder = ensure_merged(settings_for(root), str(root / "base"), root / "adapter", progress=False)
    stamp = folder.stat().st_mtime_ns
    assert ensure_merged(settings_for(root), str(root / "base"), root / "adapter", progress=False) == folder
    assert folder.stat().st_mtime_ns == stamp and folder.parent == settings_for(root).cache_dir / "models"


def test_only_an_adapter_measured_reliable_picks_tools(tmp_path):
    import json

    from assistant.loading import trusted_with_tools

    assert not trusted_with_tools(None) and not trusted_with_tools(tmp_path)  # no card
    for measured, args, trusted in ((0.66, 0.99, False), (0.97, 0.95, True), (None, 0.99, False),
                                    (0.97, 0.74, False), (0.97, None, False)):
        (tmp_path / "metrics.json").write_text(json.dumps({"quality": {"fine-tuned": {
            "model_tool_choice": measured, "argument_accuracy": args}}}))
        assert trusted_with_tools(tmp_path) is trusted, (measured, args)
    (tmp_path / "metrics.json").write_text("{}")
    assert not trusted_with_tools(tmp_path)


def test_shipped_adapter_only_goes_on_the_default_model(tmp_path):
    from assistant.loading import SHIPPED_ADAPTER, adapter_path

    other = Settings(data_dir=tmp_path, llm_model="HuggingFaceTB/SmolLM2-360M-Instruct")
    assert adapter_path(other) is None
    if (SHIPPED_ADAPTER / "adapter_config.json").exists():
        assert adapter_path(Settings(data_dir=tmp_path)) == SHIPPED_ADAPTER
