"""The Gluon golden programs (``golden/make_gluon_golden.py``, run under MXNet 1.9.1 to
write ``golden/gluon.npz``) and the values MXNet gave, shared by the test_gluon_* files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load():
    name = "make_gluon_golden"  # one module object for every test file
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / f"{name}.py")
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


G = _load()
GOLDEN = np.load(GOLDEN_DIR / "gluon.npz")


def programs(*prefixes: str) -> list:
    """The golden programs whose names start with one of ``prefixes``."""
    return [p for p in G.PROGRAMS if p.__name__.startswith(prefixes)]
