"""The whole fine-tuning run: data -> base model + LoRA -> training -> losses -> quality benchmark -> card.

``stats_only`` stops after the dataset (statistics with token counts); ``dry_run`` also loads the model and
times one training batch to estimate the run, without training or writing an adapter.
"""

from __future__ import annotations

import hashlib
import json
import math
import shlex
import sys
import time
from typing import Any

from longtail.config import Settings

from .config import FinetuneConfig
from .data import Dataset, build_dataset, load_sources, sample, stats

DATA_VERSION = 2  # bump when the generators change (invalidates cached datasets)


def command_line() -> str:
    args = sys.argv[1:]
    return "longtail " + " ".join(shlex.quote(a) for a in args) if args else "longtail finetune"


DATA_KEYS = ("bitext_csv", "bitext_limit", "product_dialogues", "embedder", "val_share", "test_share", "kfold",
             "seed")


def dataset_for(cfg: FinetuneConfig, settings: Settings, progress: bool) -> Dataset:
    """The dataset, generated once per (data settings, store, catalog) and cached under the cache dir."""
    key = json.dumps([{k: getattr(cfg, k) for k in DATA_KEYS}, settings.store, settings.embedding_model,
                      DATA_VERSION])
    folder = settings.cache_dir / "finetune-data" / hashlib.sha1(key.encode()).hexdigest()[:16]
    if (folder / "meta.json").exists():
        return Dataset.load(folder)
    dataset = build_dataset(cfg, load_sources(settings, cfg.embedder, progress), progress)
    dataset.save(folder)
    return dataset


def token_counts(tokenizer: Any, splits: dict[str, list], limit: int = 400) -> dict[str, list[int]]:
    from .masking import encode

    return {name: [len(encode(tokenizer, e).input_ids) for e in exs[:limit]] for name, exs in splits.items()}


