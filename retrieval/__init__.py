"""Catalog, Chroma index and long-tail-aware hybrid retrieval."""

import os

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # Chroma must not phone home

from .catalog import Item, RowError, item_from_record
from .embed import HashEmbedder, SentenceTransformerEmbedder, load_embedder
from .importers import (EmptyCatalogError, ImportFailed, ImportReport, TooManyRejects, load_interactions, load_items,
                        parse_mapping)
from .popularity import Popularity
from .rerank import Candidate, exposure_rerank, xquad_rerank
from .search import Filters, SearchHit, SearchParams, Searcher, Trace
from .config import StoreConfig, StoreConfigError
from .profile import IdShape, ItemNames, StoreProfile
from .service import ImportCancelled, Store
from .storage import CatalogDB
from .store import ItemIndex, SyncReport, make_chroma_client

__all__ = [
    "Candidate", "CatalogDB", "EmptyCatalogError", "Filters", "HashEmbedder", "IdShape", "ImportCancelled",
    "ImportFailed", "ImportReport", "Item", "ItemIndex", "ItemNames", "Popularity", "RowError", "SearchHit",
    "SearchParams", "Searcher", "SentenceTransformerEmbedder", "Store", "StoreConfig", "StoreConfigError",
    "StoreProfile", "SyncReport", "TooManyRejects", "Trace", "exposure_rerank", "parse_mapping",
    "item_from_record", "load_embedder", "load_interactions", "load_items", "make_chroma_client", "xquad_rerank",
]
