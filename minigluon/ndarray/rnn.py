"""``nd.RNN``: MXNet's fused recurrent operator (minigluon/ops/rnn.py) called on NDArrays."""

from __future__ import annotations

from typing import Any

from .. import _rng
from .._tape import STATE
from ..base import MinigluonError, NotAvailableError
from ..ops.rnn import RNN as _RNNOp
from .ndarray import NDArray, invoke


def RNN(data: NDArray, parameters: NDArray, state: NDArray, state_cell: NDArray | None = None,
        sequence_length: NDArray | None = None, state_size: int | None = None,
        num_layers: int | None = None, bidirectional: bool = False, mode: str | None = None,
        p: float = 0.0, state_outputs: bool = False, projection_size: int | None = None,
        lstm_state_clip_min: float | None = None, lstm_state_clip_max: float | None = None,
        lstm_state_clip_nan: bool = False, use_sequence_length: bool = False,
        out: NDArray | None = None, name: str | None = None, **kwargs: Any) -> Any:
    """Apply a multi-layer (bidirectional) vanilla RNN, LSTM or GRU to a sequence.

    ``data`` is ``(T, N, C)``; ``parameters`` the flat vector in MXNet's layout (all
    weights, then all biases; per layer, left-to-right then reverse direction, ``i2h``
    then ``h2h``); ``state`` (and ``state_cell`` for ``mode='lstm'``) ``(L*D, N, H)``.
    Returns the output ``(T, N, D*H)``, or with ``state_outputs=True`` the list
    ``[output, h_T]`` (``[output, h_T, c_T]`` for an LSTM). ``p`` is the dropout applied,
    while training, to the outputs of every layer but the last.
    """
    if state_size is None or num_layers is None or mode is None:
        raise MinigluonError("RNN: state_size, num_layers and mode are required")
    if projection_size or lstm_state_clip_min is not None or \
            lstm_state_clip_max is not None or use_sequence_length or \
            sequence_length is not None:
        raise NotAvailableError(
            "RNN: projection_size, lstm_state_clip_* and use_sequence_length are not "
            "implemented in minigluon")
    if out is not None:
        raise NotAvailableError("RNN: out= is not supported")
    arrays = [data, parameters, state]
    if mode == "lstm":
        if state_cell is None:
            raise MinigluonError("Operator RNN expects 4 inputs, but got 3 instead: mode "
                                 "'lstm' needs state_cell")
        arrays.append(state_cell)
    elif state_cell is not None:
        raise MinigluonError(f"Operator RNN expects 3 inputs, but got 4 instead: mode "
                             f"{mode!r} takes no state_cell")
    for i, a in enumerate(arrays):
        if not isinstance(a, NDArray):
            raise TypeError(f"RNN: input {i} is a {type(a).__name__}, not an NDArray")
    masks = None
    num_layers = int(num_layers)
    if p and STATE.training and num_layers > 1:
        D = 2 if bidirectional else 1
        shape = (data.shape[0], data.shape[1], D * int(state_size))
        gen = _rng.generator()
        scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
        masks = tuple(((gen.uniform(size=shape) >= p) * scale).astype(data.dtype)
                      for _ in range(num_layers - 1))
    op = _RNNOp(int(state_size), num_layers, bool(bidirectional), mode, float(p),
                bool(state_outputs), masks)
    y = invoke(op, arrays)
    if not state_outputs:
        return y
    # the operator packs [output; h_T; c_T] into one array (see minigluon/ops/rnn.py):
    # basic slices and reshapes of it are views, and one node stays one node
    T, N = data.shape[0], data.shape[1]
    L, D, H = num_layers, 2 if bidirectional else 1, int(state_size)
    outs = [y[:T], y[T:T + L].reshape((L * D, N, H))]
    if mode == "lstm":
        outs.append(y[T + L:].reshape((L * D, N, H)))
    return outs


__all__ = ["RNN"]
