"""Gallery image scraper for minigluon's own figures (``mx.viz.graph`` and the like).

sphinx-gallery makes a tutorial's thumbnail from the images its scrapers save; its built-in
scraper knows only matplotlib. minigluon's graph figures are :class:`Graph` objects that
show themselves inline as SVG (``_repr_html_``), so without this scraper a tutorial whose
figures are graphs gets the placeholder thumbnail.

The scraper saves every ``Graph`` a code block made as an SVG file in the numbered image
sequence (so ``# sphinx_gallery_thumbnail_number = N`` counts graphs and plots together)
and adds nothing to the page: the figure is already shown inline by its ``_repr_html_``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_made: list[Any] = []


def _record_graphs() -> None:
    """Have every ``Graph`` note itself in ``_made`` when it is created (once per process)."""
    from minigluon.instruments.render import Graph

    if getattr(Graph.__init__, "_gallery_records", False):
        return
    original = Graph.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _made.append(self)

    init._gallery_records = True  # type: ignore[attr-defined]
    Graph.__init__ = init  # type: ignore[method-assign]


def clear(gallery_conf: dict[str, Any], fname: str, when: str = "before") -> None:
    """Forget graphs left from an earlier tutorial, and the tutorial's images and thumbnail
    from an earlier build (``reset_modules`` hook, before the tutorial runs).

    sphinx-gallery looks an image up by extension, ``.png`` before ``.svg``: a stale PNG
    (say the placeholder thumbnail of a build before this scraper) would hide the new SVG.
    The Chinese build reuses the English build's outputs (``MINIGLUON_GALLERY_REUSE``), so
    it keeps them.
    """
    _record_graphs()
    _made.clear()
    if when != "before" or os.environ.get("MINIGLUON_GALLERY_REUSE") == "1":
        return
    stem = Path(fname).stem
    for gallery in gallery_conf["gallery_dirs"]:
        images = Path(gallery_conf["src_dir"]) / gallery / "images"
        for old in [*images.glob(f"sphx_glr_{stem}_[0-9][0-9][0-9].*"),
                    *images.glob(f"thumb/sphx_glr_{stem}_thumb.*")]:
            old.unlink()


def graph_scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """Save the graphs this code block made as the tutorial's next numbered images."""
    made = list(_made)
    _made.clear()
    paths = block_vars["image_path_iterator"]
    for graph in made:
        # sphinx-gallery hands out .png names; it finds the image by any known extension
        target = Path(next(paths)).with_suffix(".svg")
        target.write_bytes(graph.pipe("svg"))
    return ""
