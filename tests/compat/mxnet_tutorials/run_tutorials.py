"""Run MXNet 1.9.1's own Python tutorials through minigluon and through real MXNet, and
compare what they print.

    python tests/compat/mxnet_tutorials/run_tutorials.py GIT_DIR SCRATCH_DIR \\
        [--oracle PY] [--minigluon PY] [name ...]

GIT_DIR is a clone (bare is fine) of apache/mxnet with the ``v1.x`` branch; nothing of
it is kept here. Each tutorial's python code blocks (``docs/python_docs/...md``) or
example file is joined into one script ``SCRATCH_DIR/scripts/<name>.py``; as in a
notebook, a cell's last bare expression is printed (its ``repr``). Shell lines
(``!pip``, ``%matplotlib``) are dropped and the edits in ``PATCHES`` shorten training.

A prelude, the same for both runs, makes the runs offline and comparable:

* ``matplotlib`` and ``IPython`` are stubs that accept everything (the minigluon venv
  has neither; plots are not compared);
* MNIST / Fashion-MNIST / CIFAR-10 are small stand-in files of the real formats under
  ``SCRATCH_DIR/mxnet_home`` (``MXNET_HOME``), and the SHA-1 checks are switched off
  (``check_sha1`` replaced in MXNet, ``MINIGLUON_VERIFY_SHA1=0`` in minigluon).

The oracle run is ``ORACLE_PY script`` (default ``~/mxnet-oracle/bin/python``), the
minigluon run ``MINIGLUON_PY -m minigluon.compat script`` (the interpreter this harness
runs under by default; set ``PYTHONPATH`` to the worktree). Outputs go to
``SCRATCH_DIR/out/<name>.{mx,mg}.txt``; one line per tutorial says whether each run
finished and how many output lines differ. Random numbers differ by design (minigluon
does not reproduce MXNet's random stream), so differing lines have to be read.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import gzip
import io
import os
import re
import struct
import subprocess
import sys
import tarfile
import time

import numpy as np

TUT = "docs/python_docs/python/tutorials/"
TUTORIALS = {
    "crash-1-ndarray": TUT + "getting-started/crash-course/1-ndarray.md",
    "crash-2-nn": TUT + "getting-started/crash-course/2-nn.md",
    "crash-3-autograd": TUT + "getting-started/crash-course/3-autograd.md",
    "crash-4-train": TUT + "getting-started/crash-course/4-train.md",
    "crash-5-predict": TUT + "getting-started/crash-course/5-predict.md",
    "crash-6-use_gpus": TUT + "getting-started/crash-course/6-use_gpus.md",
    "logistic_regression": TUT + "getting-started/logistic_regression_explained.md",
    "pytorch": TUT + "getting-started/to-mxnet/pytorch.md",
    "autograd": TUT + "packages/autograd/index.md",
    "activations": TUT + "packages/gluon/blocks/activations/activations.md",
    "custom-layer": TUT + "packages/gluon/blocks/custom-layer.md",
    "custom_layer_beginners": TUT + "packages/gluon/blocks/custom_layer_beginners.md",
    "hybridize": TUT + "packages/gluon/blocks/hybridize.md",
    "init": TUT + "packages/gluon/blocks/init.md",
    "naming": TUT + "packages/gluon/blocks/naming.md",
    "nn": TUT + "packages/gluon/blocks/nn.md",
    "parameters": TUT + "packages/gluon/blocks/parameters.md",
    "save_load_params": TUT + "packages/gluon/blocks/save_load_params.md",
    "datasets": TUT + "packages/gluon/data/datasets.md",
    "mnist": TUT + "packages/gluon/image/mnist.md",
    "custom-loss": TUT + "packages/gluon/loss/custom-loss.md",
    "kl_divergence": TUT + "packages/gluon/loss/kl_divergence.md",
    "loss": TUT + "packages/gluon/loss/loss.md",
    "lr_schedules": TUT + "packages/gluon/training/learning_rates/learning_rate_schedules.md",
    "lr_finder": TUT + "packages/gluon/training/learning_rates/learning_rate_finder.md",
    "normalization": TUT + "packages/gluon/training/normalization/index.md",
    "trainer": TUT + "packages/gluon/training/trainer.md",
    "ndarray-01-intro": TUT + "packages/ndarray/01-ndarray-intro.md",
    "ndarray-02-operations": TUT + "packages/ndarray/02-ndarray-operations.md",
    "ndarray-03-contexts": TUT + "packages/ndarray/03-ndarray-contexts.md",
    "gotchas_numpy": TUT + "packages/ndarray/gotchas_numpy_in_mxnet.md",
    "optimizer": TUT + "packages/optimizer/index.md",
    "extend-custom_layer": TUT + "extend/custom_layer.md",
}

# (regex, replacement) edits per tutorial, to shorten training on the stand-in data
PATCHES: dict[str, list[tuple[str, str]]] = {
    "crash-4-train": [(r"for epoch in range\(10\)", "for epoch in range(2)"),
                      (r"num_workers=4", "num_workers=0")],
    "mnist": [(r"epoch = 10", "epoch = 2"), (r"epochs = 10", "epochs = 2")],
    # ResNet-18 on NumPy: small batches, and a learning rate that grows 3x per step
    "lr_finder": [(r"batch_size=128", "batch_size=8"),
                  (r"lr_multiplier=1\.1", "lr_multiplier=3.0"),
                  (r"epochs = \d+", "epochs = 1")],
}

PRELUDE = r'''
import sys, types, os
class _Any:
    """Accepts every attribute, call, index and iteration (plots are not compared)."""
    def __init__(self, *a, **k): pass
    def __getattr__(self, name): return _Any()
    def __call__(self, *a, **k): return _Any()
    def __getitem__(self, k): return _Any()
    def __setitem__(self, k, v): pass
    def __iter__(self): return iter([_Any(), _Any()])
    def __enter__(self): return self
    def __exit__(self, *a): return False
    def __repr__(self): return '<stub>'
def _stub(name):
    m = types.ModuleType(name)
    m.__getattr__ = lambda attr: _Any()
    m.__path__ = []
    sys.modules[name] = m
    return m
for _n in ('matplotlib', 'matplotlib.pyplot', 'matplotlib.cm', 'matplotlib.colors',
           'matplotlib.pylab', 'IPython', 'IPython.display', 'seaborn', 'graphviz'):
    _stub(_n)
sys.modules['matplotlib'].pyplot = sys.modules['matplotlib.pyplot']
sys.modules['IPython'].display = sys.modules['IPython.display']
import mxnet
def _ok(*a, **k): return True
mxnet.gluon.utils.check_sha1 = _ok
for _m in ('mxnet.gluon.data.vision.datasets', 'mxnet.gluon.data.vision'):
    try:
        sys.modules[_m].check_sha1 = _ok
    except Exception:
        pass
def _show(value):
    if value is not None:
        print(repr(value))
def _run_cell(i, src):
    """One notebook cell: an error is printed and the next cell runs, as in Jupyter."""
    print('--- cell', i, flush=True)
    try:
        exec(compile(src, '<cell %d>' % i, 'exec'), globals())
    except Exception as e:
        print('!!! cell %d: %s: %s' % (i, type(e).__name__, str(e).splitlines()[0][:200]
                                        if str(e) else ''))
        global _errors
        _errors += 1
_errors = 0
import atexit
atexit.register(lambda: print('=== cells failed:', _errors))
del _n, _m
'''


def code_cells(markdown: str) -> list[str]:
    """The python code blocks of a tutorial, shell and magic lines dropped."""
    cells = []
    for m in re.finditer(r"^```(\{?\.?python[^\n]*|py[^\n]*)\n(.*?)^```", markdown,
                         re.S | re.M):
        if "ignore" in m.group(1) or "no-run" in m.group(1):
            continue
        lines = [ln for ln in m.group(2).splitlines()
                 if not ln.lstrip().startswith(("!", "%"))]
        cells.append("\n".join(lines))
    return cells


def notebook_cell(code: str) -> str:
    """The cell with its last bare expression printed, as a notebook shows it."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a block of printed output, not code
        return ""
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        call = ast.Call(ast.Name("_show", ast.Load()), [last.value], [])
        tree.body[-1] = ast.Expr(call)
        ast.fix_missing_locations(tree)
        return ast.unparse(tree)
    return code


