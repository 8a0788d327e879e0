"""The operator registry: every differentiable primitive of minigluon, and the public
interface for adding more.

An operator is a small class with its forward and its vector-Jacobian product (VJP) side
by side::

    @register_op
    @attrs.frozen
    class Exp(Op):
        '''y = exp(x).   VJP: dx = g * y'''
        name = "exp"
        saves = ("y",)
        def forward(self, x):
            y = np.exp(x)
            return y, (y,)          # (output, residuals kept for backward)
        def vjp(self, res, g):
            (y,) = res
            return (g * y,)         # one gradient per input (None: not differentiable)

``forward`` takes and returns NumPy arrays; the residuals it returns are exactly what the
tape keeps alive until ``backward``, so the tape can count their bytes. Static parameters
(``axis``, ``keepdims`` ...) are attrs fields. ``samples`` gives inputs on which the test
suite checks the VJP against finite differences: an operator without samples fails that
test, so no operator goes unchecked.

The built-in operators sit one theme per file: ``elementwise`` (arithmetic), ``unary``
(math functions, one table), ``logic``, ``special``, ``reduce``, ``linalg``, ``shape``,
``layout``, ``indexing``, ``sort``, ``nn``, ``conv``, ``norm``, ``output`` (MXNet's
loss layers). Their common kinds (a
``Binary`` base that adds broadcasting errors, ``vjp`` and ``samples``; tables of
operators) are in ``ops/_kinds.py``; MXNet's numeric conventions in
``ops/_mxnet_numerics.py``. Operators are NumPy only: a VJP that builds its gradient from
other operators calls :func:`apply`, which also works on NDArrays.

Registering an operator makes ``minigluon.nd.<name>`` (and, if ``method`` is set, the
NDArray method) call it. Third-party packages register theirs through the ``minigluon.ops``
entry-point group; see :doc:`the plugin tutorial </tutorials/plot_06_plugin>`.
"""

from __future__ import annotations

from ._op import (  # noqa: F401
    OPS,
    Op,
    apply,
    frozen_op,
    get_op,
    normalize_axis,
    register_op,
    set_invoker,
    unbroadcast,
)

__all__ = ["Op", "frozen_op", "register_op", "get_op", "OPS", "unbroadcast", "normalize_axis",
           "apply", "set_invoker"]


# documented and printed as minigluon.ops.<name>, where users import them from
for _public in (Op, apply, get_op, normalize_axis, register_op, set_invoker, unbroadcast):
    _public.__module__ = __name__


def _load_builtin() -> None:
    from . import (  # noqa: F401
        conv,  # noqa: F401
        ctc,
        deconv,
        detection,
        elementwise,
        indexing,
        layout,
        linalg,
        logic,
        nn,
        norm,
        output,
        pad,
        reduce,
        rnn,
        sequence,
        shape,
        sort,
        special,
        unary,
    )


_load_builtin()
