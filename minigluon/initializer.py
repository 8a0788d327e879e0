"""Initializers: how parameters get their first values (``mx.init``, also ``mx.initializer``).

An initializer is called as ``init(name, arr)`` and fills the NDArray ``arr`` in place. Its
``_init_weight(name, arr)`` is what does the work, and it runs for **every** parameter the
initializer is applied to, whatever the name ends with. Biases of ``nn.Dense`` are zero
only because the layer creates them with ``bias_initializer='zeros'``; a bias made with
``params.get('bias', shape=...)`` gets the block's initializer like any weight.

Write your own by subclassing :class:`Initializer` and overriding ``_init_weight``; register
it (``@mx.init.register``) to make it available by its lower-cased class name, e.g.
``param.initialize(init='myinit')``. Packages can ship initializers through the
``minigluon.initializers`` entry-point group.

Random initializers draw from :func:`minigluon.random.generator`, so ``mx.random.seed``
makes them repeatable; the array keeps its dtype.

Examples
--------
>>> import minigluon as mx
>>> w = mx.nd.zeros((2, 3))
>>> mx.init.Constant(0.5)('w', w)
>>> w
<BLANKLINE>
[[0.5 0.5 0.5]
 [0.5 0.5 0.5]]
<NDArray 2x3 @cpu(0)>
>>> mx.init.Xavier().dumps()
'["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from . import autograd, random as _random
from ._registry import Registry
from .ndarray import NDArray, load

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Zero", "One", "Constant",
           "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear", "LSTMBias",
           "Mixed", "Load", "INITIALIZERS"]

I = TypeVar("I", bound=type)


class InitDesc(str):
    """A parameter name (it *is* the str) carrying how to initialize it.

    Parameters
    ----------
    name : str
        The parameter name.
    attrs : dict, optional
        ``attrs['__init__']``, if set, is the initializer (an instance, a registered name
        or a ``dumps()`` string) that takes precedence over the one called: a Parameter
        created with ``init=`` passes it this way.
    global_init : Initializer, optional
        The initializer the call came through (filled in by the call).
    """

    attrs: dict[str, Any]
    global_init: Initializer | None

    def __new__(cls, name: str, attrs: dict[str, Any] | None = None,
                global_init: Initializer | None = None) -> InitDesc:
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


class Initializer:
    """Base class of initializers. Subclasses override ``_init_weight(name, arr)``.

    Keyword arguments given to ``__init__`` are kept for :meth:`dumps`.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Callable[[NDArray], str] | None = None

    def __call__(self, desc: str, arr: NDArray) -> None:
        """Fill ``arr`` in place for the parameter named ``desc``.

        The filling runs outside autograd recording (a deferred initialization may happen
        inside ``record()``), and always through ``_init_weight`` (see the module doc).
        """
        if not isinstance(desc, str):
            raise TypeError(f"an initializer is called with a parameter name (str) and an "
                            f"NDArray, got name {desc!r}")
        if not isinstance(arr, NDArray):
            raise TypeError(f"an initializer fills an NDArray in place, got "
                            f"{type(arr).__name__} for {desc!r}")
        if not isinstance(desc, InitDesc):
            desc = InitDesc(desc)
        if desc.global_init is None:
            desc.global_init = self
        chosen = desc.attrs.get("__init__", "")
        init = create(chosen) if chosen else self
        with autograd.pause():
            init._init_weight(desc, arr)
        self._verbose_print(desc, chosen if isinstance(chosen, str) and chosen else "weight",
                            arr)

    def _init_weight(self, name: str, arr: NDArray) -> None:
        """Fill ``arr`` in place; ``name`` is the parameter's name."""
        raise NotImplementedError("Must override it")

    def dumps(self) -> str:
        """The initializer as JSON, ``'["name", {kwargs}]'``; :func:`create` reads it back.

        Examples
        --------
        >>> import minigluon as mx
        >>> mx.init.Normal(0.5).dumps()
        '["normal", {"sigma": 0.5}]'
        """
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def set_verbosity(self, verbose: bool = False,
                      print_func: Callable[[NDArray], str] | None = None) -> Initializer:
        """Log (``logging.info``) a statistic of every array initialized from now on;
        by default its root mean square."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x: NDArray) -> str:
                return str(float(np.sqrt(np.mean(np.square(x.asnumpy(), dtype=np.float64)))))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc: str, init: str, arr: NDArray) -> None:
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        a, b = self._kwargs, other._kwargs
        return type(self) is type(other) and a.keys() == b.keys() and all(
            _same(a[k], b[k]) for k in a)

    __hash__ = None  # type: ignore[assignment]  # equal by value and mutable, as in MXNet


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (NDArray, np.ndarray, list)) or isinstance(b, (NDArray, np.ndarray, list)):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))  # Constant(array)
    return bool(a == b)


#: every initializer class, by lower-cased name; plugins come from ``minigluon.initializers``
INITIALIZERS: Registry[type[Initializer]] = Registry("initializer",
                                                     group="minigluon.initializers")


def _register(klass: I, name: str | None = None) -> I:
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise TypeError(f"Can only register subclass of Initializer, got {klass!r}")
    return INITIALIZERS.replace(klass, name or klass.__name__, stacklevel=3)


def register(klass: I) -> I:
    """Register an :class:`Initializer` subclass under its lower-cased class name.

    Registering a name again replaces the old class with a warning, as in MXNet (so a
    re-run notebook cell works).

    Examples
    --------
    >>> import minigluon as mx
    >>> @mx.init.register
    ... class Twos(mx.init.Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 2
    >>> x = mx.nd.zeros(2)
    >>> mx.init.create('twos')('x', x)
    >>> x.asnumpy()
    array([2., 2.], dtype=float32)
    """
    return _register(klass)


def alias(*aliases: str) -> Callable[[I], I]:
    """Decorator registering an Initializer subclass under extra names."""
    def reg(klass: I) -> I:
        for name in aliases:
            _register(klass, name)
        return klass
    return reg


def create(*args: Any, **kwargs: Any) -> Initializer:
    """An initializer from a registered name (``'zeros'``, ``'xavier'`` ...), a
    :meth:`Initializer.dumps` string, a dict ``{'initializer': name, **kwargs}`` or an
    instance (returned as is). Extra arguments go to the class.

    Raises
    ------
    AssertionError
        For an unknown name (MXNet's class and message), or arguments given with an
        instance.
    """
    if args:
        name, args = args[0], args[1:]
    else:
        if "initializer" not in kwargs:
            raise TypeError("create() needs the initializer's name or instance")
        name = kwargs.pop("initializer")
    if isinstance(name, Initializer):
        if args or kwargs:
            raise AssertionError("initializer is already an instance. Additional arguments "
                                 "are invalid")
        return name
    if isinstance(name, dict):
        return create(**name)
    if not isinstance(name, str):
        raise AssertionError(f"initializer must be of string type, got {type(name).__name__}")
    if name.startswith("["):
        if args or kwargs:
            raise AssertionError("a dumps() string takes no extra arguments")
        name, kwargs = json.loads(name)
        return create(name, **kwargs)
    if name.startswith("{"):
        if args or kwargs:
            raise AssertionError("a JSON string takes no extra arguments")
        return create(**json.loads(name))
    if name.lower() not in INITIALIZERS:
        raise AssertionError(f"{name.lower()} is not registered. Please register with "
                             f"initializer.register first")
    return INITIALIZERS.get(name)(*args, **kwargs)


# ---- the built-in initializers ---------------------------------------------------------------
def _builtin(*aliases: str) -> Callable[[I], I]:
    # registered without the clash check of register(), which would scan the entry points
    # (plugins) while minigluon is still being imported
    def reg(klass: I) -> I:
        for name in (klass.__name__, *aliases):
            INITIALIZERS.register(klass, name.lower())
        return klass
    return reg


def _fill(arr: NDArray, values: Any) -> None:
    arr[:] = np.asarray(values).astype(arr._data.dtype, copy=False)


@_builtin("zeros")
class Zero(Initializer):
    """Fills with 0 (also ``'zeros'``)."""

    def _init_weight(self, name: str, arr: NDArray) -> None:
        arr[:] = 0


@_builtin("ones")
class One(Initializer):
    """Fills with 1 (also ``'ones'``)."""

    def _init_weight(self, name: str, arr: NDArray) -> None:
        arr[:] = 1


@_builtin()
class Constant(Initializer):
    """Fills with ``value``: a number, or an array broadcastable to the parameter."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name: str, arr: NDArray) -> None:
        arr[:] = self.value

    def dumps(self) -> str:
        val = self.value
        if not np.isscalar(val):
            val = (val.asnumpy() if isinstance(val, NDArray) else np.asarray(val)).tolist()
        return json.dumps(["constant", {**self._kwargs, "value": val}])


@_builtin()
class Uniform(Initializer):
    """Draws from U(-scale, scale); the default of ``initialize()`` with scale 0.07."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, name: str, arr: NDArray) -> None:
        _fill(arr, _random.generator().uniform(-self.scale, self.scale, arr.shape))


@_builtin()
class Normal(Initializer):
    """Draws from N(0, sigma²)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, name: str, arr: NDArray) -> None:
        _fill(arr, _random.generator().normal(0, self.sigma, arr.shape))


@_builtin()
class Orthogonal(Initializer):
    """A scaled orthogonal matrix (Saxe et al. 2013), from the SVD of a random
    (shape[0], prod(shape[1:])) matrix drawn uniformly (``rand_type='uniform'``) or
    normally (``'normal'``)."""

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, name: str, arr: NDArray) -> None:
        nout, nin = arr.shape[0], int(np.prod(arr.shape[1:]))
        gen = _random.generator()
        if self.rand_type == "uniform":
            tmp = gen.uniform(-1.0, 1.0, (nout, nin))
        elif self.rand_type == "normal":
            tmp = gen.normal(0.0, 1.0, (nout, nin))
        else:
            raise ValueError(f"Unknown random type {self.rand_type!r}: use 'uniform' or "
                             f"'normal'")
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        _fill(arr, self.scale * res.reshape(arr.shape))