def make_script(name: str, source: str) -> str:
    cells = code_cells(source) if source.lstrip() and "```" in source else [source]
    parts = [PRELUDE]
    for i, cell in enumerate(cells):
        for pat, rep in PATCHES.get(name, []):
            cell = re.sub(pat, rep, cell)
        cell = re.sub(r"^from __future__ import .*$", "", cell, flags=re.M)
        code = notebook_cell(cell)
        if code.strip():
            parts.append(f"_run_cell({i}, {code!r})")
    return "\n".join(parts) + "\n"


def _idx(path: str, array: np.ndarray, magic: int) -> None:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_data(home: str) -> None:
    """MNIST/Fashion-MNIST IDX files and CIFAR-10's binary archive, small and seeded."""
    rng = np.random.default_rng(0)
    for ns in ("mnist", "fashion-mnist"):
        d = os.path.join(home, "datasets", ns)
        os.makedirs(d, exist_ok=True)
        for prefix, n in (("train", 1024), ("t10k", 256)):
            labels = rng.integers(0, 10, n)
            images = rng.integers(0, 60, (n, 28, 28))
            for i, lab in enumerate(labels):  # a class-dependent bright bar
                images[i, 2 + 2 * lab:5 + 2 * lab, 4:24] += 180
            _idx(os.path.join(d, f"{prefix}-images-idx3-ubyte.gz"), images, 2051)
            _idx(os.path.join(d, f"{prefix}-labels-idx1-ubyte.gz"), labels, 2049)
    d = os.path.join(home, "datasets", "cifar10")
    os.makedirs(d, exist_ok=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)  # at the top, as in MXNet's archive
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            recs = np.zeros((100, 3073), np.uint8)
            recs[:, 0] = rng.integers(0, 10, 100)
            recs[:, 1:] = rng.integers(0, 256, (100, 3072))
            add(name, recs.tobytes())
        add("batches.meta.txt", b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\n"
            b"horse\nship\ntruck\n")
    with open(os.path.join(d, "cifar-10-binary.tar.gz"), "wb") as f:
        f.write(buf.getvalue())


