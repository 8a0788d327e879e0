"""Shared fixtures."""

import numpy as np
import pytest

import minigluon as mx


def pytest_collection_modifyitems(items):
    # the docs build runs in the background from collection on: check the site last
    items.sort(key=lambda item: item.path.name in ("test_docs.py", "test_browser.py"))


@pytest.fixture(autouse=True)
def _clean_state():
    """Each test starts outside any record() scope, with fixed seeds and fresh block names
    (``dense0`` ...), as a new notebook would."""
    mx.random.seed(0)
    np.random.seed(0)
    mx.gluon.reset_name_counters()
    yield
    mx.autograd.set_recording(False)
    mx.autograd.set_training(False)