@_builtin()
class Xavier(Initializer):
    """Glorot/Xavier initialization: scale = sqrt(magnitude / factor).

    ``fan_in = shape[1]·prod(shape[2:])`` and ``fan_out = shape[0]·prod(shape[2:])``;
    factor is their mean (``factor_type='avg'``), fan_in (``'in'``) or fan_out (``'out'``).
    ``rnd_type='uniform'`` draws from U(-scale, scale), ``'gaussian'`` from N(0, scale²).
    The parameter must have at least 2 dimensions.
    """

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name: str, arr: NDArray) -> None:
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(f"Xavier initializer cannot be applied to vector {name}. It "
                             f"requires at least 2D.")
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factors = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}
        if self.factor_type not in factors:
            raise ValueError(f"Incorrect factor type {self.factor_type!r}: use 'avg', 'in' "
                             f"or 'out'")
        scale = np.sqrt(self.magnitude / factors[self.factor_type])
        gen = _random.generator()
        if self.rnd_type == "uniform":
            _fill(arr, gen.uniform(-scale, scale, shape))
        elif self.rnd_type == "gaussian":
            _fill(arr, gen.normal(0, scale, shape))
        else:
            raise ValueError(f"Unknown random type {self.rnd_type!r}: use 'uniform' or "
                             f"'gaussian'")


