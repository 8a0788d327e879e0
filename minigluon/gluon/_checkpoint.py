"""Checkpoints: reading and writing the files of Block, ParameterDict and Trainer.

The only Gluon module that touches the file format (:mod:`minigluon._fileformat`): every
write is atomic, and every load reads and checks the whole file (names, shapes, dtypes,
format tags) before a single parameter or state changes. The classes keep their public
methods (``Block.save_parameters``, ``ParameterDict.load``, ``Trainer.save_states`` ...)
and call these functions; they see the objects by duck typing, so this module imports
nothing from the rest of ``gluon`` but its string helpers.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections import defaultdict
from typing import Any

import numpy as np

from .._fileformat import FileFormatError, load_arrays, write_arrays
from ..base import MXNetError
from ..ndarray.ndarray import NDArray, _wrap
from .utils import _brief_print_list

_STATES_FORMAT = "minigluon-trainer-states"
_STATES_VERSION = 1


# ---- Block: structural names ('0.weight') ---------------------------------------------------

def save_block(block: Any, filename: str, deduplicate: bool = False) -> None:
    """The body of ``Block.save_parameters``."""
    params = block._collect_params_with_prefix()
    if deduplicate:
        first: dict[Any, str] = {}
        for k, v in params.items():
            first.setdefault(v, k)
        params = {k: v for v, k in first.items()}
    arrays = {key: val._reduce()._data for key, val in params.items()}
    write_arrays(filename, arrays)


def load_block(block: Any, filename: str, ctx: Any = None, allow_missing: bool = False,
               ignore_extra: bool = False, cast_dtype: bool = False,
               dtype_source: str = "current") -> None:
    """The body of ``Block.load_parameters``."""
    loaded = _load_file(filename)
    params = block._collect_params_with_prefix()
    if not loaded and not params:
        return
    if not any("." in k for k in loaded):
        # a file of full names (ParameterDict.save): match them with this block's prefix
        del loaded
        load_params(block.collect_params(), filename, ctx, allow_missing, ignore_extra,
                    block.prefix, cast_dtype=cast_dtype, dtype_source=dtype_source)
        return
    if not allow_missing:
        # a shared parameter is present if any of its structural names is in the file
        names_of: defaultdict[Any, list[str]] = defaultdict(list)
        for k, v in params.items():
            names_of[v].append(k)
        for name, param in params.items():
            if not any(n in loaded for n in names_of[param]):
                # AssertionError, as MXNet 1.9.1 (an assert there)
                raise AssertionError(
                    f"Parameter '{name}' is missing in file '{filename}', which contains "
                    f"parameters: {_brief_print_list(loaded.keys())}. Set allow_missing=True "
                    "to ignore missing parameters.")
    for name in loaded:
        if not ignore_extra and name not in params:
            raise ValueError(
                f"Parameter '{name}' loaded from file '{filename}' is not present in "
                f"ParameterDict, which contains parameters "
                f"{_brief_print_list(block._params.keys())}. Set ignore_extra=True to "
                "ignore. ")
        if name in params:
            _check_loadable({name: (params[name], loaded[name])}, cast_dtype)
    for name in loaded:
        if name in params:
            params[name]._load_init(loaded[name], ctx, cast_dtype=cast_dtype,
                                    dtype_source=dtype_source)


# ---- ParameterDict: full names ('dense0_weight') --------------------------------------------

def save_params(pd: Any, filename: str, strip_prefix: str = "") -> None:
    """The body of ``ParameterDict.save``."""
    arrays = {}
    for param in pd.values():
        if not param.name.startswith(strip_prefix):
            raise ValueError(
                f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                f"name '{param.name}' does not start with '{strip_prefix}'. this may be "
                "due to your Block shares parameters from other Blocks or you forgot to "
                "use 'with name_scope()' when creating child blocks.")
        arrays[param.name[len(strip_prefix):]] = param._reduce()._data
    write_arrays(filename, arrays)


def load_params(pd: Any, filename: str, ctx: Any = None, allow_missing: bool = False,
                ignore_extra: bool = False, restore_prefix: str = "", cast_dtype: bool = False,
                dtype_source: str = "current") -> None:
    """The body of ``ParameterDict.load``."""
    if restore_prefix:
        for name in pd.keys():
            if not name.startswith(restore_prefix):
                raise AssertionError(  # as MXNet 1.9.1 (an assert there)
                    f"restore_prefix is '{restore_prefix}' but Parameters name '{name}' does "
                    f"not start with '{restore_prefix}'.")
    loaded = _load_file(filename)
    load_params_dict(pd, loaded, ctx, allow_missing, ignore_extra, restore_prefix, filename,
                     cast_dtype, dtype_source)


def load_params_dict(pd: Any, param_dict: dict[str, NDArray], ctx: Any = None,
                     allow_missing: bool = False, ignore_extra: bool = False,
                     restore_prefix: str = "", filename: str | None = None,
                     cast_dtype: bool = False, dtype_source: str = "current") -> None:
    """The body of ``ParameterDict.load_dict``."""
    lprefix = len(restore_prefix)
    loaded = [(k[4:] if k.startswith(("arg:", "aux:")) else k, v)
              for k, v in param_dict.items()]
    arg_dict = {restore_prefix + k: v for k, v in loaded}
    where = f"file: {filename}" if filename else "param_dict"
    own = pd._params
    if not allow_missing:
        for name in pd.keys():
            if name not in arg_dict:
                raise AssertionError(  # as MXNet 1.9.1 (an assert there)
                    f"Parameter '{name[lprefix:]}' is missing in {where}, which contains "
                    f"parameters: {_brief_print_list(arg_dict.keys())}. Please make sure "
                    "source and target networks have the same prefix.")
    for name in arg_dict:
        if name not in own and not ignore_extra:
            raise AssertionError(  # as MXNet 1.9.1 (an assert there)
                f"Parameter '{name[lprefix:]}' loaded from {where} is not present in "
                f"ParameterDict, choices are: {_brief_print_list(own.keys())}. "
                "Set ignore_extra to True to ignore. Please make sure source and target "
                "networks have the same prefix.")
    _check_loadable({n: (own[n], arg_dict[n]) for n in arg_dict if n in own}, cast_dtype)
    for name in arg_dict:
        if name in own:
            own[name]._load_init(arg_dict[name], ctx, cast_dtype=cast_dtype,
                                 dtype_source=dtype_source)


def _load_file(filename: str) -> dict[str, NDArray]:
    """The name -> array dict of a parameter file, with a clear error for anything else."""
    try:
        loaded = load_arrays(filename)
    except FileFormatError as e:
        raise MXNetError(f"cannot load parameters from '{filename}': it is not a valid "
                         f"MXNet parameter file ({e})") from e
    if not isinstance(loaded, dict):
        raise MXNetError(f"cannot load parameters from '{filename}': it holds a list of "
                         f"{len(loaded)} unnamed arrays (written by nd.save of a list?), "
                         "but a parameter file maps names to arrays")
    return {k: _wrap(v, None) for k, v in loaded.items()}


def _check_loadable(pairs: dict[str, tuple[Any, NDArray]], cast_dtype: bool) -> None:
    """Run the shape and dtype checks of every pair first, so that a failing load changes
    no parameter."""
    for param, data in pairs.values():
        param._check_load(data, cast_dtype)


# ---- Trainer: optimizer states ---------------------------------------------------------------

def save_trainer_states(updater: Any, optimizer: Any, fname: str) -> None:
    """The body of ``Trainer.save_states``."""
    arrays: dict[str, np.ndarray] = {}
    layout: dict[str, Any] = {}
    for index, state in updater.states.items():
        layout[str(index)] = _flatten_state(state, f"state:{index}", arrays)
    o = optimizer
    meta = {"format": _STATES_FORMAT, "version": _STATES_VERSION,
            "optimizer": type(o).__name__.lower(), "states": layout,
            "hyper": {k: v for k, v in vars(o).items()
                      if isinstance(v, (int, float, bool, str)) or v is None},
            "index_update_count": [[i, c] for i, c in o._index_update_count.items()
                                   if isinstance(i, int)]}
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8).copy()
    write_arrays(fname, arrays)


def load_trainer_states(updater: Any, optimizer: Any, params: list[Any], fname: str) -> None:
    """The body of ``Trainer.load_states``."""
    try:
        arrays = load_arrays(fname)
        if not isinstance(arrays, dict) or "__meta__" not in arrays:
            raise ValueError("no '__meta__' entry")
        meta = json.loads(arrays["__meta__"].tobytes().decode())
        if not isinstance(meta, dict) or meta.get("format") != _STATES_FORMAT:
            raise ValueError("its '__meta__' entry is not a minigluon trainer-state tag")
        for field, kind in (("optimizer", str), ("states", dict), ("hyper", dict),
                            ("index_update_count", list)):
            if not isinstance(meta.get(field), kind):
                raise ValueError(f"'__meta__' lacks the {kind.__name__} field {field!r}")
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        # (RecursionError: JSON nested thousands deep)
        raise MXNetError(f"cannot load trainer states from '{fname}': it is not a file "
                         f"written by Trainer.save_states ({e})") from e
    version = meta.get("version")
    if type(version) is not int or not 1 <= version <= _STATES_VERSION:
        raise MXNetError(f"cannot load trainer states from '{fname}': format version "
                         f"{version!r} is not one this minigluon reads (1 to "
                         f"{_STATES_VERSION})")
    name = type(optimizer).__name__.lower()
    if meta["optimizer"] != name:
        raise MXNetError(f"cannot load trainer states from '{fname}': they were saved "
                         f"for optimizer '{meta['optimizer']}', but this Trainer uses "
                         f"'{name}'")
    o = optimizer
    hyper = _checked_hyper(o, meta["hyper"], fname)
    # the optimizer as the file describes it (SGD keeps no state without momentum)
    described = copy.copy(o)
    for k, v in hyper.items():
        setattr(described, k, v)
    states: dict[int, Any] = {}
    for key, layout in meta["states"].items():
        index = int(key) if key.isdigit() else -1
        if not 0 <= index < len(params):
            raise MXNetError(f"cannot load trainer states from '{fname}': state index "
                             f"{index} does not exist (this Trainer has "
                             f"{len(params)} parameters)")
        param = params[index]
        states[index] = _unflatten_state(layout, arrays, param, fname, f"state:{index}")
        if param._data is not None:
            # the optimizer's own state for this weight has this structure (None, an
            # array, a tuple of ...): anything else would fail at the next step
            fresh = _flatten_state(described.create_state_multi_precision(
                index, param._data), "", {})
            if layout != fresh:
                raise MXNetError(f"cannot load trainer states from '{fname}': state "
                                 f"{index} is laid out as {layout!r}, but {name} keeps "
                                 f"{fresh!r} for Parameter '{param.name}'")
    counts = _checked_counts(meta["index_update_count"], len(params), fname)
    # everything is checked: only now does the trainer change
    for k, v in hyper.items():
        setattr(o, k, v)
    o._index_update_count.clear()
    o._index_update_count.update(counts)
    updater.states = states


def _kind(v: Any) -> str:
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return "str" if isinstance(v, str) else "other"


def _checked_hyper(o: Any, hyper: dict[str, Any], fname: str) -> dict[str, Any]:
    """The saved hyper-parameters that ``o`` has, each of the kind ``o`` holds now (a
    number where a number is, a bool where a bool is...; a number may replace None, as
    an unset ``clip_gradient``), so that a wrong one is refused here and not by the next
    ``step``."""
    out = {}
    for k, v in hyper.items():
        if k == "rescale_grad" or not hasattr(o, k):
            continue
        now, new = _kind(getattr(o, k)), _kind(v)
        if new == now or (now == "None" and new == "number"):
            out[k] = v
            continue
        if now == "number" and new == "None" and k in _optional(type(o)):
            out[k] = v  # an optional number saved unset (e.g. clip_gradient)
            continue
        raise MXNetError(f"cannot load trainer states from '{fname}': hyper-parameter "
                         f"{k!r} is {v!r} ({type(v).__name__}), but the optimizer's "
                         f"{k!r} is a {now} ({getattr(o, k)!r})")
    return out


def _optional(cls: type) -> set[str]:
    """The constructor arguments of ``cls`` (and its bases) that default to None."""
    names: set[str] = set()
    for c in cls.__mro__:
        init = c.__dict__.get("__init__")
        if init is not None:
            try:
                sig = inspect.signature(init)
            except (TypeError, ValueError):
                continue
            names |= {n for n, p in sig.parameters.items() if p.default is None}
    return names


def _checked_counts(pairs: list[Any], n: int, fname: str) -> dict[int, int]:
    """The saved ``[index, update count]`` pairs, each checked."""
    counts = {}
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(type(v) is int for v in pair)
                and 0 <= pair[0] < n and pair[1] >= 0):
            raise MXNetError(f"cannot load trainer states from '{fname}': update count "
                             f"{pair!r} is not a pair [parameter index < {n}, count >= 0]")
        counts[pair[0]] = pair[1]
    return counts


def _flatten_state(state: Any, key: str, out: dict[str, np.ndarray]) -> Any:
    """Describe a state (None, an NDArray, or a tuple/list of states) and collect its
    arrays into ``out`` under keys derived from ``key``."""
    if state is None:
        return None
    if isinstance(state, NDArray):
        out[key] = state._data
        return "array"
    if isinstance(state, (tuple, list)):
        return [_flatten_state(s, f"{key}:{j}", out) for j, s in enumerate(state)]
    raise TypeError(f"cannot save an optimizer state of type {type(state).__name__}")


def _unflatten_state(layout: Any, arrays: dict[str, np.ndarray], param: Any,
                     fname: str, key: str) -> Any:
    """Rebuild a state described by ``layout`` (see :func:`_flatten_state`), checking that
    its arrays exist and have the parameter's shape and a float dtype (the parameter's,
    or float32 as MXNet makes some states whatever the weight)."""
    if layout is None:
        return None
    if key.count(":") > 6:
        raise MXNetError(f"cannot load trainer states from '{fname}': state '{key}' is "
                         "nested deeper than any optimizer's")
    if layout == "array":
        if key not in arrays:
            raise MXNetError(f"cannot load trainer states from '{fname}': '{key}' is missing")
        arr = arrays[key]
        if param.shape is not None and tuple(arr.shape) != tuple(param.shape):
            raise MXNetError(f"cannot load trainer states from '{fname}': state '{key}' has "
                             f"shape {arr.shape} but Parameter '{param.name}' has shape "
                             f"{param.shape}")
        want = np.dtype(param.dtype)
        if arr.dtype != want and arr.dtype != np.float32:
            raise MXNetError(f"cannot load trainer states from '{fname}': state '{key}' has "
                             f"dtype {arr.dtype.name} but Parameter '{param.name}' has dtype "
                             f"{want.name}" + ("" if want == np.float32 else
                                               f" (a state is {want.name} or float32)"))
        return _wrap(arr, None)
    if isinstance(layout, list):
        return tuple(_unflatten_state(sub, arrays, param, fname, f"{key}:{j}")
                     for j, sub in enumerate(layout))
    raise MXNetError(f"cannot load trainer states from '{fname}': unknown state layout "
                     f"{layout!r}")
