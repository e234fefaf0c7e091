"""Chat model backends behind one small protocol: ``stream(messages, max_new_tokens, stop) -> Iterator[str]``.

* :class:`ScriptedChatModel`: replies are scripted strings (a real backend for tests and dry runs).
* :class:`TransformersChatModel`: a local Hugging Face causal LM with a manual greedy decoding loop. The system
  prompt (instructions + tool descriptions) is a fixed prefix: its KV cache is computed once and deep-copied
  for every turn, so a turn only pays for its own tokens. ``choose`` scores a fixed set of continuations by
  log-likelihood (constrained decoding of the tool name). One generation at a time: the others wait in its
  :class:`~assistant.line.Line`, where the assistant tells each shopper their place.
* :class:`OpenAIChatModel`: an OpenAI-compatible ``/v1/chat/completions`` server (vLLM, llama.cpp server,
  TGI) over httpx with ``stream=True``.
* :class:`~assistant.llamacpp.LlamaCppChatModel` (its own module): a GGUF under llama.cpp in-process, the same
  interface as the transformers one (it shares :func:`render_prompt`, :func:`end_token_ids`, :func:`stream_text`).
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any, Iterator, Protocol, Sequence, runtime_checkable

from .line import Line, Place

Message = dict[str, str]


@runtime_checkable
class ChatModel(Protocol):
    name: str

    def stream(self, messages: list[Message], max_new_tokens: int = 128,
               stop: Sequence[str] = ()) -> Iterator[str]: ...


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the first stop string (excluded) and whether one was found."""
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def end_token_ids(tokenizer: Any) -> set[int]:
    """The ids that end a reply: the tokenizer's EOS and the chat end tokens it knows (ChatML, Llama 3)."""
    eos = {tokenizer.eos_token_id}
    for tok in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>"):
        tid = tokenizer.convert_tokens_to_ids(tok)
        if isinstance(tid, int) and tid != getattr(tokenizer, "unk_token_id", None) and tid >= 0:
            eos.add(tid)
    return {t for t in eos if t is not None}


def render_prompt(tokenizer: Any, messages: list[Message], generation_prompt: bool = True) -> tuple[str, str]:
    """(fixed prefix text, the rest) of the chat template's prompt. The prefix is the leading system message
    rendered alone (the part whose KV cache a backend keeps between turns)."""
    full = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    if messages and messages[0]["role"] == "system":
        prefix = tokenizer.apply_chat_template(messages[:1], tokenize=False)
        if full.startswith(prefix):
            return prefix, full[len(prefix):]
    return "", full


def stream_text(token_ids: Iterator[int], tokenizer: Any, stop: Sequence[str] = ()) -> Iterator[str]:
    """The text of a stream of generated token ids, in pieces as it grows. A piece is held back while it could
    be the start of a stop string or ends inside a multi-byte character; at a stop string the text ends (and
    ``token_ids`` is not asked for more, so a lazy decoder stops computing)."""
    hold = max((len(s) for s in stop), default=1) - 1
    tokens: list[int] = []
    sent = 0
    for token in token_ids:
        tokens.append(token)
        text = tokenizer.decode(tokens, skip_special_tokens=True)
        cut, stopped = cut_at_stop(text, stop)
        if stopped:
            if len(cut) > sent:
                yield cut[sent:]
            return
        ready = len(text) - hold
        if ready > sent and not text.endswith("\ufffd"):
            yield text[sent:ready]
            sent = ready
    text, _ = cut_at_stop(tokenizer.decode(tokens, skip_special_tokens=True), stop)
    if len(text) > sent:
        yield text[sent:]


class ScriptedChatModel:
    """Replies with the scripted ``turns`` in order, one per ``stream`` call, in word-sized chunks.

    ``calls`` records the messages of every call (tests check what the model was shown). When the script runs
    out, the model replies with ``default`` (empty by default: the assistant then uses its template reply).
    """

    name = "scripted"

    def __init__(self, turns: list[str] | None = None, default: str = ""):
        self.turns = list(turns or [])
        self.default = default
        self.calls: list[list[Message]] = []
        self._lock = threading.Lock()

    def stream(self, messages: list[Message], max_new_tokens: int = 128,
               stop: Sequence[str] = ()) -> Iterator[str]:
        with self._lock:
            self.calls.append([dict(m) for m in messages])
            text = self.turns.pop(0) if self.turns else self.default
        text, _ = cut_at_stop(text, stop)
        words = text.split(" ")
        for n, word in enumerate(words):
            yield word if n == len(words) - 1 else word + " "