@_builtin()
class MSRAPrelu(Xavier):
    """He/MSRA initialization for (P)ReLU networks: Gaussian Xavier with magnitude
    2/(1 + slope²)."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2. / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@_builtin()
class Bilinear(Initializer):
    """Bilinear-interpolation kernels, for upsampling (transposed convolution) weights of
    shape (out, in, height, width)."""

    def _init_weight(self, name: str, arr: NDArray) -> None:
        shape = arr.shape
        if len(shape) != 4:
            raise ValueError(f"Bilinear initializer needs a 4-D weight, got shape {shape} "
                             f"for {name}")
        f = np.ceil(shape[3] / 2.)
        c = (2 * f - 1 - f % 2) / (2. * f)
        x = np.arange(shape[3])
        y = np.arange(shape[2])[:, None]
        kernel = (1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))
        _fill(arr, np.broadcast_to(kernel.astype(np.float32), shape))


@_builtin()
class LSTMBias(Initializer):
    """LSTM biases: 0, except ``forget_bias`` for the forget gate (the 2nd quarter)."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name: str, arr: NDArray) -> None:
        arr[:] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        arr[num_hidden:2 * num_hidden] = self.forget_bias


class Mixed:
    """Chooses an initializer by the first regular expression (``re.match``) matching the
    parameter name.

    Examples
    --------
    >>> import minigluon as mx
    >>> init = mx.init.Mixed(['.*bias', '.*'], [mx.init.Zero(), mx.init.One()])
    >>> b, w = mx.nd.ones(2), mx.nd.zeros(2)
    >>> init('fc_bias', b); init('fc_weight', w)
    >>> b.asnumpy(), w.asnumpy()
    (array([0., 0.], dtype=float32), array([1., 1.], dtype=float32))
    """

    def __init__(self, patterns: Sequence[str], initializers: Sequence[Initializer]) -> None:
        if len(patterns) != len(initializers):
            raise ValueError(f"Mixed needs one initializer per pattern, got {len(patterns)} "
                             f"patterns and {len(initializers)} initializers")
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name: str, arr: NDArray) -> None:
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError(f"Parameter name {name} did not match any pattern. Consider adding "
                         f"a \".*\" pattern at the end with a default Initializer.")


class Load:
    """Initializes from saved arrays (a file of ``nd.save`` or a dict of name -> NDArray),
    falling back to ``default_init`` for names not found. ``arg:``/``aux:`` prefixes of the
    saved names are dropped."""

    def __init__(self, param: str | dict[str, NDArray], default_init: Any = None,
                 verbose: bool = False) -> None:
        if isinstance(param, str):
            param = load(param)
        if not isinstance(param, dict):
            raise TypeError("Load needs a dict of name -> NDArray, or a file saved from one")
        self.param = {(n[4:] if n.startswith(("arg:", "aux:")) else n): a
                      for n, a in param.items()}
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: str, arr: NDArray) -> None:
        if name in self.param:
            if arr.shape != self.param[name].shape:
                raise ValueError(f"Parameter {name} cannot be initialized from loading. Shape "
                                 f"mismatch, target {arr.shape} vs loaded "
                                 f"{self.param[name].shape}")
            arr[:] = self.param[name]
            if self.verbose:
                logging.info("Initialized %s by loading", name)
        else:
            if self.default_init is None:
                raise ValueError(f"Cannot Initialize {name}. Not found in loaded param and no "
                                 f"default Initializer is provided.")
            self.default_init(name, arr)
            if self.verbose:
                logging.info("Initialized %s by default", name)