def run(cfg: FinetuneConfig, settings: Settings, stats_only: bool = False, dry_run: bool = False,
        progress: bool = True, command: str | None = None) -> dict[str, Any]:
    import torch

    from .masking import collate, encode_all, length_batches
    from .modeling import (add_lora, adapter_size_mb, base_source, load_base, resolve_device, save_merged,
                           trainable_counts)
    from .train import evaluate_loss, make_accelerator, perplexity, train

    t0 = time.perf_counter()
    settings = settings.replace(llm_model=cfg.model) if cfg.model else settings
    dataset = dataset_for(cfg, settings, progress)
    splits = dataset.splits(cfg)
    report: dict[str, Any] = {"config": cfg.to_dict(), "command": command or command_line()}
    if stats_only:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(base_source(cfg, settings, progress))
        report["data"] = {"stats": stats(dataset, cfg, token_counts(tokenizer, splits))}
        return report

    device = resolve_device(cfg)
    accelerator = make_accelerator(cfg, device)
    model, tokenizer, quant = load_base(cfg, settings, device, progress)
    model = add_lora(model, cfg)
    trainable, total = trainable_counts(model)
    used = {"train": sample(splits["train"], cfg.max_train_examples, cfg.seed),
            "val": sample(splits["val"], cfg.max_eval_examples, cfg.seed),
            "test": sample(splits["test"], cfg.max_eval_examples, cfg.seed)}
    encoded, dropped = {}, {}
    for name, exs in used.items():
        encoded[name], dropped[name] = encode_all(tokenizer, exs, cfg.max_length)
    report.update(base=base_source(cfg, settings, False), base_name=cfg.model or "SmolLM2-135M-Instruct",
                  device=device, quantization=quant, mixed_precision=accelerator.mixed_precision,
                  parameters={"trainable": trainable, "total": total})
    report["data"] = {"stats": stats(dataset, cfg, {k: [len(e.input_ids) for e in v] for k, v in encoded.items()}),
                      "used": {k: len(v) for k, v in encoded.items()}, "dropped_too_long": dropped}
    pad = tokenizer.pad_token_id
    if dry_run:
        batch = collate([encoded["train"][i] for i in length_batches(encoded["train"], cfg.batch_size,
                                                                     cfg.seed)[0]], pad)
        model.to(accelerator.device).train()
        start = time.perf_counter()
        loss = model(**{k: v.to(accelerator.device) for k, v in batch.items()}).loss
        loss.backward()
        step_s = time.perf_counter() - start
        tokens = int(batch["attention_mask"].sum())
        total_tokens = sum(len(e.input_ids) for e in encoded["train"]) * cfg.epochs
        report["dry_run"] = {"first_loss": round(float(loss), 4), "tokens_per_second": round(tokens / step_s, 1),
                             "estimated_minutes": round(total_tokens / (tokens / step_s) / 60, 1),
                             "steps": cfg.max_steps or math.ceil(len(encoded["train"]) / cfg.batch_size /
                                                                 cfg.grad_accum * cfg.epochs)}
        return report

    model.to(accelerator.device)
    losses: dict[str, dict[str, float | None]] = {}
    for name in ("val", "test"):
        loss, _ = evaluate_loss(model, encoded[name], cfg.batch_size, pad, accelerator.device)
        losses[name] = {"base": loss, "base_ppl": perplexity(loss)}
    result = train(cfg, model, tokenizer, encoded["train"], encoded["val"], cfg.output, accelerator, progress)
    report["training"] = result.to_dict()
    _load_best(model, cfg.output)
    for name in ("val", "test"):
        if name == "val" and result.best_val_loss is not None:
            loss = result.best_val_loss  # the kept adapter is the one with this validation loss
        else:
            loss, _ = evaluate_loss(model, encoded[name], cfg.batch_size, pad, accelerator.device)
        losses[name].update({"fine-tuned": loss, "fine-tuned_ppl": perplexity(loss)})
    report["losses"] = losses
    report["adapter_mb"] = round(adapter_size_mb(cfg.output), 2)
    if cfg.merge and accelerator.is_main_process:
        report["merged"] = str(save_merged(accelerator.unwrap_model(model), tokenizer, cfg.output / "merged"))
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if cfg.quality_cases and accelerator.is_main_process:
        from .evaluate import quality_comparison

        try:
            report["quality"] = quality_comparison(settings, str(cfg.output), cfg.quality_cases, cfg.seed, progress)
        except ImportError as exc:
            report["quality_note"] = f"Quality benchmark skipped: {exc}."
    report["seconds"] = round(time.perf_counter() - t0, 1)
    if accelerator.is_main_process:
        from .card import write_card

        write_card(cfg.output, report)
    return report


def quality_only(cfg: FinetuneConfig, settings: Settings, progress: bool = True, command: str | None = None
                 ) -> dict[str, Any]:
    """Rerun only the quality benchmark (base vs the adapter already in ``cfg.output``) and rewrite its card,
    keeping the training report in its ``metrics.json``."""
    from .config import FinetuneConfigError
    from .evaluate import quality_comparison

    metrics = cfg.output / "metrics.json"
    if not metrics.exists():
        raise FinetuneConfigError(f"No {metrics}: train first (`longtail finetune --config ...`), or point "
                                  f"--output at an adapter folder written by `longtail finetune`.")
    report = json.loads(metrics.read_text())
    settings = settings.replace(llm_model=cfg.model) if cfg.model else settings
    report["quality"] = quality_comparison(settings, str(cfg.output), cfg.quality_cases or 60, cfg.seed, progress)
    report["quality_command"] = command or command_line()
    report.pop("quality_note", None)
    from .card import write_card

    write_card(cfg.output, report)
    return report


def _load_best(model: Any, folder: Any) -> None:
    """Put the best adapter (saved at the best validation) back into the in-memory model."""
    from pathlib import Path

    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    path = Path(folder) / "adapter_model.safetensors"
    if path.exists():
        set_peft_model_state_dict(model, load_file(str(path), device=str(next(model.parameters()).device)))
