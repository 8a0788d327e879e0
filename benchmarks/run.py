"""minigluon against hand-written NumPy: speed and memory.

Each workload runs minigluon and a NumPy version of the same computation (formulas and
gradients written out by hand), alternating the two in one process so that machine noise
hits both; BLAS runs on one thread for both. Printed: medians, and the ratio
minigluon/NumPy as the median of per-repeat ratios with its interquartile range [q1-q3],
from wall-clock and from CPU times. Targets are judged on CPU time, which leaves out the
time other processes held the core; import time on the wall clock.

Workloads: W1 the book's linear-regression step; W2 the d2l 3.14 MLP in Gluon form (train
step and prediction); W3 per-operation overhead on a chain of 100 small elementwise
operations; W4 the memory the tape keeps for backward; and the time to import minigluon.
W5-W7 (cnn.py) time the book's convolutional networks against real MXNet 1.9.1 and, when
installed, PyTorch, each in a process of its own: W5 LeNet, W6 ResNet-18 (training,
prediction, peak memory), W7 AlexNet, VGG, NiN, GoogLeNet and DenseNet.

OpenBLAS kernels: on some processors this machine sets OPENBLAS_CORETYPE (and
OPENBLAS_L2_SIZE) because old OpenBLAS builds misbehave there; they slow a current NumPy.
To benchmark, unset both together for that one command, and check the "BLAS" line of the
output (threadpoolctl's kernel name):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py

Never change them in tests or CI.
"""

from __future__ import annotations

import os
import sys

# one BLAS thread for minigluon and NumPy alike: must happen before NumPy is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import cnn  # noqa: E402
import harness  # noqa: E402
import memory  # noqa: E402
import workloads  # noqa: E402
from harness import fmt, quartiles  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

#: (repeats, seconds per timed batch, W2 sizes, W4 sizes, import runs, CNN steps timed
#: after warm-up steps; the CNN sizes are in cnn.py)
SIZES = {
    "full": {"repeats": 21, "batch_seconds": 0.05, "w2": (256, 784, 256, 10),
             "w4": (1024, 1024, 10), "import_runs": 11, "cnn_steps": 10, "cnn_warmup": 1},
    "smoke": {"repeats": 3, "batch_seconds": 0.002, "w2": (16, 32, 16, 10),
              "w4": (64, 64, 3), "import_runs": 1, "cnn_steps": 1, "cnn_warmup": 0},
}


def _limit_threads() -> Any:
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl.threadpool_limits(1)


def _status(value: float | None, limit: float | None, stretch: float | None = None) -> str:
    if value is None or limit is None:
        return "info"
    if value > limit:
        return "MISS"
    if stretch is not None:
        return "PASS (stretch PASS)" if value <= stretch else "PASS (stretch MISS)"
    return "PASS"


def _row(id_: str, name: str, unit: str, minigluon: Any, numpy: Any, *, ratio: Any = None,
         q: tuple[float, float] | None = None, value: Any = None, target: str = "",
         limit: float | None = None, stretch: float | None = None, **extra: Any
         ) -> dict[str, Any]:
    row = {"id": id_, "name": name, "unit": unit, "minigluon": minigluon, "numpy": numpy,
           "ratio": ratio, "ratio_q1": q[0] if q else None, "ratio_q3": q[1] if q else None,
           "value": value, "target": target, "limit": limit, "stretch": stretch,
           "status": _status(value, limit, stretch)}
    row.update(extra)
    return row


def _timed_row(id_: str, name: str, c: dict[str, Any], per: int = 1, unit: str = "s",
               **kw: Any) -> dict[str, Any]:
    scale = 1e6 / per if unit == "us" else 1.0
    return _row(id_, name, unit, c["minigluon"] * scale, c["numpy"] * scale,
                ratio=c["ratio"], q=(c["ratio_q1"], c["ratio_q3"]), repeats=c["repeats"],
                seconds_minigluon=c["times_minigluon"], seconds_numpy=c["times_numpy"],
                cpu_minigluon=c["cpu_minigluon"] * scale, cpu_numpy=c["cpu_numpy"] * scale,
                cpu_ratio=c["cpu_ratio"], cpu_ratio_q1=c["cpu_ratio_q1"],
                cpu_ratio_q3=c["cpu_ratio_q3"], **kw)


