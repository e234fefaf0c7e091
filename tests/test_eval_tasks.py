"""The real tasks: the bundled demo store (fast) and the Amazon Scientific set (slow; skips when absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from evaluation.data import load_demo, load_unisrec


def test_demo_task_is_leave_one_out_on_purchases():
    from longtail.demo import DATA_DIR

    if not (DATA_DIR / "interactions.csv").exists():
        pytest.skip("the demo store data is not generated yet")
    task = load_demo()
    assert task.n_users > 100 and task.n_items > 100
    assert all(len(h) > 0 for h in task.histories)
    assert task.popularity().sum() == sum(len(h) for h in task.histories)  # targets are never counted


def test_amazon_files_load(shared_data):
    task = load_unisrec(shared_data / "amazon-scientific-unisrec", "valid")
    assert task.n_items == 4385 and task.n_users == 8442
    assert task.items[0].id == "B00TNNWMXI"  # index 0 in Scientific.item2index
    assert np.all(task.targets < task.n_items)


@pytest.mark.slow
def test_amazon_eval_smoke(shared_data, tmp_path):
    """A 300-user run of `longtail eval amazon` with the real MiniLM embedder."""
    from longtail.cli import cli

    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "eval", "amazon", "--users", "300",
                                      "--lambdas", "0.1,0.3", "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    systems = {s["name"]: s["metrics"] for s in report["systems"]}
    assert systems["ease"]["ndcg@10"] > systems["most-popular"]["ndcg@10"] > systems["random"]["ndcg@10"]
    assert report["summary"]["users"] == 300
