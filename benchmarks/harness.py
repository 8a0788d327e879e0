"""Timing and reporting helpers shared by the workloads.

Times are taken in one process, minigluon and NumPy alternating (ABBA order), so that a burst
of machine noise lands on both sides of a ratio rather than on one. Each repeat yields one
ratio; we report the median of the times and the median and interquartile range of the
per-repeat ratios.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Step = Callable[[], Any]


def quartiles(xs: list[float]) -> tuple[float, float, float]:
    """(25th percentile, median, 75th percentile)."""
    q = np.percentile(np.asarray(xs, dtype=float), [25, 50, 75])
    return float(q[0]), float(q[1]), float(q[2])


def _calibrate(fn: Step, batch_seconds: float) -> int:
    """How many calls of ``fn`` take about ``batch_seconds``."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= batch_seconds / 4 or n >= 1 << 20:
            return max(1, round(n * batch_seconds / max(dt, 1e-9)))
        n *= 4


def _batch(fn: Step, n: int) -> tuple[float, float]:
    """Wall and CPU seconds per call over ``n`` calls. CPU time does not grow while other
    processes hold the core, so on a shared machine its ratio is the steadier one."""
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n


def compare(mg: Step, ref: Step, repeats: int, batch_seconds: float) -> dict[str, Any]:
    """Interleaved timing of two step functions; seconds per call and per-repeat ratios.

    Each repeat times a batch of calls of each (the batch size is calibrated per function
    so both batches last about ``batch_seconds``), in the order mg, ref on even repeats and
    ref, mg on odd ones. The garbage collector stays on (it is part of what a user pays),
    but a collection is run before every batch so that one side does not inherit the
    other's garbage.
    """
    mg()
    ref()  # warm caches and lazy imports
    n_mg, n_ref = _calibrate(mg, batch_seconds), _calibrate(ref, batch_seconds)
    wall: dict[int, list[float]] = {0: [], 1: []}
    cpu: dict[int, list[float]] = {0: [], 1: []}
    for r in range(repeats):
        for which in ((0, 1) if r % 2 == 0 else (1, 0)):
            gc.collect()
            w, c = _batch(mg, n_mg) if which == 0 else _batch(ref, n_ref)
            wall[which].append(w)
            cpu[which].append(c)
    return summarize(wall[0], wall[1], cpu[0], cpu[1]) | {"calls_per_repeat": [n_mg, n_ref]}


def summarize(t_mg: list[float], t_ref: list[float], c_mg: list[float], c_ref: list[float]
              ) -> dict[str, Any]:
    """Medians of wall and CPU times, and quartiles of the per-repeat ratios."""
    q1, med, q3 = quartiles([a / b for a, b in zip(t_mg, t_ref)])
    cq1, cmed, cq3 = quartiles([a / b if b > 0 else math.nan for a, b in zip(c_mg, c_ref)])
    return {"minigluon": statistics.median(t_mg), "numpy": statistics.median(t_ref),
            "ratio": med, "ratio_q1": q1, "ratio_q3": q3, "repeats": len(t_mg),
            "cpu_minigluon": statistics.median(c_mg), "cpu_numpy": statistics.median(c_ref),
            "cpu_ratio": cmed, "cpu_ratio_q1": cq1, "cpu_ratio_q3": cq3,
            "times_minigluon": t_mg, "times_numpy": t_ref,
            "cpu_times_minigluon": c_mg, "cpu_times_numpy": c_ref}


def time_alone(fn: Step, repeats: int, batch_seconds: float) -> list[float]:
    """Seconds per call of ``fn`` in each of ``repeats`` batches."""
    fn()
    n = _calibrate(fn, batch_seconds)
    out = []
    for _ in range(repeats):
        gc.collect()
        out.append(_batch(fn, n)[0])
    return out


def blas_info() -> dict[str, Any]:
    """Which BLAS NumPy runs and with how many threads (threadpoolctl if installed)."""
    info: dict[str, Any] = {
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": _cpu_name(),
        "env": {k: os.environ.get(k) for k in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }
    try:
        import threadpoolctl
    except ImportError:
        info["blas"] = "unknown (threadpoolctl not installed; thread variables set to 1)"
        return info
    pools = threadpoolctl.threadpool_info()
    info["pools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "version",
                                             "num_threads", "architecture", "prefix")}
                     for p in pools]
    blas = [p for p in pools if p.get("user_api") == "blas"]
    if blas:
        b = blas[0]
        info["blas"] = (f"{b.get('internal_api')} {b.get('version')}, kernel "
                        f"{b.get('architecture')}, {b.get('num_threads')} thread(s)")
    else:
        info["blas"] = "none found by threadpoolctl"
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(x: Any, unit: str) -> str:
    """A measurement as it reads in the table."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if unit == "s":
        return f"{x * 1e6:.1f} µs" if x < 1e-3 else f"{x * 1e3:.2f} ms" if x < 1 else f"{x:.2f} s"
    if unit == "us":
        return f"{x:.2f} µs"
    if unit == "MiB":
        return f"{x / 2**20:.1f} MiB" if x >= 2**20 else f"{x / 2**10:.1f} KiB"
    if unit == "act":
        return f"{x:.3f} act"
    if unit == "bytes":
        return f"{x:.0f} B"
    return f"{x:.3g}"


def import_times(runs: int, bytecode_cache: bool = True) -> dict[str, Any]:
    """Wall time of ``python -c "import minigluon"`` and of ``import numpy``, each run as
    a fresh process, alternating; medians and the per-run ratio's quartiles.

    With ``bytecode_cache`` (what an installed package has) the compiled bytecode of both
    is kept in a temporary folder (PYTHONPYCACHEPREFIX, so the source tree stays clean)
    and the first, compiling, run is not counted. Without it, PYTHONDONTWRITEBYTECODE=1:
    every run compiles the sources that have no bytecode yet.
    """
    import shutil
    import subprocess
    import tempfile

    env = dict(os.environ)
    cache = tempfile.mkdtemp(prefix="pycache-") if bytecode_cache else None
    if cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)

    def once(module: str) -> tuple[float, float]:
        r0, t0 = _child_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
        return time.perf_counter() - t0, _child_cpu() - r0

    try:
        if cache:  # compile into the cache, not counted
            once("minigluon")
            once("numpy")
        wall: dict[str, list[float]] = {"minigluon": [], "numpy": []}
        cpu: dict[str, list[float]] = {"minigluon": [], "numpy": []}
        for r in range(runs):
            for module in (("minigluon", "numpy") if r % 2 == 0 else ("numpy", "minigluon")):
                w, c = once(module)
                wall[module].append(w)
                cpu[module].append(c)
    finally:
        if cache:
            shutil.rmtree(cache, ignore_errors=True)
    return summarize(wall["minigluon"], wall["numpy"], cpu["minigluon"], cpu["numpy"])


def _child_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime
