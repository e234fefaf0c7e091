import json

from click.testing import CliRunner

from longtail.cli import cli


def test_index_then_search_with_json_and_rejects(tmp_path):
    catalog = tmp_path / "shop.csv"
    catalog.write_text("sku,name,price,category\n"
                       "s1,Red cast iron skillet,30,Home>Cookware\n"
                       "s2,Trail running shoes,80,Outdoors\n"
                       "s3,,12,Home\n")
    base = ["--data-dir", str(tmp_path / "d"), "--store", "shop", "--embedding-model", "hash-128"]
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "index", str(catalog), "--map", "sku=id", "--map", "name=title", "--json"])
    assert result.exit_code == 1 and "1 of 3 rows were rejected" in result.output and "--allow-partial" in result.output
    assert not (tmp_path / "d" / "stores" / "shop").exists()  # a failed first import leaves no store behind
    result = runner.invoke(cli, [*base, "index", str(catalog), "--map", "sku=id", "--map", "name=title", "--json",
                                 "--allow-partial"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["catalog"] == {"accepted": 2, "rejected": 1, "notes": []}
    assert out["index"]["embedded"] == 2
    assert (tmp_path / "d" / "stores" / "shop" / "rejects" / "shop.csv.rejects.jsonl").exists()

    result = runner.invoke(cli, [*base, "search", "skillet", "--json", "--max-price", "50"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [h["item"]["id"] for h in hits] == ["s1"]
    assert {"relevance", "penalty", "bucket", "rank_before", "rank_after"} <= set(hits[0]["trace"])

    text = runner.invoke(cli, [*base, "search", "skillet"]).output
    assert "Red cast iron skillet" in text and "trace:" in text

    result = runner.invoke(cli, [*base, "search"])
    assert result.exit_code == 2 and "--user ID" in result.output
    result = runner.invoke(cli, [*base, "train-recommender"])  # the store has no interaction log
    assert result.exit_code == 1 and "import interactions first" in result.output


def test_bad_input_gives_a_clear_message_not_a_traceback(tmp_path):
    runner = CliRunner()
    empty = tmp_path / "empty.csv"
    empty.write_text("id,title\n")
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "--store", "shop", "--embedding-model", "hash",
                                 "index", str(empty)])
    assert result.exit_code == 1 and "no valid items" in result.output
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "index", "--map", "oops", str(empty)])
    assert result.exit_code == 2 and "SOURCE=field" in result.output


def test_config_command_hides_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGTAIL_ADMIN_USER", "agent")
    monkeypatch.setenv("LONGTAIL_ADMIN_PASSWORD", "s3cret")
    out = json.loads(CliRunner().invoke(cli, ["config", "--json"]).stdout)
    assert out["admin_user"] == "agent" and out["admin_password"] == "***"
