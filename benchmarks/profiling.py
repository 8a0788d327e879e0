"""Where minigluon's time goes in W1, W2 and W3: self time per function, in µs per step.

    python benchmarks/profiling.py [--seconds 5] [--only W1,W3] [--out DIR]

For each workload: the step's median time without profiler; a sampling profile
(pyinstrument) whose per-function *self* time (time with that function on top of the
Python stack, so NumPy's C code counts for the Python function calling it) is scaled so
the total matches the unprofiled step time; and the exact calls per step (cProfile).
Also ``python -X importtime -c "import minigluon"``: the slowest modules to import.

Needs pyinstrument (``pip install pyinstrument``). BLAS threads are set to 1, as in run.py.
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from typing import Any  # noqa: E402

import harness  # noqa: E402
import workloads  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _short(path: str) -> str:
    if path.startswith(REPO):
        return os.path.relpath(path, REPO)
    for marker in ("site-packages/", "lib/python"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _label(frame_id: str) -> str:
    func, path, line = (frame_id.split("\x01", 1)[0].split("\x00") + ["", ""])[:3]
    return f"{func} ({_short(path)}:{line})"


def sample(step: Any, seconds: float) -> tuple[dict[str, float], dict[str, float], int]:
    """Self and inclusive sampled time per function, and the number of steps run."""
    from pyinstrument import Profiler

    prof = Profiler(interval=0.0001)
    steps = 0
    prof.start()
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        for _ in range(10):
            step()
        steps += 10
    prof.stop()
    own: dict[str, float] = defaultdict(float)
    incl: dict[str, float] = defaultdict(float)
    for stack, dt in prof.last_session.frame_records:
        labels = [_label(f) for f in stack]
        if not any("benchmarks/" in lab for lab in labels):
            continue  # the sampling loop itself
        own[labels[-1]] += dt
        for lab in set(labels):
            incl[lab] += dt
    return own, incl, steps


def calls(step: Any, steps: int) -> dict[str, float]:
    """Exact calls per step of every function (cProfile)."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    out = {}
    for (path, line, func), (_cc, nc, *_rest) in pstats.Stats(prof).stats.items():
        out[_where(f"{func} ({_short(path)}:{line})")] = nc / steps
    return out


def _where(label: str) -> str:
    """``file:line`` of a label (cProfile and pyinstrument name functions differently)."""
    return label.rsplit("(", 1)[-1]


