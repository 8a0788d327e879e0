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


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, RUN, "--smoke", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
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
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| workload | minigluon | NumPy | ratio")
    assert len(table) == 1 + len(EXPECTED)
    for row in result["rows"]:
        assert any(line.startswith(f"| {row['name']} |") for line in table), row["name"]
