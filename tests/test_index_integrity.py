"""Vector-index integrity (issue 13, finding 3 and the --rebuild part of 7): every item must find itself in the
top k of a query by its own stored vector, after a killed index run, after the HNSW files lost vectors Chroma
still lists, and after a rebuild that failed.

The kill test kills a real `longtail index` process (kill -9) mid-way. This Chroma (1.x) recovers from such
kills in every run tried here, so the lost-vectors state is also made on purpose: the collection's HNSW
folder is put back to a copy taken before the last 1,500 items were written, while Chroma's SQLite still
lists them (ids and counts agree, a sync by content hash rewrites nothing, search cannot find them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import chromadb
import numpy as np
import pytest

from longtail.config import Settings
from retrieval import CatalogDB, HashEmbedder, Item, Store

LONGTAIL = [sys.executable, "-m", "longtail.cli"]
WORDS = [f"w{n}" for n in range(3000)]


def write_catalog(path: Path, n: int, seed: int = 0) -> Path:
    import random

    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for k in range(n):
            fh.write(json.dumps({"id": f"it-{k:05d}", "title": " ".join(rng.sample(WORDS, 4)),
                                 "description": " ".join(rng.sample(WORDS, 12)), "price": 10 + k % 50}) + "\n")
    return path


def base_args(data: Path, store: str = "kill") -> list[str]:
    return [*LONGTAIL, "--data-dir", str(data), "--store", store, "--embedding-model", "hash-64"]


def env() -> dict[str, str]:
    # small batches: many Chroma writes, so that a kill lands between them
    return dict(os.environ, LONGTAIL_EMBED_BATCH_SIZE="16", ANONYMIZED_TELEMETRY="False")


def run_cli(data: Path, *args: str, store: str = "kill") -> subprocess.CompletedProcess:
    return subprocess.run([*base_args(data, store), *args], env=env(), capture_output=True, text=True, timeout=300,
                          check=False)


def current_collection(data: Path, store: str = "kill") -> str:
    settings = Settings(data_dir=data, store=store, embedding_model="hash-64")
    db = CatalogDB(settings.catalog_db)
    try:
        return db.get_meta("items_collection:hash-64") or f"{store}-items-hash-64"
    finally:
        db.close()


def reachability(data: Path, collection: str, k: int = 10) -> tuple[int, list[str]]:
    """Checked independently of the code under test: (stored items, those not in their own top k)."""
    client = chromadb.PersistentClient(path=str(data / "chroma"))
    col = client.get_collection(collection)
    ids = col.get(include=[])["ids"]
    lost = []
    for begin in range(0, len(ids), 500):
        got = col.get(ids=ids[begin:begin + 500], include=["embeddings"])
        hits = col.query(query_embeddings=np.asarray(got["embeddings"], dtype=np.float32), n_results=k,
                         include=[])["ids"]
        lost += [i for i, h in zip(got["ids"], hits) if i not in h]
    return len(ids), lost


def test_a_killed_index_run_rerun_to_completion_leaves_every_item_reachable(tmp_path):
    catalog = write_catalog(tmp_path / "items.jsonl", 3000)
    data = tmp_path / "data"
    proc = subprocess.Popen([*base_args(data), "index", str(catalog), "--yes"], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen, killed_at = b"", None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        chunk = proc.stderr.read1(4096) if hasattr(proc.stderr, "read1") else proc.stderr.read(64)
        if not chunk:
            break
        seen = (seen + chunk)[-400:]
        done = re.findall(rb"embedding:.*?\| *(\d+)/(\d+) \[", seen)
        if done and int(done[-1][0]) >= 0.3 * int(done[-1][1]):
            proc.send_signal(signal.SIGKILL)
            killed_at = int(done[-1][0])
            break
    proc.wait(timeout=60)
    assert killed_at is not None and proc.returncode == -signal.SIGKILL, "the index run ended before it was killed"

    rerun = run_cli(data, "index", str(catalog), "--yes", "--json")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    out = json.loads(rerun.stdout)
    assert out["index"]["total"] == 3000 and out["index"]["unchanged"] >= killed_at - 64
    assert out["verify"]["total"] == 3000 and out["verify"]["remaining"] == 0 and out["verify"]["ok"]

    check = run_cli(data, "index", "--verify", "--json")
    assert check.returncode == 0, check.stderr[-2000:]
    report = json.loads(check.stdout)["verify"]
    assert (report["total"], report["unreachable"], report["remaining"]) == (3000, 0, 0)
    total, lost = reachability(data, current_collection(data))
    assert (total, lost) == (3000, [])


def _lose_hnsw_writes(tmp_path: Path, store: str = "lag") -> tuple[Path, Path]:
    """Index 2,000 items, keep a copy of the collection's HNSW folder, index all 3,500, put the copy back."""
    data = tmp_path / "data"
    full = write_catalog(tmp_path / "all.jsonl", 3500)
    first = tmp_path / "first.jsonl"
    first.write_text("".join(full.read_text(encoding="utf-8").splitlines(keepends=True)[:2000]), encoding="utf-8")
    assert run_cli(data, "index", str(first), store=store).returncode == 0
    con = sqlite3.connect(data / "chroma" / "chroma.sqlite3")
    segment = con.execute("SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
                          "WHERE c.name = ? AND s.scope = 'VECTOR'", (f"{store}-items-hash-64",)).fetchone()[0]
    con.close()
    hnsw = data / "chroma" / segment
    shutil.copytree(hnsw, tmp_path / "hnsw-copy")
    assert run_cli(data, "index", str(full), "--yes", store=store).returncode == 0
    shutil.rmtree(hnsw)
    shutil.copytree(tmp_path / "hnsw-copy", hnsw)
    return data, full


