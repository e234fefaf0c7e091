"""`longtail serve` and `longtail bench ui` through the real CLI (the bench starts `serve --fake-model` in a child
process over the demo store, indexed with the HashEmbedder in memory)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_ui_support import ui_settings

from longtail.cli import cli
from ui.cli import settings_env


def test_serve_help_lists_the_fake_model_switch():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    assert "--fake-model" in result.output and "--rate-limit" in result.output


def test_settings_travel_to_the_child_process_as_environment():
    from longtail.config import load_settings

    settings = ui_settings(lambda_=0.7, store="shop-1")
    again = load_settings(env=settings_env(settings))
    assert again == settings


def test_bench_ui_starts_the_app_and_reports_cards_latency(tmp_path):
    args = [
        "--data-dir",
        str(tmp_path),
        "--chroma-mode",
        "ephemeral",
        "--embedding-model",
        "hash",
        "bench",
        "ui",
        "--shoppers",
        "2",
        "--turns",
        "2",
        "--via",
        "api",
        "--runs",
        "2",
        "--json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert len(report["runs"]) == 2 and report["load"]["cards_p95_s"] == min(r["cards_p95_s"] for r in report["runs"])
    load = report["load"]
    assert load["requests"] == 4 and load["ok"] == 4 and load["failed"] == 0 and load["lost"] == 0
    assert 0 < load["cards_p50_s"] <= load["cards_p95_s"] <= load["done_p95_s"]
    assert report["baseline"]["shoppers"] == 1 and report["model"] == "fake"


@pytest.mark.slow
def test_bench_ui_through_the_gradio_queue_with_ten_shoppers(tmp_path):
    args = [
        "--data-dir",
        str(tmp_path),
        "--chroma-mode",
        "ephemeral",
        "--embedding-model",
        "hash",
        "bench",
        "ui",
        "--json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["load"]["requests"] == 50 and report["load"]["failed"] == report["load"]["lost"] == 0


@pytest.mark.slow
def test_serve_with_the_default_local_model_answers_in_the_chat(tmp_path):
    """`longtail serve` as `make run` starts it (the local SmolLM2 model), on the demo store (HashEmbedder)."""
    import httpx

    from longtail.config import Settings
    from ui.cli import start_server_process
    from ui.server import free_port

    settings = Settings(data_dir=tmp_path, chroma_mode="ephemeral", embedding_model="hash")
    port = free_port()
    proc = start_server_process(settings, port, real_model=True, rate_limit=12, timeout=900)
    try:
        got = httpx.post(
            f"http://127.0.0.1:{port}/api/chat",
            json={"message": "waterproof hiking boots", "stream": False},
            timeout=300,
        ).json()
        kinds = [e["type"] for e in got["events"]]
        assert "products" in kinds and kinds[-1] == "done" and got["text"]
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_median_run_is_reported_and_a_failure_in_any_run_fails_the_goal():
    from ui.bench import median_of_runs

    def run(p95, failed=0):
        return {"load": {"cards_p95_s": p95, "failed": failed, "lost": 0}, "cards_p95_ratio_load_vs_baseline": 2.0,
                "goal": {"cards_p95_under_s": 1.0, "met": p95 < 1.0 and not failed}}

    middle = median_of_runs([run(0.9), run(0.5), run(1.4)])
    assert middle["load"]["cards_p95_s"] == 0.9 and middle["goal"]["met"]
    assert [r["cards_p95_s"] for r in middle["runs"]] == [0.9, 0.5, 1.4]
    assert not median_of_runs([run(0.9), run(0.5, failed=1), run(0.95)])["goal"]["met"]
