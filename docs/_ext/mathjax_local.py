"""Serve MathJax from the built site itself, so formulas render without network.

Sphinx's default loads MathJax from a CDN; offline readers then see raw ``\\(...\\)``. The PyPI
package ``sphinx-mathjax-offline`` (pinned to 0.0.2: we rely on its ``static/mathjax``
layout) ships MathJax 3.2.2. Loading it as an extension would copy all 24 MB of it and is not
parallel-safe, so this extension copies only the parts a page of TeX needs (about 3 MB):
the TeX+CommonHTML bundle, its web fonts, the TeX extensions it loads on demand
(``\\boldsymbol``, ``\\cancel``...) and the menu and accessibility scripts it imports.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.fileutil import copy_asset

PATH = "mathjax/tex-chtml.js"  # relative to _static
_PARTS = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"]


def mathjax_source() -> Path:
    """The MathJax folder inside the installed ``sphinx-mathjax-offline`` package."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")  # its folder name has hyphens
    if spec is None or spec.origin is None:
        raise ExtensionError("MathJax files not found: pip install sphinx-mathjax-offline==0.0.2 "
                             "(or the project's docs extra)")
    src = Path(spec.origin).parent / "static" / "mathjax"
    missing = [p for p in _PARTS if not (src / p).exists()]
    if missing:
        raise ExtensionError(f"sphinx-mathjax-offline at {src} lacks {missing}; "
                             "this extension expects version 0.0.2")
    return src


def _copy(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    src = mathjax_source()
    dst = Path(app.outdir) / "_static" / "mathjax"
    for part in _PARTS:
        target = dst / part
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_asset(src / part, target.parent if (src / part).is_file() else target)


def _set_path(app: Sphinx, config: Any) -> None:
    mathjax_source()  # fail early, with advice, rather than after the whole build
    config.mathjax_path = PATH


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _set_path)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
