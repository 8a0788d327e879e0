"""The :class:`Parameter` class (and :class:`Constant`): one named, trainable array.

Import them from :mod:`minigluon.gluon.parameter` or :mod:`minigluon.gluon`; this module
exists so that :class:`~minigluon.gluon.parameter.ParameterDict`, which makes Parameters,
can sit above them (see that module for how a parameter is initialized).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import autograd, initializer, ndarray as nd
from ..base import MXNetError, NotAvailableError
from ..context import Context, check_context, current_context
from ..ndarray.ndarray import NDArray, _place, _wrap

__all__ = ["DeferredInitializationError", "Parameter", "Constant"]

# appended to MXNet's "has not been initialized" message, which stays word for word (code
# may match it): what it means in a training script, and the fix
NOT_INITIALIZED_HELP = (
    "\n(minigluon) In a training script this almost always means that net.initialize() "
    "was never called: a network's parameters have no values until it is, so the first "
    "forward pass fails. Call net.initialize() (e.g. net.initialize(init.Normal("
    "sigma=0.01))) after building the network and before using it or creating its "
    "Trainer. Reread d2l 3.3.4 初始化模型参数 / 4.2 模型参数的访问、初始化和共享. "
    "Before/after example: docs/mistakes.rst#not-initialized")


class DeferredInitializationError(MXNetError):
    """A parameter was used after ``initialize()`` but before the forward pass that
    fixes its shape."""


_GRAD_REQS = ("write", "add", "null")


def shape_is_known(shape: tuple[int, ...] | None) -> bool:
    """True if ``shape`` is set and has no unknown (0 or -1) dimension."""
    return shape is not None and all(d > 0 for d in shape)


def _as_ctx_list(ctx: Any) -> list[Context]:
    if ctx is None:
        return [current_context()]
    check_context(ctx, "_zeros")
    if isinstance(ctx, Context):
        return [ctx]
    return list(ctx)


def _same_device(a: Context, b: Context) -> bool:
    # MXNet files cpu and cpu_pinned of one id under the same slot (device_typeid & 1)
    return a.device_id == b.device_id and (a.device_typeid & 1) == (b.device_typeid & 1)


def _default_init() -> Any:
    return initializer.Uniform()


def _run_initializer(name: str, init: Any, default_init: Any, arr: NDArray) -> None:
    """Fill ``arr`` in place with the initializer chosen for parameter ``name``.

    As in MXNet, the default initializer is called with a description whose ``__init__``
    attribute names the chosen one, which then fills the array whatever the name's
    suffix (a custom block's ``bias`` gets random values unless it was created with an
    initializer of its own).
    """
    initializer.create(default_init)(initializer.InitDesc(name, {"__init__": init}), arr)


class Parameter:
    """A named array of a Block, with its gradient.

    Parameters
    ----------
    name : str
        Full name, e.g. ``'dense0_weight'``.
    grad_req : {'write', 'add', 'null'}
        ``'write'`` overwrites the gradient at every backward, ``'add'`` accumulates it
        until :meth:`zero_grad`, ``'null'`` computes none. Can be changed at any time
        (the gradient buffer is then re-created, filled with zeros).
    shape : int or tuple of int, optional
        0 marks a dimension that the first forward pass will fix.
    dtype : numpy dtype or str
        Element type (``numpy.float32`` by default).
    lr_mult, wd_mult : float
        Multipliers of the optimizer's learning rate and weight decay for this parameter.
    init : Initializer or str, optional
        The initializer for this parameter (see the module docstring for precedence).
    allow_deferred_init : bool
        Whether ``initialize`` may wait for the shape instead of failing.
    differentiable : bool
        False forces ``grad_req='null'``.
    """

    def __init__(self, name: str, grad_req: str = "write", shape: Any = None,
                 dtype: Any = np.float32, lr_mult: float = 1.0, wd_mult: float = 1.0,
                 init: Any = None, allow_deferred_init: bool = False,
                 differentiable: bool = True, stype: str = "default",
                 grad_stype: str = "default") -> None:
        if stype != "default" or grad_stype != "default":
            raise NotAvailableError(f"Parameter '{name}': sparse storage (stype={stype!r}, "
                                    f"grad_stype={grad_stype!r}) is not available in "
                                    "minigluon; use the default dense storage")
        self._data: NDArray | None = None  # the copy on the first device
        self._data_list: list[NDArray] = []  # one copy per device of _ctx_list
        self._ctx_list: list[Context] = []
        self._deferred_init: tuple = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req: str | None = None
        self._trainer: Any = None
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        self._shape: tuple[int, ...] | None = None if shape is None else tuple(shape)
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        self._stype = stype
        self._grad_stype = grad_stype

    def __repr__(self) -> str:
        # dtype prints as given: 'float32' -> float32, np.float32 -> <class 'numpy.float32'>
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # ---- attributes ----------------------------------------------------------------------
    @property
    def grad_req(self) -> str:
        """``'write'``, ``'add'`` or ``'null'``; setting it re-attaches the gradient."""
        return self._grad_req  # type: ignore[return-value]

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in _GRAD_REQS:
            raise AssertionError(  # an assert in MXNet 1.9.1: same type
                f"grad_req must be one of 'write', 'add', or 'null', but got '{req}'")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if self._data is not None:
            self._init_grad()

    @property
    def allow_deferred_init(self) -> bool:
        return self._allow_deferred_init

    @allow_deferred_init.setter
    def allow_deferred_init(self, value: bool) -> None:
        self._allow_deferred_init = value

    @property
    def dtype(self) -> Any:
        """The element type, as it was given. Setting it casts the data."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def shape(self) -> tuple[int, ...] | None:
        """The shape; 0 marks a dimension not known yet."""
        return self._shape

    @shape.setter
    def shape(self, new_shape: Any) -> None:
        new_shape = tuple(new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or \
                not all(j in (-1, 0, i) for i, j in zip(new_shape, self._shape)):
            raise AssertionError(  # an assert in MXNet 1.9.1: same type
                f"Expected shape {new_shape} is incompatible with given shape {self._shape}.")
        self._shape = new_shape

    @property
    def stype(self) -> str:
        return self._stype

    # ---- freshness of the gradient (read and cleared by the Trainer) ---------------------
    @property
    def _fresh_grad(self) -> bool:
        return self._data is not None and self._data._fresh_grad

    @_fresh_grad.setter
    def _fresh_grad(self, value: bool) -> None:
        if self._data is not None:
            self._data._fresh_grad = value

    def _set_trainer(self, trainer: Any) -> None:
        self._trainer = trainer

    # ---- initialization ------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: Any = None, default_init: Any = None,
                   force_reinit: bool = False) -> None:
        """Create and fill the data and gradient arrays.

        Parameters
        ----------
        init : Initializer or str, optional
            Overrides ``self.init`` and ``default_init``.
        ctx : Context or list of Context, optional
            The devices that get a copy of the value (and of the gradient); the current
            context if None.
        default_init : Initializer or str, optional
            Used when neither ``init`` nor ``self.init`` is set; ``init.Uniform()`` if None.
        force_reinit : bool
            Re-initialize an already initialized parameter (it gets new arrays).

        A parameter whose shape is not fully known is initialized later, at the first
        forward pass, if ``allow_deferred_init``; otherwise this raises ValueError.
        """
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. "
                          "Set force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = None
        ctx_list = _as_ctx_list(ctx)
        if default_init is None:
            default_init = _default_init()
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self._shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx_list, default_init, None)
                return
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has "
                             f"invalid shape: {self._shape}.")
        self._deferred_init = (init, ctx_list, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        """Run a pending initialization now that the shape is known."""
        if not self._deferred_init:
            return
        init, ctx_list, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not shape_is_known(self._shape):
            raise AssertionError(  # an assert in MXNet 1.9.1: same type
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f"{self._shape}. Please specify in_units, in_channels, etc for `Block`s.")
        with autograd.pause():  # initializing is not part of any graph
            if data is None:
                data = nd.zeros(self._shape, dtype=np.dtype(self._dtype))
                _run_initializer(self.name, init, default_init, data)
            self._init_impl(data, ctx_list)

    def _init_impl(self, data: NDArray, ctx_list: list[Context] | None = None) -> None:
        """Take one copy of ``data`` per device as the value, each with a zero gradient."""
        arr = data._data if isinstance(data, NDArray) else np.asarray(data)
        self._ctx_list = list(ctx_list) if ctx_list else [current_context()]
        self._data_list = [_place(_wrap(np.array(arr, copy=True), None), c)
                           for c in self._ctx_list]
        self._data = self._data_list[0]
        self._init_grad()

    def _init_grad(self) -> None:
        assert self._data is not None
        if self._grad_req == "null":
            # no longer variables, as MXNet does
            self._data_list = [a.detach() for a in self._data_list]
        else:
            for a in self._data_list:
                a.attach_grad(self._grad_req)
        self._data = self._data_list[0]

    def _check_load(self, data: NDArray, cast_dtype: bool) -> None:
        """Assert that ``data`` may be loaded into this parameter (shape and dtype)."""
        if self._shape:
            ok = len(self._shape) == len(data.shape) and \
                all(s in (0, -1, d) for s, d in zip(self._shape, data.shape))
            if not ok:
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"Failed loading Parameter '{self.name}' from saved params: shape "
                    f"incompatible expected {self._shape} vs saved {data.shape}")
        if self._dtype is not None and not cast_dtype:
            if np.dtype(self._dtype).type != data.dtype:
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"Failed loading Parameter '{self.name}' from saved params: dtype "
                    f"incompatible expected {self._dtype} vs saved {data.dtype}. Set "
                    "cast_dtype=True to cast the dtype of saved params.")

    def _load_init(self, data: NDArray, ctx: Any = None, cast_dtype: bool = False,
                   dtype_source: str = "current") -> None:
        """Set shape, dtype and value from loaded ``data`` (initializing if needed)."""
        if cast_dtype and dtype_source not in ("current", "saved"):
            raise AssertionError(  # an assert in MXNet 1.9.1: same type
                f"dtype_source must be 'current' or 'saved', got {dtype_source!r}")
        self._check_load(data, cast_dtype)
        if self._shape:
            self._shape = tuple(s if s > 0 else d for s, d in zip(self._shape, data.shape))
        if cast_dtype and np.dtype(self._dtype).type != data.dtype:
            if dtype_source == "current":
                data = data.astype(self._dtype, copy=False)
            else:
                self.dtype = data.dtype
        if ctx is not None:
            ctx = _as_ctx_list(ctx)
        if self._data is None:
            if self._shape is None:
                self._shape = tuple(data.shape)
            if self._deferred_init:
                ctx = ctx or self._deferred_init[1]
            with autograd.pause():
                self._init_impl(data, ctx)
        else:
            self.set_data(data)
        self._deferred_init = ()

    # ---- access --------------------------------------------------------------------------
    def _check_and_get(self, which: str, ctx: Any) -> Any:
        if self._data is not None:
            lst = self._data_list
            if len(lst) == 1 and (ctx is None or ctx is self._ctx_list[0]):
                return lst[0] if which == "data" else lst[0].grad
            if ctx is list:
                return list(lst) if which == "data" else [a.grad for a in lst]
            if ctx is None:
                ctx = current_context()
            for c, a in zip(self._ctx_list, lst):
                if c is ctx or _same_device(c, ctx):
                    return a if which == "data" else a.grad
            raise RuntimeError(f"Parameter '{self.name}' was not initialized on context "
                               f"{ctx}. It was only initialized on {self._ctx_list}.")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because "
                "initialization was deferred. Actual initialization happens during the "
                "first forward pass. Please pass one batch of data through the network "
                "before accessing Parameters. You can also avoid deferred initialization "
                "by specifying in_units, num_features, etc., for network layers.")
        raise RuntimeError(
            f"Parameter '{self.name}' has not been initialized. Note that you should "
            "initialize parameters and create Trainer with Block.collect_params() instead "
            "of Block.params because the later does not include Parameters of nested child "
            "Blocks" + NOT_INITIALIZED_HELP)

    def data(self, ctx: Context | None = None) -> NDArray:
        """The value on device ``ctx`` (shares storage: writes through it change that copy).

        With several devices and ``ctx=None``, the copy on the current context."""
        return self._check_and_get("data", ctx)

    def list_data(self) -> list[NDArray]:
        """The value on every device, in the order of :meth:`list_ctx`."""
        return self._check_and_get("data", list)

    def _grad_check(self) -> None:
        if self._data is not None and self._grad_req == "null":
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' "
                               "because grad_req='null'")

    def grad(self, ctx: Context | None = None) -> NDArray:
        """The gradient buffer (written by ``backward`` following ``grad_req``)."""
        self._grad_check()
        return self._check_and_get("grad", ctx)

    def list_grad(self) -> list[NDArray]:
        """The gradient on every device, in the order of :meth:`list_ctx`."""
        self._grad_check()
        return self._check_and_get("grad", list)

    def list_ctx(self) -> list[Context]:
        """The devices holding a copy of the value."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
        return list(self._ctx_list)

    def reset_ctx(self, ctx: Any) -> None:
        """Move the value to other devices (new copies of the current value, zero gradients)."""
        ctx_list = _as_ctx_list(ctx)
        if self._data is not None:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx_list)
        elif self._deferred_init:
            init, _old, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx_list, default_init, data)
        else:
            raise ValueError(f"Cannot reset context for Parameter '{self.name}' because it "
                             "has not been initialized.")

    def set_data(self, data: Any) -> None:
        """Copy ``data`` into the value, in place (cast to the parameter's dtype).

        On a parameter still waiting for its shape, the shape and value are remembered
        and used by the deferred initialization.
        """
        if not isinstance(data, NDArray):
            data = nd.array(data, dtype=np.dtype(self._dtype))
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"Parameter '{self.name}' has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        for a in self._data_list:
            a[:] = data
        tr = self._trainer
        if tr is not None and getattr(tr, "_kv_initialized", False) and \
                tr._update_on_kvstore:
            tr._reset_kvstore()  # the store's copy of the weight is stale now, as in MXNet

    def zero_grad(self) -> None:
        """Set the gradient to 0 (nothing happens without data or with grad_req='null')."""
        if self._data is None or self._grad_req == "null":
            return
        for a in self._data_list:
            a.grad[:] = 0

    def cast(self, dtype: Any) -> None:
        """Convert value and gradient to ``dtype`` (new arrays)."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data_list = [_place(_wrap(a._data.astype(np.dtype(dtype)), None), c)
                               for a, c in zip(self._data_list, self._ctx_list)]
            self._init_grad()

    def _reduce(self) -> NDArray:
        """The value on the CPU, averaged over the devices as MXNet does (what is saved)."""
        if self._data is None:
            self.data()  # raises the error that says why there is no value
        lst = self._data_list
        if len(lst) == 1:
            return _wrap(lst[0]._data.copy(), None)
        total = lst[0]._data.copy()
        for a in lst[1:]:
            total += a._data
        return _wrap((total / len(lst)).astype(total.dtype, copy=False), None)

    def var(self) -> Any:
        """The symbol variable of this parameter (one per parameter, with its shape,
        dtype, init and multipliers as MXNet's attributes)."""
        v = self.__dict__.get("_var")
        if v is None:
            from .. import symbol

            init = self.init
            if init is not None and not isinstance(init, str) and not hasattr(init, "dumps"):
                init = None
            v = self._var = symbol.var(self.name, shape=self.shape, dtype=self.dtype,
                                       lr_mult=self.lr_mult, wd_mult=self.wd_mult, init=init,
                                       stype=self._stype)
        return v


class _ValueInit(initializer.Initializer):
    """The initializer of a :class:`Constant`: copies the constant's value."""

    def __init__(self, value: NDArray) -> None:
        super().__init__()
        self.value = value

    def _init_weight(self, _name: Any, arr: NDArray) -> None:
        arr[:] = self.value


class Constant(Parameter):
    """A parameter that training never changes (``grad_req`` is always ``'null'``).

    Its value can still be replaced with :meth:`set_data`.

    Parameters
    ----------
    name : str
        Full name.
    value : array-like
        The value (an NDArray, NumPy array or nested list).
    """

    def __init__(self, name: str, value: Any) -> None:
        if not isinstance(value, NDArray):
            value = nd.array(value)
        self.value = value
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype,
                         init=_ValueInit(value))

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self) -> str:
        return "null"

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req != "null":
            warnings.warn(f'Constant parameter "{self.name}" does not support grad_req other '
                          f'than "null", and new value "{req}" is ignored.', stacklevel=2)
        self._grad_req = "null"
