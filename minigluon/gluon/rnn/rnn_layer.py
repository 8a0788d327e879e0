"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU``: a whole sequence through MXNet's fused
``RNN`` operator (one tape node; see :mod:`minigluon.ops.rnn`).

Parameter names, shapes and order are MXNet 1.9.1's (``l0_i2h_weight``, ``l0_h2h_weight``,
``l0_i2h_bias``, ``l0_h2h_bias``, then ``r0_...`` for the reverse direction, then layer 1),
and ``save_parameters`` writes MXNet's structural names (``_unfused.0.i2h_weight``, or
``_unfused.0.l_cell.i2h_weight`` when bidirectional), so ``.params`` files move between
minigluon and MXNet both ways.
"""

from __future__ import annotations

import re
from typing import Any

from ... import ndarray as nd, symbol
from ...base import MXNetError
from ...ndarray import NDArray
from ..block import HybridBlock
from ..parameter import DeferredInitializationError, Parameter

__all__ = ["RNN", "LSTM", "GRU"]

_KEY = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


class _RNNLayer(HybridBlock):
    """The layers' common part: parameters, states, the call convention."""

    def __init__(self, hidden_size: int, num_layers: int, layout: str, dropout: float,
                 bidirectional: bool, input_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, mode: str, dtype: Any,
                 projection_size: int | None = None, h2r_weight_initializer: Any = None,
                 lstm_state_clip_min: float | None = None,
                 lstm_state_clip_max: float | None = None, lstm_state_clip_nan: bool = False,
                 use_sequence_length: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if layout not in ("TNC", "NTC"):
            raise AssertionError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
        self._hidden_size = hidden_size
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._dtype = dtype
        self._gates = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]
        self._projection_size = projection_size if projection_size else None
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._use_sequence_length = use_sequence_length
        self.skip_states: bool | None = None
        ng, ni, nh = self._gates, input_size, hidden_size
        npj = self._projection_size or nh  # the state's size: the projection's, if any
        for i in range(num_layers):
            for j in ("l", "r")[:self._dir]:
                self._register_param(f"{j}{i}_i2h_weight", (ng * nh, ni),
                                     i2h_weight_initializer, dtype)
                self._register_param(f"{j}{i}_h2h_weight", (ng * nh, npj),
                                     h2h_weight_initializer, dtype)
                self._register_param(f"{j}{i}_i2h_bias", (ng * nh,), i2h_bias_initializer,
                                     dtype)
                self._register_param(f"{j}{i}_h2h_bias", (ng * nh,), h2h_bias_initializer,
                                     dtype)
                if self._projection_size:
                    self._register_param(f"{j}{i}_h2r_weight", (npj, nh),
                                         h2r_weight_initializer, dtype)
            ni = npj * self._dir

    def _register_param(self, name: str, shape: tuple[int, ...], init: Any, dtype: Any
                        ) -> Parameter:
        p = self.params.get(name, shape=shape, init=init, allow_deferred_init=True,
                            dtype=dtype)
        setattr(self, name, p)
        return p

    def __repr__(self) -> str:
        s = f"{type(self).__name__}({{mapping}}, {self._layout}"
        if self._num_layers != 1:
            s += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            s += f", dropout={self._dropout}"
        if self._dir == 2:
            s += ", bidirectional"
        s += ")"
        shape = self.l0_i2h_weight.shape
        return s.format(mapping=f"{shape[1] if shape[1] else None} -> "
                                f"{shape[0] // self._gates}")

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Parameter]:
        # MXNet 1.9.1 saves these layers under the names of the cell stack they replaced
        # (``_unfused.<layer>.<i2h|h2h>_<weight|bias>``), which is what its files contain
        if prefix:
            prefix += "."
        bidirectional = self._dir == 2
        ret = {}
        for key, val in self._reg_params.items():
            d, layer, g, t = _KEY.match(key).groups()  # type: ignore[union-attr]
            name = (f"_unfused.{layer}.{d}_cell.{g}_{t}" if bidirectional
                    else f"_unfused.{layer}.{g}_{t}")
            ret[prefix + name] = val
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """Shape, layout and dtype of each begin state."""
        raise NotImplementedError

    def cast(self, dtype: Any) -> None:
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size: int = 0, func: Any = nd.zeros, **kwargs: Any
                    ) -> list[NDArray]:
        """The initial states (``[h]``, or ``[h, c]`` for an LSTM), each made by
        ``func(name=..., shape=(L*D, batch_size, H), dtype=..., **kwargs)``."""
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            if info is not None:
                info.update(kwargs)
            else:
                info = kwargs
            states.append(func(name=f"{self.prefix}h0_{i}", **info))
        return states

    def __call__(self, inputs: NDArray, states: Any = None, sequence_length: Any = None,
                 **kwargs: Any) -> Any:
        """``layer(x)`` gives the output; ``layer(x, states)`` gives ``(output, states)``;
        ``layer(x, states, sequence_length)`` with ``use_sequence_length=True`` (which,
        as MXNet's CPU operator, changes nothing: see :func:`minigluon.nd.RNN`)."""
        skip = states is None
        if self._active and self._cached is not None and skip != self.skip_states:
            self._cached = None  # the graph of layer(x) has one output, of layer(x, s) more
        self.skip_states = skip
        if states is None:
            batch_size = inputs.shape[self._layout.find("N")]
            states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
        if isinstance(states, NDArray):
            states = [states]
        # the states go in as separate inputs (MXNet's graph names them data1, data2 ...),
        # and the output with the new states comes back as one flat list
        extra = [sequence_length] if self._use_sequence_length else []
        out = super().__call__(inputs, *states, *extra)
        if self.skip_states:
            return out
        return out[0], list(out[1:])

    def infer_shape(self, inputs: NDArray, states: list[NDArray], *args: Any) -> None:
        self._check_states(inputs, states, "inferred")
        for j in ("l", "r")[:self._dir]:
            getattr(self, f"{j}0_i2h_weight").shape = (self._gates * self._hidden_size,
                                                       inputs.shape[2])

    def _check_states(self, inputs: NDArray, states: list[NDArray], how: str) -> None:
        batch_size = inputs.shape[self._layout.find("N")]
        for state, info in zip(states, self.state_info(batch_size)):
            if state.shape != info["shape"]:
                if how == "inferred":
                    raise MXNetError(
                        f"Error in operator {self.prefix}rnn0: Shape inconsistent, Provided = "
                        f"[{','.join(map(str, state.shape))}], inferred shape="
                        f"{str(info['shape']).replace(' ', '')}")
                raise ValueError(f"Invalid recurrent state shape. Expecting "
                                 f"{info['shape']}, got {state.shape}.")

    def forward(self, inputs: Any, *args: Any) -> Any:
        nstates = len(self.state_info())
        states, rest = list(args[:nstates]), args[nstates:]
        sequence_length = rest[0] if rest else None
        if isinstance(inputs, symbol.Symbol):  # traced by hybridize: F is mx.sym
            params = {k: v.var() for k, v in self._reg_params.items()}
            with symbol.symbol.prefix_scope(self.prefix):
                return self.hybrid_forward(symbol, inputs, states, sequence_length, **params)
        try:
            params = {k: v.data() for k, v in self._reg_params.items()}
        except DeferredInitializationError:
            self._deferred_infer_shape(inputs, states)
            for p in self.params.values():
                p._finish_deferred_init()
            params = {k: v.data() for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, inputs, states, sequence_length, **params)

    def hybrid_forward(self, F: Any, inputs: NDArray, states: list[NDArray],
                       sequence_length: NDArray | None = None, **kwargs: NDArray) -> Any:
        traced = F is not nd
        if not traced:
            self._check_states(inputs, states, "checked")
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        # MXNet's flat layout: every weight, then every bias (per layer, direction,
        # i2h/h2h, and h2r with a projection)
        gs = ("i2h", "h2h", "h2r") if self._projection_size else ("i2h", "h2h")
        ws = [kwargs[f"{d}{layer}_{g}_{t}"] for t in ("weight", "bias")
              for layer in range(self._num_layers) for d in ("l", "r")[:self._dir]
              for g in gs if g != "h2r" or t != "bias"]
        if traced:  # MXNet's graph flattens each one first (the concat does it here)
            ws = [F.Reshape(w, shape=-1) for w in ws]
        params = F._rnn_param_concat(*ws, dim=0)
        extra: dict[str, Any] = {}
        if self._projection_size:
            extra["projection_size"] = self._projection_size
        if self._lstm_state_clip_min is not None or self._lstm_state_clip_max is not None:
            extra.update(lstm_state_clip_min=self._lstm_state_clip_min,
                         lstm_state_clip_max=self._lstm_state_clip_max,
                         lstm_state_clip_nan=self._lstm_state_clip_nan)
        if self._use_sequence_length:
            extra.update(sequence_length=sequence_length, use_sequence_length=True)
        if traced:  # every option written into the graph, as MXNet does
            extra = dict(projection_size=self._projection_size,
                         lstm_state_clip_min=self._lstm_state_clip_min,
                         lstm_state_clip_max=self._lstm_state_clip_max,
                         lstm_state_clip_nan=self._lstm_state_clip_nan,
                         use_sequence_length=self._use_sequence_length)
            if self._use_sequence_length:
                states = [*states, sequence_length]
        # without states to return, the operator need not pack them (MXNet computes and
        # drops them): the tape then holds one concat and one RNN node
        rnn = F.RNN(inputs, params, *states, state_size=self._hidden_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2,
                    p=self._dropout, state_outputs=traced or not self.skip_states,
                    mode=self._mode, **extra)
        if self.skip_states:
            outputs = rnn[0] if traced else rnn
        elif self._mode == "lstm":
            outputs, states = rnn[0], [rnn[1], rnn[2]]
        else:
            outputs, states = rnn[0], [rnn[1]]
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs if self.skip_states else [outputs, *states]


