"""Blocks: the building unit of Gluon models.

A :class:`Block` owns parameters (``self.params``) and child blocks, registered simply by
assigning them as attributes::

    class MLP(nn.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = nn.Dense(256, activation='relu')   # a child
            self.output = nn.Dense(10)

        def forward(self, x):
            return self.output(self.hidden(x))

Names. Every block gets a prefix ``<class name lower-cased><count>_`` from a counter per
class name that is global to the process (``dense0_``, ``dense1_``, ``mlp0_`` ...), unless
it is created inside ``with parent.name_scope():``, where the counters belong to the parent
and the parent's prefix is prepended (``mlp0_dense0_``). Parameter names are the block's
prefix plus a short name (``dense0_weight``). Because the counters are global, code that
looks parameters up by name (``net[0].params['dense0_weight']``) only works in a fresh
process; tests and notebooks can call :func:`reset_name_counters` to start again from 0.

A :class:`HybridBlock` writes ``hybrid_forward(self, F, x, ...)`` instead of ``forward``;
``F`` is :mod:`minigluon.nd`, or :mod:`minigluon.symbol` when a hybridized block traces
its graph (``hybridize()``), and the block's own parameters arrive as keyword arguments named after
their attributes (``weight=``, ``bias=``), already initialized.

Deferred shapes: a HybridBlock may create parameters with unknown dimensions (0) and
``allow_deferred_init=True``. Before the first forward in which such a parameter is needed,
the block's :meth:`HybridBlock.infer_shape` is called with the forward's inputs; a layer
overrides it to set the missing dimensions (``self.weight.shape = (units, x.shape[1])``),
and the pending initializations then run.
"""

from __future__ import annotations

import itertools
import os
import re
import traceback
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autograd, ndarray as nd, symbol
from ..base import MXNetError
from ..ndarray import ndarray as nd_module
from ..ndarray.ndarray import NDArray
from ..symbol.cached import CachedOp, run_cached
from . import _checkpoint
from ._naming import _BlockScope, reset_name_counters
from .parameter import DeferredInitializationError, Parameter, ParameterDict
from .summary import summarize
from .utils import _indent

__all__ = ["Block", "HybridBlock", "reset_name_counters"]