def _checked(steps: tuple[Any, Any], check: Any, n: int = 3) -> bool:
    """Run both sides the same number of steps and compare their results."""
    for _ in range(n):
        steps[0]()
        steps[1]()
    return bool(check())


def run_w1(cfg: dict) -> list[dict]:
    mg, ref, check = workloads.w1_steps()
    agree = _checked((mg, ref), check)
    c = harness.compare(mg, ref, cfg["repeats"], cfg["batch_seconds"])
    return [_timed_row("W1", "W1 linear regression step (batch 10, 2 features)", c,
                       value=c["cpu_ratio"], target="≤ 3.5x (stretch 2.5x)", limit=3.5,
                       stretch=2.5, agree=agree)]


def run_w2(cfg: dict) -> list[dict]:
    why = workloads.gluon_status()
    if why is None:
        try:
            s = workloads.w2_steps(*cfg["w2"])
            agree = _checked((s["mg_train"], s["np_train"]), s["check"])
        except Exception as e:  # Gluon is being written: report, don't crash the suite
            why = f"{type(e).__name__}: {e}"
    if why is not None:
        note = f"skipped: gluon not available ({why})"
        return [_row("W2-train", "W2 MLP train step", "s", None, None, status="skipped",
                     note=note),
                _row("W2-predict", "W2 MLP prediction", "s", None, None, status="skipped",
                     note=note)]
    b, i, h, o = cfg["w2"]
    shape = f"{i}-{h}-{o}, batch {b}"
    c = harness.compare(s["mg_train"], s["np_train"], cfg["repeats"], cfg["batch_seconds"])
    p = harness.compare(s["mg_predict"], s["np_predict"], cfg["repeats"], cfg["batch_seconds"])
    return [_timed_row("W2-train", f"W2 MLP train step ({shape}, SGD, L2)", c,
                       value=c["cpu_ratio"], target="≤ 1.10x", limit=1.10, agree=agree),
            _timed_row("W2-predict", f"W2 MLP prediction ({shape})", p, value=p["cpu_ratio"],
                       target="≤ 1.02x", limit=1.02)]


def run_w3(cfg: dict) -> list[dict]:
    s = workloads.w3_steps()
    agree = bool(s["check"]())
    n, rep, bs = workloads.W3_OPS, cfg["repeats"], cfg["batch_seconds"]
    train = harness.compare(s["mg_train"], s["np_train"], rep, bs)
    fwd = harness.compare(s["mg_forward"], s["np_forward"], rep, bs)
    rec = harness.compare(s["mg_recorded_forward"], s["mg_forward"], rep, bs)
    def per_op(key: str) -> tuple[float, float, float]:
        mg, plain = rec[f"{key}times_minigluon"], rec[f"{key}times_numpy"]
        return quartiles([(a - b) * 1e6 / n for a, b in zip(mg, plain)])

    q1, med, q3 = per_op("")
    cq1, cmed, cq3 = per_op("cpu_")
    return [
        _timed_row("W3-train", "W3 100-op chain, recorded + backward (per op)", train,
                   per=n, unit="us", value=train["cpu_minigluon"] * 1e6 / n,
                   target="≤ 2.3 µs/op (stretch 1.5)", limit=2.3, stretch=1.5, agree=agree),
        _timed_row("W3-forward", "W3 100-op chain, not recorded (per op)", fwd, per=n,
                   unit="us"),
        _row("W3-record", "W3 recording adds (per op; recorded - plain forward)", "us", med,
             None, value=cmed, target="≤ 0.3 µs/op", limit=0.3, spread=[q1, q3],
             cpu_adds=[cq1, cmed, cq3], recorded_forward_us=rec["minigluon"] * 1e6 / n,
             repeats=rep),
    ]


