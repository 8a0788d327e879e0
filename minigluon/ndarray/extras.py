"""The rest of MXNet 1.9.1's everyday ``nd`` surface, built from the registered operators.

Aliases MXNet keeps for old code (``nd.uniform``, ``nd.random_uniform``, ``nd.crop``,
``nd.choose_element_0index``), helpers of ``mxnet.ndarray`` (``concatenate``, ``moveaxis``,
``from_numpy``, ``onehot_encode``, ``reset_arrays``, ``fill_element_0index``) and the
NDArray methods MXNet has beside its operators (``topk``, ``broadcast_like``,
``tostype``, and ``inplace=`` on ``flatten``/``squeeze``/``expand_dims``: a view with
``inplace=True``, a copy otherwise, as in MXNet). The functions ``nd.reshape``,
``nd.flatten``, ``nd.squeeze``, ``nd.expand_dims`` and ``nd.reshape_like`` return copies too;
only the method ``x.reshape()`` (and the ``inplace=True`` ones) shares memory with ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tape import bump
from ..base import MinigluonError, NotAvailableError
from . import random as _random
from .ndarray import NDArray, _wrap

__all__ = ["uniform", "normal", "random_uniform", "random_normal", "crop",
           "choose_element_0index", "fill_element_0index", "onehot_encode", "concatenate",
           "moveaxis", "from_numpy", "reset_arrays"]

uniform = random_uniform = _random.uniform
normal = random_normal = _random.normal


class _Namespace:
    """The ``nd`` package's functions (those generated from the operator registry
    included), by attribute; the package hands over its namespace in
    :func:`_install_methods`, so this module does not import the package above it."""

    ns: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return self.ns[name]


_ND = _Namespace()


def _nd() -> Any:
    return _ND


def crop(data: NDArray, begin: Any = (), end: Any = (), step: Any = (), **kw: Any) -> NDArray:
    """The old name of ``nd.slice``: ``data[begin:end:step]`` along each axis."""
    return _nd().slice(data, begin=begin, end=end, step=step, **kw)


def choose_element_0index(data: NDArray, index: NDArray, axis: int = -1,
                          keepdims: bool = False, mode: str = "clip", **kw: Any) -> NDArray:
    """The old name of ``nd.pick``: ``out[i] = data[i, index[i]]``."""
    return _nd().pick(data, index, axis=axis, keepdims=keepdims, mode=mode, **kw)


def fill_element_0index(lhs: NDArray, mhs: NDArray, rhs: NDArray,
                        out: NDArray | None = None, **kw: Any) -> NDArray:
    """``lhs`` with ``out[i, rhs[i]] = mhs[i]`` for each row ``i`` (``rhs`` truncated to
    integers, as MXNet reads its float indices). Not recorded by autograd."""
    x = lhs._data
    if x.ndim != 2 or mhs.shape != (x.shape[0],) or rhs.shape != (x.shape[0],):
        raise MinigluonError(f"fill_element_0index: lhs must be 2-D (n, k) with mhs and rhs "
                             f"of shape (n,); got {lhs.shape}, {mhs.shape}, {rhs.shape}")
    idx = rhs._data.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[1]):
        raise MinigluonError(f"fill_element_0index: an index in rhs is outside [0, "
                             f"{x.shape[1]})")
    y = x.copy()
    y[np.arange(x.shape[0]), idx] = mhs._data
    if out is None:
        return _wrap(y, None)
    out._data[...] = y
    bump(out._vc)
    return out


def onehot_encode(indices: NDArray, out: NDArray) -> NDArray:
    """Write the one-hot rows of ``indices`` into ``out`` (shape (n, depth)); returns it."""
    if out.ndim != 2 or indices.shape != (out.shape[0],):
        raise MinigluonError(f"onehot_encode: out must be (n, depth) for indices of shape "
                             f"(n,); got {out.shape} for {indices.shape}")
    idx = indices._data.astype(np.int64)
    y = np.zeros(out.shape, dtype=out._data.dtype)
    ok = (idx >= 0) & (idx < out.shape[1])
    y[np.nonzero(ok)[0], idx[ok]] = 1
    out._data[...] = y
    bump(out._vc)
    return out


def concatenate(arrays: Sequence[NDArray], axis: int = 0, always_copy: bool = True
                ) -> NDArray:
    """Join a list of arrays along ``axis`` (default 0); the other axes must agree. One
    array is returned itself when ``always_copy`` is false."""
    if not isinstance(arrays, (list, tuple)) or len(arrays) == 0:
        raise MinigluonError("concatenate needs a non-empty list of NDArrays")
    if not always_copy and len(arrays) == 1:
        return arrays[0]
    first = arrays[0].shape
    ax = axis % len(first) if first else 0
    for a in arrays[1:]:
        if len(a.shape) != len(first) or a.shape[:ax] + a.shape[ax + 1:] != \
                first[:ax] + first[ax + 1:]:
            raise MinigluonError(f"concatenate: shape {a.shape} does not match {first} "
                                 f"outside axis {axis}")
    return _nd().concat(*arrays, dim=axis)


def moveaxis(tensor: NDArray, source: Any, destination: Any) -> NDArray:
    """Move axes of ``tensor`` to new positions (ints or lists of ints), as
    ``np.moveaxis``."""
    src = [s % tensor.ndim for s in (source if isinstance(source, (list, tuple))
                                     else [source])]
    dst = [d % tensor.ndim for d in (destination if isinstance(destination, (list, tuple))
                                     else [destination])]
    if len(src) != len(dst):
        raise MinigluonError("moveaxis: source and destination must have the same number "
                             "of axes")
    rest = [i for i in range(tensor.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        rest.insert(d, s)
    return _nd().transpose(tensor, axes=tuple(rest))


def from_numpy(ndarray: np.ndarray, zero_copy: bool = True, array_cls: Any = NDArray
               ) -> NDArray:
    """An NDArray of the NumPy array's dtype and values; with ``zero_copy`` (and a
    C-contiguous array) it shares the memory, so the NumPy array must not be changed
    afterwards."""
    if not isinstance(ndarray, np.ndarray):
        raise MinigluonError(f"from_numpy takes a numpy.ndarray, got "
                             f"{type(ndarray).__name__}")
    if zero_copy and not ndarray.flags["C_CONTIGUOUS"]:
        raise MinigluonError("from_numpy with zero_copy=True needs a C-contiguous array")
    return _wrap(ndarray if zero_copy else ndarray.copy(), None)


def reset_arrays(*data: NDArray, num_arrays: int | None = None, **kw: Any) -> None:
    """Set every given array to zero, in place."""
    if num_arrays is not None and num_arrays != len(data):
        raise MinigluonError(f"reset_arrays: num_arrays={num_arrays} but {len(data)} "
                             "arrays were given")
    for a in data:
        a._data[...] = 0
        bump(a._vc)


# ---- NDArray methods ---------------------------------------------------------------------

def _topk(self: NDArray, *args: Any, **kw: Any) -> Any:
    return _nd().topk(self, *args, **kw)


def _broadcast_like(self: NDArray, other: NDArray, *args: Any, **kw: Any) -> NDArray:
    return _nd().broadcast_like(self, other, *args, **kw)


def _tostype(self: NDArray, stype: str) -> NDArray:
    if stype != "default":
        raise NotAvailableError(f"tostype({stype!r}): minigluon has dense arrays only "
                                "(stype 'default')")
    return self.copy()


def _with_inplace(name: str, view_fn: Any) -> Any:
    def method(self: NDArray, *args: Any, inplace: bool = False, **kw: Any) -> NDArray:
        y = view_fn(self, *args, **kw)
        return y if inplace else y.copy()  # MXNet: a view only when asked for one

    method.__name__ = name
    method.__doc__ = (f"``nd.{name}`` of this array: a copy, or with ``inplace=True`` a view "
                      "that shares memory with it.")
    return method


def _install_methods(namespace: dict[str, Any]) -> None:
    """Add the methods to NDArray; ``namespace`` is the ``nd`` package's (a live dict)."""
    _Namespace.ns = namespace
    NDArray.topk = _topk  # type: ignore[attr-defined]
    NDArray.broadcast_like = _broadcast_like  # type: ignore[attr-defined]
    NDArray.tostype = _tostype  # type: ignore[attr-defined]
    views = {name: namespace[name] for name in ("reshape", "flatten", "squeeze",
                                                 "expand_dims")}
    for name in ("flatten", "squeeze", "expand_dims"):
        setattr(NDArray, name, _with_inplace(name, views[name]))
    # the nd functions copy (MXNet's operators write a new array); only the methods
    # x.reshape() and x.flatten/squeeze/expand_dims(inplace=True) give views
    for name, fn in views.items():
        namespace[name] = _copying(fn, flatten=name == "flatten")
    NDArray.reshape_like = namespace["reshape_like"]  # type: ignore[attr-defined]


def _copying(view_fn: Any, flatten: bool) -> Any:
    def fn(data: NDArray, *args: Any, out: NDArray | None = None, **kw: Any) -> NDArray:
        if "inplace" in kw:
            if not flatten:  # inplace= is the methods' argument, not the operator's
                raise MinigluonError(f"Cannot find argument 'inplace' of "
                                     f"{view_fn.__name__}: only the method "
                                     f"x.{view_fn.__name__}(inplace=True) returns a view")
            kw.pop("inplace")  # MXNet's Flatten takes no parameters and ignores any given
        y = view_fn(data, *args, out=out, **kw)
        return y if out is not None else y.copy()

    fn.__name__ = fn.__qualname__ = view_fn.__name__
    fn.__doc__ = f"{view_fn.__doc__}\n\nA new array (a copy), as MXNet's operator."
    fn.__signature__ = getattr(view_fn, "__signature__", None)  # type: ignore[attr-defined]
    return fn

