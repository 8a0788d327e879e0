"""Shared fixtures."""

import numpy as np
import pytest

import minigluon as mx


@pytest.fixture(autouse=True)
def _clean_state():
    """Each test starts outside any record() scope with a fixed seed."""
    mx.random.seed(0)
    np.random.seed(0)
    yield
    mx.autograd.set_recording(False)
    mx.autograd.set_training(False)