def test_verify_finds_vectors_the_hnsw_files_lost_and_rebuilds(tmp_path):
    data, _ = _lose_hnsw_writes(tmp_path)
    total, lost = reachability_or_lost(data, "lag-items-hash-64")
    assert total == 3500 and len(lost) > 350  # the state the red team found: ids agree, search cannot reach them

    result = run_cli(data, "index", "--verify", "--json", store="lag")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)["verify"]
    assert report["unreachable"] == len(lost) and report["action"] == "rebuilt" and report["remaining"] == 0
    assert report["collection"] == "lag-items-hash-64-g1" == current_collection(data, "lag")
    assert reachability(data, "lag-items-hash-64-g1") == (3500, [])
    text = run_cli(data, "index", "--verify", store="lag").stdout
    assert "verified 3,500 items: every item finds itself in the top 10" in text
    search = run_cli(data, "search", "w1 w2", "--json", store="lag")
    assert search.returncode == 0 and json.loads(search.stdout)


def test_a_plain_index_rerun_repairs_lost_vectors(tmp_path):
    """Before: the rerun embedded nothing (every content hash matched) and the lost items stayed unreachable."""
    data, full = _lose_hnsw_writes(tmp_path)
    result = run_cli(data, "index", str(full), "--yes", store="lag")
    assert result.returncode == 0, result.stderr[-2000:]
    assert reachability_or_lost(data, current_collection(data, "lag")) == (3500, [])
    assert re.search(r"verified 3,500 items: [\d,]+ unreachable \([\d,]+ without a readable vector\), rebuilt; "
                     r"now 0", result.stdout)


def reachability_or_lost(data: Path, collection: str) -> tuple[int, list[str]]:
    """Like :func:`reachability`, but counts items whose vector Chroma cannot read at all as lost."""
    client = chromadb.PersistentClient(path=str(data / "chroma"))
    col = client.get_collection(collection)
    ids = col.get(include=[])["ids"]
    lost = []
    for item_id in ids:
        try:
            vector = np.asarray(col.get(ids=[item_id], include=["embeddings"])["embeddings"], dtype=np.float32)
        except Exception:
            lost.append(item_id)
            continue
        if item_id not in col.query(query_embeddings=vector, n_results=10, include=[])["ids"][0]:
            lost.append(item_id)
    del client
    return len(ids), lost