_DOC_ARGS = """
    Parameters
    ----------
    hidden_size : int
        Number of features of the hidden state ``h``.
    num_layers : int
        Number of stacked recurrent layers.
    layout : {'TNC', 'NTC'}
        Axes of the input and output: sequence length T, batch N, features C.
    dropout : float
        Dropout applied while training to the outputs of every layer but the last.
    bidirectional : bool
        Also run each layer from the end of the sequence to its start; the output then
        has ``2 * hidden_size`` features and the states ``2 * num_layers`` rows.
    i2h_weight_initializer, h2h_weight_initializer : Initializer or str, optional
        The input-to-hidden and hidden-to-hidden weights' initializers (default: the one
        given to ``initialize``).
    i2h_bias_initializer, h2h_bias_initializer : Initializer or str
        The biases' initializers ('zeros').
    input_size : int
        Number of input features; 0 (the default) infers it from the first input.
    dtype : str
        dtype of the parameters and of the default begin states.
"""

_DOC_CALL = """
    Call ``layer(x)`` for the output, of shape ``(T, N, D * hidden_size)`` in ``layout``
    (``D = 2`` when bidirectional), or ``layer(x, states)`` for ``(output, new_states)``;
    ``states`` is the list that :meth:`begin_state` makes.
"""


class RNN(_RNNLayer):
    __doc__ = """Elman RNN layers: ``h_t = act(W_i x_t + b_i + W_h h_{t-1} + b_h)``.

    ``act`` is 'relu' (the default) or 'tanh'.
    """ + _DOC_CALL + _DOC_ARGS

    def __init__(self, hidden_size: int, num_layers: int = 1, activation: str = "relu",
                 layout: str = "TNC", dropout: float = 0, bidirectional: bool = False,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, dtype: Any = "float32", **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "rnn_" + activation,
                         dtype, **kwargs)

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return [{"shape": (self._num_layers * self._dir, batch_size, self._hidden_size),
                 "__layout__": "LNC", "dtype": self._dtype}]


