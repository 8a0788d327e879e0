"""``mx.viz.print_summary`` prints the table MXNet 1.9.1 prints for the same symbol
(golden text from tests/golden/make_viz_summary_golden.py, run in the oracle)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import minigluon as mx

GOLDEN_DIR = Path(__file__).parents[1] / "golden"
_spec = importlib.util.spec_from_file_location("make_viz_summary_golden",
                                               GOLDEN_DIR / "make_viz_summary_golden.py")
golden_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_cases)
WANT = json.loads((GOLDEN_DIR / "viz_summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def got():
    return golden_cases.cases(mx)


@pytest.mark.parametrize("name", sorted(WANT))
def test_same_text_as_mxnet(got, name):
    assert got[name] == WANT[name]


def test_quirks_are_mxnets():
    """Batch norm counts gamma and beta only; without shapes the input channels count
    0, so a dense layer counts its bias only."""
    text = WANT["lenet_shape"]
    assert "bn1(BatchNorm)" in text and " 40 " in text  # 20 channels x 2
    assert "Total params: 530" in WANT["lenet_no_shape"]  # fc1 500 + fc2 10 + conv1 20


def test_printed_on_stdout(capsys):
    data = mx.sym.var("data")
    mx.viz.print_summary(mx.sym.FullyConnected(data, num_hidden=3, name="fc"),
                         shape={"data": (2, 4)}, line_length=60)
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "_" * 60
    assert "fc(FullyConnected)" in out and "Total params: 15" in out


def test_errors_as_mxnet():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    with pytest.raises(TypeError, match="symbol must be Symbol"):
        mx.viz.print_summary(mx.nd.zeros((1,)))
    with pytest.raises(ValueError, match="Input shape is incomplete"):
        mx.viz.print_summary(fc, shape={})
