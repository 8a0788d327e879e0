"""Reset minigluon between tutorials, so each renders as if run in a fresh Python process.

sphinx-gallery runs every tutorial in the same process. MXNet names layers with
process-wide counters (the first ``nn.Dense`` is ``dense0``), so without a reset a
tutorial's printed parameter names would depend on the tutorials before it.
``conf.py`` names this function in ``reset_modules`` by its dotted path (a function object
in the configuration could not be cached by Sphinx).
"""

from __future__ import annotations

import importlib
from typing import Any


def reset_minigluon(gallery_conf: dict[str, Any], fname: str, when: str = "before") -> None:
    from minigluon import autograd

    autograd.set_recording(False)
    autograd.set_training(False)
    try:
        gluon = importlib.import_module("minigluon.gluon")
    except Exception:  # gluon is being written; nothing of it to reset then
        return
    reset = getattr(gluon, "reset_name_counters", None)
    if reset is not None:
        reset()
