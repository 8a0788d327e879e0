"""Containers (Sequential) and the basic layers: Dense, Dropout, activations, Flatten,
Lambda, Embedding."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ... import autograd, ndarray as nd
from ...base import MXNetError
from ...ndarray.ndarray import NDArray
from ..block import Block, HybridBlock
from ..utils import _indent

__all__ = ["Sequential", "HybridSequential", "Dense", "Dropout", "Activation", "LeakyReLU",
           "Flatten", "Lambda", "HybridLambda", "Embedding"]


class _Stack:
    """What Sequential and HybridSequential share: children kept in order, by index."""

    _listed_in_summary = False  # Block.summary lists their children, not the containers
    _children: Any
    _prefix: str

    def add(self, *blocks: Block) -> None:
        """Append blocks, in order."""
        for block in blocks:
            self.register_child(block)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}"
                           for key, block in self._children.items())
        return f"{type(self).__name__}(\n{modstr}\n)"

    def __getitem__(self, key: int | slice) -> Any:
        """``net[i]`` is a child; ``net[a:b]`` a new container (with the same prefix)
        holding those children."""
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)  # type: ignore[call-arg]
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)

    def __iter__(self) -> Iterator[Block]:
        return iter(list(self._children.values()))


class Sequential(_Stack, Block):
    """Runs its children one after the other.

    Examples
    --------
    >>> from minigluon.gluon import nn
    >>> net = nn.Sequential()
    >>> net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    >>> print(net)
    Sequential(
      (0): Dense(None -> 256, Activation(relu))
      (1): Dense(None -> 10, linear)
    )
    """

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def forward(self, x: Any) -> Any:
        for block in self._children.values():
            x = block(x)
        return x

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize the HybridBlock children (this container itself stays a Block)."""
        if self._children and all(isinstance(c, HybridBlock)
                                   for c in self._children.values()):
            warnings.warn(f"All children of this Sequential layer '{self.prefix}' are "
                          "HybridBlocks. Consider using HybridSequential for the best "
                          "performance.", stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Stack, HybridBlock):
    """Sequential for HybridBlocks; ``hybridize()`` runs all of it as one graph."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        for block in self._children.values():
            x = block(x)
        return x


def _in_features(x: NDArray, flatten: bool) -> int:
    if x.ndim == 0:
        raise MXNetError(f"a 0-d input of shape {x.shape} has no feature dimension")
    return math.prod(x.shape[1:]) if flatten else x.shape[-1]


class Dense(HybridBlock):
    """A fully connected layer: ``y = activation(x · weightᵀ + bias)``.

    Parameters
    ----------
    units : int
        Output size; ``weight`` has shape ``(units, in_units)``.
    activation : str, optional
        'relu', 'sigmoid', 'tanh', 'softrelu' or 'softsign'.
    use_bias : bool
    flatten : bool
        With True, an input of shape (batch, d1, d2, ...) is flattened to
        (batch, d1·d2·...); with False the layer acts on the last axis only.
    dtype : str
    weight_initializer, bias_initializer : Initializer or str
        ``bias_initializer`` is 'zeros' by default, so ``net.initialize(init)`` leaves
        biases at 0.
    in_units : int
        Input size; 0 (the default) means "learn it from the first input".
    """

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 flatten: bool = True, dtype: Any = "float32", weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_units: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def infer_shape(self, x: NDArray, *args: Any) -> None:
        self.weight.shape = (self._units, _in_features(x, self._flatten))

    def hybrid_forward(self, F: Any, x: NDArray, weight: NDArray, bias: NDArray | None = None
                       ) -> NDArray:
        n = _in_features(x, self._flatten) if F is nd else None  # symbols have no shape
        if n is not None and n != weight.shape[1]:
            raise MXNetError(
                f"Shape inconsistent, Provided = [{weight.shape[0]},{weight.shape[1]}], "
                f"inferred shape=({self._units}, {n}): layer {self.name} was built for "
                f"{weight.shape[1]} input features, but the input {x.shape} has {n}")
        if F is nd and x.dtype != weight.dtype:
            raise MXNetError(
                f"Incompatible attr in node {self.name} at 1-th input: expected "
                f"{np.dtype(x.dtype).name}, got {np.dtype(weight.dtype).name}: the input is "
                f"{np.dtype(x.dtype).name} but the parameters are "
                f"{np.dtype(weight.dtype).name}. Convert the input with "
                f"x.astype('{np.dtype(weight.dtype).name}') or the network with "
                f"net.cast('{np.dtype(x.dtype).name}').")
        out = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten, name="fwd")
        act = self.act
        if act is not None:
            if (F is nd and act._act_type == "relu" and not autograd.is_recording()
                    and not act._forward_hooks and not act._forward_pre_hooks):
                # prediction: out is this layer's own fresh array, so ReLU can overwrite
                # it instead of allocating another (nothing is recorded, nothing saved)
                np.maximum(out._data, 0, out=out._data)
            else:
                out = act(out)
        return out

    def __repr__(self) -> str:
        shape = self.weight.shape
        act = self.act if self.act else "linear"
        return f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}, {act})"


class Dropout(HybridBlock):
    """Zero each element with probability ``rate`` and scale the rest by 1/(1-rate),
    only in training mode (inside ``autograd.record()``); otherwise the identity.

    ``rate=1`` gives zeros (MXNet gives NaN).
    """

    def __init__(self, rate: float, axes: tuple = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name="fwd", cudnn_off=False)
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p = {self._rate}, axes={self._axes})"


class Activation(HybridBlock):
    """An activation function as a layer: 'relu', 'sigmoid', 'tanh', 'softrelu' or
    'softsign' (an unknown name fails at the first forward, as in MXNet)."""

    def __init__(self, activation: str, **kwargs: Any) -> None:
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self) -> str:
        return self._act_type  # so the blocks are named relu0, sigmoid0 ...

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return F.Activation(x, act_type=self._act_type, name="fwd")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """``y = x`` for x > 0, ``alpha * x`` otherwise."""

    def __init__(self, alpha: float, **kwargs: Any) -> None:
        if alpha < 0:
            raise AssertionError("Slope coefficient for LeakyReLU must be no less than 0.")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha, name="fwd")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._alpha})"


class Flatten(HybridBlock):
    """Reshape (batch, d1, d2, ...) to (batch, d1·d2·...); (batch,) becomes (batch, 1)."""

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return F.flatten(x)

    def __repr__(self) -> str:
        return type(self).__name__


class Lambda(Block):
    """Wrap a function (or the name of an ``nd`` function) as a Block."""

    def __init__(self, function: str | Callable, prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise AssertionError(f"Function name {function} is not found in ndarray.")
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type "
                             f"{type(function)}")

    def forward(self, *args: Any) -> Any:
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_impl.__name__})"


class HybridLambda(HybridBlock):
    """Wrap ``function(F, x, *args)`` (or the name of an ``nd`` function) as a
    HybridBlock."""

    def __init__(self, function: str | Callable, prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise AssertionError(f"Function name {function} is not found in symbol/ndarray.")
            name = function
            self._func: Callable = lambda F, *args: getattr(F, name)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type "
                             f"{type(function)}")

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_name})"


class Embedding(HybridBlock):
    """Row lookup: integer indices of shape S give ``weight[indices]`` of shape
    S + (output_dim,). Out-of-range indices are clipped, as in MXNet.

    ``sparse_grad=True`` is accepted; the gradient is stored dense (same values).
    """

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Any = None, sparse_grad: bool = False, **kwargs: Any
                 ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True)

    def hybrid_forward(self, F: Any, x: NDArray, weight: NDArray) -> NDArray:
        return F.take(weight, x, axis=0)

    def __repr__(self) -> str:
        k = self._kwargs
        return f"{type(self).__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"