def run(cmd: list[str], cwd: str, env: dict[str, str], out: str) -> tuple[bool, float]:
    t = time.time()
    with open(out, "w") as f:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT,
                           timeout=900)
    return p.returncode == 0, time.time() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("git_dir")
    ap.add_argument("scratch")
    ap.add_argument("--oracle", default=os.path.expanduser("~/mxnet-oracle/bin/python"))
    ap.add_argument("--minigluon", default=sys.executable)
    ap.add_argument("--branch", default="v1.x")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    names = a.names or list(TUTORIALS)
    scratch = os.path.abspath(a.scratch)
    for sub in ("scripts", "out", "mxnet_home"):
        os.makedirs(os.path.join(scratch, sub), exist_ok=True)
    home = os.path.join(scratch, "mxnet_home")
    make_data(home)
    env = dict(os.environ, MXNET_HOME=home, MINIGLUON_VERIFY_SHA1="0", MPLBACKEND="Agg",
               PYTHONHASHSEED="0")
    env.pop("MINIGLUON_DATA", None)
    for name in names:
        source = subprocess.run(["git", "--git-dir", a.git_dir, "show",
                                 f"{a.branch}:{TUTORIALS[name]}"],
                                capture_output=True, text=True, check=True).stdout
        script = os.path.join(scratch, "scripts", name + ".py")
        with open(script, "w") as f:
            f.write(make_script(name, source))
        # the crash course's part 5 loads the parameters part 4 saved
        work = os.path.join(scratch, "work", "crash" if name.startswith("crash") else name)
        results = []
        for tag, cmd in (("mx", [a.oracle, script]),
                         ("mg", [a.minigluon, "-m", "minigluon.compat", script])):
            wd = os.path.join(work, tag)
            os.makedirs(wd, exist_ok=True)
            results.append(run(cmd, wd, env, os.path.join(scratch, "out",
                                                          f"{name}.{tag}.txt")))
        outs = [open(os.path.join(scratch, "out", f"{name}.{t}.txt")).read().splitlines()
                for t in ("mx", "mg")]
        ndiff = sum(1 for ln in difflib.unified_diff(*outs, lineterm="", n=0)
                    if ln.startswith("-") and not ln.startswith("---"))
        failed = [next((ln.split(":")[1].strip() for ln in o if ln.startswith("=== cells")),
                       "crash") for o in outs]
        only_mg = [ln for ln in outs[1] if ln.startswith("!!!") and ln not in outs[0]]
        print(f"{name:24s} failed cells mx={failed[0]:>5s} mg={failed[1]:>5s} "
              f"diff-lines={ndiff:4d} mx={results[0][1]:.0f}s mg={results[1][1]:.0f}s "
              f"{only_mg[0][:110] if only_mg else ''}", flush=True)

if __name__ == "__main__":
    main()
