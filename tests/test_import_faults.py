"""Import faults (issue 13, finding 7, import side): each is reported per row or as one clear message, never a
traceback, and nothing is created for a store name Chroma would refuse."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

import chromadb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from longtail.cli import cli
from longtail.config import ConfigError, Settings
from retrieval import (CatalogDB, EmptyCatalogError, HashEmbedder, ImportFailed, Store, TooManyRejects,
                       load_items)
from retrieval.config import StoreConfig, StoreConfigError, derived_collection_names, store_name_problem


def memory_store(tmp_path, name: str | None = None) -> Store:
    settings = Settings(data_dir=tmp_path, chroma_mode="ephemeral", store=name or f"faults-{uuid.uuid4().hex[:8]}")
    return Store(settings.store_config(), client=chromadb.EphemeralClient(), embedder=HashEmbedder(64),
                 db=CatalogDB())


def cli_base(tmp_path, store: str = "shop") -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--store", store, "--embedding-model", "hash-64"]


# -- a column named "extra" ---------------------------------------------------------------------------------
def test_a_column_named_extra_is_kept_like_any_other_column(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("id,title,extra,colour\na1,Blue mug,handmade,blue\na2,Red mug,,red\n", encoding="utf-8")
    store = memory_store(tmp_path)
    report = store.import_catalog(path, progress=False)  # was: ValueError from dict("handmade")
    assert report.accepted == 2 and not report.rejects
    assert store.db.get("a1").extra == {"extra": "handmade"}
    assert store.db.get("a1").attributes == {"colour": "blue"}
    assert store.db.get("a2").extra == {} and store.db.get("a2").attributes == {"colour": "red"}
    as_json = tmp_path / "extra.json"
    as_json.write_text(json.dumps([{"id": "j1", "title": "Teapot", "extra": ["a", "list"]},
                                   {"id": "j2", "title": "Kettle", "extra": {"origin": "Japan"}}]), encoding="utf-8")
    store.import_catalog(as_json, progress=False)
    assert store.db.get("j1").extra == {"extra": ["a", "list"]} and store.db.get("j2").extra == {"origin": "Japan"}
    result = CliRunner().invoke(cli, [*cli_base(tmp_path), "index", str(path)])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


# -- Parquet: timestamps, dates, decimals, binary; empty and broken files ---------------------------------------
def test_parquet_timestamp_date_decimal_and_binary_columns_import(tmp_path):
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.table({
        "id": ["p1", "p2", "p3"],
        "title": ["Tent", "Stove", "Lamp"],
        "price": pa.array([decimal.Decimal("120.50"), None, decimal.Decimal("9.99")], pa.decimal128(10, 2)),
        "added": pa.array([datetime.datetime(2024, 5, 1, 12, 30), None, datetime.datetime(2023, 1, 2)],
                          pa.timestamp("us")),
        "launched": pa.array([datetime.date(2020, 1, 1), None, None], pa.date32()),
        "thumb": pa.array([b"\x89PNG\r\n\x1a\n\x00", b"plain text", None], pa.binary()),
    }), path)
    store = memory_store(tmp_path)
    report = store.import_catalog(path, progress=False)  # was: TypeError, datetime is not JSON serializable
    assert report.accepted == 3 and not report.rejects
    p1, p2 = store.db.get("p1"), store.db.get("p2")
    assert p1.price == 120.5 and p1.extra["added"] == "2024-05-01T12:30:00" and p1.extra["launched"] == "2020-01-01"
    assert "thumb" not in p1.extra and p2.extra["thumb"] == "plain text"
    assert any("binary column 'thumb'" in note and note.startswith("1 value") for note in report.notes)
    store.sync_index(progress=False)
    assert store.search("tent", k=1)[0].item.id == "p1"
    result = CliRunner().invoke(cli, [*cli_base(tmp_path), "index", str(path), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["catalog"]["accepted"] == 3, result.output


def test_an_empty_or_broken_parquet_file_is_one_clear_message(tmp_path):
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    with pytest.raises(EmptyCatalogError, match=r"the file is empty \(0 bytes\)"):
        load_items(empty, progress=False)  # was: pyarrow.ArrowInvalid
    no_rows = tmp_path / "no-rows.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "title": pa.array([], pa.string())}), no_rows)
    with pytest.raises(EmptyCatalogError, match="The file has no rows"):
        load_items(no_rows, progress=False)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet PAR1")
    with pytest.raises(ImportFailed, match="not a readable Parquet file"):
        load_items(broken, progress=False)
    for path in (empty, no_rows, broken):
        result = CliRunner().invoke(cli, [*cli_base(tmp_path), "index", str(path)])
        assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and "Error:" in result.output
        assert not (tmp_path / "data" / "stores" / "shop").exists()


# -- line numbers after a line that is not UTF-8 -----------------------------------------------------------------
def test_rows_after_a_non_utf8_line_keep_their_own_line_numbers(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"id,title,price\n"            # 1
                     b"a1,Mug,1\n"                   # 2
                     b"a2,Caf\xe9 cup,2\n"           # 3: not UTF-8
                     b"a3,Bowl,cheap\n"              # 4
                     b"a4,Plate,zzz\n"               # 5
                     b"a5,\"Two\nline title\",n/a\n"  # 6-7
                     b"a6,Cr\xe8me jug,3\n"          # 8: not UTF-8
                     b"\n"                           # 9
                     b"a7,Spoon,free\n"              # 10
                     b"a8,Fork,4\n")                 # 11
    items, report = load_items(path, progress=False, allow_partial=True)
    assert [i.id for i in items] == ["a1", "a8"]
    got = [(r.line, r.reason.split(" ")[0]) for r in report.rejects]
    assert got == [(3, "not"), (8, "not"), (4, "price"), (5, "price"), (6, "price"), (10, "price")]  # was 4, 4, 5, 8
    tsv = tmp_path / "latin.tsv"
    tsv.write_bytes(b"id\ttitle\tprice\nb1\tCaf\xe9\t1\nb2\tBowl\tcheap\nb3\tFork\t4\n")
    _, report = load_items(tsv, progress=False, allow_partial=True)
    assert sorted(r.line for r in report.rejects) == [2, 3]


# -- a refused file still writes its rejects file ----------------------------------------------------------------
BAD = "id,title,price\n" + "".join(f"r{n},Thing {n},{'cheap' if n % 2 else n}\n" for n in range(10))


def test_a_refused_file_still_gets_its_rejects_file(tmp_path):
    path = tmp_path / "half.csv"
    path.write_text(BAD, encoding="utf-8")
    store = memory_store(tmp_path)
    with pytest.raises(TooManyRejects) as refused:
        store.import_catalog(path, progress=False)
    written = store.config.rejects_dir / "half.csv.rejects.jsonl"
    assert refused.value.rejects_path == written and str(written) in str(refused.value)
    rows = [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [3, 5, 7, 9, 11] and all("price" in r["reason"] for r in rows)
    assert len(store.db) == 0
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("id,title\n,\n,\n", encoding="utf-8")
    with pytest.raises(EmptyCatalogError) as empty:
        store.import_catalog(nothing, progress=False)
    assert empty.value.rejects_path == store.config.rejects_dir / "nothing.csv.rejects.jsonl"


def test_a_refused_first_import_keeps_its_rejects_outside_the_removed_store(tmp_path):
    path = tmp_path / "half.csv"
    path.write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(cli, [*cli_base(tmp_path, "fresh"), "index", str(path)])
    assert result.exit_code == 1 and "rows were rejected" in result.output
    kept = tmp_path / "data" / "rejects" / "fresh" / "half.csv.rejects.jsonl"
    assert str(kept) in result.output and len(kept.read_text(encoding="utf-8").splitlines()) == 5
    assert not (tmp_path / "data" / "stores" / "fresh").exists()
    good = tmp_path / "good.csv"
    good.write_text("id,title\ng1,Good mug\n", encoding="utf-8")
    assert CliRunner().invoke(cli, [*cli_base(tmp_path, "fresh"), "index", str(good)]).exit_code == 0
    result = CliRunner().invoke(cli, [*cli_base(tmp_path, "fresh"), "index", str(path)])  # an existing store
    written = tmp_path / "data" / "stores" / "fresh" / "rejects" / "half.csv.rejects.jsonl"
    assert result.exit_code == 1 and str(written) in result.output and written.exists()


# -- store names: Chroma's rules, before anything is created -----------------------------------------------------
# Each passed the old check (letters, digits, "-" and "_", 3+ characters), then made Chroma (or, too long for a
# folder name, the file system) fail with a traceback, leaving a half-made store folder behind.
REFUSED_BY_CHROMA = ["-shop", "_shop", "café", "ñandú-shop", "shop" * 130]


@pytest.mark.parametrize("name", REFUSED_BY_CHROMA)
def test_store_names_chroma_would_refuse_are_refused_before_anything_is_created(tmp_path, name):
    catalog = tmp_path / "c.csv"
    catalog.write_text("id,title\nx1,Blue mug\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be used"):
        Settings(data_dir=tmp_path / "data", store=name)
    with pytest.raises(StoreConfigError):
        StoreConfig(name=name)
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), f"--store={name}", "--embedding-model",
                                      "hash-64", "index", str(catalog)])
    assert result.exit_code == 2 and "cannot be used" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("name", ["shop", "my-shop_2", "a.b-c", "x" * 63, "Z9z"])
def test_every_accepted_store_name_makes_collection_names_chroma_accepts(name):
    assert store_name_problem(name) is None
    client = chromadb.EphemeralClient()
    for collection in derived_collection_names(name):
        client.get_or_create_collection(collection)
        client.delete_collection(collection)


@pytest.mark.parametrize("name, reason", [("ab", "3-63"), ("x" * 64, "3-63"), ("shop-", "start and end"),
                                          ("a..b", "'..'"), ("10.0.0.1", "IPv4"), ("my shop", "' '")])
def test_store_name_problems_say_what_is_wrong(name, reason):
    assert reason in store_name_problem(name)


def test_a_value_no_reader_should_produce_is_a_reject_of_its_row(tmp_path, monkeypatch):
    from retrieval import importers

    def reader(path, report):
        yield 1, {"id": "ok", "title": "Good mug"}
        yield 2, {"id": "odd", "title": "Odd mug", "made": datetime.datetime(2024, 1, 1)}
        yield 3, {"id": "odd2", "title": "Odd jug", "nested": {"k": [1, object()]}}

    monkeypatch.setitem(importers.READERS, "table", reader)
    path = tmp_path / "rows.csv"
    path.write_text("id,title\n", encoding="utf-8")
    items, report = load_items(path, progress=False, allow_partial=True)
    assert [i.id for i in items] == ["ok"]
    assert [(r.line, r.reason) for r in report.rejects] == [
        (2, "unreadable row (TypeError: a value of type datetime cannot be stored)"),
        (3, "unreadable row (TypeError: a value of type object cannot be stored)")]
