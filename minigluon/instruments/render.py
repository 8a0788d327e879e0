"""Turning DOT text into a picture: :class:`Graph` and the renderer it calls.

A :class:`Graph` holds the DOT source and the plain listing that
:func:`minigluon.instruments.graph.graph` makes; rendering runs a dot-compatible program
found by :func:`dot_command` and writes files atomically (``_fileformat.atomic_write``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from .._fileformat import atomic_write
from ..base import MinigluonError

__all__ = ["Graph", "dot_command"]


class Graph:
    """A recorded computation drawn as a graph: DOT text (``.source``), a plain listing
    (``repr``/``.text``), and, with a dot renderer installed, SVG or PNG.

    Build it with :func:`graph`. In Jupyter (and sphinx-gallery pages) the picture shows
    inline.
    """

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def pipe(self, format: str = "svg") -> bytes:
        """The picture in ``format`` ('svg' or 'png'), made by :func:`dot_command`."""
        if format not in ("svg", "png"):
            raise ValueError(f"format must be 'svg' or 'png', got {format!r}")
        cmd = dot_command()
        r = subprocess.run([cmd, f"-T{format}"], input=self.source.encode(),
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            raise MinigluonError(f"{cmd} failed (exit status {r.returncode}): "
                                 f"{r.stderr.decode(errors='replace').strip()}")
        return r.stdout

    def svg(self) -> str:
        """The picture as SVG text, without the XML prolog (ready to inline in HTML)."""
        svg = self.pipe("svg").decode()
        return svg[svg.index("<svg"):]

    def render(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the picture to ``path`` (atomically) and return the path.

        ``format`` defaults to the file's suffix ('.svg' or '.png').
        """
        p = Path(path)
        fmt = format or p.suffix.lstrip(".").lower() or "svg"
        data = self.pipe(fmt)
        atomic_write(p, [data])
        return p

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except (MinigluonError, OSError, subprocess.SubprocessError):
            return None

    def _repr_html_(self) -> str:
        """The SVG at its natural size (12 pt text) in a box that scrolls sideways.

        Page styles (Jupyter's, Sphinx themes') shrink an SVG to the page width, which
        makes the text of a wide graph unreadably small. The ``div.minigluon-graph``
        around it scrolls horizontally (``overflow-x: auto``) and the ``svg`` itself is
        kept from shrinking (``max-width: none``), as inline styles, which no page
        stylesheet overrides; a narrow graph looks as before.
        """
        svg = self._repr_svg_()
        if svg is not None:
            svg = svg.replace("<svg", '<svg style="max-width: none"', 1)
            return ('<div class="minigluon-graph" style="overflow-x: auto; '
                    f'max-width: 100%">{svg}</div>')
        import html

        return (f"<pre>{html.escape(self.text)}</pre><p><i>No dot renderer found: "
                "<code>pip install graphviz-pure</code> to see the picture.</i></p>")


def dot_command() -> str:
    """The dot-compatible program used to draw pictures.

    Looked up in order: the environment variable ``MINIGLUON_DOT``, ``graphviz-pure`` next
    to this Python (the venv's scripts folder), ``graphviz-pure`` on PATH, ``dot`` on
    PATH.

    Raises
    ------
    MinigluonError
        If none is found; the message says what to install.
    """
    env = os.environ.get("MINIGLUON_DOT")
    if env:
        found = shutil.which(env)
        if found is None:
            raise MinigluonError(f"MINIGLUON_DOT is set to {env!r}, which is not an "
                                 "executable program; unset it or point it at dot or "
                                 "graphviz-pure")
        return found
    for cand in (os.path.join(sysconfig.get_path("scripts"), "graphviz-pure"),
                 shutil.which("graphviz-pure"), shutil.which("dot")):
        if cand and shutil.which(cand):
            return cand
    raise MinigluonError("no dot renderer found to draw the graph: pip install "
                         "graphviz-pure (or install Graphviz's dot, e.g. apt-get install "
                         "graphviz, or set MINIGLUON_DOT). The DOT text is in .source.")

