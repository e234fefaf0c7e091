"""The real TransformersChatModel path on a tiny randomly initialised Llama (built here, no download):
streaming, stop strings, prefix KV-cache reuse (same logits and same text with and without it), constrained
choice by log-likelihood, and a whole dialogue turn through the assistant."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from assistant import Products, TextDelta, TransformersChatModel  # noqa: E402
from assistant.dialogue import system_prompt  # noqa: E402
from assistant.testing import demo_assistant, shared_store  # noqa: E402

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = [system_prompt("Test Store"), "Here are some tents and sleeping bags for two people under $80.",
              "<tool_call>{\"name\": \"search_products\", \"arguments\": {\"query\": \"tent\"}}</tool_call>"] * 20
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", bos_token="<|endoftext|>",
                                   pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    return fast


@pytest.fixture(scope="module")
def tiny(tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=len(tokenizer), max_position_embeddings=2048,
                         eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.bos_token_id)
    return LlamaForCausalLM(config).eval()


def messages(user="I need a tent for two"):
    return [{"role": "system", "content": system_prompt("Test Store")}, {"role": "user", "content": user}]


def test_prefix_cache_gives_the_same_logits_as_a_full_forward(tiny, tokenizer):
    chat = TransformersChatModel(tiny, tokenizer)
    prefix, rest = chat.render(messages())
    assert prefix and rest.startswith("<|im_start|>user")
    with torch.inference_mode():
        full_ids = chat._ids(prefix + rest)
        full = tiny(input_ids=full_ids).logits[:, -1, :]
        cached, _ = chat._start(messages())
        cached_again, _ = chat._start(messages("another question about boots"))
        cached_third, _ = chat._start(messages())
    assert chat._ids(prefix).shape[1] + chat._ids(rest).shape[1] == full_ids.shape[1]
    torch.testing.assert_close(cached, full, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(cached_third, cached)  # the stored prefix cache was not mutated by a turn
    assert not torch.allclose(cached_again, cached)


def test_streaming_is_identical_with_and_without_the_prefix_cache(tiny, tokenizer):
    with_cache = TransformersChatModel(tiny, tokenizer, cache_prefix=True)
    without = TransformersChatModel(tiny, tokenizer, cache_prefix=False)
    a = list(with_cache.stream(messages(), max_new_tokens=20))
    b = list(without.stream(messages(), max_new_tokens=20))
    assert "".join(a) == "".join(b) and len("".join(a)) > 0
    assert len(a) > 1  # streamed in pieces, not one block


def test_stop_strings_end_the_stream(tiny, tokenizer):
    chat = TransformersChatModel(tiny, tokenizer)
    full = "".join(chat.stream(messages(), max_new_tokens=30))
    assert len(full) > 4
    stop = full[2:4]
    cut = "".join(chat.stream(messages(), max_new_tokens=30, stop=(stop,)))
    assert cut == full[:full.find(stop)]


def test_choose_scores_options_by_log_likelihood(tiny, tokenizer):
    chat = TransformersChatModel(tiny, tokenizer)
    options = ["search_products", "policy_lookup", "order_status"]
    scores = chat.choose(messages(), '<tool_call>{"name": "', options)
    # the same number from one plain forward pass over prompt + option
    prefix, rest = chat.render(messages())
    prompt = chat._ids(prefix + rest + '<tool_call>{"name": "')
    for option, score in zip(options, scores):
        ids = chat._ids(option)
        with torch.inference_mode():
            logits = tiny(input_ids=torch.cat([prompt, ids], dim=1)).logits[0]
        logp = torch.log_softmax(logits.float(), dim=-1)
        expected = sum(float(logp[prompt.shape[1] - 1 + n, t]) for n, t in enumerate(ids[0].tolist()))
        assert score == pytest.approx(expected, abs=1e-3)


def test_a_dialogue_turn_runs_on_the_tiny_model(tiny, tokenizer):
    shared_store()
    chat = TransformersChatModel(tiny, tokenizer, name="tiny")
    bot = demo_assistant(chat)
    assert bot.tool_mode == "router"  # an untuned local model does not pick tools
    events = list(bot.respond("tiny", "a two person tent under $200"))
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Products") < kinds.index("TextDelta")
    products = next(e for e in events if isinstance(e, Products))
    assert products.hits and all(h.item.price <= 200 for h in products.hits)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == events[-1].text and text
    # a random model's sentences were all fact-checked; without survivors the template reply is shown
    assert bot.stats["sentences"] + bot.stats["dropped_sentences"] > 0 or bot.stats["template_replies"] == 1
    assert chat._prefix is not None  # the system prompt's KV cache is kept for the next turn
    kept = copy.deepcopy(chat._prefix[0])
    list(bot.respond("tiny", "cheaper"))
    assert chat._prefix[0] == kept


def test_auto_quantization_choice():
    from assistant.loading import cpu_has_fast_bf16, resolve_quantization

    assert resolve_quantization("auto", "cuda") == "4bit"
    assert resolve_quantization("auto", "cpu") == ("bf16" if cpu_has_fast_bf16() else "none")
    assert resolve_quantization("8bit", "cpu") == "8bit"


def test_a_shopper_waiting_for_the_model_is_told_their_place_then_answered(tiny, tokenizer):
    """Another shopper's reply holds the model: the turn's cards come at once, then its place in line; when the
    model is free the reply streams. A shopper who leaves mid-wait gives their place up; a full line answers
    from the templates at once."""
    from assistant import Done, Queued

    chat = TransformersChatModel(tiny, tokenizer, name="tiny", max_waiting=1)
    bot = demo_assistant(chat)
    other = chat.line.join()  # another shopper's reply is generating
    turn = bot.respond("waits", "a two person tent under $200")
    before = []
    for event in turn:
        before.append(event)
        if isinstance(event, Queued):
            break
    assert any(isinstance(e, Products) for e in before)
    assert before[-1].place == 1 and "You're next" in before[-1].text and chat.line.waiting == 1
    other.leave()
    after = list(turn)
    assert isinstance(after[-1], Done) and after[-1].text and not any(isinstance(e, Queued) for e in after)
    assert chat.line.waiting == 0 and chat.line.join().slot is not None  # the turn gave the model back

    chat = TransformersChatModel(tiny, tokenizer, name="tiny", max_waiting=1)
    bot = demo_assistant(chat)
    other = chat.line.join()
    leaving = bot.respond("leaves", "a two person tent under $200")
    assert any(isinstance(e, Queued) for e in leaving)  # (stops at the first: the generator waits there)
    leaving.close()  # the shopper closed the chat
    assert chat.line.waiting == 0
    chat.line.join()  # one waits; the line is full now
    full = list(bot.respond("full", "a two person tent under $200"))
    assert not any(isinstance(e, Queued) for e in full) and full[-1].text
    assert bot.stats["model_busy"] == 1 and bot.stats["template_replies"] == 0


def test_the_chat_shows_the_place_in_line_where_the_words_will_come(tiny, tokenizer):
    from ui.chat import ChatService

    chat = TransformersChatModel(tiny, tokenizer, name="tiny")
    service = ChatService(demo_assistant(chat))
    other, also = chat.line.join(), chat.line.join()  # one generating, one waiting before this shopper
    updates = service.respond("web-queued-0001", "a two person tent under $200", [])
    for update in updates:
        words = [m["content"] for m in update.history if m["role"] == "assistant" and m["content"]]
        if any("number 2 in line" in w for w in words):
            break
    assert any(m.get("cards") for m in update.history)  # the cards are on screen while the shopper waits
    assert words[-1].startswith("Here are ") and words[-1].endswith("will be with you in a moment.")
    other.leave()
    update = next(updates)  # moved up
    assert "You're next" in [m["content"] for m in update.history][-2]
    also.leave()
    final = list(updates)[-1]
    assert final.done and not any("in line" in m["content"] or "You're next" in m["content"]
                                  for m in final.history)
