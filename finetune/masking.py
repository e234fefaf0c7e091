"""Examples -> token ids and labels, with the loss on the trained assistant messages only.

The conversation is rendered with the model's own chat template. For each assistant message at index
``i >= example.train_from`` the trained span is what the template adds for that message after the generation
prompt: ``render(messages[:i+1])`` minus ``render(messages[:i], add_generation_prompt=True)``, i.e. the content and
the end-of-turn marker (trailing whitespace stays untrained). Everything else (system prompt, shopper turns, tool
results, earlier context turns, role headers) gets label -100. Segments are tokenized one by one and concatenated,
which is how the assistant tokenizes at inference (prompt first, then the generated tokens).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from assistant.events import TOOL_CALL_CLOSE, TOOL_CALL_OPEN

from .dialogues import Example

IGNORE = -100


class TemplateError(ValueError):
    """The tokenizer's chat template cannot be split into prompt and reply spans."""


def tool_name(text: str) -> str | None:
    """The tool named in a ``<tool_call>`` message, else None."""
    start = text.find(TOOL_CALL_OPEN)
    if start < 0:
        return None
    body = text[start + len(TOOL_CALL_OPEN):].split(TOOL_CALL_CLOSE)[0]
    try:
        return str(json.loads(body).get("name"))
    except (json.JSONDecodeError, AttributeError):
        return "?"


def segments(tokenizer: Any, messages: Sequence[dict[str, str]], train_from: int) -> list[tuple[str, bool]]:
    """The rendered conversation as (text, trained) pieces, in order."""
    def render(msgs: Sequence[dict[str, str]], gen: bool) -> str:
        return tokenizer.apply_chat_template(list(msgs), tokenize=False, add_generation_prompt=gen)

    out: list[tuple[str, bool]] = []
    done = ""
    for i, m in enumerate(messages):
        if m["role"] != "assistant" or i < train_from:
            continue
        prompt = render(messages[:i], True)
        full = render(messages[:i + 1], False)
        if not prompt.startswith(done) or not full.startswith(prompt):
            raise TemplateError("The chat template does not render conversations as growing prefixes, so reply "
                                "spans cannot be found; use a model with a ChatML/Llama-style template.")
        reply = full[len(prompt):]
        trained = reply.rstrip()
        out.append((prompt[len(done):], False))
        out.append((trained, True))
        done = prompt + trained
    rest = render(messages, False)[len(done):]
    if rest:
        out.append((rest, False))
    return out


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    kind: str

    @property
    def trained_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


def encode(tokenizer: Any, example: Example) -> Encoded:
    ids: list[int] = []
    labels: list[int] = []
    for text, trained in segments(tokenizer, example.messages, example.train_from):
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids += piece
        labels += piece if trained else [IGNORE] * len(piece)
    return Encoded(ids, labels, example.kind)


def encode_all(tokenizer: Any, examples: Sequence[Example], max_length: int) -> tuple[list[Encoded], int]:
    """Encoded examples no longer than ``max_length`` tokens (and with something to learn); the count dropped."""
    out, dropped = [], 0
    for e in examples:
        enc = encode(tokenizer, e)
        if len(enc.input_ids) > max_length or enc.trained_tokens == 0:
            dropped += 1
            continue
        out.append(enc)
    return out, dropped


def collate(batch: Sequence[Encoded], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input_ids, attention_mask, labels (-100 on padding)."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, e in enumerate(batch):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def length_batches(encoded: Sequence[Encoded], batch_size: int, seed: int, shuffle: bool = True
                   ) -> list[list[int]]:
    """Index batches of similar lengths (less padding), in a seeded random order of batches."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        random.Random(seed).shuffle(batches)
    return batches


def iterate(encoded: Sequence[Encoded], batches: Sequence[Sequence[int]], pad_id: int) -> Iterator[dict[str, Any]]:
    for b in batches:
        yield collate([encoded[i] for i in b], pad_id)
