"""The training loop: LoRA, AdamW, warm-up + cosine, accumulation, early stopping, resumable checkpoints.

A plain loop over length-grouped batches, with ``accelerate`` doing device placement, mixed precision, gradient
accumulation and (under ``accelerate launch``) data parallelism: each process takes every n-th batch.

Files in ``output``: the best adapter so far (``adapter_config.json`` + ``adapter_model.safetensors``, written at
each validation that improves the loss) and ``checkpoint/`` (optimizer, scheduler, RNG and LoRA state via
``Accelerator.save_state`` + ``state.json`` with the position in the data). A rerun with ``resume`` continues
from the checkpoint, skipping the batches already seen; a finished run deletes the checkpoint.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from tqdm.auto import tqdm

from .config import FinetuneConfig
from .masking import IGNORE, Encoded, collate, length_batches
from .modeling import save_adapter


@dataclass
class TrainResult:
    steps: int = 0
    total_steps: int = 0
    epochs: float = 0.0
    best_val_loss: float | None = None
    best_step: int = 0
    train_tokens: int = 0
    trained_tokens: int = 0
    seconds: float = 0.0
    stopped: str = ""  # "max_steps" | "epochs" | "early_stopping" | "time_budget"
    resumed_from: int = 0
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def tokens_per_second(self) -> float:
        return self.train_tokens / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tokens_per_second"] = round(self.tokens_per_second, 1)
        return d


def make_accelerator(cfg: FinetuneConfig, device: str) -> Any:
    import torch
    from accelerate import Accelerator

    mp = cfg.mixed_precision
    if mp == "auto":
        mp = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "no"
    return Accelerator(mixed_precision=mp, gradient_accumulation_steps=cfg.grad_accum, cpu=device == "cpu")


def evaluate_loss(model: Any, encoded: Sequence[Encoded], batch_size: int, pad_id: int, device: Any
                  ) -> tuple[float, int]:
    """(mean loss per trained token, number of trained tokens) over ``encoded``."""
    import torch

    if not encoded:
        return float("nan"), 0
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for idx in length_batches(encoded, batch_size, 0, shuffle=False):
            batch = {k: v.to(device) for k, v in collate([encoded[i] for i in idx], pad_id).items()}
            n = int((batch["labels"][:, 1:] != IGNORE).sum())
            if n == 0:
                continue
            loss = model(**batch).loss
            total += float(loss) * n
            count += n
    if was_training:
        model.train()
    return (total / count if count else float("nan")), count


def perplexity(loss: float | None) -> float | None:
    return math.exp(min(loss, 50.0)) if loss is not None and not math.isnan(loss) else None


def train(cfg: FinetuneConfig, model: Any, tokenizer: Any, train_enc: Sequence[Encoded],
          val_enc: Sequence[Encoded], output: str | Path, accelerator: Any = None, progress: bool = True
          ) -> TrainResult:
    """Train the LoRA weights of ``model`` (a peft model); the best adapter ends up in ``output``."""
    import torch
    from accelerate.utils import set_seed
    from transformers import get_cosine_schedule_with_warmup

    if not train_enc:
        raise ValueError("No training examples: check the data settings (product_dialogues, bitext_csv, "
                         "max_length) with `longtail finetune --stats`.")
    output = Path(output)
    ckpt = output / "checkpoint"
    accelerator = accelerator or make_accelerator(cfg, "cpu" if not torch.cuda.is_available() else "cuda")
    set_seed(cfg.seed)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    n_proc, rank = accelerator.num_processes, accelerator.process_index
    batches_per_epoch = math.ceil(len(train_enc) / cfg.batch_size / n_proc)
    steps_per_epoch = max(1, math.ceil(batches_per_epoch / cfg.grad_accum))
    total_steps = cfg.max_steps or max(1, math.ceil(steps_per_epoch * cfg.epochs))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total_steps), total_steps)
    model, optimizer = accelerator.prepare(model, optimizer)

    def lora_only(models: list, weights: list, _dir: str) -> None:
        """Checkpoints hold the trainable (LoRA) weights only, not a copy of the frozen base model."""
        for i, w in enumerate(weights):
            keep = {n for n, p in accelerator.unwrap_model(models[i]).named_parameters() if p.requires_grad}
            weights[i] = {k: v for k, v in w.items() if k in keep}

    hook = accelerator.register_save_state_pre_hook(lora_only)
    res = TrainResult(total_steps=total_steps)
    start_epoch, skip, patience_left = 0, 0, cfg.patience
    if cfg.resume and (ckpt / "state.json").exists():
        accelerator.load_state(str(ckpt), strict=False)
        state = json.loads((ckpt / "state.json").read_text())
        scheduler.load_state_dict(state["scheduler"])
        res = TrainResult(**{k: v for k, v in state["result"].items() if k in TrainResult.__dataclass_fields__})
        res.total_steps, res.resumed_from = total_steps, res.steps
        start_epoch, skip, patience_left = state["epoch"], state["batch"], state["patience_left"]
    model.train()
    bar = tqdm(total=total_steps, initial=res.steps, desc="fine-tuning", unit=" step",
               disable=not progress or not accelerator.is_main_process)
    t0 = time.perf_counter() - res.seconds
    window_loss, window_n, tokens_at_start = 0.0, 0, res.train_tokens
    started = time.perf_counter()
    epoch = start_epoch
    stop = ""

    def save_checkpoint(next_batch: int) -> None:
        accelerator.wait_for_everyone()
        accelerator.save_state(str(ckpt))
        if accelerator.is_main_process:
            res.seconds = time.perf_counter() - t0
            (ckpt / "state.json").write_text(json.dumps({
                "epoch": epoch, "batch": next_batch, "patience_left": patience_left,
                "scheduler": scheduler.state_dict(), "result": asdict(res)}))

    def validate() -> None:
        nonlocal patience_left, stop
        loss, _ = evaluate_loss(model, val_enc, cfg.batch_size, pad_id, accelerator.device)
        res.history[-1]["val_loss"] = round(loss, 5)
        if res.best_val_loss is None or loss < res.best_val_loss - 1e-4:
            res.best_val_loss, res.best_step, patience_left = loss, res.steps, cfg.patience
            if accelerator.is_main_process:
                save_adapter(accelerator.unwrap_model(model), tokenizer, output)
        elif cfg.patience:
            patience_left -= 1
            if patience_left <= 0:
                stop = "early_stopping"

    while not stop:
        batches = length_batches(train_enc, cfg.batch_size, cfg.seed + epoch)[rank::n_proc]
        if not batches:
            raise ValueError(f"{len(train_enc)} training examples are too few for {n_proc} processes x batch "
                             f"size {cfg.batch_size}.")
        for bi in range(skip, len(batches)):
            batch = {k: v.to(accelerator.device) for k, v in collate([train_enc[i] for i in batches[bi]],
                                                                     pad_id).items()}
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    if cfg.max_grad_norm:
                        accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad()
            res.train_tokens += int(batch["attention_mask"].sum()) * n_proc
            res.trained_tokens += int((batch["labels"] != IGNORE).sum()) * n_proc
            window_loss, window_n = window_loss + float(loss.detach()), window_n + 1
            if not accelerator.sync_gradients:
                continue
            res.steps += 1
            res.epochs = epoch + (bi + 1) / len(batches)
            elapsed = time.perf_counter() - started
            rate = (res.train_tokens - tokens_at_start) / elapsed if elapsed else 0.0
            res.history.append({"step": res.steps, "train_loss": round(window_loss / window_n, 5),
                                "lr": scheduler.get_last_lr()[0], "tokens_per_s": round(rate, 1)})
            bar.set_postfix(loss=f"{window_loss / window_n:.3f}", tok_s=f"{rate:.0f}")
            bar.update(1)
            window_loss, window_n = 0.0, 0
            if val_enc and res.steps % cfg.eval_every == 0:
                validate()
            if res.steps >= total_steps:
                stop = "max_steps" if cfg.max_steps else "epochs"
            elif cfg.max_minutes and time.perf_counter() - started > cfg.max_minutes * 60:
                stop = "time_budget"
            if stop or res.steps % cfg.save_every == 0:
                save_checkpoint(bi + 1)
            if stop:
                break
        else:
            epoch, skip = epoch + 1, 0
            continue
        break
    bar.close()
    if val_enc and (not res.history or "val_loss" not in res.history[-1]):
        validate()
    if not val_enc and accelerator.is_main_process:
        save_adapter(accelerator.unwrap_model(model), tokenizer, output)
    hook.remove()
    res.stopped = stop or "epochs"
    res.seconds = time.perf_counter() - t0
    accelerator.wait_for_everyone()
    if accelerator.is_main_process and ckpt.exists() and res.stopped != "time_budget":
        shutil.rmtree(ckpt)  # finished: nothing to resume (a time-budget stop keeps it: rerun to continue)
    return res
