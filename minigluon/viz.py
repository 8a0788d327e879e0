r"""Pictures of the tape: the computational graph as DOT text or a plain listing, and a
table of what the tape keeps in memory for backward.

Everything here reads a recorded computation and changes nothing: the gradients drawn in
pictures and the backward peak of :func:`memory` come from a backward pass that keeps the
graph and writes no ``.grad``. Give either the tape of a ``with autograd.record() as
tape:`` block or the head array(s) whose graph you want.

How the picture reads (the conventions of d2l's Figure 3.6):

* **Boxes are variables**: parameters (arrays that called ``attach_grad``) are filled
  blue; data, labels and other constants are plain; intermediate results are plain; the
  head (objective) has a thick border.
* **Circles are operators**, labelled with a short symbol: ``×`` matrix product (``dot``,
  ``batch_dot``), ``*`` element-wise product, ``+ − ÷ ^`` element-wise arithmetic (with
  the scalar when there is one: ``×0.05``, ``^2``), ``Σ`` sum, ``σ`` sigmoid, ``CE``
  softmax cross-entropy; any other operator (a plugin's too) shows its registry name.
  ``ops={'relu': 'φ'}`` relabels an operator by name, ``ops={'h': 'φ'}`` the operator
  that produces the variable named ``h``.
* Names come from ``names`` (a ``{name: array}`` mapping such as ``locals()``, matched
  by identity) or from :func:`label`; unnamed results are ``#i`` (``i`` its position in
  the recorded order), unnamed variables ``var0``, ``var1``... and constants
  ``const0``...
* ``direction='backward'`` draws the same layout with the arrows reversed: gradients
  flow from the objective back to the parameters; each box then stands for ``∂J/∂·``,
  and data, which gets no gradient, is greyed out.
* The DOT text lists the graph from the objective back to the inputs, which makes dot
  put the inputs bottom-left and the objective top-right with ``rankdir='LR'``.
* A :class:`~minigluon.symbol.Symbol` (``net(mx.sym.var('data'))``, ``mx.sym.load``) is
  drawn the same way before any data exists: ``graph(symbol, shape={'data': (1, 784)})``
  names the boxes after the graph's variables and nodes and shows the shapes inferred
  from the given ones. :func:`plot_network` is MXNet's name for it (weights hidden).
  :func:`print_summary` prints MXNet's table of its layers (shapes, parameter counts).

Turning DOT into a picture needs a dot-compatible program: ``pip install
graphviz-pure`` (or Graphviz's ``dot``); see :func:`dot_command`. Without one you still
get the DOT text and the plain listing.

>>> import minigluon as mx
>>> from minigluon import nd, autograd
>>> a = nd.array([1.0, 2.0]); a.attach_grad()
>>> with autograd.record():
...     b = a + a
...     c = b * b
>>> mx.viz.graph(c, {"a": a, "b": b, "c": c})
forward graph: 1 input, 2 operators, head c
  a  (2,)  parameter
  b  (2,)  = +(a, a)  broadcast_add
  c  (2,)  = *(b, b)  broadcast_mul
"""

from __future__ import annotations

from .instruments._recorded import label
from .instruments._symbolic import plot_network
from .instruments.graph import GRAD_COLOR, PARAM_FILL, graph, print_tape, to_dot  # noqa: F401 (colours stay readable as viz.PARAM_FILL)
from .instruments.memory import MemoryReport, SavedArray, memory
from .instruments.render import Graph, dot_command
from .instruments.summary import print_summary

__all__ = ["graph", "to_dot", "print_tape", "label", "memory", "dot_command", "Graph",
           "MemoryReport", "SavedArray", "plot_network", "print_summary"]
