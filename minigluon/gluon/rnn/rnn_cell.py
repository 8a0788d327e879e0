"""Recurrent cells (``gluon.rnn.RNNCell``, ``LSTMCell``, ``GRUCell``...) as MXNet 1.9.1
has them: one time step per call, ``unroll`` for a whole sequence.

A cell is called as ``output, new_states = cell(x_t, states)`` with ``x_t`` of shape
(batch, input) and ``states`` the list that :meth:`RecurrentCell.begin_state` makes.
``unroll(length, inputs, ...)`` loops over time with ordinary operators, so the tape
holds every step: the unrolled graph of back-propagation through time. (The layers in
``rnn_layer`` run the whole sequence as one fused operator instead.)

Parameter names, shapes and gate order are MXNet's, so ``.params`` files move both ways:
``i2h_weight`` (G*hidden, input), ``h2h_weight`` (G*hidden, hidden), ``i2h_bias``,
``h2h_bias`` (G*hidden,), with the gates stacked as LSTM (i, f, c, o) and GRU (r, z, n).
The GRU's reset gate multiplies the whole h2h product of the candidate, bias included.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ... import ndarray as nd
from ...base import MXNetError
from ...ndarray.ndarray import NDArray
from ..block import Block, HybridBlock, _as_input
from ..parameter import DeferredInitializationError, ParameterDict, _indent

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell",
           "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "BidirectionalCell"]

_MODIFIED = ("After applying modifier cells (e.g. ZoneoutCell) the base cell cannot be "
             "called directly. Call the modifier cell instead.")


# ---- sequences: one array, or a list of per-step arrays --------------------------------

def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _format_sequence(length: int | None, inputs: Any, layout: str, merge: bool | None,
                     in_layout: str | None = None) -> tuple[Any, int, Any, int]:
    """Bring ``inputs`` into the asked form: a list of (N, C) steps (``merge=False``), one
    array in ``layout`` (``merge=True``), or as given (``None``). Returns
    ``(inputs, time_axis, F, batch_size)``."""
    if inputs is None:
        raise MXNetError("unroll(inputs=None) is not supported: pass the input sequence")
    if layout not in ("NTC", "TNC"):
        raise MXNetError(f"layout must be 'NTC' or 'TNC', got {layout!r}")
    axis, batch_axis = layout.find("T"), layout.find("N")
    in_axis = in_layout.find("T") if in_layout is not None else axis
    if isinstance(inputs, NDArray):
        batch_size = inputs.shape[batch_axis]
        if merge is False:
            if length is not None and length != inputs.shape[in_axis]:
                raise MXNetError(f"unroll: length={length} but the inputs have "
                                 f"{inputs.shape[in_axis]} steps on the time axis {in_axis} "
                                 f"(shape {inputs.shape}, layout {layout})")
            inputs = _as_list(nd.split(inputs, axis=in_axis, num_outputs=inputs.shape[in_axis],
                                       squeeze_axis=1))
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            raise MXNetError(f"unroll: length={length} but {len(inputs)} input steps were "
                             "given")
        # MXNet reads the batch size from dimension 0 of a step, whatever the layout
        batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = nd.stack(*inputs, axis=axis)
            in_axis = axis
    if isinstance(inputs, NDArray) and axis != in_axis:
        inputs = nd.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, nd, batch_size


def _mask_sequence_variable_length(data: Any, length: int, valid_length: NDArray,
                                   time_axis: int, merge: bool) -> Any:
    """Zero the steps past each sequence's valid length."""
    if not isinstance(data, NDArray):
        data = nd.stack(*data, axis=time_axis)
    out = nd.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                          axis=time_axis)
    if not merge:
        out = _as_list(nd.split(out, num_outputs=length, axis=time_axis, squeeze_axis=True))
    return out


def _reverse_sequences(steps: list, length: int, valid_length: NDArray | None) -> list:
    """The steps in reverse order; with ``valid_length``, each sequence reversed within its
    own length (the padding stays at the end)."""
    if valid_length is None:
        return list(reversed(steps))
    rev = nd.SequenceReverse(nd.stack(*steps, axis=0), sequence_length=valid_length,
                             use_sequence_length=True)
    if length > 1:
        return _as_list(nd.split(rev, axis=0, num_outputs=length, squeeze_axis=True))
    return [rev[0]]