def run_w4(cfg: dict) -> tuple[list[dict], dict]:
    m = memory.measure(*cfg["w4"])
    b, w, L = cfg["w4"]
    what = f"{L} layers x {w}, batch {b}"
    rows = [
        _row("W4-kept-tape", f"W4 kept for backward, tape.saved_bytes ({what})", "act",
             m["kept_tape_act"], None, value=m["kept_tape_act"],
             target="≤ 1.05 act/layer", limit=1.05),
        _row("W4-kept-traced", "W4 kept for backward, tracemalloc", "act",
             m["kept_traced_act"], None, value=m["kept_traced_act"],
             target="≤ 1.05 act/layer", limit=1.05),
        _row("W4-kept-predict", "W4 kept after a prediction forward", "act",
             m["kept_predict_act"], None, value=m["kept_predict_act"],
             target="0 act/layer", limit=0.0),
        _row("W4-freed", "W4 left after backward (arrays alive / traced bytes)", "bytes",
             m["after_backward_traced_bytes"], None,
             value=0.0 if m["freed_after_backward"] else 1.0, target="all freed", limit=0.0,
             alive_arrays=m["after_backward_alive_arrays"]),
        _row("W4-peak-train", "W4 peak of a train step vs textbook NumPy step", "MiB",
             m["peak_train_bytes"], m["peak_numpy_textbook_bytes"],
             ratio=m["peak_train_vs_textbook"], value=m["peak_train_vs_textbook"],
             target="≤ 0.75x", limit=0.75, agree=m["grads_agree"]),
        _row("W4-peak-lean", "W4 peak of a train step vs lean in-place NumPy step", "MiB",
             m["peak_train_bytes"], m["peak_numpy_lean_bytes"],
             ratio=m["peak_train_vs_lean"]),
        _row("W4-peak-predict", "W4 peak of a prediction vs textbook NumPy train step",
             "MiB", m["peak_predict_bytes"], m["peak_numpy_textbook_bytes"],
             ratio=m["peak_predict_vs_textbook"]),
    ]
    return rows, m


def run_import(cfg: dict) -> list[dict]:
    c = harness.import_times(cfg["import_runs"])
    u = harness.import_times(cfg["import_runs"], bytecode_cache=False)
    return [_timed_row("import", 'import: python -c "import minigluon" vs "import numpy"', c,
                       value=c["minigluon"], target="≤ 0.25 s", limit=0.25),
            _timed_row("import-nocache", "import without bytecode cache "
                       "(PYTHONDONTWRITEBYTECODE=1, compiles each time)", u)]


def _cell(row: dict, key: str) -> str:
    x = row[key]
    if x is None:
        return "-"
    unit = row["unit"]
    if unit == "act":
        return f"{x:.3f} act/layer"
    return fmt(x, unit)


def _cpu_cell(row: dict) -> str:
    if row.get("cpu_adds"):
        q1, med, q3 = row["cpu_adds"]
        return f"{med:.2f} µs [{q1:.2f}-{q3:.2f}]"
    if row.get("cpu_ratio") is None:
        return "-"
    s = f"{row['cpu_ratio']:.2f}x [{row['cpu_ratio_q1']:.2f}-{row['cpu_ratio_q3']:.2f}]"
    if row["unit"] == "us":  # per-op rows: the CPU time itself is the target
        s = f"{row['cpu_minigluon']:.2f} vs {row['cpu_numpy']:.2f} µs: " + s
    return s


def _ratio_cell(row: dict) -> str:
    if row["ratio"] is None:
        if row.get("spread"):
            return f"IQR [{row['spread'][0]:.2f}-{row['spread'][1]:.2f}] µs"
        return "-"
    s = f"{row['ratio']:.2f}x"
    if row["ratio_q1"] is not None:
        s += f" [{row['ratio_q1']:.2f}-{row['ratio_q3']:.2f}]"
    return s


