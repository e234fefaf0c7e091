"""A GGUF model under llama.cpp (llama-cpp-python) behind the same interface as :class:`TransformersChatModel`.

* The prompt is rendered with the Hugging Face tokenizer's chat template and tokenized by that tokenizer (the
  system prompt and the rest apart, as the transformers backend does), so both backends see the same token ids;
  replies are decoded by it too. The GGUF must share its vocabulary (:mod:`assistant.gguf_export` writes it so).
* Greedy decoding over llama.cpp's logits (argmax, temperature 0), streamed as text pieces
  (:func:`~assistant.models.stream_text`: stop strings cut, nothing held past them).
* The KV cache: llama.cpp keeps the cache of the tokens it last evaluated; a new prompt evaluates only what follows
  its longest common prefix with them (at least one token, for fresh logits). Every turn starts with the same
  system prompt, so its ~400 tokens are evaluated once (``last_reused`` counts the tokens a call reused), and a
  tool choice followed by the call's arguments reuses the whole prompt.
* :meth:`LlamaCppChatModel.choose`: the log-likelihood of each option after the prompt and ``suffix``, each
  option's tokens evaluated after the shared prompt.
* Several generations at once: ``slots`` llama.cpp contexts over one GGUF (the weights are memory-mapped, so
  they are in memory once; each context has its own KV cache, its own copy of the system prompt's cache, and
  ``threads // slots`` threads), handed out by :class:`~assistant.line.Line` in order of arrival. A call takes
  a free context (or a ``place`` that holds one: the assistant holds one for a whole turn and tells the shopper
  their place while they wait); a stream holds it until it is exhausted or closed (a shopper who leaves closes
  it, so generation stops), then the context goes back. At most ``max_waiting`` calls wait for one; one more
  raises :class:`~assistant.line.ModelBusy` (the assistant then answers from its router and templates, as when a model server
  is down).
* :func:`open_llama` loads every GGUF the project runs, with llama.cpp's extra CPU buffer types (weight
  repacking for AMX / AVX-512 kernels) off by default: on a Xeon with AMX the build ``make install`` compiles
  (native CPU flags) crashed in its first decode, of the shipped SmolLM2 Q4_1 as of a tiny Q8_0 export
  (llama-cpp-python 0.3.36, 2026-12-03). ``repack=True`` turns them back on where they work.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any, Iterator, Sequence

from .line import Line, Place
from .models import Message, end_token_ids, render_prompt, stream_text


def available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_PARAMS_LOCK = threading.Lock()


def open_llama(model_path: str | Path, repack: bool = False, **options: Any) -> Any:
    """``llama_cpp.Llama(model_path, **options)``; without ``repack``, with the model's extra buffer types off
    (``use_extra_bufts``, which llama-cpp-python's ``Llama`` does not expose: its default parameters are read
    with that field cleared while this model loads)."""
    from .gguf_export import import_llama_cpp

    llama_cpp = import_llama_cpp()
    if repack:
        return llama_cpp.Llama(model_path=str(model_path), **options)
    low = llama_cpp.llama_cpp  # the module whose defaults Llama reads
    with _PARAMS_LOCK:
        defaults = low.llama_model_default_params

        def without_extra_buffers() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = without_extra_buffers
        try:
            return llama_cpp.Llama(model_path=str(model_path), **options)
        finally:
            low.llama_model_default_params = defaults


def _log_softmax(logits: Any) -> Any:
    import numpy as np

    x = logits.astype(np.float64)
    x -= x.max()
    return x - np.log(np.exp(x).sum())


class LlamaCppChatModel:
    """A GGUF file under llama.cpp, greedy decoding; ``tokenizer``: the Hugging Face tokenizer of its vocabulary.
    ``llama_options`` go to :func:`open_llama` (e.g. ``type_k=0, type_v=0`` for an F32 KV cache)."""

    def __init__(self, model_path: str | Path, tokenizer: Any, name: str = "llamacpp", n_ctx: int = 4096,
                 threads: int | None = None, slots: int = 1, max_waiting: int = 16, **llama_options: Any):
        import numpy as np

        from .gguf_export import import_llama_cpp

        llama_cpp = import_llama_cpp()
        self.np = np
        self.llama_cpp = llama_cpp
        if slots < 1 or max_waiting < 0:
            raise ValueError(f"slots={slots}, max_waiting={max_waiting}: need at least one slot and max_waiting >= 0.")
        threads = max(1, (threads or available_cpus()) // slots)
        try:
            self.contexts = [open_llama(model_path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                                        verbose=False, **llama_options) for _ in range(slots)]
        except ValueError as exc:  # llama-cpp-python's "Failed to load model from file"
            raise ValueError(f"llama.cpp could not load {model_path} ({exc}). If it is a cached export, delete it "
                             f"and it is written again on the next start.") from exc
        self.llm = self.contexts[0]  # (the first context: the loader's record, tests)
        self.line = Line(self.contexts, max_waiting)  # who generates now, who waits (assistant.line)
        self.path = Path(model_path)
        self.tokenizer = tokenizer
        self.name = name
        self.n_ctx = self.llm.n_ctx()
        self.n_vocab = self.llm.n_vocab()
        if len(tokenizer) > self.n_vocab:
            raise ValueError(f"The tokenizer has {len(tokenizer)} tokens but {self.path.name} only "
                             f"{self.n_vocab}: give the tokenizer the GGUF was written with.")
        self.eos_ids = end_token_ids(tokenizer)
        self.reliable_tools = False  # as for TransformersChatModel: set by the loader from the adapter's card
        self.last_reused = 0  # prompt tokens whose KV cache the last call reused
        self._prefix: tuple[str, list[int]] = ("", [])

    # -- contexts --------------------------------------------------------------------------------------------
    def _context(self, place: Place | None = None) -> contextlib.AbstractContextManager[Any]:
        """A llama.cpp context for the duration of the block: ``place``'s, or one waited for in the line
        (:class:`~assistant.line.ModelBusy` when it is full)."""
        return self.line.hold(place)

    @property
    def waiting(self) -> int:
        """Calls waiting for a context now."""
        return self.line.waiting

    # -- prompt ---------------------------------------------------------------------------------------------
    def render(self, messages: list[Message], generation_prompt: bool = True) -> tuple[str, str]:
        return render_prompt(self.tokenizer, messages, generation_prompt)

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def prompt_ids(self, messages: list[Message], suffix: str = "") -> list[int]:
        """The prompt's token ids: the system prompt (tokenized once per distinct text) + the rest + ``suffix``."""
        prefix, rest = self.render(messages)
        if self._prefix[0] != prefix:
            self._prefix = (prefix, self._ids(prefix) if prefix else [])
        return self._prefix[1] + self._ids(rest + suffix)

    def _logits(self, llm: Any) -> Any:
        """The logits after the last evaluated token (a copy)."""
        pointer = self.llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        return self.np.ctypeslib.as_array(pointer, shape=(self.n_vocab,)).copy()

    def _evaluate(self, llm: Any, ids: list[int]) -> Any:
        """Evaluate ``ids`` reusing the KV cache of their longest common prefix with the evaluated tokens;
        returns the logits after the last one."""
        if not ids:
            raise ValueError("Nothing to evaluate: the prompt is empty.")
        if len(ids) >= self.n_ctx:
            raise RuntimeError(f"The prompt has {len(ids)} tokens, more than the model's context of {self.n_ctx}; "
                               f"start a new conversation.")
        done = llm.input_ids[:llm.n_tokens]
        keep = 0
        for a, b in zip(done, ids):
            if a != b:
                break
            keep += 1
        keep = min(keep, len(ids) - 1)
        llm.n_tokens = keep  # eval() drops the cache from n_tokens on
        llm.eval(ids[keep:])
        self.last_reused = keep
        return self._logits(llm)

    def prefix_cache(self, prefix: str) -> int:
        """Evaluate the fixed prefix now (the assistant calls this when it is built, so the first turn reuses
        it); returns its length in tokens."""
        if self._prefix[0] != prefix:
            self._prefix = (prefix, self._ids(prefix) if prefix else [])
        if self._prefix[1]:
            with contextlib.ExitStack() as held:  # every context, each once
                for llm in [held.enter_context(self._context()) for _ in self.contexts]:
                    self._evaluate(llm, self._prefix[1])
        return len(self._prefix[1])

    # -- generation ------------------------------------------------------------------------------------------
    def stream(self, messages: list[Message], max_new_tokens: int = 128,
               stop: Sequence[str] = (), suffix: str = "", place: Place | None = None) -> Iterator[str]:
        """Greedy decoding; yields text as it is produced. ``suffix`` forces the start of the reply. ``place``:
        a place in :attr:`line` that holds a context (else the call waits for one)."""
        np = self.np
        with self._context(place) as llm:
            logits = self._evaluate(llm, self.prompt_ids(messages, suffix))

            def greedy() -> Iterator[int]:
                nonlocal logits
                for _ in range(max_new_tokens):
                    next_id = int(np.argmax(logits))
                    if next_id in self.eos_ids:
                        return
                    yield next_id
                    if llm.n_tokens >= self.n_ctx:
                        return  # the context is full
                    llm.eval([next_id])
                    logits = self._logits(llm)

            yield from stream_text(greedy(), self.tokenizer, stop)

    def choose(self, messages: list[Message], suffix: str, options: Sequence[str],
               place: Place | None = None) -> list[float]:
        """Log-likelihood of each option as the continuation of the reply started with ``suffix``."""
        with self._context(place) as llm:
            first = _log_softmax(self._evaluate(llm, self.prompt_ids(messages, suffix)))
            start = llm.n_tokens
            scores = []
            for option in options:
                ids = self._ids(option)
                total = float(first[ids[0]])
                llm.n_tokens = start  # back to the end of the shared prompt
                for n, token in enumerate(ids[:-1]):
                    llm.eval([token])
                    total += float(_log_softmax(self._logits(llm))[ids[n + 1]])
                scores.append(total)
            return scores

    def close(self) -> None:
        for llm in self.contexts:
            llm.close()