def _cells_state_info(cells: Any, batch_size: int) -> list:
    return sum([c.state_info(batch_size) for c in cells], [])


def _cells_begin_state(cells: Any, **kwargs: Any) -> list:
    return sum([c.begin_state(**kwargs) for c in cells], [])


def _get_begin_state(cell: RecurrentCell, begin_state: Any, batch_size: int) -> list:
    if begin_state is None:
        return cell.begin_state(func=nd.zeros, batch_size=batch_size)
    return begin_state


def _accepts_name(func: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return True
    return "name" in sig.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())


# ---- the base classes -----------------------------------------------------------------

class RecurrentCell(Block):
    """Base class of recurrent cells: ``output, states = cell(x_t, states)``.

    Parameters
    ----------
    prefix : str, optional
        Prefix of the parameter names (default: ``'rnn0_'``, ``'lstm0_'``...).
    params : ParameterDict, optional
        Share the parameters of another cell.
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None
                 ) -> None:
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Reset the step counters (``unroll`` does it before a new sequence)."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """Shape and layout of each state: ``[{'shape': (N, H), '__layout__': 'NC'}]``."""
        raise NotImplementedError

    def begin_state(self, batch_size: int = 0, func: Callable[..., Any] = nd.zeros,
                    **kwargs: Any) -> list:
        """The initial states, one per :meth:`state_info` entry, made by
        ``func(name=..., shape=..., __layout__=..., **kwargs)`` (``kwargs`` such as
        ``dtype`` or ``ctx`` are passed on)."""
        if self._modified:
            raise AssertionError(_MODIFIED)
        states = []
        named = _accepts_name(func)
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info) if info is not None else {}
            info.update(kwargs)
            if named:
                info["name"] = f"{self._prefix}begin_state_{self._init_counter}"
            states.append(func(**info))
        return states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: NDArray | None = None
               ) -> tuple[Any, list]:
        """Run the cell over ``length`` steps.

        Parameters
        ----------
        length : int
            Number of time steps.
        inputs : NDArray or list of NDArray
            One array in ``layout`` ('NTC' or 'TNC'), or a list of (N, C) steps.
        begin_state : list of NDArray, optional
            Initial states (default: zeros from :meth:`begin_state`).
        layout : str
            Where the time axis is.
        merge_outputs : bool, optional
            True: one array of outputs in ``layout``; False: a list of steps; None: the
            same form as ``inputs``.
        valid_length : NDArray, optional
            (N,) lengths: outputs past them are zero and the returned states are those of
            each sequence's last valid step.

        Returns
        -------
        outputs, states
        """
        self.reset()
        inputs, axis, _, batch_size = _format_sequence(length, inputs, layout, False)
        states = _get_begin_state(self, begin_state, batch_size)
        outputs, all_states = [], []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [nd.SequenceLast(nd.stack(*steps, axis=0), sequence_length=valid_length,
                                      use_sequence_length=True, axis=0)
                      for steps in zip(*all_states)]
            outputs = _mask_sequence_variable_length(outputs, length, valid_length, axis, True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F: Any, inputs: NDArray, activation: Any, **kwargs: Any
                        ) -> NDArray:
        """Apply ``activation``: a name ('tanh', 'relu', 'sigmoid', 'softsign' or any
        ``Activation`` type), a LeakyReLU block, or a callable."""
        from ..nn.basic_layers import LeakyReLU

        kwargs.pop("name", None)
        fn = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid,
              "softsign": F.softsign}.get(activation) if isinstance(activation, str) else None
        if fn is not None:
            return fn(inputs, **kwargs)
        if isinstance(activation, str):
            return F.Activation(inputs, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(inputs, act_type="leaky", slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs: Any, states: Any) -> Any:
        """One time step: ``(output, new_states)``."""
        self._counter += 1
        return self._step(inputs, states)

    def _step(self, inputs: Any, states: Any) -> Any:
        raise NotImplementedError


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell written as ``hybrid_forward(F, inputs, states, **params)``."""

    def _step(self, inputs: Any, states: Any) -> Any:
        inputs = _as_input(inputs)
        try:
            params = {k: v.data() for k, v in self._reg_params.items()}
        except DeferredInitializationError:
            self._deferred_infer_shape(inputs, states)
            for p in self.params.values():
                p._finish_deferred_init()
            params = {k: v.data() for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, inputs, states, **params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


# ---- the three cells ------------------------------------------------------------------

class _GatedCell(HybridRecurrentCell):
    """What RNNCell, LSTMCell and GRUCell share: four parameters for G gates."""

    _gates = 1

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, input_size: int, prefix: str | None,
                 params: ParameterDict | None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        g = self._gates * hidden_size
        self.i2h_weight = self.params.get("i2h_weight", shape=(g, input_size),
                                          init=i2h_weight_initializer,
                                          allow_deferred_init=True)
        self.h2h_weight = self.params.get("h2h_weight", shape=(g, hidden_size),
                                          init=h2h_weight_initializer,
                                          allow_deferred_init=True)
        self.i2h_bias = self.params.get("i2h_bias", shape=(g,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get("h2h_bias", shape=(g,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def infer_shape(self, inputs: Any, states: Any) -> None:
        """The input size comes from the first step's (N, C) input."""
        if inputs.ndim != 2:
            raise MXNetError(f"{type(self).__name__} takes one time step of shape "
                             f"(batch, input_size), got shape {inputs.shape}")
        self.i2h_weight.shape = (self._gates * self._hidden_size, inputs.shape[1])

    def _mapping(self) -> str:
        shape = self.i2h_weight.shape
        return f"{shape[1] if shape[1] else None} -> {shape[0]}"

    def _i2h_h2h(self, F: Any, inputs: NDArray, h: NDArray, i2h_weight: NDArray,
                 h2h_weight: NDArray, i2h_bias: NDArray, h2h_bias: NDArray
                 ) -> tuple[NDArray, NDArray]:
        n = self._gates * self._hidden_size
        i2h = F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=n)
        h2h = F.FullyConnected(h, h2h_weight, h2h_bias, num_hidden=n)
        return i2h, h2h


class RNNCell(_GatedCell):
    """Elman RNN cell: ``h_t = activation(W_i2h x_t + b_i2h + W_h2h h_{t-1} + b_h2h)``.

    Parameters
    ----------
    hidden_size : int
    activation : str or callable, default 'tanh'
    i2h_weight_initializer, h2h_weight_initializer : Initializer or str
    i2h_bias_initializer, h2h_bias_initializer : Initializer or str
    input_size : int, default 0 (inferred at the first step)
    prefix, params : as for every Block

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon import rnn
    >>> cell = rnn.RNNCell(4, prefix='rnn_')
    >>> cell.initialize()
    >>> out, states = cell.unroll(3, nd.ones((2, 3, 5)), layout='NTC', merge_outputs=True)
    >>> out.shape, [s.shape for s in states]
    ((2, 3, 4), [(2, 4)])
    >>> sorted(cell.collect_params().keys())
    ['rnn_h2h_bias', 'rnn_h2h_weight', 'rnn_i2h_bias', 'rnn_i2h_weight']
    """

    _gates = 1

    def __init__(self, hidden_size: int, activation: Any = "tanh",
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, prefix: str | None = None,
                 params: ParameterDict | None = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation

    def _alias(self) -> str:
        return "rnn"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()}, {self._activation})"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any = None,
                       h2h_weight: Any = None, i2h_bias: Any = None, h2h_bias: Any = None
                       ) -> tuple[NDArray, list]:
        i2h, h2h = self._i2h_h2h(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                 h2h_bias)
        output = self._get_activation(F, F.elemwise_add(i2h, h2h), self._activation)
        return output, [output]


class LSTMCell(_GatedCell):
    """Long short-term memory cell. Gates, in MXNet's order along the weights' first axis:
    ``i = sig(.), f = sig(.), g = tanh(.), o = sig(.)`` of ``W_i2h x + b_i2h + W_h2h h +
    b_h2h``; ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``. States: ``[h, c]``.

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer : Initializer or str
    i2h_bias_initializer, h2h_bias_initializer : Initializer or str
    input_size : int, default 0 (inferred at the first step)
    prefix, params : as for every Block
    activation : str, default 'tanh'
        For the candidate and the cell output.
    recurrent_activation : str, default 'sigmoid'
        For the gates.
    """

    _gates = 4

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: ParameterDict | None = None,
                 activation: str = "tanh", recurrent_activation: str = "sigmoid") -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self) -> str:
        return "lstm"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()})"

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"},
                {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any = None,
                       h2h_weight: Any = None, i2h_bias: Any = None, h2h_bias: Any = None
                       ) -> tuple[NDArray, list]:
        i2h, h2h = self._i2h_h2h(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                 h2h_bias)
        gates = F.SliceChannel(F.elemwise_add(i2h, h2h), num_outputs=4)
        ra, act = self._recurrent_activation, self._activation
        in_gate = self._get_activation(F, gates[0], ra)
        forget_gate = self._get_activation(F, gates[1], ra)
        in_transform = self._get_activation(F, gates[2], act)
        out_gate = self._get_activation(F, gates[3], ra)
        next_c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1]),
                                F.elemwise_mul(in_gate, in_transform))
        # MXNet applies the cell output's activation through Activation(act_type=...)
        next_h = F.elemwise_mul(out_gate, F.Activation(next_c, act_type=act))
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    """Gated recurrent unit cell. Gates, in MXNet's order along the weights' first axis:
    ``r = sig(xr + hr)``, ``z = sig(xz + hz)``, ``n = tanh(xn + r * hn)`` where ``x. =
    W_i2h x + b_i2h`` and ``h. = W_h2h h + b_h2h`` (the reset gate multiplies the h2h
    product *with* its bias); ``h_t = (1 - z) * n + z * h_{t-1}``.

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer : Initializer or str
    i2h_bias_initializer, h2h_bias_initializer : Initializer or str
    input_size : int, default 0 (inferred at the first step)
    prefix, params : as for every Block
    """

    _gates = 3

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: ParameterDict | None = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)

    def _alias(self) -> str:
        return "gru"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()})"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any = None,
                       h2h_weight: Any = None, i2h_bias: Any = None, h2h_bias: Any = None
                       ) -> tuple[NDArray, list]:
        prev_h = states[0]
        i2h, h2h = self._i2h_h2h(F, inputs, prev_h, i2h_weight, h2h_weight, i2h_bias,
                                 h2h_bias)
        i2h_r, i2h_z, i2h_n = F.SliceChannel(i2h, num_outputs=3)
        h2h_r, h2h_z, h2h_n = F.SliceChannel(h2h, num_outputs=3)
        reset_gate = F.Activation(F.elemwise_add(i2h_r, h2h_r), act_type="sigmoid")
        update_gate = F.Activation(F.elemwise_add(i2h_z, h2h_z), act_type="sigmoid")
        candidate = F.Activation(F.elemwise_add(i2h_n, F.elemwise_mul(reset_gate, h2h_n)),
                                 act_type="tanh")
        ones = F.ones_like(update_gate)
        next_h = F.elemwise_add(F.elemwise_mul(F.elemwise_sub(ones, update_gate), candidate),
                                F.elemwise_mul(update_gate, prev_h))
        return next_h, [next_h]


