"""``nd.RNN``: MXNet's fused recurrent operator (minigluon/ops/rnn.py) called on NDArrays."""

from __future__ import annotations

import warnings
from typing import Any

from .. import _rng
from .._tape import STATE
from ..base import MinigluonError, MXNetError, NotAvailableError
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

    ``projection_size`` (LSTM only) projects each new state, ``h_t = W_hr (o_t
    tanh(c_t))``, so states and outputs have ``projection_size`` features; as in MXNet on
    CPU it works for inference only (recording or training mode raises). As MXNet 1.9.1's
    CPU operator does, ``lstm_state_clip_*`` and ``use_sequence_length`` are accepted and
    have no effect (only cuDNN implements them); minigluon says so with a warning.
    """
    if state_size is None or num_layers is None or mode is None:
        raise MinigluonError("RNN: state_size, num_layers and mode are required")
    if use_sequence_length != (sequence_length is not None):
        want = (4 if mode == "lstm" else 3) + bool(use_sequence_length)
        got = want - 1 if use_sequence_length else want + 1
        raise MXNetError(f"Operator RNN expects {want} inputs, but got {got} instead"
                         + (": use_sequence_length=True takes a sequence_length"
                                       if use_sequence_length else
                                       ": a sequence_length needs use_sequence_length=True"))
    if lstm_state_clip_min is not None or lstm_state_clip_max is not None:
        warnings.warn("RNN: lstm_state_clip_min/lstm_state_clip_max have no effect, as in "
                      "MXNet 1.9.1 on CPU (only its cuDNN GPU operator clips the cell "
                      "states)", UserWarning, stacklevel=2)
    if use_sequence_length:
        if tuple(getattr(sequence_length, "shape", ())) != (data.shape[1],):
            raise MinigluonError(f"RNN: sequence_length must have shape (batch size,) = "
                                 f"({data.shape[1]},), got "
                                 f"{getattr(sequence_length, 'shape', sequence_length)}")
        warnings.warn("RNN: use_sequence_length has no effect, as in MXNet 1.9.1 on CPU "
                      "(only its cuDNN GPU operator stops each sequence at its length): "
                      "every sequence runs all the time steps", UserWarning, stacklevel=2)
    proj = int(projection_size) if projection_size else None
    if proj is not None and (STATE.recording or STATE.training):
        raise MXNetError("RNN: No training support for LSTM with projection on CPU "
                         "currently (MXNet 1.9.1's CPU operator runs projection_size in "
                         "inference only: outside autograd.record() and train_mode())")
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
        shape = (data.shape[0], data.shape[1], D * (proj or int(state_size)))
        gen = _rng.generator()
        scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
        masks = tuple(((gen.uniform(size=shape) >= p) * scale).astype(data.dtype)
                      for _ in range(num_layers - 1))
    op = _RNNOp(int(state_size), num_layers, bool(bidirectional), mode, float(p),
                bool(state_outputs), masks, proj)
    y = invoke(op, arrays)
    if not state_outputs:
        return y
    # the operator packs [output; h_T; c_T] into one array (see minigluon/ops/rnn.py):
    # basic slices and reshapes of it are views, and one node stays one node
    T, N = data.shape[0], data.shape[1]
    L, D, H = num_layers, 2 if bidirectional else 1, int(state_size)
    if proj is not None:  # packed flat: the cells are wider than the outputs' rows
        a, b = T * N * D * proj, L * D * N * proj
        outs = [y[:a].reshape((T, N, D * proj)), y[a:a + b].reshape((L * D, N, proj)),
                y[a + b:].reshape((L * D, N, H))]
        return outs
    outs = [y[:T], y[T:T + L].reshape((L * D, N, H))]
    if mode == "lstm":
        outs.append(y[T + L:].reshape((L * D, N, H)))
    return outs


__all__ = ["RNN"]