def report(name: str, step: Any, ref: Any, seconds: float, per: int = 1, top: int = 25
           ) -> str:
    """A text table of the top self costs of ``step``, in µs per step (per op if per>1);
    ``ref`` is the NumPy version, timed for comparison."""
    c = harness.compare(step, ref, 7, 0.05)
    t_step, t_ref = c["minigluon"], c["numpy"]
    own, incl, steps = sample(step, seconds)
    ncalls = calls(step, 200)
    total = sum(own.values())
    scale = t_step * 1e6 / total / per  # sampled seconds -> µs per step (or per op)
    unit = "µs/op" if per > 1 else "µs/step"
    lines = [f"## {name}: {t_step * 1e6:.1f} µs per step"
             + (f" = {t_step * 1e6 / per:.2f} µs per op" if per > 1 else "")
             + f" (unprofiled median; NumPy {t_ref * 1e6 / per:.2f} {unit}, ratio "
             f"{c['ratio']:.2f}x); {steps} steps sampled", "",
             f"Self time (the function's own Python code plus the C calls it makes), {unit}:",
             "", f"| {unit} | % | calls/{'op' if per > 1 else 'step'} | function |",
             "|---:|---:|---:|---|"]
    for lab, t in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        n = ncalls.get(_where(lab))
        nc = f"{n / per:.2f}" if n is not None else "-"  # C functions: counted by caller
        lines.append(f"| {t * scale:.3f} | {100 * t / total:.1f} | {nc} | `{lab}` |")
    lines += ["", f"Inclusive time of minigluon functions, {unit}:", "",
              f"| {unit} | % | function |", "|---:|---:|---|"]
    mine = [(lab, t) for lab, t in incl.items() if "minigluon/" in lab]
    for lab, t in sorted(mine, key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {t * scale:.3f} | {100 * t / total:.1f} | `{lab}` |")
    return "\n".join(lines) + "\n"


def _loop(workload: str, seconds: float) -> None:
    """Run a workload's minigluon step for ``seconds`` (the process py-spy watches)."""
    step = _steps()[workload][0]
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        step()


def _steps() -> dict[str, tuple[Any, Any, int]]:
    """(minigluon step, NumPy step, operations per step) of the line-profiled workloads."""
    mg, ref, _ = workloads.w1_steps()
    s = workloads.w3_steps()
    return {"W1": (mg, ref, 1), "W3": (s["mg_train"], s["np_train"], workloads.W3_OPS),
            "W3-forward": (s["mg_forward"], s["np_forward"], workloads.W3_OPS)}


def lines(workload: str, seconds: float, top: int = 30) -> str:
    """Hot source lines of minigluon (py-spy, sampling a child process without pausing
    it): each sample goes to the innermost line inside minigluon on the stack, so a line
    that calls NumPy counts NumPy's time."""
    import linecache
    import shutil
    import tempfile

    spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(spy):
        return f"## {workload} hot lines: py-spy not installed (pip install py-spy)\n"
    mg, ref, per = _steps()[workload]
    c = harness.compare(mg, ref, 7, 0.05)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.txt")
        subprocess.run([spy, "record", "--nonblocking", "-r", "1000", "-f", "raw", "-o", raw,
                        "--", sys.executable, os.path.abspath(__file__), "--loop", workload,
                        "--seconds", str(seconds)], check=True, capture_output=True)
        with open(raw, encoding="utf-8") as f:
            records = [line.rsplit(" ", 1) for line in f if line.strip()]
    counts: dict[str, int] = defaultdict(int)
    for stack, n in records:
        frames = stack.split(";")
        if not any("_loop (" in fr for fr in frames):
            continue  # start-up and set-up
        mine = [fr for fr in frames if "minigluon/" in fr]
        counts[(mine or frames)[-1]] += int(n)
    total = sum(counts.values())
    scale = c["minigluon"] * 1e6 / per / total
    unit = "µs/op" if per > 1 else "µs/step"
    out = [f"## {workload} hot lines (py-spy, {total} samples): minigluon "
           f"{c['minigluon'] * 1e6 / per:.2f} {unit}, NumPy {c['numpy'] * 1e6 / per:.2f}", "",
           f"| {unit} | % | line | source |", "|---:|---:|---|---|"]
    for frame, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
        func, where = frame.rsplit(" (", 1)
        path, _, lineno = where.rstrip(")").rpartition(":")
        full = next((f for f in (path, os.path.join(REPO, path),
                                 os.path.join(REPO, "benchmarks", path)) if os.path.isfile(f)),
                    path)
        src = linecache.getline(full, int(lineno)).strip().replace("|", "\\|")
        out.append(f"| {n * scale:.3f} | {100 * n / total:.1f} | `{_short(path)}:{lineno}` "
                   f"{func} | `{src}` |")
    return "\n".join(out) + "\n"


def import_profile(top: int = 15) -> str:
    """The modules that take longest to import (self time), from -X importtime, with
    bytecode cached as an installed package has it (in a temporary PYTHONPYCACHEPREFIX)."""
    import shutil
    import tempfile

    cache = tempfile.mkdtemp(prefix="pycache-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    cmd = [sys.executable, "-X", "importtime", "-c", "import minigluon"]
    try:
        subprocess.run(cmd, capture_output=True, check=True, env=env)  # compiles
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cum, name = (p.strip() for p in line[len("import time:"):].split("|"))
        rows.append((int(own), int(cum), name))
    total = max(cum for _, cum, _ in rows)
    lines = [f"## import minigluon: {total / 1e3:.0f} ms of imports (-X importtime)", "",
             "| self ms | cumulative ms | module |", "|---:|---:|---|"]
    for own, cum, name in sorted(rows, key=lambda r: -r[0])[:top]:
        lines.append(f"| {own / 1e3:.1f} | {cum / 1e3:.1f} | `{name.strip()}` |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0, help="sampling time per workload")
    ap.add_argument("--only", default="W1,W2,W3,import,lines")
    ap.add_argument("--loop", help=argparse.SUPPRESS)  # internal: the py-spy target
    ap.add_argument("--out", default=os.path.join(REPO, "benchmarks", "results"),
                    help="folder for profile.md (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.loop:
        _loop(args.loop, args.seconds)
        return 0
    only = {w.strip() for w in args.only.split(",")}
    parts = []
    if "W1" in only:
        mg, ref, _ = workloads.w1_steps()
        parts.append(report("W1 linear regression step", mg, ref, args.seconds))
    if "W2" in only and workloads.gluon_status() is None:
        s = workloads.w2_steps(256, 784, 256, 10)
        parts.append(report("W2 MLP train step", s["mg_train"], s["np_train"], args.seconds))
        parts.append(report("W2 MLP prediction", s["mg_predict"], s["np_predict"],
                            args.seconds))
    if "W3" in only:
        s = workloads.w3_steps()
        n = workloads.W3_OPS
        parts.append(report("W3 chain, recorded + backward", s["mg_train"], s["np_train"],
                            args.seconds, n))
        parts.append(report("W3 chain, not recorded", s["mg_forward"], s["np_forward"],
                            args.seconds, n))
    if "import" in only:
        parts.append(import_profile())
    if "lines" in only:
        for w in ("W1", "W3", "W3-forward"):
            parts.append(lines(w, args.seconds))
    text = "\n".join(parts)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "profile.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