# ---- containers -----------------------------------------------------------------------

class _StackedCells:
    """What SequentialRNNCell and HybridSequentialRNNCell share."""

    _children: Any
    _modified: bool

    def __repr__(self) -> str:
        body = "\n".join(f"({i}): {_indent(repr(m), 2)}" for i, m in self._children.items())
        return f"{type(self).__name__}(\n{body}\n)"

    def add(self, cell: RecurrentCell) -> None:
        """Append a cell to the stack."""
        self.register_child(cell)  # type: ignore[attr-defined]

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs: Any) -> list:
        if self._modified:
            raise AssertionError(_MODIFIED)
        return _cells_begin_state(self._children.values(), **kwargs)

    def forward(self, inputs: Any, states: Any) -> Any:
        self._counter += 1  # type: ignore[attr-defined]
        if any(isinstance(c, BidirectionalCell) for c in self._children.values()):
            raise AssertionError("a BidirectionalCell cannot be stepped: use unroll")
        next_states, p = [], 0
        for cell in self._children.values():
            n = len(cell.state_info())
            inputs, state = cell(inputs, states[p:p + n])
            p += n
            next_states.extend(state)
        return inputs, next_states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: NDArray | None = None
               ) -> tuple[Any, list]:
        self.reset()  # type: ignore[attr-defined]
        inputs, _, _, batch_size = _format_sequence(length, inputs, layout, None)
        states = _get_begin_state(self, begin_state, batch_size)  # type: ignore[arg-type]
        cells = list(self._children.values())
        next_states, p = [], 0
        for i, cell in enumerate(cells):
            n = len(cell.state_info())
            inputs, st = cell.unroll(length, inputs=inputs, begin_state=states[p:p + n],
                                     layout=layout,
                                     merge_outputs=None if i < len(cells) - 1 else merge_outputs,
                                     valid_length=valid_length)
            p += n
            next_states.extend(st)
        return inputs, next_states

    def __getitem__(self, i: int) -> RecurrentCell:
        return self._children[str(i)]

    def __len__(self) -> int:
        return len(self._children)