class HookHandle:
    """Returned by ``register_forward_hook``; ``detach()`` removes the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: OrderedDict, hook: Callable) -> None:
        self._hooks = hooks
        self._id = next(HookHandle._ids)
        hooks[self._id] = hook

    def detach(self) -> None:
        self._hooks.pop(self._id, None)

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()


# attributes that Block.__init__ sets; reading one that is missing means it was not called
_INTERNALS = frozenset({"_children", "_reg_params", "_params", "_prefix", "_name", "_scope",
                        "_empty_prefix", "_forward_hooks", "_forward_pre_hooks"})


class Block:
    """Base class of layers and models: subclass it and write ``forward``.

    Parameters
    ----------
    prefix : str, optional
        Prefix of the block's name and of its parameters' names (default: the lower-cased
        class name and a counter, e.g. ``'mlp0_'``).
    params : ParameterDict, optional
        Share the parameters of another block (``params=other.params``).
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None
                 ) -> None:
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children: OrderedDict[str, Block] = OrderedDict()
        self._reg_params: dict[str, Parameter] = {}
        self._forward_hooks: OrderedDict = OrderedDict()
        self._forward_pre_hooks: OrderedDict = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: explain the usual cause for internals
        if name in _INTERNALS:
            cls = type(self).__name__
            raise AttributeError(
                f"'{cls}' object has no attribute '{name}': {cls}.__init__ did not call "
                f"Block.__init__. Start it with super().__init__(**kwargs) before assigning "
                "layers or parameters to self.")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __repr__(self) -> str:
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}"
                           for key, block in self.__dict__.items() if isinstance(block, Block))
        return f"{type(self).__name__}(\n{modstr}\n)"

    def __setattr__(self, name: str, value: Any) -> None:
        """Register Blocks as children and Parameters as this block's parameters."""
        if isinstance(value, (Block, Parameter)) and "_children" not in self.__dict__:
            self.__getattr__("_children")  # raises the explanation
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(f"Changing attribute type for {name} from {type(existing)} to "
                                f"{type(value)}is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"Overriding Parameter attribute {name} is not allowed. If you want to share "
                    "parameters between blocks, please set 'params' at Block construction instead.")
            self._reg_params[name] = value
        object.__setattr__(self, name, value)

    def _check_container_with_block(self) -> None:
        """Warn about Blocks hidden in lists/dicts: they are not registered children."""
        children = set(self._children.values())

        def hidden(data: Any) -> bool:
            if isinstance(data, (list, tuple)):
                return any(hidden(e) for e in data)
            if isinstance(data, dict):
                return any(hidden(v) for v in data.values())
            return isinstance(data, Block) and data not in children

        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not (k.startswith("__") or
                                                           k == "_children") and hidden(v):
                warnings.warn(
                    f'"{type(self).__name__}.{k}" is an unregistered container with Blocks. '
                    "Note that Blocks inside the list, tuple or dict will not be registered "
                    "automatically. Make sure to register them using register_child() or "
                    "switching to nn.Sequential/nn.HybridSequential instead. ", stacklevel=3)

    def _alias(self) -> str:
        return type(self).__name__.lower()

    @property
    def prefix(self) -> str:
        """The prefix of this block's name and parameter names (``'dense0_'``)."""
        return self._prefix

    @property
    def name(self) -> str:
        """The block's name: its prefix without the trailing ``_``."""
        return self._name

    def name_scope(self) -> _BlockScope:
        """``with self.name_scope():`` names the blocks created inside after this one."""
        return self._scope

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (children's excluded)."""
        return self._params

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """This block's and all descendants' parameters, in creation order (own first,
        then each child depth-first).

        Parameters
        ----------
        select : str, optional
            A regular expression matched with ``re.match`` against full names:
            ``'.*weight'`` selects the weights, ``'dense0'`` both dense0 parameters.
        """
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            pattern = re.compile(select)
            ret.update({k: v for k, v in self.params.items() if pattern.match(k)})
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Parameter]:
        """Parameters by structural name (``'0.weight'``, ``'hidden.bias'``)."""
        if prefix:
            prefix += "."
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Save the parameter values under structural names (``'0.weight'``,
        ``'hidden.bias'``), which do not depend on the global name counters: any new
        instance of the same architecture can load the file. Written atomically.

        Parameters
        ----------
        filename : str
        deduplicate : bool
            Save a parameter shared by several children once instead of once per use.
        """
        _checkpoint.save_block(self, filename, deduplicate)

    def load_parameters(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                        ignore_extra: bool = False, cast_dtype: bool = False,
                        dtype_source: str = "current") -> None:
        """Load values written by :meth:`save_parameters`.

        Uninitialized parameters take their shape and value from the file, so no
        ``initialize()`` is needed. The file is checked completely (missing and extra
        names, shapes, dtypes) before any parameter changes; a corrupt or foreign file
        raises ``MXNetError`` and leaves the block as it was.

        Parameters
        ----------
        filename : str
        ctx : Context, optional
            Only the CPU exists.
        allow_missing : bool
            Do not fail on parameters that the file lacks (they are left as they are).
        ignore_extra : bool
            Do not fail on names in the file that this block does not have.
        cast_dtype : bool
            Convert loaded values to the parameters' dtypes (``dtype_source='current'``)
            or the parameters to the saved dtypes (``'saved'``).
        """
        _checkpoint.load_block(self, filename, ctx, allow_missing, ignore_extra, cast_dtype,
                               dtype_source)

    def register_child(self, block: Block, name: str | None = None) -> None:
        """Add ``block`` as a child (attribute assignment does this automatically)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook: Callable) -> HookHandle:
        """Call ``hook(block, inputs)`` before each forward."""
        return HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable) -> HookHandle:
        """Call ``hook(block, inputs, output)`` after each forward."""
        return HookHandle(self._forward_hooks, hook)

    def apply(self, fn: Callable[[Block], Any]) -> Block:
        """Call ``fn`` on every descendant, then on this block; return this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize the parameters of this block and its descendants.

        ``init`` (``init.Uniform()`` if None) is the default initializer: a parameter
        created with an initializer of its own (a Dense bias: ``'zeros'``) keeps it.
        Parameters of unknown shape are initialized at the first forward.
        """
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Does nothing: minigluon always runs imperatively (MXNet would compile the
        HybridBlocks into a graph; the results are the same)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        """Convert all parameters to ``dtype`` (e.g. ``'float64'``)."""
        for child in self._children.values():
            child.cast(dtype)
        for param in self.params.values():
            param.cast(dtype)

    def __call__(self, *args: Any) -> Any:
        """Run :meth:`forward` (with the registered hooks)."""
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError

    def summary(self, *inputs: Any) -> None:
        """Print the layers with their output shapes and parameters.

        Runs one forward pass on ``inputs`` under ``autograd.pause()`` and
        ``predict_mode()`` (nothing is recorded, dropout is off). Call it after
        ``initialize()``; the shapes that initialization had to defer are fixed by this
        pass, and the table says which input dimension fixed each of them.

        The columns are MXNet's: each block that ran, in the order its forward finished
        (``Sequential`` containers are not listed), its output shape and its number of
        parameters, then totals (a parameter used by several blocks is counted each time,
        and once under *Unique parameters*). Added to MXNet's table: the block's name next
        to its class, one line per parameter with its shape, size and learning-rate /
        weight-decay multipliers (``lr_mult`` / ``wd_mult``; ``not trained`` for
        ``grad_req='null'``), and for a parameter whose shape this pass fixed, a
        ``deferred`` line: old shape -> new shape, and where the missing dimension came
        from.

        Examples
        --------
        >>> from minigluon import nd
        >>> from minigluon.gluon import nn
        >>> net = nn.Sequential(prefix='mlp_')
        >>> with net.name_scope():
        ...     net.add(nn.Dense(4, activation='relu'), nn.Dense(2))
        >>> net.initialize()
        >>> net.summary(nd.ones((3, 5)))
        --------------------------------------------------------------------
        Layer (type)                     Output Shape   Param #   lr/wd mult
        ====================================================================
        Input                                  (3, 5)         0
        mlp_dense0_relu (Activation)           (3, 4)         0
        mlp_dense0 (Dense)                     (3, 4)        24
          mlp_dense0_weight                    (4, 5)        20        1 / 1
            deferred (4, 0) -> (4, 5): in_units from input dim 1 of (3, 5)
          mlp_dense0_bias                        (4,)         4        1 / 1
        mlp_dense1 (Dense)                     (3, 2)        10
          mlp_dense1_weight                    (2, 4)         8        1 / 1
            deferred (2, 0) -> (2, 4): in_units from input dim 1 of (3, 4)
          mlp_dense1_bias                        (2,)         2        1 / 1
        ====================================================================
        Parameters in forward computation graph, duplicate included
           Total params: 34
           Trainable params: 34
           Non-trainable params: 0
        Shared params in forward computation graph: 0
        Unique parameters in model: 34
        --------------------------------------------------------------------
        """
        print(summarize(self, inputs))