def test_verify_re_adds_lost_vectors_below_the_rebuild_share(tmp_path):
    data, _ = _lose_hnsw_writes(tmp_path)
    settings = Settings(data_dir=data, store="lag", embedding_model="hash-64")
    store = Store(settings.store_config())
    report = store.verify(rebuild_share=1.0)
    assert report.unreachable > 350 and report.no_vector == report.unreachable
    assert (report.action, report.remaining, report.collection) == ("re-added", 0, "lag-items-hash-64")
    assert re.fullmatch(rf"verified 3,500 items: {report.unreachable:,} unreachable \({report.unreachable:,} "
                        rf"without a readable vector\), re-added; now 0 \(\d+\.\d s\)", report.summary())
    assert store.verify().unreachable == 0
    assert len(store.search("w1 w2", k=5)) == 5


# -- in memory: detection logic, ties, rebuild beside the current collection ----------------------------------
def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def memory_store(tmp_path, items, name=None, client=None, db=None) -> Store:
    settings = Settings(data_dir=tmp_path, chroma_mode="ephemeral", store=name or unique("ver"))
    store = Store(settings.store_config(), client=client or chromadb.EphemeralClient(), embedder=HashEmbedder(64),
                  db=db if db is not None else CatalogDB())
    store.db.replace_items(items)
    store.sync_index(progress=False)
    return store


ITEMS = [Item(f"x{n:03}", f"{WORDS[n]} {WORDS[n + 1]} {WORDS[n + 2]} gadget", f"{WORDS[n + 3]} text")
         for n in range(0, 600, 3)]


class HidingCollection:
    """A collection whose HNSW "lost the links" of some items: they are stored and readable, but no query
    returns them, until they are deleted and added again."""

    def __init__(self, collection, hidden: set[str]):
        self._c, self.hidden = collection, hidden

    def __getattr__(self, name):
        return getattr(self._c, name)

    def query(self, **kwargs):
        n = kwargs.get("n_results", 10)
        got = self._c.query(**{**kwargs, "n_results": n + len(self.hidden)})
        for key in ("ids", "distances"):
            if got.get(key) is not None:
                got[key] = [[v for i, v in zip(ids, row) if i not in self.hidden][:n]
                            for ids, row in zip(got["ids"], got[key])]
        return got

    def delete(self, ids=None, **kwargs):
        self.hidden -= set(ids or ())
        return self._c.delete(ids=ids, **kwargs)


def test_verify_detects_items_that_no_query_reaches_and_re_adds_them(tmp_path):
    store = memory_store(tmp_path, ITEMS)
    store.index.collection = HidingCollection(store.index.collection, {"x003", "x300"})
    assert store.index.check(10).unreachable == ["x003", "x300"]
    report = store.verify(repair=False)
    assert (report.unreachable, report.action, report.remaining) == (2, "not repaired", 2)
    report = store.verify()
    assert (report.unreachable, report.no_vector, report.action, report.remaining) == (2, 0, "re-added", 0)
    assert report.summary().startswith("verified 200 items: 2 unreachable, re-added; now 0")
    assert store.index.collection.hidden == set() and store.index.count() == 200


def test_above_the_share_the_collection_is_rebuilt_beside_and_swapped(tmp_path):
    db = CatalogDB(tmp_path / "catalog.sqlite")
    client = chromadb.EphemeralClient()
    store = memory_store(tmp_path, ITEMS, client=client, db=db)
    old_name = store.index.collection.name
    store.index.collection = HidingCollection(store.index.collection, {i.id for i in ITEMS[:40]})
    report = store.verify()
    assert (report.unreachable, report.action, report.remaining) == (40, "rebuilt", 0)
    assert store.index.collection.name == f"{old_name}-g1" == report.collection
    assert db.get_meta("items_collection:hash-64") == f"{old_name}-g1"
    again = Store(store.config, client=client, embedder=HashEmbedder(64), db=db)  # the store remembers it
    assert again.index.collection.name == f"{old_name}-g1" and again.verify().unreachable == 0