class LSTM(_RNNLayer):
    __doc__ = """Long short-term memory layers.

    The gates, in MXNet's order i, f, c, o::

        i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*);  g = tanh(W_ic x + ... )
        c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)

    States: ``[h, c]``.
    """ + _DOC_CALL + _DOC_ARGS + """    projection_size : int, optional
        LSTM with projection (LSTMP): each new state is ``h_t = W_hr (o tanh(c_t))`` with
        ``projection_size`` features (parameters ``l0_h2r_weight``...). As MXNet on CPU,
        inference only: recording or training mode raises ``MXNetError``.
    state_clip_min, state_clip_max, state_clip_nan
        Accepted and, as by MXNet 1.9.1's CPU operator, without effect (a warning says so).
"""

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 projection_size: int | None = None, h2r_weight_initializer: Any = None,
                 state_clip_min: float | None = None, state_clip_max: float | None = None,
                 state_clip_nan: bool = False, dtype: Any = "float32", **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "lstm", dtype,
                         projection_size, h2r_weight_initializer, state_clip_min,
                         state_clip_max, state_clip_nan, **kwargs)

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        shape = (self._num_layers * self._dir, batch_size, self._hidden_size)
        hshape = shape[:2] + (self._projection_size or self._hidden_size,)
        return [{"shape": hshape, "__layout__": "LNC", "dtype": self._dtype},
                {"shape": shape, "__layout__": "LNC", "dtype": self._dtype}]


class GRU(_RNNLayer):
    __doc__ = """Gated recurrent unit layers.

    The gates, in MXNet's order r, z, n::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr);  z = sigmoid(W_iz x + ... )
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h_t = (1 - z) * n + z * h_{t-1}

    The reset gate multiplies the hidden-to-hidden product *with* its bias, as in MXNet.
    """ + _DOC_CALL + _DOC_ARGS

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 dtype: Any = "float32", **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "gru", dtype, **kwargs)

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return [{"shape": (self._num_layers * self._dir, batch_size, self._hidden_size),
                 "__layout__": "LNC", "dtype": self._dtype}]
