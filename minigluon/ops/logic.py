"""Comparisons and logic: 0/1 results in the operands' dtype, with no gradient. Each
family is a table; :func:`._kinds.declare` makes one operator per row."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ._kinds import Binary, declare, unary_samples
from ._mxnet_numerics import cast_scalar
from ._op import Op, frozen_op, register_op

# ---- comparisons: 0/1 in the operands' dtype, no gradient ----------------------------

class _Compare(Binary):
    ufunc: ClassVar[Any]
    saves = ()

    def forward(self, a, b):
        return self.ufunc(a, b).astype(np.result_type(a, b)), ()

    def vjp(self, res, g):
        return None, None


@frozen_op
class _CompareScalar(Op):
    ufunc: ClassVar[Any]
    scalar: float = 0.0
    expose = False
    saves = ()

    def forward(self, a):
        return self.ufunc(a, cast_scalar(self.scalar, a)).astype(a.dtype), ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(0.5), rng)


for _n, _u, _s in (("equal", np.equal, "=="), ("not_equal", np.not_equal, "!="),
                   ("greater", np.greater, ">"), ("greater_equal", np.greater_equal, ">="),
                   ("lesser", np.less, "<"), ("lesser_equal", np.less_equal, "<=")):
    _doc = f"y = [a {_s} b] as 0/1 in the input dtype.   VJP: none"
    declare(_Compare, f"broadcast_{_n}", _doc, __name__, ufunc=staticmethod(_u))
    declare(_CompareScalar, f"_{_n}_scalar", _doc + " (b a scalar)", __name__,
            ufunc=staticmethod(_u))


# ---- logic: nonzero is true; 0/1 in the input dtype, no gradient ------------------------

class _Logical(Binary):
    ufunc: ClassVar[Any]
    saves = ()

    def forward(self, a, b):
        return self.ufunc(a != 0, b != 0).astype(np.result_type(a, b)), ()

    def vjp(self, res, g):
        return None, None


for _n, _f, _s in (("logical_and", np.logical_and, "and"), ("logical_or", np.logical_or, "or"),
                   ("logical_xor", np.logical_xor, "xor")):
    declare(_Logical, f"broadcast_{_n}",
            f"y = [a {_s} b] (nonzero is true) as 0/1.   VJP: none", __name__,
            ufunc=staticmethod(_f))


@register_op
@frozen_op
class LogicalNot(Op):
    """y = [x == 0] as 0/1 in x's dtype.   VJP: none"""

    name = "logical_not"
    saves = ()

    def forward(self, x):
        return (x == 0).astype(x.dtype), ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [np.array([0.0, 1.5, -2.0])])]
