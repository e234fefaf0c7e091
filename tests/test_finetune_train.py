"""Training on a tiny randomly initialised Llama (built here, no download): masking, loss, LoRA, adapters, resume."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("accelerate")

from finetune.config import FinetuneConfig  # noqa: E402
from finetune.dialogues import Example  # noqa: E402
from finetune.masking import IGNORE, encode, encode_all, segments  # noqa: E402
from finetune.modeling import add_lora, load_adapter, save_adapter  # noqa: E402
from finetune.tiny import tiny_model, tiny_tokenizer  # noqa: E402
from finetune.train import evaluate_loss, train  # noqa: E402

SYSTEM = "You are the shopping assistant of Test Store. Tools:\n- search_products(query: str)"
CALL = '<tool_call>{"name": "search_products", "arguments": {"query": "red kettle"}}</tool_call>'
RESULT = '<tool_result>{"name":"search_products","content":[{"id":"LT-00007","title":"Red Kettle","price":20.0}]}' \
         '</tool_result>'
REPLY = "My top pick is the Red Kettle (LT-00007) at $20.00."


def examples(n: int = 8) -> list[Example]:
    out = []
    for i in range(n):
        color = ["red", "blue", "green", "black"][i % 4]
        call = CALL.replace("red", color)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"a {color} kettle please"},
                    {"role": "assistant", "content": call}, {"role": "tool", "content": RESULT.replace("Red", color)},
                    {"role": "assistant", "content": REPLY.replace("Red", color.title())}]
        out.append(Example(messages, "search", f"search.{i}", "train"))
    return out


@pytest.fixture(scope="module")
def tokenizer():
    corpus = [m["content"] for e in examples() for m in e.messages] * 3
    return tiny_tokenizer(corpus, vocab_size=400)


def cfg(**kw) -> FinetuneConfig:
    base = dict(lora_r=4, lora_alpha=8, lora_dropout=0.0, batch_size=2, grad_accum=1, lr=2e-2, warmup_ratio=0.0,
                eval_every=1000, save_every=1000, patience=0, max_length=4096, seed=3,
                target_modules=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"))
    base.update(kw)
    return FinetuneConfig(**base)


def lora_model(tokenizer, c: FinetuneConfig):
    return add_lora(tiny_model(len(tokenizer), seed=1), c)


def test_labels_cover_exactly_the_assistant_replies(tokenizer):
    e = examples(1)[0]
    enc = encode(tokenizer, e)
    trained = [t for t, label in zip(enc.input_ids, enc.labels) if label != IGNORE]
    assert tokenizer.decode(trained) == CALL + "<|im_end|>" + REPLY + "<|im_end|>"
    # the labels are the ids themselves where trained
    assert all(label in (IGNORE, t) for t, label in zip(enc.input_ids, enc.labels))
    # nothing of the system prompt, the shopper's words or the tool result is trained
    untrained = tokenizer.decode([t for t, label in zip(enc.input_ids, enc.labels) if label == IGNORE])
    for text in (SYSTEM, "a red kettle please", e.messages[3]["content"], "<|im_start|>assistant\n"):
        assert text in untrained
    # the segments put together are the chat template's rendering, unchanged
    full = tokenizer.apply_chat_template(e.messages, tokenize=False)
    assert "".join(text for text, _ in segments(tokenizer, e.messages, e.train_from)) == full


def test_history_turns_are_context_only(tokenizer):
    e = examples(1)[0]
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello! What do you need?"}]
    multi = Example([e.messages[0], *history, *e.messages[1:]], "refine", "refine.0", "train", train_from=3)
    enc = encode(tokenizer, multi)
    trained = tokenizer.decode([t for t, label in zip(enc.input_ids, enc.labels) if label != IGNORE])
    assert "Hello! What do you need?" not in trained
    assert trained == CALL + "<|im_end|>" + REPLY + "<|im_end|>"


def test_loss_finite_and_falling_lora_changes_base_frozen(tokenizer, tmp_path):
    c = cfg(max_steps=12)
    model = lora_model(tokenizer, c)
    enc, dropped = encode_all(tokenizer, examples(), c.max_length)
    assert dropped == 0 and len(enc) == 8
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    loss0, n = evaluate_loss(model, enc, 4, tokenizer.pad_token_id, "cpu")
    assert n > 0 and torch.isfinite(torch.tensor(loss0))
    res = train(c, model, tokenizer, enc, [], tmp_path / "out", progress=False)
    loss1, _ = evaluate_loss(model, enc, 4, tokenizer.pad_token_id, "cpu")
    assert res.steps == 12 and all(torch.isfinite(torch.tensor(h["train_loss"])) for h in res.history)
    assert loss1 < loss0 - 0.5, (loss0, loss1)
    after = model.state_dict()
    lora_keys = [k for k in before if "lora_" in k]
    base_keys = [k for k in before if "lora_" not in k]
    assert lora_keys and base_keys
    assert any(not torch.equal(before[k], after[k]) for k in lora_keys if "lora_B" in k)
    assert all(torch.equal(before[k], after[k]) for k in base_keys)


def test_adapter_round_trip_same_outputs(tokenizer, tmp_path):
    c = cfg(max_steps=4)
    model = lora_model(tokenizer, c)
    enc, _ = encode_all(tokenizer, examples(), c.max_length)
    train(c, model, tokenizer, enc, [], tmp_path / "out", progress=False)
    saved = save_adapter(model, tokenizer, tmp_path / "adapter")
    assert (saved / "adapter_config.json").exists() and (saved / "adapter_model.safetensors").exists()
    assert json.loads((saved / "adapter_config.json").read_text())["r"] == 4
    reloaded = load_adapter(tiny_model(len(tokenizer), seed=1), saved)
    ids = torch.tensor([enc[0].input_ids])
    model.eval()
    reloaded.eval()
    with torch.no_grad():
        a, b = model(input_ids=ids).logits, reloaded(input_ids=ids).logits
        base = tiny_model(len(tokenizer), seed=1)(input_ids=ids).logits
    assert torch.allclose(a, b, atol=1e-5)
    assert not torch.allclose(a, base, atol=1e-3)  # the adapter does something


def test_early_stopping_keeps_best_adapter(tokenizer, tmp_path):
    c = cfg(max_steps=40, eval_every=1, patience=2, lr=0.5)  # a wild learning rate diverges quickly
    model = lora_model(tokenizer, c)
    enc, _ = encode_all(tokenizer, examples(), c.max_length)
    res = train(c, model, tokenizer, enc[:6], enc[6:], tmp_path / "out", progress=False)
    val = [h["val_loss"] for h in res.history if "val_loss" in h]
    assert res.best_val_loss == pytest.approx(min(val))
    if res.stopped == "early_stopping":
        assert res.steps < 40 and res.steps - res.best_step >= 2
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()
    assert not (tmp_path / "out" / "checkpoint").exists()


def test_resume_from_checkpoint_matches_uninterrupted_run(tokenizer, tmp_path):
    enc, _ = encode_all(tokenizer, examples(), 4096)
    full = lora_model(tokenizer, cfg())
    train(cfg(max_steps=6), full, tokenizer, enc, [], tmp_path / "a", progress=False)
    # run 1 stops after its first step (a time budget of ~0), keeping the checkpoint; run 2 resumes it
    first = lora_model(tokenizer, cfg())
    r1 = train(cfg(max_steps=6, max_minutes=1e-9), first, tokenizer, enc, [], tmp_path / "b", progress=False)
    assert r1.stopped == "time_budget" and (tmp_path / "b" / "checkpoint" / "state.json").exists()
    saved = (tmp_path / "b" / "checkpoint" / "model.safetensors").stat().st_size
    assert saved < 0.5 * sum(p.numel() * 4 for p in first.parameters())  # LoRA weights only, not the base
    second = lora_model(tokenizer, cfg())
    r2 = train(cfg(max_steps=6), second, tokenizer, enc, [], tmp_path / "b", progress=False)
    assert r2.resumed_from == 1 and r2.steps == 6
    a, b = full.state_dict(), second.state_dict()
    for k in a:
        if "lora_" in k:
            assert torch.allclose(a[k], b[k], atol=1e-5), k