class SequentialRNNCell(_StackedCells, RecurrentCell):
    """Cells stacked: each one's output is the next one's input; the states are the
    concatenation of the cells' states."""

    def hybrid_forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class HybridSequentialRNNCell(_StackedCells, HybridRecurrentCell):
    """Hybrid cells stacked (see :class:`SequentialRNNCell`)."""

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        return self.forward(inputs, states)


class DropoutCell(HybridRecurrentCell):
    """Dropout on the input (no state): ``output = Dropout(x_t, p=rate, axes=axes)``."""

    def __init__(self, rate: float, axes: Sequence[int] = (), prefix: str | None = None,
                 params: ParameterDict | None = None) -> None:
        super().__init__(prefix, params)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool):
            raise AssertionError("rate must be a number")
        self._rate = rate
        self._axes = axes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return []

    def _alias(self) -> str:
        return "dropout"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        if self._rate > 0:
            inputs = F.Dropout(inputs, p=self._rate, axes=self._axes)
        return inputs, states

    def _step(self, inputs: Any, states: Any) -> Any:
        return self.hybrid_forward(nd, _as_input(inputs), states)

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: NDArray | None = None
               ) -> tuple[Any, list]:
        self.reset()
        inputs, _, _, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if isinstance(inputs, NDArray):  # the whole sequence at once
            return self.hybrid_forward(nd, inputs, begin_state if begin_state else [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs, valid_length=None)


class ModifierCell(HybridRecurrentCell):
    """Base class of cells that wrap a cell and change its behaviour (the base cell must
    then be used only through the modifier)."""

    def __init__(self, base_cell: RecurrentCell) -> None:
        if base_cell._modified:
            raise AssertionError(f"Cell {base_cell.name} is already modified. One cell "
                                 "cannot be modified twice")
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self) -> ParameterDict:
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return self.base_cell.state_info(batch_size)

    def begin_state(self, func: Callable[..., Any] = nd.zeros, **kwargs: Any) -> list:
        if self._modified:
            raise AssertionError(_MODIFIED)
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def _step(self, inputs: Any, states: Any) -> Any:
        return self.hybrid_forward(nd, _as_input(inputs), states)

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_cell!r})"