class TransformersChatModel:
    """A local causal LM (any Hugging Face model + tokenizer with a chat template), greedy decoding."""

    def __init__(self, model: Any, tokenizer: Any, name: str = "local", cache_prefix: bool = True,
                 max_waiting: int = 16):
        import torch

        self.torch = torch
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.cache_prefix = cache_prefix
        self.device = next(model.parameters()).device
        self._prefix: tuple[str, Any, Any] | None = None  # (text, ids, DynamicCache)
        self.line = Line([model], max_waiting)  # one generation at a time; the others wait in line
        self.eos_ids = end_token_ids(tokenizer)
        import inspect

        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        params = inspect.signature(base.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"  # transformers 5 renamed it
        self.reliable_tools = False  # the router picks tools unless an adapter measured reliable (loading.py)

    def _forward(self, ids: Any, cache: Any, keep: int = 1) -> Any:
        """Logits of the last ``keep`` positions (0 = all); ``cache`` (a DynamicCache) grows in place."""
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=keep, **{self._cache_arg: cache})
        return out.logits

    # -- prompt rendering ------------------------------------------------------------------------------------
    def render(self, messages: list[Message], generation_prompt: bool = True) -> tuple[str, str]:
        """(fixed prefix text, the rest). The prefix is the leading system message rendered alone."""
        return render_prompt(self.tokenizer, messages, generation_prompt)

    def _ids(self, text: str) -> Any:
        ids = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
        return ids.to(self.device)

    def prefix_cache(self, prefix: str) -> Any:
        """The KV cache of the fixed prefix (computed once per distinct prefix, then reused)."""
        from transformers import DynamicCache

        if self._prefix is None or self._prefix[0] != prefix:
            ids = self._ids(prefix)
            cache = DynamicCache()
            with self.torch.inference_mode():
                self._forward(ids, cache)
            self._prefix = (prefix, ids, cache)
        return self._prefix[2]

    def _start(self, messages: list[Message], suffix: str = "") -> tuple[Any, Any]:
        """Run the prompt (reusing the prefix cache); returns (last logits, cache)."""
        prefix, rest = self.render(messages)
        rest += suffix
        if self.cache_prefix and prefix:
            cache = copy.deepcopy(self.prefix_cache(prefix))
            ids = self._ids(rest)
        else:
            from transformers import DynamicCache

            cache = DynamicCache()
            ids = self._ids(prefix + rest)
        return self._forward(ids, cache)[:, -1, :], cache

    # -- generation -------------------------------------------------------------------------------------------
    def stream(self, messages: list[Message], max_new_tokens: int = 128,
               stop: Sequence[str] = (), suffix: str = "", place: Place | None = None) -> Iterator[str]:
        """Greedy decoding; yields text as it is produced. ``suffix`` forces the start of the reply. ``place``:
        a place in :attr:`line` that holds the model (else the call waits for it)."""
        torch = self.torch
        with self.line.hold(place), torch.inference_mode():
            logits, cache = self._start(messages, suffix)

            def greedy() -> Iterator[int]:
                nonlocal logits
                for _ in range(max_new_tokens):
                    next_id = int(torch.argmax(logits, dim=-1)[0])
                    if next_id in self.eos_ids:
                        return
                    yield next_id
                    logits = self._forward(torch.tensor([[next_id]], device=self.device), cache)[:, -1, :]

            yield from stream_text(greedy(), self.tokenizer, stop)

    def choose(self, messages: list[Message], suffix: str, options: Sequence[str],
               place: Place | None = None) -> list[float]:
        """Log-likelihood of each option as the continuation of the reply started with ``suffix``."""
        torch = self.torch
        with self.line.hold(place), torch.inference_mode():
            logits, cache = self._start(messages, suffix)
            first = torch.log_softmax(logits[0].float(), dim=-1)
            scores = []
            for option in options:
                ids = self._ids(option)[0].tolist()
                total = float(first[ids[0]])
                if len(ids) > 1:
                    logits_all = self._forward(torch.tensor([ids[:-1]], device=self.device), copy.deepcopy(cache),
                                               keep=0)
                    logp = torch.log_softmax(logits_all[0].float(), dim=-1)
                    total += float(sum(logp[n, t] for n, t in enumerate(ids[1:])))
                scores.append(total)
            return scores


class OpenAIChatModel:
    """An OpenAI-compatible chat completions server (vLLM, llama.cpp server, TGI), streamed over SSE."""

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 60.0):
        import httpx

        self.name = model or "openai"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def stream(self, messages: list[Message], max_new_tokens: int = 128,
               stop: Sequence[str] = ()) -> Iterator[str]:
        import httpx

        # Servers differ on the "tool" role without OpenAI tool ids: send results as user turns (same content).
        sent = [m if m["role"] != "tool" else {"role": "user", "content": m["content"]} for m in messages]
        body: dict[str, Any] = {"model": self.model or "default", "messages": sent, "stream": True,
                                "max_tokens": max_new_tokens, "temperature": 0}
        if stop:
            body["stop"] = list(stop)[:4]
        try:
            with self.client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise RuntimeError(f"The model server answered {response.status_code}: {response.text[:300]}")
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
        except httpx.HTTPError as exc:
            raise RuntimeError(f"Could not reach the model server at {self.client.base_url} ({exc}). Start it "
                               f"(e.g. `vllm serve MODEL` or `llama-server -m MODEL.gguf`) or set "
                               f"llm_backend=local.") from exc
