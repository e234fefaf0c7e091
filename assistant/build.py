"""Wiring: an :class:`~assistant.dialogue.Assistant` from the settings (every part injectable for tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from longtail.config import Settings
from retrieval import Store, ensure_demo_store

from .conversations import ConversationStore
from .dialogue import Assistant
from .models import ChatModel, OpenAIChatModel, ScriptedChatModel
from .orders import OrderBook
from .policies import PolicyIndex


def store_files(settings: Settings) -> tuple[Path | None, Path | None, Path | None]:
    """(orders.json, customers.json, policies folder) for the store: the bundled ones for the demo store,
    else files of the same names in ``settings.store_dir`` when present."""
    if settings.store == "demo":
        from longtail.demo import DATA_DIR

        return DATA_DIR / "orders.json", DATA_DIR / "customers.json", DATA_DIR / "policies"
    d = settings.store_dir
    return ((d / "orders.json") if (d / "orders.json").exists() else None,
            (d / "customers.json") if (d / "customers.json").exists() else None,
            (d / "policies") if (d / "policies").is_dir() else None)


def load_orders(settings: Settings, path: str | Path | None = None) -> OrderBook:
    orders, customers, policies = store_files(settings)
    window = 30
    if policies and (policies / "store.json").exists():
        window = int(json.loads((policies / "store.json").read_text()).get("return_window_days", 30))
    book = OrderBook(path if path is not None else settings.store_dir / "orders.sqlite", window)
    if orders and len(book) == 0:
        book.load(json.loads(orders.read_text(encoding="utf-8")),
                  json.loads(customers.read_text(encoding="utf-8")) if customers else [])
    return book


def load_policies(settings: Settings, store: Store) -> PolicyIndex:
    _, _, folder = store_files(settings)
    if folder is None:
        return PolicyIndex(store.client, store.embedder, [], store.settings.store)
    return PolicyIndex.from_folder(store.client, store.embedder, folder, store.settings.store)


def load_model(settings: Settings) -> ChatModel:
    if settings.llm_backend == "fake":
        return ScriptedChatModel([])
    if settings.llm_backend == "openai":
        return OpenAIChatModel(settings.openai_base_url, settings.llm_model, settings.openai_api_key)
    from .loading import load_chat_model

    return load_chat_model(settings)


def build_assistant(settings: Settings, store: Store | None = None, model: ChatModel | None = None,
                    conversations: ConversationStore | None = None, tool_mode: str | None = None,
                    **options: Any) -> Assistant:
    """An assistant over ``store`` (default: the settings' store, the demo store loaded on first use)."""
    if store is None:
        store = Store(settings)
        if settings.store == "demo":
            ensure_demo_store(store, progress=True)
    policies = load_policies(settings, store)
    in_memory = settings.chroma_mode == "ephemeral"
    orders = load_orders(settings, ":memory:" if in_memory else None)
    if conversations is None:
        conversations = ConversationStore(":memory:" if in_memory else settings.store_dir / "conversations.sqlite")
    store_name = policies.facts.get("store_name", settings.store)
    return Assistant(store, model if model is not None else load_model(settings), conversations, orders, policies,
                     store_name=store_name, tool_mode=tool_mode or settings.llm_tool_mode,
                     max_message_chars=settings.max_message_chars,
                     **{"reply_tokens": settings.llm_reply_tokens, **options})