class ZoneoutCell(ModifierCell):
    """Zoneout: in training, each output and state unit keeps its previous value with
    probability ``zoneout_outputs`` / ``zoneout_states`` instead of taking the new one."""

    def __init__(self, base_cell: RecurrentCell, zoneout_outputs: float = 0.0,
                 zoneout_states: float = 0.0) -> None:
        if isinstance(base_cell, BidirectionalCell):
            raise AssertionError("BidirectionalCell doesn't support zoneout since it doesn't "
                                 "support step. Please add ZoneoutCell to the cells "
                                 "underneath instead.")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output: NDArray | None = None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p_out={self.zoneout_outputs}, "
                f"p_state={self.zoneout_states}, {self.base_cell!r})")

    def _alias(self) -> str:
        return "zoneout"

    def reset(self) -> None:
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        p_out, p_state = self.zoneout_outputs, self.zoneout_states
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p: float, like: NDArray) -> NDArray:
            # dropout of ones: nonzero (take the new value) with probability 1 - p in
            # training, always nonzero in prediction
            return F.Dropout(F.ones_like(like), p=p)

        prev = self._prev_output if self._prev_output is not None else \
            F.zeros_like(next_output)
        output = (F.where(keep_new(p_out, next_output), next_output, prev)
                  if p_out != 0.0 else next_output)
        new_states = ([F.where(keep_new(p_state, new), new, old)
                       for new, old in zip(next_states, states)]
                      if p_state != 0.0 else next_states)
        self._prev_output = output
        return output, new_states


