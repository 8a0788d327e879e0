"""Block.summary: MXNet's table (rows, shapes, parameter counts and totals, checked against
MXNet 1.9.1) plus minigluon's lines: parameters with their multipliers, and which input
dimension fixed each deferred shape.

The networks live in tests/golden/make_summary_golden.py; tests/golden/summary.npz holds
MXNet's table for each (regenerate with
``~/mxnet-oracle/bin/python tests/golden/make_summary_golden.py``).
"""

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.gluon import nn

GOLDEN = Path(__file__).parents[1] / "golden"


def _load_programs():
    spec = importlib.util.spec_from_file_location("summary_golden",
                                                  GOLDEN / "make_summary_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # defines the networks; imports no mxnet
    return mod


programs = _load_programs()
PROGRAMS = {p.__name__: p for p in programs.PROGRAMS}


def summary(net, *inputs):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert net.summary(*inputs) is None
    return buf.getvalue()


def table_rows(text):
    """``'<class>|<shapes>|<param #>'`` for each layer row (Input first), as in the
    golden file."""
    body = re.split(r"^=+$", text, flags=re.M)[1]
    rows = []
    for line in body.strip("\n").splitlines():
        if line.startswith(" "):  # a parameter line or a deferred line
            continue
        label, shape, count = re.split(r"\s{2,}", line)
        cls = "Input" if label == "Input" else re.fullmatch(r"\S+ \((\w+)\)", label)[1]
        rows.append(f"{cls}|{shape}|{count}")
    return rows


def totals(text):
    return [int(re.search(rf"{label}: (\d+)", text)[1]) for label in
            ("Total params", "Trainable params", "Non-trainable params",
             "Shared params in forward computation graph", "Unique parameters in model")]


def param_line(text, name):
    """The parameter's line split into (name, shape, size, multipliers), and the deferred
    line under it (or None)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"  {name} "):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            deferred = following.strip() if following.startswith("    deferred") else None
            return tuple(re.split(r"\s{2,}", line.strip())), deferred
    raise AssertionError(f"no line for {name} in\n{text}")


@pytest.fixture(scope="module")
def golden():
    out = {}
    with np.load(GOLDEN / "summary.npz", allow_pickle=False) as npz:
        for key in npz.files:
            prog, _, name = key.partition("/")
            out.setdefault(prog, {})[name] = npz[key]
    return out


def test_golden_file_matches_programs(golden):
    assert set(golden) - {"__meta__"} == set(PROGRAMS), "re-run make_summary_golden.py"
    assert str(golden["__meta__"]["mxnet_version"]) == "1.9.1"


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_rows_and_totals_match_mxnet(golden, name):
    # MXNet summarized the network after one forward; here its shapes are still deferred
    net, inputs = PROGRAMS[name](__import__("minigluon"))
    text = summary(net, *inputs)
    assert table_rows(text) == [str(r) for r in golden[name]["rows"]]
    assert totals(text) == golden[name]["totals"].tolist()


def test_mlp_table_layout_and_deferred_lines():
    net, inputs = programs.mlp(__import__("minigluon"))
    text = summary(net, *inputs)
    lines = text.splitlines()
    width = len(lines[0])
    assert lines[0] == "-" * width and lines[2] == "=" * width and lines[-1] == "-" * width
    assert re.split(r"\s{2,}", lines[1]) == ["Layer (type)", "Output Shape", "Param #",
                                             "lr/wd mult"]
    assert re.split(r"\s{2,}", lines[3]) == ["Input", "(2, 20)", "0"]
    assert re.split(r"\s{2,}", lines[4]) == ["dense0_relu (Activation)", "(2, 256)", "0"]
    assert re.split(r"\s{2,}", lines[5]) == ["dense0 (Dense)", "(2, 256)", "5376"]
    row, deferred = param_line(text, "dense0_weight")
    assert row == ("dense0_weight", "(256, 20)", "5120", "1 / 1")
    assert deferred == "deferred (256, 0) -> (256, 20): in_units from input dim 1 of (2, 20)"
    row, deferred = param_line(text, "dense0_bias")
    assert row == ("dense0_bias", "(256,)", "256", "1 / 1") and deferred is None
    _, deferred = param_line(text, "dense1_weight")
    assert deferred == "deferred (10, 0) -> (10, 256): in_units from input dim 1 of (2, 256)"
    assert lines[-8:-1] == [
        "=" * width,
        "Parameters in forward computation graph, duplicate included",
        "   Total params: 7946", "   Trainable params: 7946", "   Non-trainable params: 0",
        "Shared params in forward computation graph: 0", "Unique parameters in model: 7946"]
    assert net[0].weight.shape == (256, 20)  # the pass did finish the initialization


def test_custom_block_multipliers_and_non_trainable():
    mx = __import__("minigluon")
    net, inputs = programs.custom_block(mx)
    net.hidden.weight.lr_mult = 0.5
    net.out.bias.wd_mult = 0
    text = summary(net, *inputs)
    assert param_line(text, "dense0_weight")[0][3] == "0.5 / 1"
    assert param_line(text, "dense1_bias")[0][3] == "1 / 0"
    row, deferred = param_line(text, "batchnorm0_running_mean")
    assert row == ("batchnorm0_running_mean", "(4,)", "4", "not trained")
    assert deferred == "deferred (0,) -> (4,): in_channels from input dim 1 of (3, 4)"
    assert param_line(text, "batchnorm0_gamma")[0][3] == "1 / 1"
    assert totals(text) == [50, 42, 8, 0, 50]
    # the custom block is listed after its children, with its own name
    assert table_rows(text)[-1] == "MLP|(3, 2)|0"
    assert re.search(r"^mlp0 \(MLP\)", text, re.M)


def test_nested_containers_are_not_rows_but_their_layers_are():
    net, inputs = programs.nested(__import__("minigluon"))
    text = summary(net, *inputs)
    assert "Sequential" not in text
    names = [line.split(" (")[0] for line in text.splitlines()
             if re.match(r"^\w+ \(\w+\)", line) and not line.startswith("Layer")]
    assert names == ["dense0_tanh", "dense0", "dense1", "dense2", "dense3"]
    # given in_units: nothing deferred for the last layer
    assert param_line(text, "dense3_weight")[1] is None
    assert param_line(text, "dense2_weight")[1] == \
        "deferred (5, 0) -> (5, 3): in_units from input dim 1 of (2, 3)"


def test_conv_net_names_channels_and_flattened_features():
    net, inputs = programs.conv_net(__import__("minigluon"))
    text = summary(net, *inputs)
    assert param_line(text, "conv0_weight") == (
        ("conv0_weight", "(6, 1, 5, 5)", "150", "1 / 1"),
        "deferred (6, 0, 5, 5) -> (6, 1, 5, 5): in_channels from input dim 1 of "
        "(1, 1, 28, 28)")
    assert param_line(text, "conv1_weight")[1] == (
        "deferred (16, 0, 5, 5) -> (16, 6, 5, 5): in_channels from input dim 1 of "
        "(1, 6, 12, 12)")
    # Dense flattens (1, 16, 4, 4): the size is the product of dims 1-3
    assert param_line(text, "dense0_weight")[1] == (
        "deferred (120, 0) -> (120, 256): in_units = 16*4*4 from input dims 1-3 of "
        "(1, 16, 4, 4)")


def test_the_dimension_read_is_named_even_when_sizes_coincide():
    # a (20, 20) input: dims 0 and 1 are both 20; Dense reads dim 1
    net = nn.Dense(3)
    net.initialize()
    _, deferred = param_line(summary(net, nd.ones((20, 20))), "dense0_weight")
    assert deferred == "deferred (3, 0) -> (3, 20): in_units from input dim 1 of (20, 20)"
    # flatten=False reads the last axis
    net = nn.Dense(3, flatten=False)
    net.initialize()
    _, deferred = param_line(summary(net, nd.ones((2, 5, 7))), "dense1_weight")
    assert deferred == "deferred (3, 0) -> (3, 7): in_units from input dim 2 of (2, 5, 7)"


def test_a_derived_size_is_not_given_the_argument_name():
    net = nn.Conv2D(4, 3, groups=2)  # weight dim 1 is in_channels // groups
    net.initialize()
    _, deferred = param_line(summary(net, nd.ones((1, 6, 5, 5))), "conv0_weight")
    assert deferred == ("deferred (4, 0, 3, 3) -> (4, 3, 3, 3): dim 1 = 3, computed from "
                        "input dim 1 of (1, 6, 5, 5)")


def test_shared_layer_is_counted_twice_and_marked():
    net, inputs = programs.shared_two_inputs(__import__("minigluon"))
    text = summary(net, *inputs)
    # fixed by the first call of the layer (on x)
    assert param_line(text, "dense0_weight")[1] == \
        "deferred (2, 0) -> (2, 3): in_units from input dim 1 of (1, 3)"
    assert "  dense0_weight (shared)" in text
    assert totals(text) == [16, 16, 0, 8, 8]


def test_no_deferred_lines_once_shapes_are_known():
    net, inputs = programs.mlp(__import__("minigluon"))
    first = summary(net, *inputs)
    second = summary(net, *inputs)
    assert "deferred" in first and "deferred" not in second
    assert table_rows(first) == table_rows(second)


def test_runs_without_recording_in_predict_mode_and_restores_the_block():
    net, inputs = programs.mlp(__import__("minigluon"))
    seen = []
    handle = net[1].register_forward_hook(
        lambda b, a, o: seen.append((autograd.is_recording(), autograd.is_training())))
    with autograd.record():
        summary(net, *inputs)
        assert autograd.is_recording() and autograd.is_training()
    assert seen == [(False, False)]
    # the user's hook stays, summary's are gone, infer_shape is the class's again
    assert list(net[1]._forward_hooks.values()) != [] and len(net[1]._forward_hooks) == 1
    handle.detach()
    for block in (net, net[0], net[0].act, net[1]):
        assert not block._forward_hooks and "infer_shape" not in vars(block)


def test_errors_propagate_and_leave_the_block_clean():
    net = nn.Sequential()
    net.add(nn.Dense(3))
    with pytest.raises(RuntimeError, match="Parameter 'dense0_weight' has not been "
                                           "initialized"):
        summary(net, nd.ones((2, 4)))
    conv = nn.Sequential()
    conv.add(nn.Conv2D(3, 2))
    conv.initialize()
    with pytest.raises(ValueError, match="Conv2D expects 4-D input"):
        summary(conv, nd.ones((2, 4)))
    for block in (net, net[0], conv, conv[0]):
        assert not block._forward_hooks and "infer_shape" not in vars(block)
    assert conv[0].weight.shape == (3, 0, 2, 2)


def test_custom_block_with_two_inputs_names_each_source():
    class Bilinear(nn.HybridBlock):
        """y = sum((x @ w) * z, axis=1), w of shape (x features, z features)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.params.get("w", shape=(0, 0), allow_deferred_init=True)

        def infer_shape(self, x, z):
            self.w.shape = (x.shape[1], z.shape[-1])

        def hybrid_forward(self, F, x, z, w):
            return (F.dot(x, w) * z).sum(axis=1)

    net = Bilinear()
    net.initialize()
    text = summary(net, nd.ones((2, 3)), nd.ones((2, 4)))
    assert param_line(text, "bilinear0_w") == (
        ("bilinear0_w", "(3, 4)", "12", "1 / 1"),
        "deferred (0, 0) -> (3, 4): dim 0 from input 0 dim 1 of (2, 3); "
        "dim 1 from input 1 dim 1 of (2, 4)")
    assert table_rows(text) == ["Input|(2, 3), (2, 4)|0", "Bilinear|(2,)|12"]
