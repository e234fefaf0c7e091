"""The fine-tuning data: real tool results, grounded replies, filled placeholders, splits without leaks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from finetune.config import FinetuneConfig, FinetuneConfigError, load_config
from finetune.data import allocate, build_dataset, leaks, load_sources, sample, skeleton, stats
from finetune.masking import tool_name
from finetune.support import fill, read_bitext, short_response, store_values

ROOT = Path(__file__).resolve().parents[1]

BITEXT_ROWS = [
    ("how can I cancel purchase 113542617735902?", "cancel_order", "ORDER", "order_id", "113542617735902", 26, 41,
     "I understand. Log in to {{Website Name}} and open {{Order History}}. Call {{Customer Support Phone Number}}."),
    ("how can I cancel purchase 00004587345?", "cancel_order", "ORDER", "order_id", "00004587345", 26, 37,
     "Sure, I can help with {{Purchase ID Anonymized}}. Our team is on {{Live Chat}}."),
    ("i have got to check ur money back policy", "check_refund_policy", "REFUND", "", "", -1, -1,
     "I understand you want our refund policy: {{number of days}} days.\n\n1. Go to {{Refund Policy}}."),
    ("what payment methods do you take", "check_payment_methods", "PAYMENT", "", "", -1, -1,
     "We accept several payment methods on {{Website Name}}."),
    ("I want to speak with a human agent", "contact_human_agent", "CONTACT", "", "", -1, -1,
     "Sure, connecting you; reach us at {{Customer Support Email}}."),
    ("help me create an account", "create_account", "ACCOUNT", "", "", -1, -1,
     "Happy to help you create an account on {{Website Name}}!\n\n1. Click {{Sign Up}}."),
    ("I need to open a Gold account", "create_account", "ACCOUNT", "account_type", "Gold", 15, 19,
     "Great choice! Visit {{Website Name}} to open it."),
    ("where is my package", "track_order", "ORDER", "", "", -1, -1, "Check {{Order Tracking}} on {{Website Name}}."),
    ("unsubscribe me from the newsletter", "newsletter_subscription", "NEWSLETTER", "", "", -1, -1,
     "Sorry to see you go. Use {{Newsletter Preferences}} on {{Website Name}}."),
    ("can i get an invoice for my last order", "get_invoice", "INVOICE", "", "", -1, -1,
     "Of course! Invoices are under {{Invoices}} on {{Website Name}}."),
]


@pytest.fixture(scope="module")
def bitext_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bitext") / "bitext.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["context", "role", "instruction", "intent", "entity_type", "entity_value", "start_offset",
                    "end_offset", "category", "tags", "response"])
        for instr, intent, cat, et, ev, s, e, resp in BITEXT_ROWS:
            w.writerow(["customer support", "virtual assistant", instr, intent, et, ev, s, e, cat, "B", resp])
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    from longtail.config import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("ftdata"), chroma_mode="ephemeral")
    return load_sources(settings, "hash", progress=False)


@pytest.fixture(scope="module")
def dataset(sources, bitext_csv):
    cfg = FinetuneConfig(product_dialogues=260, bitext_csv=str(bitext_csv), embedder="hash", seed=5)
    return cfg, build_dataset(cfg, sources, progress=False)


def test_splits_do_not_leak_and_are_all_populated(dataset):
    cfg, ds = dataset
    found = leaks(ds.parts)
    assert found == {"template": [], "items": [], "customers": []}
    splits = ds.splits(cfg)
    assert all(len(v) > 10 for v in splits.values()), {k: len(v) for k, v in splits.items()}
    for attr in ("template",):
        sets = [{getattr(e, attr) for e in v} for v in splits.values()]
        assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    items = [{i for e in v for i in e.items} for v in splits.values()]
    assert items[0] and items[2] and not (items[0] & items[2]) and not (items[1] & items[2])
    # the leak checker itself can fail: move one test example into train and it reports the shared template
    moved = {"train": splits["train"] + splits["test"][:1], "test": splits["test"]}
    assert leaks(moved)["template"] == [splits["test"][0].template]


def test_kfold_parts_do_not_leak(sources, bitext_csv):
    cfg = FinetuneConfig(product_dialogues=150, bitext_csv=str(bitext_csv), embedder="hash", kfold=3, fold=1)
    ds = build_dataset(cfg, sources, progress=False)
    assert sorted(ds.parts) == ["fold0", "fold1", "fold2", "test"]
    assert leaks(ds.parts) == {"template": [], "items": [], "customers": []}
    splits = ds.splits(cfg)
    assert [e.key() for e in splits["val"]] == [e.key() for e in ds.parts["fold1"]]
    assert len(splits["train"]) == len(ds.parts["fold0"]) + len(ds.parts["fold2"])


def test_no_duplicates_and_deterministic(dataset, sources, bitext_csv):
    cfg, ds = dataset
    keys = [e.key() for part in ds.parts.values() for e in part]
    assert len(keys) == len(set(keys))
    again = build_dataset(cfg, sources, progress=False)
    assert [e.key() for e in again.parts["test"]] == [e.key() for e in ds.parts["test"]]


def test_tool_results_are_real_and_replies_grounded(dataset, sources):
    from assistant.calls import parse_tool_call
    from assistant.explain import facts_for

    _, ds = dataset
    searches = 0
    for e in ds.parts["train"]:
        msgs = e.messages
        assert msgs[0]["role"] == "system" and msgs[0]["content"] == sources.system
        for i, m in enumerate(msgs):
            if m["role"] == "assistant" and tool_name(m["content"]) and i >= e.train_from:
                name, args = parse_tool_call(m["content"])
                tool = msgs[i + 1]
                assert tool["role"] == "tool" and tool["content"].startswith("<tool_result>")
                payload = json.loads(tool["content"][len("<tool_result>"):-len("</tool_result>")])
                assert payload["name"] == name
                if name == "search_products" and e.kind == "search":
                    searches += 1
                    ids = [r["id"] for r in payload["content"]]
                    assert all(i in sources.items for i in ids)
                    reply = msgs[i + 2]["content"]
                    items = [sources.items[i] for i in ids]
                    assert sources.checker.check(reply, facts_for(items, [json.dumps(args)])).ok, reply
                    if ids:  # the best match named by its title, no internal id in the shopper's text
                        assert sources.items[ids[0]].title in reply and not any(i in reply for i in ids), reply
    assert searches >= 10


def test_kinds_cover_the_issue(dataset):
    cfg, ds = dataset
    kinds = {e.kind for part in ds.parts.values() for e in part}
    for k in ("search_price", "refine_cheaper", "details", "policy", "order_status", "start_return", "escalate",
              "off_topic", "injection", "item_injection"):
        assert k in kinds, k
    assert any(e.source == "bitext" for part in ds.parts.values() for e in part)
    assert any(e.train_from > 1 for part in ds.parts.values() for e in part)  # multi-turn
    wrong = [e for part in ds.parts.values() for e in part if e.kind == "order_status"
             and '"found":false' in e.messages[-2]["content"]]
    assert wrong and all(e.messages[-1]["content"].startswith("I couldn't find an order") for e in wrong)
    s = stats(ds, cfg)
    assert s["leaks"] == {"template": 0, "items": 0, "customers": 0}
    assert s["splits"]["train"]["first_tool"].get("search_products", 0) > 0


def test_topic_switches_and_shown_ids_after_a_search(dataset):
    """Single-turn families also appear after an earlier search (so the model learns to pick the tool from the new
    message, not to repeat the search), and details / compare after a search name items that search showed."""
    from assistant.calls import parse_tool_call
    from finetune.dialogues import SWITCH_FAMILIES

    _, ds = dataset
    examples = [e for part in ds.parts.values() for e in part]
    switched = [e for e in examples if (e.kind in SWITCH_FAMILIES or e.source == "bitext") and e.train_from > 1]
    assert len({e.kind for e in switched}) >= 3, sorted({e.kind for e in switched})
    for e in switched:
        earlier, reply = e.messages[1:3]
        assert earlier["role"] == "user" and reply["role"] == "assistant" and (
            "is the closest match" in reply["content"] or reply["content"].startswith("I found no")), reply
        first = next(m for m in e.messages[e.train_from:] if m["role"] == "assistant")
        if first["content"].startswith("<tool_call>"):  # the call answers the new message, not the old search
            assert parse_tool_call(first["content"])[0] != "search_products"
    by_shown = 0
    for e in examples:
        if e.kind in ("details", "compare") and e.train_from > 1:
            name, args = parse_tool_call(e.messages[e.train_from + 1]["content"])
            ids = [args["item_id"]] if name == "product_details" else args["item_ids"]
            assert set(ids) <= set(e.items[:3]), (ids, e.items)  # the earlier search's first results
            by_shown += 1
    assert by_shown >= 5


def test_bitext_rows_filled_with_store_values(bitext_csv, sources):
    rows = read_bitext(bitext_csv)
    assert len(rows) == len(BITEXT_ROWS)
    values = store_values(sources.facts)
    assert rows[0].template_id == rows[1].template_id  # same phrasing, different order number
    text = fill(rows[0].response, values)
    assert "{{" not in text and sources.facts["support_phone"] in text and sources.facts["store_name"] in text
    short = short_response(rows[2], values)
    assert f"{sources.facts['return_window_days']} days" in short and "1. Go" not in short
    assert sources.facts["support_email"] in short


def test_real_bitext_all_placeholders_filled(shared_data, sources):
    path = shared_data / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    if not path.exists():
        pytest.skip("Bitext CSV absent")
    values = store_values(sources.facts)
    rows = read_bitext(path)
    assert len(rows) > 4000
    assert all("{{" not in short_response(r, values) for r in rows)


def test_quality_test_templates_are_never_used(dataset):
    from evaluation.assistant_quality import TEMPLATES, templates_for

    _, ds = dataset
    held = {skeleton(TEMPLATES[t][1]) for t in templates_for("test")}
    from finetune import templates as T

    used = {e.template for part in ds.parts.values() for e in part if e.source == "catalog"}
    for tid in used:
        family, index = tid.rsplit(".", 1)
        assert skeleton(T.FAMILIES[family][int(index)]) not in held, tid


def test_allocate_and_sample():
    assert allocate(10, [0.8, 0.1, 0.1]) == [8, 1, 1]
    assert sum(allocate(7, [1, 1, 1])) == 7 and min(allocate(3, [0.9, 0.05, 0.05])) == 1


def test_config_file_and_errors(tmp_path):
    cfg = load_config(ROOT / "finetune.toml")
    assert cfg.output_dir == "finetune/adapters/default" and cfg.target_modules[:2] == ("q_proj", "k_proj")
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nlearning_rate = 0.1\n")
    with pytest.raises(FinetuneConfigError, match="Unknown fine-tuning setting 'learning_rate'"):
        load_config(bad)
    with pytest.raises(FinetuneConfigError, match="val_share"):
        FinetuneConfig(val_share=1.5)
    with pytest.raises(FinetuneConfigError, match="kfold=1"):
        FinetuneConfig(kfold=1)
    assert load_config(None, max_steps="7", target_modules="q_proj,k_proj").max_steps == 7
    assert load_config(None, target_modules="q_proj,k_proj").target_modules == ("q_proj", "k_proj")


def test_sample_is_stratified(dataset):
    _, ds = dataset
    train = ds.parts["train"]
    got = sample(train, 40, 1)
    assert len(got) == 40
    assert len({e.kind for e in got}) >= 10


def test_model_card_has_tables_and_command(tmp_path, dataset):
    from finetune.card import write_card
    from evaluation.assistant_quality import spread_cases as pick_cases
    from finetune.evaluate import table

    cfg, ds = dataset
    quality = {"cases": 2, "templates": 2,
               "base": {"model_tool_choice": 0.1, "tool_choice_accuracy": 0.5, "privacy_leaks": 0},
               "fine-tuned": {"model_tool_choice": 0.9, "tool_choice_accuracy": 0.95, "privacy_leaks": 0}}
    report = {"config": cfg.to_dict(), "command": "longtail finetune --config finetune.toml",
              "data": {"stats": stats(ds, cfg), "used": {"train": 5, "val": 2, "test": 2}},
              "training": {"steps": 3, "total_steps": 3, "epochs": 0.5, "stopped": "epochs", "seconds": 60,
                           "history": [{"step": 3, "train_loss": 1.5, "val_loss": 1.4}]},
              "losses": {"test": {"base": 2.0, "base_ppl": 7.39, "fine-tuned": 1.0, "fine-tuned_ppl": 2.72}},
              "quality": quality}
    text = write_card(tmp_path, report).read_text()
    assert "longtail finetune --config finetune.toml" in text
    assert "| tool choice by the model (no router rescue) | 10.0% | 90.0% |" in text
    assert "| test | fine-tuned | 1.0000 | 2.72 |" in text
    assert json.loads((tmp_path / "metrics.json").read_text())["training"]["steps"] == 3
    assert table(quality).count("\n") == len(__import__("finetune.evaluate").evaluate.ROWS) + 1
    assert "| valid tool calls written by the model | n/a | n/a |" in table(quality)
    quality["fine-tuned"]["model_tool_counts"] = [40, 44]
    quality["fine-tuned"]["model_tool_misses"] = [{"case": "escalate-0", "message": "I'd like a human",
                                                   "expected": "escalate_to_human", "used": "search_products",
                                                   "router_rescued": False}]
    assert "- `I'd like a human`: search_products (expected escalate_to_human)" in write_card(
        tmp_path, report).read_text()
    assert "| tool choice by the model (no router rescue) | 10.0% | 90.0% (40/44; 95% CI 79%-96%) |" in table(quality)
    cases = [{"template": t, "n": n} for t in "abc" for n in range(3)]
    picked = pick_cases(cases, 4)
    assert [c["template"] for c in picked] == ["a", "b", "c", "a"]