class ResidualCell(ModifierCell):
    """Residual connection around a cell: ``output = base_cell(x_t) + x_t``."""

    def _alias(self) -> str:
        return "residualcell"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        output, states = self.base_cell(inputs, states)
        return F.elemwise_add(output, inputs), states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: NDArray | None = None
               ) -> tuple[Any, list]:
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length, inputs=inputs, begin_state=begin_state, layout=layout,
                merge_outputs=merge_outputs, valid_length=valid_length)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, NDArray)
        inputs, axis, _, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if valid_length is not None:
            inputs = _mask_sequence_variable_length(inputs, length, valid_length, axis,
                                                    merge_outputs)
        if merge_outputs:
            return nd.elemwise_add(outputs, inputs), states
        return [nd.elemwise_add(o, i) for o, i in zip(outputs, inputs)], states


class BidirectionalCell(HybridRecurrentCell):
    """Two cells over the sequence, ``l_cell`` forwards and ``r_cell`` backwards; the
    outputs are concatenated on the feature axis (forward first). Only ``unroll``."""

    def __init__(self, l_cell: RecurrentCell, r_cell: RecurrentCell,
                 output_prefix: str = "bi_") -> None:
        super().__init__(prefix="", params=None)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")
        self._output_prefix = output_prefix

    def __call__(self, inputs: Any, states: Any) -> Any:
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(forward={self._children['l_cell']!r}, "
                f"backward={self._children['r_cell']!r})")

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs: Any) -> list:
        if self._modified:
            raise AssertionError(_MODIFIED)
        return _cells_begin_state(self._children.values(), **kwargs)

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: NDArray | None = None
               ) -> tuple[Any, list]:
        self.reset()
        inputs, axis, _, batch_size = _format_sequence(length, inputs, layout, False)
        reversed_inputs = _reverse_sequences(inputs, length, valid_length)
        states = _get_begin_state(self, begin_state, batch_size)
        l_cell, r_cell = self._children.values()
        nl = len(l_cell.state_info(batch_size))
        l_outputs, l_states = l_cell.unroll(length, inputs=inputs, begin_state=states[:nl],
                                            layout=layout, merge_outputs=merge_outputs,
                                            valid_length=valid_length)
        r_outputs, r_states = r_cell.unroll(length, inputs=reversed_inputs,
                                            begin_state=states[nl:], layout=layout,
                                            merge_outputs=False, valid_length=valid_length)
        reversed_r = _reverse_sequences(r_outputs, length, valid_length)
        if merge_outputs is None:
            merge_outputs = isinstance(l_outputs, NDArray)
            l_outputs, _, _, _ = _format_sequence(None, l_outputs, layout, merge_outputs)
            reversed_r, _, _, _ = _format_sequence(None, reversed_r, layout, merge_outputs)
        if merge_outputs:
            if not isinstance(reversed_r, NDArray):
                reversed_r = nd.stack(*reversed_r, axis=axis)
            outputs: Any = nd.concat(l_outputs, reversed_r, dim=2)
        else:
            outputs = [nd.concat(lo, ro, dim=1) for lo, ro in zip(l_outputs, reversed_r)]
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(outputs, length, valid_length, axis,
                                                     merge_outputs)
        return outputs, l_states + r_states
