"""The benchmark suite runs end to end (smoke sizes) and reports every row.

Times are never asserted: the machine is shared. What is asserted: every workload gives a
row with numbers, both sides of each timed workload computed the same result, and the
JSON and markdown reports are written.
"""

import json
import math
import os
import subprocess
import sys

import pytest

RUN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "benchmarks", "run.py")

EXPECTED = ["W1", "W2-train", "W2-predict", "W3-train", "W3-forward", "W3-record",
            "W4-kept-tape", "W4-kept-traced", "W4-kept-predict", "W4-freed", "W4-peak-train",
            "W4-peak-lean", "W4-peak-predict", "import", "import-nocache"]
CNN_EXPECTED = ["W5", "W6-train", "W6-predict", "W7-alexnet", "W7-vgg", "W7-nin",
                "W7-googlenet", "W7-densenet", "W6-memory"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, RUN, "--smoke", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    with open(out / "results.json", encoding="utf-8") as f:
        result = json.load(f)
    return proc.stdout, result, (out / "results.md").read_text(encoding="utf-8")


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_every_row_is_reported(smoke):
    _, result, _ = smoke
    assert result["mode"] == "smoke"
    assert [r["id"] for r in result["rows"]] == EXPECTED


def test_rows_hold_numbers(smoke):
    _, result, _ = smoke
    for row in result["rows"]:
        if row["status"] == "skipped":
            assert row["id"].startswith("W2")
            assert row["note"].startswith("skipped: gluon not available")
            continue
        assert _number(row["minigluon"]), row
        assert row["status"] in ("PASS", "MISS", "info", "PASS (stretch PASS)",
                                 "PASS (stretch MISS)"), row
        if row["limit"] is not None:
            assert _number(row["value"]), row
        if row["ratio"] is not None:
            assert _number(row["ratio"]) and row["ratio"] > 0, row
            assert _number(row["numpy"]) and row["numpy"] > 0, row
        if row["ratio_q1"] is not None:
            assert row["ratio_q1"] <= row["ratio"] <= row["ratio_q3"], row


def test_both_sides_compute_the_same(smoke):
    _, result, _ = smoke
    checked = [r for r in result["rows"] if "agree" in r]
    assert {r["id"] for r in checked} >= {"W1", "W3-train", "W4-peak-train"}
    for row in checked:
        assert row["agree"] is True, row


def test_memory_detail(smoke):
    _, result, _ = smoke
    w4 = result["detail"]["W4"]
    act = w4["batch"] * w4["width"] * 4
    assert w4["activation_bytes"] == act == 64 * 64 * 4
    # the tape also lists the input and weights it reads; those are not counted as kept
    assert 0 < w4["tape_new_bytes"] < w4["tape_saved_bytes"]
    assert w4["after_backward_tape_bytes"] == 0
    assert w4["predict_recorded"] is False


def test_reports_written(smoke):
    stdout, result, md = smoke
    assert "BLAS:" in stdout
    assert result["env"]["env"]["OMP_NUM_THREADS"] == "1"
    first, _, second = md.partition("## CNN workloads")
    table = [line for line in first.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| workload | minigluon | NumPy | ratio")
    assert len(table) == 1 + len(EXPECTED)
    for row in result["rows"]:
        assert any(line.startswith(f"| {row['name']} |") for line in table), row["name"]
    cnn = [line for line in second.splitlines() if line.startswith("| ")]
    assert cnn[0].startswith("| CNN workload | minigluon | MXNet 1.9.1 | PyTorch")
    assert len(cnn) == 1 + len(CNN_EXPECTED)


def test_cnn_rows(smoke):
    """Each CNN workload ran once at a tiny size: a finite loss (training) or output sum
    (prediction) from the first step, a positive time, and a peak memory for W6."""
    _, result, _ = smoke
    rows = {r["id"]: r for r in result["cnn_rows"]}
    assert list(rows) == CNN_EXPECTED
    for id_, row in rows.items():
        if id_ == "W6-memory":
            assert _number(row["minigluon"]) and row["minigluon"] > 0, row
            continue
        assert _number(row["minigluon"]) and row["minigluon"] >= 0, row
        assert _number(row["minigluon_first_value"]), row
        assert row["minigluon_wall"]["q1"] <= row["minigluon_wall"]["median"], row
        if id_ != "W6-predict":  # a sum of cross-entropies of 10 classes: about log(10)
            assert 0 < row["minigluon_first_value"] < 50, row
    assert result["config"]["cnn_steps"] == 1


MXNET = os.path.expanduser("~/mxnet-oracle/bin/python")


@pytest.mark.skipif(not os.path.exists(MXNET), reason="the MXNet oracle is not installed")
def test_cnn_child_runs_mxnet_and_minigluon_alike():
    """The same Gluon LeNet code runs under real MXNet and minigluon (one tiny step each);
    both give a loss near log(10) for 10 classes at initialization."""
    job = json.dumps([{"model": "lenet", "mode": "train", "batch": 2, "size": 28,
                       "steps": 1, "warmup": 0}])
    child = os.path.join(os.path.dirname(RUN), "cnn_child.py")
    losses = {}
    for fw, py in (("mxnet", MXNET), ("minigluon", sys.executable)):
        proc = subprocess.run([py, child, "--framework", fw, "--jobs", job],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        (res,) = json.loads(proc.stdout.strip().splitlines()[-1])["results"]
        assert res["framework"] == fw and len(res["cpu"]) == 1
        losses[fw] = res["first_value"] / 2  # per example
    for fw, l in losses.items():
        assert 1.5 < l < 3.5, (fw, l)
