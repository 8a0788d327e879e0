"""W5-W7: the book's convolutional networks, minigluon against real MXNet 1.9.1 and PyTorch.

Each framework runs in a process of its own (cnn_child.py), one thread, all its jobs in a
row; the W6 training step's peak memory is measured in one more process per framework.
MXNet runs with the Python of the oracle environment (``MINIGLUON_MXNET_PYTHON``, default
``~/mxnet-oracle/bin/python``) and the same Gluon code; PyTorch runs when this Python can
import it. A missing peer is reported as such, never an error.

Reported per row: the median step time of each framework over the timed steps (after
warm-up) with the interquartile range, and minigluon's time over each peer's, from CPU
time (the targets are judged on it: on a shared machine it leaves out the time other
processes held the core; every side runs one thread) and from the wall clock.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "cnn_child.py")

#: workload -> [(row id, model, mode, batch, size)]; the target is minigluon <= 1.0x MXNet
FULL = {
    "W5": [("W5", "lenet", "train", 256, 28)],
    "W6": [("W6-train", "resnet", "train", 32, 96), ("W6-predict", "resnet", "predict", 32, 96)],
    "W7": [(f"W7-{m}", m, "train", 32, s) for m, s in
           (("alexnet", 224), ("vgg", 224), ("nin", 224), ("googlenet", 96),
            ("densenet", 96))],
}
#: the smallest input each network takes (smoke sizes)
SMOKE_SIZE = {"lenet": 28, "resnet": 32, "alexnet": 67, "vgg": 32, "nin": 67,
              "googlenet": 32, "densenet": 32}
NAMES = {"lenet": "LeNet (5.5)", "resnet": "ResNet-18 (5.11)", "alexnet": "AlexNet (5.6)",
         "vgg": "VGG-11 narrow /4 (5.7)", "nin": "NiN (5.8)", "googlenet": "GoogLeNet (5.9)",
         "densenet": "DenseNet (5.12)"}


def mxnet_python() -> str | None:
    exe = os.environ.get("MINIGLUON_MXNET_PYTHON",
                         os.path.expanduser("~/mxnet-oracle/bin/python"))
    return exe if os.path.exists(exe) else None


def peers(wanted: tuple[str, ...] = ("mxnet", "torch")) -> dict[str, str | None]:
    """framework -> the Python that runs it (None: not available here, or not wanted)."""
    return {"minigluon": sys.executable,
            "mxnet": mxnet_python() if "mxnet" in wanted else None,
            "torch": sys.executable if "torch" in wanted and importlib.util.find_spec("torch")
            else None}


def _start(python: str, framework: str, jobs: list[dict], memory: bool = False
           ) -> subprocess.Popen:
    cmd = [python, CHILD, "--framework", framework, "--jobs", json.dumps(jobs)]
    if memory:
        cmd.append("--memory")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen, framework: str) -> list[dict]:
    out, err = proc.communicate(timeout=7200)
    if proc.returncode != 0:
        raise RuntimeError(f"{framework} benchmark child failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])["results"]


def _stats(xs: list[float]) -> dict[str, float]:
    q = np.percentile(np.asarray(xs, dtype=float), [25, 50, 75])
    return {"median": float(q[1]), "q1": float(q[0]), "q3": float(q[2])}


def run(workloads: list[str], smoke: bool, steps: int, warmup: int,
        wanted: tuple[str, ...] = ("mxnet", "torch"), parallel: bool = False
        ) -> tuple[list[dict], dict]:
    """Rows for the chosen CNN workloads against the ``wanted`` peers, and details
    (per-step times, peak memory)."""
    plan = [(w, *spec) for w in workloads for spec in FULL[w]]
    jobs = []
    for _, _, model, mode, batch, size in plan:
        jobs.append({"model": model, "mode": mode, "batch": 1 if smoke else batch,
                     "size": SMOKE_SIZE[model] if smoke else size, "steps": steps,
                     "warmup": warmup})
    where = peers(wanted)
    i_mem = [p[1] for p in plan].index("W6-train") if "W6" in workloads else None
    # one process per framework (plus one per framework for the peak memory, a lifetime
    # figure); with ``parallel``, one process per framework and job, all at once: on a
    # busy shared machine that gets them more of it, and the CPU times stay comparable
    procs: dict[tuple[str, int | None, bool], subprocess.Popen] = {}
    order = [(fw, None, False) for fw in where if where[fw] is not None]
    if parallel:
        order = [(fw, k, False) for fw, _, _ in order for k in range(len(jobs))]
    if i_mem is not None:
        order += [(fw, None, True) for fw in where if where[fw] is not None]
    parts: dict[str, dict[int | None, list[dict]]] = {fw: {} for fw in where}
    memory: dict[str, int | None] = {fw: None for fw in where}
    errors: dict[str, str] = {}

    def collect(key: tuple[str, int | None, bool]) -> None:
        fw, k, mem = key
        try:
            got = _finish(procs.pop(key), fw)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            if fw == "minigluon":
                raise
            errors[fw] = str(e)
            return
        if mem:
            memory[fw] = got[0]["peak_bytes"]
        else:
            parts[fw][k] = got

    for key in order:
        fw, k, mem = key
        python = where[fw]
        assert python is not None
        print(f"  {fw}{' (peak memory)' if mem else ''} ...", flush=True)
        job = [dict(jobs[i_mem], steps=2, warmup=1)] if mem else \
            jobs if k is None else [jobs[k]]
        procs[key] = _start(python, fw, job, memory=mem)
        if not parallel:
            collect(key)
    for key in list(procs):
        collect(key)
    results: dict[str, list[dict] | None] = {}
    for fw in where:
        got = parts[fw]
        if None in got:
            results[fw] = got[None]
        elif got and len(got) == len(jobs) and fw not in errors:
            results[fw] = [got[k][0] for k in range(len(jobs))]
        else:
            results[fw] = None
    rows = []
    for k, (w, id_, model, mode, _, _) in enumerate(plan):
        job = jobs[k]
        row: dict[str, Any] = {
            "id": id_, "unit": "s",
            "name": f"{id_} {NAMES[model]} {'training' if mode == 'train' else 'prediction'}"
                    f" step, batch {job['batch']}, {job['size']}x{job['size']}",
            "target": "≤ 1.0x MXNet" + (" (stretch: ≤ PyTorch, ≤ 25 ms)" if w == "W5" else
                                        " (stretch: ≤ PyTorch)"),
            "limit": 1.0, "steps": steps, "warmup": warmup,
        }
        for fw in where:
            r = results.get(fw)
            if r is None:
                row[fw] = None
                continue
            rk = r[k]
            row[fw] = _stats(rk["cpu"])["median"]
            row[f"{fw}_cpu"] = _stats(rk["cpu"])
            row[f"{fw}_wall"] = _stats(rk["wall"])
            row[f"{fw}_first_value"] = rk["first_value"]
            # near 1 on one thread; well above 1 would mean the framework used more cores
            row[f"{fw}_cpu_per_wall"] = (sum(rk["cpu"]) / sum(rk["wall"])
                                         if sum(rk["wall"]) > 0 else None)
        for peer in ("mxnet", "torch"):
            if row.get(peer):
                row[f"ratio_{peer}"] = row["minigluon"] / row[peer]
                row[f"wall_ratio_{peer}"] = (row["minigluon_wall"]["median"]
                                             / row[f"{peer}_wall"]["median"])
            else:
                row[f"ratio_{peer}"] = row[f"wall_ratio_{peer}"] = None
        mg = (results.get("minigluon") or [{}] * len(jobs))[k]
        row["gemm_floor"] = mg.get("gemm_floor")
        row["value"] = row["ratio_mxnet"]
        row["parallel"] = parallel
        if errors:
            row["errors"] = errors
        rows.append(row)
    if "W6" in workloads:
        mg, ref = memory.get("minigluon"), memory.get("mxnet")
        rows.append({
            "id": "W6-memory", "unit": "MiB",
            "name": "W6-memory ResNet-18 training step: peak resident memory over the "
                    "process before the first forward",
            "target": "≤ 1.5x MXNet", "limit": 1.5, "minigluon": mg, "mxnet": ref,
            "torch": memory.get("torch"),
            "ratio_mxnet": mg / ref if mg and ref else None,
            "ratio_torch": mg / memory["torch"] if mg and memory.get("torch") else None,
            "value": mg / ref if mg and ref else None})
    for row in rows:
        v, lim = row["value"], row["limit"]
        row["status"] = "info" if v is None else "PASS" if v <= lim else "MISS"
        if row["id"] == "W5" and v is not None and v <= lim:
            stretch = (row.get("ratio_torch") or np.inf) <= 1 and row["minigluon"] <= 0.025
            row["status"] = f"PASS (stretch {'PASS' if stretch else 'MISS'})"
    detail = {"peers": {k: v is not None for k, v in where.items()}, "memory": memory,
              "results": results, "errors": errors}
    return rows, detail


def _time(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def _cell(row: dict, fw: str) -> str:
    if row.get(fw) is None:
        return "-"
    if row["unit"] == "MiB":
        return f"{row[fw] / 2**20:.0f} MiB"
    c, w = row[f"{fw}_cpu"], row[f"{fw}_wall"]
    return (f"{_time(c['median'])} [{_time(c['q1'])}-{_time(c['q3'])}] "
            f"(wall {_time(w['median'])})")


def _ratio(row: dict, peer: str) -> str:
    r = row.get(f"ratio_{peer}")
    if r is None:
        return "-"
    w = row.get(f"wall_ratio_{peer}")
    return f"{r:.2f}x" + (f" (wall {w:.2f}x)" if w is not None else "")


def markdown(rows: list[dict], detail: dict) -> str:
    """The CNN table: CPU-time medians [IQR] per step, wall medians, ratios."""
    have = detail["peers"]
    lines = ["## CNN workloads: minigluon against MXNet 1.9.1 and PyTorch", "",
             "Per step, one thread each, median CPU time [interquartile range] over the "
             "timed steps after warm-up, and the wall-clock median; ratios are minigluon's "
             "time over the peer's (CPU; wall in parentheses). Peers: MXNet "
             f"{'ran' if have['mxnet'] else 'not run'}, PyTorch "
             f"{'ran' if have['torch'] else 'not installed or not run (skipped)'}.", "",
             "| CNN workload | minigluon | MXNet 1.9.1 | PyTorch | vs MXNet | vs PyTorch "
             "| GEMM floor | target | status |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {_cell(r, 'minigluon')} | {_cell(r, 'mxnet')} | "
                     f"{_cell(r, 'torch')} | {_ratio(r, 'mxnet')} | {_ratio(r, 'torch')} | "
                     f"{_time(r.get('gemm_floor'))} | {r['target']} | {r['status']} |")
    lines += ["", "GEMM floor: the time the step's matrix products alone take at this "
              "machine's best single-thread SGEMM speed (a 1024^3 product): the direct "
              "method's multiply-adds of every Convolution and FullyConnected in one "
              "forward, three times for training (forward, dW, dx). MXNet's oneDNN runs "
              "these multiply-adds in its own JIT-compiled kernels; minigluon runs most of "
              "them through NumPy's BLAS, except in its Winograd layers (wide 3x3 ones), "
              "which need 2.25 times fewer."]
    return "\n".join(lines) + "\n"
