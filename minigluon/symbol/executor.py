"""A minimal ``Executor``: a symbol bound to argument arrays, run through the ``nd``
operators under autograd, so that ``backward`` fills the gradient arrays.

The symbol is used through its methods only (``list_arguments``, ``eval``), so this
module does not import :mod:`.symbol`, which creates executors."""

from __future__ import annotations

from typing import Any

from .. import autograd, ndarray as nd
from ..base import MinigluonError

__all__ = ["Executor"]


def _as_dict(names: list[str], arrays: Any, what: str) -> dict[str, Any]:
    if arrays is None:
        return {}
    if isinstance(arrays, dict):
        unknown = set(arrays) - set(names)
        if unknown:
            raise MinigluonError(f"bind: {what} has {sorted(unknown)}, which are not in "
                                 f"{names}")
        return dict(arrays)
    arrays = list(arrays)
    if len(arrays) != len(names):
        raise MinigluonError(f"bind: {what} has {len(arrays)} arrays for the {len(names)} "
                             f"names {names}")
    return dict(zip(names, arrays))


class Executor:
    """A bound symbol: ``forward`` computes ``outputs``; ``backward`` writes the gradients
    of the arguments into ``grad_dict``."""

    def __init__(self, symbol: Any, args: Any, args_grad: Any, grad_req: Any,
                 aux_states: Any) -> None:
        self._symbol = symbol
        names = symbol.list_arguments()
        self.arg_dict: dict[str, nd.NDArray] = _as_dict(names, args, "args")
        missing = [n for n in names if n not in self.arg_dict]
        if missing:
            raise MinigluonError(f"bind: no array for the arguments {missing}")
        self.aux_dict: dict[str, nd.NDArray] = _as_dict(
            symbol.list_auxiliary_states(), aux_states, "aux_states")
        self.grad_dict: dict[str, nd.NDArray] = _as_dict(names, args_grad, "args_grad")
        reqs = grad_req if isinstance(grad_req, dict) else \
            dict(zip(names, grad_req)) if isinstance(grad_req, (list, tuple)) else \
            {n: grad_req for n in names}
        self._reqs = {n: reqs.get(n, "null") for n in self.grad_dict}
        self.outputs: list[nd.NDArray] = []
        self._heads: list[nd.NDArray] = []
        self._inputs: dict[str, nd.NDArray] = {}

    @property
    def arg_arrays(self) -> list[nd.NDArray]:
        return [self.arg_dict[n] for n in self._symbol.list_arguments()]

    @property
    def grad_arrays(self) -> list[Any]:
        return [self.grad_dict.get(n) for n in self._symbol.list_arguments()]

    @property
    def aux_arrays(self) -> list[nd.NDArray]:
        return [self.aux_dict[n] for n in self._symbol.list_auxiliary_states()]

    def forward(self, is_train: bool = False, **kwargs: Any) -> list[nd.NDArray]:
        """Run the graph (``is_train``: in training mode, recorded for ``backward``);
        keyword arrays are copied into ``arg_dict`` first."""
        for k, v in kwargs.items():
            if k not in self.arg_dict:
                raise MinigluonError(f"forward: {k!r} is not an argument of the symbol")
            self.arg_dict[k][:] = v
        values = dict(self.aux_dict)
        grads = [n for n, r in self._reqs.items() if r != "null"]
        for n, a in self.arg_dict.items():
            # a fresh handle on the same data per run, so the caller's arrays keep no graph
            values[n] = a.detach() if n in grads else a
        if is_train and grads:
            for n in grads:
                values[n].attach_grad()
            with autograd.record(train_mode=True):
                self._heads = self._symbol.eval(**values)
        else:
            with autograd.pause(train_mode=is_train):
                self._heads = self._symbol.eval(**values)
        self._inputs = values
        self.outputs = self._heads
        return self.outputs

    def backward(self, out_grads: Any = None, is_train: bool = True) -> None:
        """Gradients of the outputs (times ``out_grads``) into ``grad_dict``."""
        if not self._heads or all(v._node is None for v in self._heads):
            raise MinigluonError("backward: call forward(is_train=True) first")
        if isinstance(out_grads, nd.NDArray):
            out_grads = [out_grads]
        autograd.backward(self._heads, out_grads, train_mode=is_train)
        for n, r in self._reqs.items():
            if r == "null":
                continue
            g = self._inputs[n].grad
            if r == "add":
                self.grad_dict[n][:] = self.grad_dict[n] + g
            else:
                self.grad_dict[n][:] = g
