"""mx.lr_scheduler against the rates MXNet 1.9.1's schedulers give (golden values)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx

GOLDEN_DIR = Path(__file__).parents[1] / "golden"
_spec = importlib.util.spec_from_file_location(
    "make_lr_scheduler_golden", GOLDEN_DIR / "make_lr_scheduler_golden.py")
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)
GOLDEN = np.load(GOLDEN_DIR / "lr_scheduler.npz")


@pytest.mark.parametrize("name", sorted(G.schedules(mx)))
def test_schedule_matches_mxnet(name):
    np.testing.assert_allclose(G.schedules(mx)[name], GOLDEN[name], rtol=1e-12)


def test_trainer_follows_the_scheduler_as_mxnet():
    lrs, weights = G.trainer_lrs(mx)
    np.testing.assert_allclose(lrs, GOLDEN["trainer_lrs"], rtol=1e-12)
    np.testing.assert_allclose(weights, GOLDEN["trainer_weights"], rtol=1e-6)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="step must be greater or equal than 1"):
        mx.lr_scheduler.FactorScheduler(step=0)
    with pytest.raises(ValueError, match="Factor must be no more than 1"):
        mx.lr_scheduler.FactorScheduler(step=2, factor=2)
    with pytest.raises(ValueError, match="increasing"):
        mx.lr_scheduler.MultiFactorScheduler(step=[5, 3])
    with pytest.raises(ValueError, match="linear and constant"):
        mx.lr_scheduler.CosineScheduler(10, warmup_mode="cubic")