def markdown(rows: list[dict], env: dict, mode: str) -> str:
    lines = [f"# minigluon vs hand-written NumPy ({mode} run, {env['date']})", "",
             f"- BLAS: {env['blas']}; NumPy {env['numpy']}, Python {env['python']}, "
             f"{env['processor']}",
             f"- OPENBLAS_CORETYPE={env['env']['OPENBLAS_CORETYPE']}, "
             f"OPENBLAS_L2_SIZE={env['env']['OPENBLAS_L2_SIZE']}",
             "- times are medians over interleaved repeats; ratio = minigluon/NumPy, median "
             "of per-repeat ratios [interquartile range], from wall-clock times and from CPU "
             "times; targets are judged on CPU time (it leaves out the time other processes "
             "held the core), except import time (wall clock); "
             "act = one layer's activation (batch x width x 4 bytes)", "",
             "| workload | minigluon | NumPy | ratio [IQR] | CPU-time ratio [IQR] | target "
             "| status |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        status = r["status"]
        if r.get("note"):
            status = r["note"]
        elif r.get("agree") is False:
            status += " (results DIFFER)"
        lines.append(f"| {r['name']} | {_cell(r, 'minigluon')} | {_cell(r, 'numpy')} | "
                     f"{_ratio_cell(r)} | {_cpu_cell(r)} | {r['target'] or '-'} | {status} |")
    return "\n".join(lines) + "\n"


def _write(path: str, text: str) -> None:
    """Write a file atomically: a temporary file in the same folder, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _finite(x: Any) -> Any:
    """JSON has no inf/nan: write them as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


WORKLOADS = ("W1", "W2", "W3", "W4", "import", "W5", "W6", "W7")
CNN = ("W5", "W6", "W7")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes and few repeats (a check that everything runs)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"),
                    help="folder for results.json and results.md (default: %(default)s)")
    ap.add_argument("--repeats", type=int, help="interleaved repeats per workload")
    ap.add_argument("--peers", default=None,
                    help="frameworks W5-W7 compare with, from mxnet,torch (default: both "
                         "when present; none with --smoke)")
    ap.add_argument("--cnn-steps", type=int, help="timed steps per W5-W7 network")
    ap.add_argument("--parallel", action="store_true",
                    help="run the W5-W7 frameworks' processes at the same time (a busy "
                         "shared machine: more of it; CPU times stay comparable)")
    ap.add_argument("--only", default=",".join(WORKLOADS),
                    help="comma-separated workloads to run (default: %(default)s)")
    args = ap.parse_args(argv)
    mode = "smoke" if args.smoke else "full"
    cfg = dict(SIZES[mode])
    if args.repeats:
        cfg["repeats"] = args.repeats
    if args.cnn_steps:
        cfg["cnn_steps"] = args.cnn_steps
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(only) - set(WORKLOADS)
    if unknown:
        ap.error(f"unknown workload(s) {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")

    limiter = _limit_threads()  # noqa: F841 (kept alive for the whole run)
    env = harness.blas_info()
    env["date"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    env["git"] = _git_commit()
    print(f"BLAS: {env['blas']}", flush=True)
    print(f"OPENBLAS_CORETYPE={env['env']['OPENBLAS_CORETYPE']} "
          f"OPENBLAS_L2_SIZE={env['env']['OPENBLAS_L2_SIZE']}", flush=True)

    t0 = time.perf_counter()
    rows: list[dict] = []
    detail: dict[str, Any] = {}
    for w in WORKLOADS:
        if w not in only or w in CNN:
            continue
        print(f"running {w} ...", flush=True)
        if w == "W1":
            rows += run_w1(cfg)
        elif w == "W2":
            rows += run_w2(cfg)
        elif w == "W3":
            rows += run_w3(cfg)
        elif w == "W4":
            w4_rows, detail["W4"] = run_w4(cfg)
            rows += w4_rows
        else:
            rows += run_import(cfg)

    cnn_rows: list[dict] = []
    wanted = [w for w in CNN if w in only]
    if wanted:
        print(f"running {', '.join(wanted)} (one process per framework) ...", flush=True)
        peers = args.peers if args.peers is not None else "" if args.smoke else "mxnet,torch"
        cnn_rows, detail["cnn"] = cnn.run(wanted, args.smoke, cfg["cnn_steps"],
                                          cfg["cnn_warmup"],
                                          tuple(p.strip() for p in peers.split(",") if p),
                                          parallel=args.parallel)

    md = markdown(rows, env, mode)
    if cnn_rows:
        md += "\n" + cnn.markdown(cnn_rows, detail["cnn"])
    print()
    print(md)
    os.makedirs(args.out, exist_ok=True)
    result = {"mode": mode, "config": cfg, "env": env, "rows": rows, "cnn_rows": cnn_rows,
              "detail": detail,
              "seconds": time.perf_counter() - t0}
    _write(os.path.join(args.out, "results.json"),
           json.dumps(_finite(result), indent=1, default=str) + "\n")
    _write(os.path.join(args.out, "results.md"), md)
    print(f"wrote {os.path.join(args.out, 'results.json')} and results.md "
          f"({result['seconds']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