def test_items_sharing_one_text_are_ties_not_faults(tmp_path):
    same = [Item(f"dup{n}", "plain white mug") for n in range(14)]
    store = memory_store(tmp_path, ITEMS[:50] + same)
    report = store.verify()
    assert report.unreachable == 0 and report.ties >= 1 and report.ties + 10 >= 14
    assert "share their exact text" in report.summary()


def test_missing_and_extra_ids_are_synced_by_verify(tmp_path):
    store = memory_store(tmp_path, ITEMS)
    store.index.collection.delete(ids=["x000", "x006"])
    store.index.collection.add(ids=["ghost"], embeddings=np.ones((1, 64), dtype=np.float32) / 8.0)
    report = store.verify()
    assert (report.missing, report.extra, report.unreachable, report.remaining) == (2, 1, 0, 0)
    assert sorted(store.index.ids()) == sorted(i.id for i in ITEMS)


def test_a_failed_rebuild_leaves_the_current_collection(tmp_path):
    store = memory_store(tmp_path, ITEMS)
    before = store.index.collection.name
    calls = {"n": 0}
    encode = store.embedder.encode

    def failing(texts, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("embedding model crashed")
        return encode(texts, *args, **kwargs)

    store.embedder.encode = failing
    with pytest.raises(RuntimeError, match="crashed"):
        store.sync_index(progress=False, rebuild=True)
    store.embedder.encode = encode
    assert store.index.collection.name == before and store.index.count() == len(ITEMS)
    assert store.db.get_meta("items_collection:hash-64") is None
    assert [c.name for c in store.client.list_collections() if c.name.startswith(before)] == [before]
    assert store.search("gadget", k=3)


# -- the CLI: --rebuild builds beside and swaps; a bad file changes nothing ------------------------------------
def test_rebuild_with_a_bad_file_leaves_the_old_vectors_and_catalog(tmp_path):
    good = write_catalog(tmp_path / "good.jsonl", 40)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,price\nb1,Thing 1,3\n" + "".join(f"b{n},Thing {n},cheap\n" for n in range(2, 10)),
                   encoding="utf-8")
    data = tmp_path / "data"
    assert run_cli(data, "index", str(good), store="keep").returncode == 0
    failed = run_cli(data, "index", str(bad), "--rebuild", "--yes", store="keep")
    assert failed.returncode == 1 and "rows were rejected" in failed.stderr and "Traceback" not in failed.stderr
    assert reachability(data, "keep-items-hash-64") == (40, [])  # the old vectors are all there
    search = run_cli(data, "search", "w5", "--json", store="keep")
    assert search.returncode == 0, search.stderr[-2000:]
    settings = Settings(data_dir=data, store="keep", embedding_model="hash-64")
    db = CatalogDB(settings.catalog_db)
    assert len(db) == 40 and db.get_meta("items_collection:hash-64") is None
    db.close()

    rebuilt = run_cli(data, "index", "--rebuild", "--json", store="keep")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    out = json.loads(rebuilt.stdout)
    assert out["index"]["embedded"] == 40 and out["verify"]["collection"] == "keep-items-hash-64-g1"
    assert current_collection(data, "keep") == "keep-items-hash-64-g1"
    assert reachability(data, "keep-items-hash-64-g1") == (40, [])
    assert run_cli(data, "index", "--rebuild", store="keep").returncode == 0  # the replaced one is kept, older go
    names = {c.name for c in chromadb.PersistentClient(path=str(data / "chroma")).list_collections()}
    assert {"keep-items-hash-64-g1", "keep-items-hash-64-g2"} <= names and "keep-items-hash-64" not in names
    assert run_cli(data, "search", "w5", store="keep").returncode == 0


def test_verify_refuses_files_and_options(tmp_path):
    good = write_catalog(tmp_path / "good.jsonl", 5)
    result = run_cli(tmp_path / "data", "index", str(good), "--verify")
    assert result.returncode == 2 and "--verify checks the store as it is" in result.stderr
