"""``mx.runtime``: which of MXNet 1.9.1's compile-time features minigluon has.

The names are MXNet's, in MXNet's order. minigluon runs on NumPy: it has no GPU
libraries, no MKL-DNN, OpenCV, profiler or distributed kvstore; its BLAS and LAPACK are
NumPy's (``BLAS_OPEN`` is on when NumPy is linked to OpenBLAS, ``BLAS_MKL`` when to MKL,
``BLAS_APPLE`` for Accelerate), and its ``CPU_*`` features are those NumPy was compiled for
as its baseline. Sizes are 64-bit (``INT64_TENSOR_SIZE``).

Examples
--------
>>> from minigluon import runtime
>>> features = runtime.Features()
>>> features.is_enabled("CUDA"), features.is_enabled("LAPACK")
(False, True)
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

__all__ = ["Feature", "Features", "feature_list"]

_NAMES = ("CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT", "CPU_SSE", "CPU_SSE2", "CPU_SSE3",
          "CPU_SSE4_1", "CPU_SSE4_2", "CPU_SSE4A", "CPU_AVX", "CPU_AVX2", "OPENMP", "SSE",
          "F16C", "JEMALLOC", "BLAS_OPEN", "BLAS_ATLAS", "BLAS_MKL", "BLAS_APPLE", "LAPACK",
          "MKLDNN", "OPENCV", "CAFFE", "PROFILER", "DIST_KVSTORE", "CXX14",
          "INT64_TENSOR_SIZE", "SIGNAL_HANDLER", "DEBUG", "TVM_OP")


class Feature:
    """A feature's ``name`` and whether it is ``enabled``; prints as ``✔ NAME``/``✖ NAME``."""

    __slots__ = ("name", "enabled")

    def __init__(self, name: str, enabled: bool) -> None:
        self.name = name
        self.enabled = enabled

    def __repr__(self) -> str:
        return f"{'✔' if self.enabled else '✖'} {self.name}"


def _numpy_baseline() -> set[str]:
    """The CPU features NumPy's build requires (its compile-time baseline)."""
    for mod in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            m = __import__(mod, fromlist=["__cpu_baseline__"])
            return set(getattr(m, "__cpu_baseline__", ()))
        except ImportError:
            continue
    return set()


def _numpy_blas() -> str:
    """The name of the BLAS NumPy is linked to ('' if unknown)."""
    try:
        cfg: Any = np.show_config(mode="dicts")  # NumPy >= 1.25
        return str(cfg["Build Dependencies"]["blas"]["name"]).lower()
    except Exception:  # an older NumPy or another layout: report no BLAS family
        return ""


def feature_list() -> list[Feature]:
    """Every feature MXNet 1.9.1 reports, enabled where minigluon has it."""
    base = _numpy_baseline()
    blas = _numpy_blas()
    on = {"LAPACK", "INT64_TENSOR_SIZE"}
    # NumPy >= 2.4 names x86-64 levels; older NumPy lists the extensions themselves
    if "X86_V2" in base or "X86_V3" in base:
        base |= {"SSE", "SSE2", "SSE3", "SSE41", "SSE42"}
    if "X86_V3" in base:
        base |= {"AVX", "AVX2", "F16C"}
    on |= {f"CPU_{f}" for f in ("SSE", "SSE2", "SSE3", "SSE4_1", "SSE4_2", "AVX", "AVX2")
           if f.replace("SSE4_", "SSE4") in base}
    on |= {"F16C"} & base
    if "openblas" in blas:
        on.add("BLAS_OPEN")
    elif "mkl" in blas:
        on.add("BLAS_MKL")
    elif "accelerate" in blas:
        on.add("BLAS_APPLE")
    return [Feature(n, n in on) for n in _NAMES]


class Features(collections.OrderedDict):
    """The features by name (one shared instance, as in MXNet)."""

    instance: Features | None = None

    def __new__(cls) -> Features:
        if cls.instance is None:
            cls.instance = super().__new__(cls)
            collections.OrderedDict.__init__(cls.instance,
                                             [(f.name, f) for f in feature_list()])
        return cls.instance

    def __init__(self) -> None:  # filled once in __new__
        pass

    def __repr__(self) -> str:
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        """Whether the feature is there; ``RuntimeError`` for a name MXNet does not know."""
        feature_name = feature_name.upper()
        if feature_name not in self:
            raise RuntimeError(f"Feature '{feature_name}' is unknown, known features are: "
                               f"{list(self.keys())}")
        return self[feature_name].enabled