_IMPERATIVE = [False]   # set while a hybridized block finishes deferred shapes imperatively


class _imperative:
    def __enter__(self) -> None:
        self._old = _IMPERATIVE[0]
        _IMPERATIVE[0] = True

    def __exit__(self, *exc: object) -> None:
        _IMPERATIVE[0] = self._old


_NOT_TRACEABLE = ("not traceable",)
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _raised_inside_minigluon(e: BaseException) -> bool:
    """Whether the innermost frame of ``e`` outside the symbol package is minigluon's."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if os.path.join(_PACKAGE, "symbol") not in f.filename]
    return bool(frames) and frames[-1].filename.startswith(_PACKAGE)


def _first_array(a: Any) -> NDArray | None:
    """The first NDArray in ``a``, which may be a nested list or tuple (MXNet's inputs)."""
    if isinstance(a, NDArray):
        return a
    if isinstance(a, (list, tuple)):
        for e in a:
            found = _first_array(e)
            if found is not None:
                return found
    return None


def _as_input(a: Any) -> Any:
    """NumPy arrays and lists of numbers become NDArrays (MXNet refuses them; we convert);
    a list or tuple holding NDArrays reaches hybrid_forward as it is, as in MXNet."""
    if isinstance(a, np.ndarray) or (isinstance(a, list) and _first_array(a) is None):
        return nd.array(a)
    return a


class HybridBlock(Block):
    """A Block written as ``hybrid_forward(self, F, x, *args, **params)``.

    ``F`` is :mod:`minigluon.nd`; ``params`` are this block's parameters (the ones
    assigned as attributes), keyed by attribute name, as NDArrays.

    Layers with parameters of unknown shape override :meth:`infer_shape`.
    """

    _active = False
    _cached: Any = None   # (input signature, Plan, parameters by name, output structure)

    def hybridize(self, active: bool = True, static_alloc: bool = False,
                  static_shape: bool = False, **kwargs: Any) -> None:
        """Run this block (and its HybridBlock children) as a graph: the next call traces
        :meth:`hybrid_forward` with symbols (``F`` is :mod:`minigluon.symbol`); later
        calls with inputs of the same shapes and dtypes run that graph's operator list,
        fixed once (a new input shape traces again, as in MXNet). Under
        ``autograd.record()`` each call is one node on the tape (MXNet's ``_CachedOp``)
        whose VJP runs the VJPs of the graph's operators in reverse; they are the
        operators of the imperative path, so values and gradients are the same.
        ``static_alloc`` and ``static_shape`` are accepted; they change nothing here
        (NumPy allocates each result)."""
        self._active = active
        self._cached = None
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          **kwargs)

    def _trace(self, args: tuple[Any, ...]) -> Any:
        """Build the graph of this block for inputs like ``args`` (NDArrays)."""
        try:
            for p in self.collect_params().values():
                p.data()
        except DeferredInitializationError:
            # shapes unknown until data is seen: one imperative pass in predict mode (no
            # dropout draw, no statistics update, nothing recorded) finishes them
            with autograd.pause(train_mode=False), _imperative():
                self.forward(*args)
        names = ["data"] if len(args) == 1 else [f"data{i}" for i in range(len(args))]
        inputs = [symbol.var(n) for n in names]
        shapes = {n: a.shape for n, a in zip(names, args) if isinstance(a, NDArray)}
        shapes.update({p.name: p.shape for p in self.collect_params().values()})
        with symbol.symbol.tracing(shapes):
            out = self.forward(*inputs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if not all(isinstance(o, symbol.Symbol) for o in outs):
            raise MXNetError(f"{self.name}: hybrid_forward must return Symbols (or a list "
                             f"of them) when traced, got {[type(o).__name__ for o in outs]}")
        graph = symbol.Group(outs)
        byname = {p.name: p for p in self.collect_params().values()}
        params = [(n, byname[n]) for n in graph.list_inputs() if n not in names]
        plan = symbol.Plan(graph)
        plan.op = CachedOp(self.name, graph)
        return graph, plan, names, params, \
            None if not isinstance(out, (list, tuple)) else type(out)

    def _call_cached(self, args: tuple[Any, ...]) -> Any:
        cached = self._cached
        if len(args) == 1 and args[0].__class__ is NDArray and cached.__class__ is tuple:
            d = args[0]._data
            if cached[0] == ((d.shape, d.dtype),):  # the common call: the traced shape
                return self._run_plan(cached, args)
        if not all(a.__class__ is NDArray for a in args):
            args = tuple(_as_input(a) for a in args)
            if any(isinstance(a, (list, tuple)) for a in args):
                with _imperative():  # lists of arrays are not traced: same values, no graph
                    return self.forward(*args)
        # the input signature: the graph is traced again when it changes
        key = tuple((a._data.shape, a._data.dtype) if isinstance(a, NDArray) else a
                    for a in args)
        if cached is _NOT_TRACEABLE:
            with _imperative():
                return self.forward(*args)
        if cached is None or cached[0] != key:
            try:
                cached = (key, *self._trace(args))
            except (AttributeError, MXNetError) as e:
                if not _raised_inside_minigluon(e):
                    raise  # the user's hybrid_forward: MXNet refuses it too
                # one of minigluon's own layers that reads its input's shape (LayerNorm,
                # the RNN layers ...): it stays imperative, with the same results
                self._cached = _NOT_TRACEABLE
                with _imperative():
                    return self.forward(*args)
            self._cached = cached
        return self._run_plan(cached, args)

    @staticmethod
    def _run_plan(cached: tuple, args: tuple[Any, ...]) -> Any:
        _, _graph, plan, names, params, kind = cached
        values = dict(zip(names, args))
        # each device's copy of the parameters, as in the imperative path (arrays carry a
        # device only once some array was placed off cpu(0): ndarray._multi)
        ctx = None if not nd_module._multi else next(
            (a._ctx for a in args if getattr(a, "_ctx", None) is not None), None)
        if ctx is None:
            for n, p in params:
                values[n] = p.data()
        else:
            for n, p in params:
                values[n] = p.data(ctx)
        outs = run_cached(plan.op, plan, values)
        return outs[0] if kind is None else kind(outs)

    def __call__(self, *args: Any) -> Any:
        if self._active and not _IMPERATIVE[0] and args and \
                not isinstance(args[0], symbol.Symbol):
            if self._forward_pre_hooks:
                for hook in list(self._forward_pre_hooks.values()):
                    hook(self, args)
            out = self._call_cached(args)
            if self._forward_hooks:
                for hook in list(self._forward_hooks.values()):
                    hook(self, args, out)
            return out
        return super().__call__(*args)

    def forward(self, x: Any, *args: Any) -> Any:
        """Finish deferred initialization if needed, then call :meth:`hybrid_forward`
        (with ``F = symbol`` when the inputs are symbols; through the cached graph when
        hybridized)."""
        if isinstance(x, symbol.Symbol):
            params = {k: v.var() for k, v in self._reg_params.items()}
            with symbol.symbol.prefix_scope(self.prefix):
                return self.hybrid_forward(symbol, x, *args, **params)
        if x.__class__ is NDArray and (not args or all(a.__class__ is NDArray for a in args)):
            # the common case (a layer's input, a loss's prediction and label): no checks
            try:
                ctx = x.context  # each device's copy of the parameters
                params = {k: v.data(ctx) for k, v in self._reg_params.items()}
            except DeferredInitializationError:
                pass
            else:
                return self.hybrid_forward(nd, x, *args, **params)
        x = _as_input(x)
        args = tuple(_as_input(a) for a in args)
        first = _first_array([x, *args])
        if first is None:
            raise ValueError("In HybridBlock, there must be one NDArray or one Symbol in the "
                             "input. Please check the type of the args.\n")
        ctx = first.context
        try:
            params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        except DeferredInitializationError:
            self._deferred_infer_shape(x, *args)
            for p in self.params.values():
                p._finish_deferred_init()
            params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, x, *args, **params)

    def _deferred_infer_shape(self, *args: Any) -> None:
        try:
            self.infer_shape(*args)
        except Exception as e:
            raise ValueError(f"Deferred initialization failed because shape cannot be "
                             f"inferred. {e}") from e

    def infer_shape(self, *args: Any) -> None:
        """Fill in the unknown (0) dimensions of this block's parameters from the inputs
        of a forward call, e.g. ``self.weight.shape = (self._units, x.shape[1])``.

        Called once, before the first forward that needs a parameter whose
        initialization was deferred. The built-in layers override it with their rule;
        this default does what MXNet does for every block: trace :meth:`hybrid_forward`
        with symbols and infer the parameters' shapes from the inputs' (a custom layer
        with ``shape=(units, 0)`` fed to ``F.FullyConnected`` learns its input size).
        """
        unknown = [p.name for p in self._reg_params.values()
                   if p.shape is None or 0 in p.shape]
        try:
            found = self._graph_param_shapes(args)
        except Exception as e:
            raise MXNetError(
                f"{type(self).__name__} has parameters of unknown shape "
                f"({', '.join(unknown)}) and inferring them from its graph failed ({e}). "
                "Give the full shape when creating them, or override "
                "infer_shape(self, *args) to set param.shape from the inputs.") from e
        for p in self.collect_params().values():
            s = found.get(p.name)
            if s and (p.shape is None or 0 in p.shape):
                p.shape = s
        missing = [p.name for p in self._reg_params.values()
                   if p.shape is None or 0 in p.shape]
        if missing:
            raise MXNetError(
                f"{type(self).__name__} has parameters of unknown shape "
                f"({', '.join(missing)}) that its graph does not determine. Give the "
                "full shape when creating them, or override infer_shape(self, *args).")

    def _graph_param_shapes(self, args: tuple[Any, ...]) -> dict[str, tuple[int, ...]]:
        """The shapes of the graph's arguments and auxiliary states for inputs like
        ``args`` (NDArrays), as far as they can be inferred (MXNet's ``_infer_attrs``)."""
        if not args or not all(isinstance(a, NDArray) for a in args):
            raise MXNetError("the inputs are not all NDArrays")
        names = [f"data{i}" for i in range(len(args))]
        known = {n: a.shape for n, a in zip(names, args)}
        with symbol.symbol.tracing(dict(known)), autograd.pause(train_mode=False):
            out = self.forward(*[symbol.var(n) for n in names])
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        graph = symbol.Group(outs)
        arg_shapes, _, aux_shapes = graph.infer_shape_partial(**known)
        found = dict(zip(graph.list_arguments(), arg_shapes or []))
        found.update(zip(graph.list_auxiliary_states(), aux_shapes or []))
        return {k: tuple(v) for k, v in found.items() if v and 0 not in v}

    def infer_type(self, *args: Any) -> None:
        """Parameter dtypes are not inferred: they keep the dtype they were created with."""

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation; ``F`` is :mod:`minigluon.nd`."""
        raise NotImplementedError

    def export(self, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> None:
        """Write the traced graph to ``<path>-symbol.json`` and the parameters to
        ``<path>-<epoch:04d>.params`` (``arg:<name>`` / ``aux:<name>``), MXNet's files;
        each is written atomically. Hybridize and run the block once first."""
        if self._cached is None:
            raise RuntimeError("Please first call block.hybridize() and then run forward "
                               "with this block at least once before calling export.")
        if self._cached is _NOT_TRACEABLE:
            from ..base import NotAvailableError

            raise NotAvailableError(f"{type(self).__name__} {self.name}: minigluon cannot "
                                    "trace this block into a graph (one of its layers reads "
                                    "its input's shape), so it cannot be exported")
        graph = self._cached[1]
        sym_file, param_file = f"{path}-symbol.json", f"{path}-{epoch:04d}.params"
        aux = set(graph.list_auxiliary_states())
        arrays = {}
        for name, p in self._cached[4]:
            arrays[("aux:" if name in aux else "arg:") + name] = p._reduce()
        graph.save(sym_file)
        nd.save(param_file, arrays)
