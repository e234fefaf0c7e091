"""Wiring: an :class:`~assistant.dialogue.Assistant` from the settings (every part injectable for tests)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from longtail import stores
from longtail.config import Settings
from retrieval import Store
from retrieval.profile import StoreProfile

from .conversations import ConversationStore
from .dialogue import Assistant
from .models import ChatModel, OpenAIChatModel, ScriptedChatModel
from .orders import OrderBook
from .policies import PolicyIndex

log = logging.getLogger(__name__)


def load_orders(store_dir: Path, in_memory: bool = False) -> OrderBook:
    """The store's order book (``orders.sqlite``); an in-memory copy when nothing may be written (ephemeral)."""
    window = int(stores.facts(store_dir).get("return_window_days", 30))
    path = store_dir / stores.ORDERS
    if not path.exists():
        return OrderBook(":memory:", window)
    book = OrderBook(path, window)
    return book.copy_to_memory() if in_memory else book


def load_policies(store: Store) -> PolicyIndex:
    folder = store.config.store_dir / stores.POLICIES
    if not folder.is_dir():
        log.warning("Store %r has no policy pages: shoppers asking about shipping, returns or payment are offered "
                    "a person. Add them with `longtail --store %s index --policies DIR`.", store.config.name,
                    store.config.name)
        return PolicyIndex(store.client, store.embedder, [], store.config.name)
    return PolicyIndex.from_folder(store.client, store.embedder, folder, store.config.name)


def store_profile(store: Store, orders: OrderBook) -> StoreProfile:
    """The store's profile: its catalog, its order book's id shape, its name from ``policies/store.json``."""
    name = stores.facts(store.config.store_dir).get("store_name") or store.config.name
    return StoreProfile.learn(store.db.items(), orders.id_shape, name)


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
    """An assistant over ``store`` (default: the settings' store; a bundled store is installed on first use)."""
    if store is None:
        store = stores.open_store(settings)
    store_dir = store.config.store_dir
    policies = load_policies(store)
    in_memory = settings.chroma_mode == "ephemeral"
    orders = load_orders(store_dir, in_memory)
    if conversations is None:
        conversations = ConversationStore(":memory:" if in_memory else store_dir / "conversations.sqlite")
    return Assistant(store, model if model is not None else load_model(settings), conversations, orders, policies,
                     profile=store_profile(store, orders), tool_mode=tool_mode or settings.llm_tool_mode,
                     max_message_chars=settings.max_message_chars,
                     **{"reply_tokens": settings.llm_reply_tokens, **options})
