"""Shared test helpers: one demo store per process, built with the fast :class:`HashEmbedder`.

Tests in several modules share it (``functools.cache``), so the demo catalog is imported and indexed once.
Each assistant gets its own in-memory conversation store; a test that needs a fresh impression log builds
its own store with :func:`demo_store` ``(fresh=True)``.
"""

from __future__ import annotations

import functools
import itertools
import tempfile
from pathlib import Path

from longtail.config import Settings
from retrieval import CatalogDB, HashEmbedder, Store, ensure_demo_store

from .build import build_assistant
from .conversations import ConversationStore
from .dialogue import Assistant
from .models import ChatModel, ScriptedChatModel


_COUNTER = itertools.count(1)


def demo_settings(**overrides) -> Settings:
    data_dir = Path(tempfile.mkdtemp(prefix="longtail-test-"))
    return Settings(data_dir=data_dir, chroma_mode="ephemeral", llm_backend="fake", **overrides)


def _new_store(name: str = "asst-demo") -> Store:
    import chromadb

    settings = demo_settings(store=name)
    store = Store(settings, client=chromadb.EphemeralClient(), embedder=HashEmbedder(),
                  db=CatalogDB(settings.data_dir / "catalog.sqlite"))
    ensure_demo_store(store, progress=False)
    return store


@functools.cache
def shared_store() -> Store:
    return _new_store("asst-demo")


def demo_store(fresh: bool = False) -> Store:
    return _new_store(f"asst-{next(_COUNTER)}") if fresh else shared_store()


def demo_assistant(model: ChatModel | None = None, store: Store | None = None,
                   conversations: ConversationStore | None = None, **options) -> Assistant:
    store = store or shared_store()
    settings = demo_settings()
    return build_assistant(settings, store=store, model=model if model is not None else ScriptedChatModel([]),
                           conversations=conversations or ConversationStore(":memory:"), **options)
