"""``mx.kv``: a key-value store that sums the arrays of several devices, as MXNet's
single-machine stores ``'local'`` and ``'device'`` do.

``push`` sums the values given for a key (one per device) and, if an optimizer was set,
applies it to the stored weight with that sum as gradient; otherwise the sum replaces the
stored value. ``pull`` copies the stored value to every output array, on its own device.
This is the all-reduce of data-parallel training (chapter 8 of the book). Distributed
stores (``'dist_*'``) need several machines and are not available.

Examples
--------
>>> import minigluon as mx
>>> kv = mx.kv.create('local')
>>> kv.init(3, mx.nd.ones((2,)))
>>> kv.push(3, [mx.nd.ones((2,)), mx.nd.ones((2,)) * 2])
>>> out = mx.nd.zeros((2,))
>>> kv.pull(3, out=out)
>>> out
<BLANKLINE>
[3. 3.]
<NDArray 2 @cpu(0)>
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import MinigluonError, NotAvailableError
from .ndarray.ndarray import NDArray, _wrap
from .optimizer import Optimizer, get_updater

__all__ = ["KVStore", "create"]


def _key_list(key: Any, value: Any) -> tuple[list[Any], list[list[NDArray]]]:
    """Keys and, per key, the list of its arrays (one per device)."""
    if isinstance(key, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(key):
            raise ValueError(f"{len(key)} keys need a list of {len(key)} values, got "
                             f"{type(value).__name__}")
        vals = [list(v) if isinstance(v, (list, tuple)) else [v] for v in value]
        return list(key), vals
    return [key], [list(value) if isinstance(value, (list, tuple)) else [value]]


class KVStore:
    """A single-process store: ``create('local')`` or ``create('device')``."""

    def __init__(self, name: str = "local") -> None:
        self._type = name
        self._store: dict[Any, NDArray] = {}
        self._key_type: type | None = None
        self._updater: Callable[[Any, Any, Any], None] | None = None
        self._optimizer: Optimizer | None = None

    @property
    def type(self) -> str:
        """The name the store was created with (``'local'``, ``'device'``)."""
        return self._type

    @property
    def rank(self) -> int:
        """This worker's number: always 0 (one process)."""
        return 0

    @property
    def num_workers(self) -> int:
        """The number of workers: always 1."""
        return 1

    def _check_key(self, k: Any) -> None:
        t = str if isinstance(k, str) else int
        if t is int and not isinstance(k, (int, np.integer)):
            raise TypeError(f"a kvstore key is an int or a str, got {type(k).__name__}")
        if self._key_type is None:
            self._key_type = t
        elif self._key_type is not t:
            a, b = (1, 0) if t is str else (0, 1)
            raise MinigluonError(f"Check failed: key_type_ == key_type ({a} vs. {b}) : "
                                 "Mixed key types are not allowed")

    def _stored(self, k: Any) -> NDArray:
        v = self._store.get(k)
        if v is None:
            raise MinigluonError(f"Check failed: !local.is_none(): key {k} has not been "
                                 "inited")
        return v

    def init(self, key: Any, value: Any) -> None:
        """Store a copy of ``value`` (the first array if a list) under ``key``."""
        keys, vals = _key_list(key, value)
        for k, vs in zip(keys, vals):
            self._check_key(k)
            if k in self._store:
                raise MinigluonError("Check failed: str_key_dict_.find(str_key) == "
                                     f"str_key_dict_.end(): duplicate init of key {k}")
            v = vs[0]
            self._store[k] = _wrap(v._data.copy(), None)  # kept on the CPU, as 'local'

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Sum the arrays given for each key (one per device) into the stored value: the
        optimizer's update if one is set, else the sum replaces the value."""
        keys, vals = _key_list(key, value)
        for k, vs in zip(keys, vals):
            stored = self._stored(k)
            total = vs[0]._data.copy()
            for v in vs[1:]:
                if v.shape != total.shape:
                    raise MinigluonError(
                        "Check failed: from.shape() == to.shape(): operands shape mismatch "
                        f"from.shape = {list(v.shape)} to.shape={list(total.shape)}".replace(
                            ", ", ","))
                total += v._data
            if self._updater is not None:
                self._updater(k, _wrap(total, None), stored)
            else:
                if total.shape != stored.shape:
                    raise MinigluonError(
                        f"push to key {k}: the value has shape {total.shape} but the "
                        f"stored one {stored.shape}")
                stored._data[...] = total
                stored._vc[0] += 1

    def pull(self, key: Any, out: Any = None, priority: int = 0,
             ignore_sparse: bool = True) -> None:
        """Copy the stored value of each key into ``out`` (an array or one per device)."""
        if out is None:
            raise ValueError("pull needs out= (the arrays to copy the value into)")
        keys, outs = _key_list(key, out)
        for k, os_ in zip(keys, outs):
            stored = self._stored(k)
            for o in os_:
                o[:] = stored

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """:meth:`push` then :meth:`pull`, into ``out`` (or back into ``value``)."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """:meth:`init` with ``value``, then :meth:`pull` into ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def set_optimizer(self, optimizer: Optimizer) -> None:
        """Apply ``optimizer`` to the stored values at every push (update on kvstore)."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"set_optimizer needs an Optimizer, got {type(optimizer).__name__}")
        self._optimizer = optimizer
        self._updater = get_updater(optimizer)

    def _set_updater(self, updater: Callable[[Any, Any, Any], None]) -> None:
        self._updater = updater

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """Write the optimizer's states (and optimizer) to ``fname``."""
        if self._updater is None or not hasattr(self._updater, "get_states"):
            raise MinigluonError("Cannot save states for distributed training")
        data = self._updater.get_states(dump_optimizer)
        tmp = f"{fname}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, fname)

    def load_optimizer_states(self, fname: str) -> None:
        """Read what :meth:`save_optimizer_states` wrote (pickle: only trusted files)."""
        if self._updater is None or not hasattr(self._updater, "set_states"):
            raise MinigluonError("Cannot load states for distributed training")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())


def create(name: str = "local") -> KVStore:
    """A key-value store. ``'local'`` and ``'device'`` (and any other single-machine name,
    as MXNet accepts) sum on the host; ``'dist_*'`` stores are not available."""
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    if name.startswith("dist") or name in ("horovod", "byteps"):
        raise NotAvailableError(
            f"kvstore {name!r}: distributed training needs several processes or machines, "
            "which minigluon does not run; use 'local' or 'device'")
    return KVStore(name)


