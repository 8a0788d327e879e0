"""Check which sections of the book (d2l-zh, branch v1, chapters 2-10) run on minigluon,
and write the table the site's "Run the book" page shows (``docs/book_status.json``).

    python tests/book/book_status.py BOOK_DIR [--scratch DIR] [--jobs N] [--timeout S]
                                     [--out docs/book_status.json] [section ...]

BOOK_DIR is a checkout (or ``git worktree``/export) of d2l-zh's ``v1`` branch holding
``chapter_*``, ``d2lzh``, ``data`` and ``img``; nothing of the book is kept in this
repository. Each section's code cells are joined into one script and run with
``python -m minigluon.compat`` in a scratch folder outside the repository (a temporary one
unless ``--scratch``), with shortened training: ``num_epochs`` is set to 1 right after the
book sets it (``pred_period`` too), and shell or notebook magic lines (``!pip``,
``%matplotlib``) are skipped. The data are small stand-ins of the book's formats, made
here: Fashion-MNIST as IDX files of 256 training and 128 test images (read with
``MINIGLUON_DATA`` and ``MINIGLUON_VERIFY_SHA1=0``), IMDb reviews, GloVe files, the
computer-vision chapter's data sets (CIFAR-10, hot dogs, Pikachu, VOC2012, the dog-breed
tiny set, pretrained model-zoo weights: see ``standin_data.py``), plus the book's own
``data/`` and ``img/`` folders. Nothing is downloaded: a section that needs a data set
made by a download that is not stood in for is reported as needing data.

The sections written for GPUs (``GPU_SECTIONS``: use-gpu, auto-parallelism, multiple-gpus,
multiple-gpus-gluon) run with ``MINIGLUON_GPUS=2``, two simulated GPUs, and are reported
as ``runs (2 simulated GPUs)`` when they end without an error; their hard-coded epoch
loop is cut to one epoch and auto-parallelism's matrices to a tenth of their side; neural
style's literal 500 and 300 epochs become 10 and 5 (``SHORTEN``).

Status of a section: ``runs`` (the script ends without an error), ``fails`` (the last
line of the error is kept), ``needs data`` (it tried to download), ``needs GPU``,
``timeout``, ``no code``, or ``not checked`` (written by ``--from-logs`` for the sections
an interrupted run did not reach). Takes about 30-60 minutes on 2 cores with ``--jobs 2``.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import datetime
import gzip
import json
import os
import platform
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["prerequisite", "deep-learning-basics", "deep-learning-computation",
            "convolutional-neural-networks", "recurrent-neural-networks", "optimization",
            "computational-performance", "computer-vision", "natural-language-processing"]
MAGIC = re.compile(r"\s*(%[a-z%]|!)")
# the sections written for GPUs run with this many simulated ones (MINIGLUON_GPUS); the
# others run without, so that a GPU they try to use fails as on MXNet without CUDA
GPU_SECTIONS = {"use-gpu", "auto-parallelism", "multiple-gpus", "multiple-gpus-gluon"}
SIMULATED_GPUS = 2
# shortened as num_epochs is elsewhere: the GPU sections' training loops count epochs with
# a literal, auto-parallelism times 60 products of 6000x6000 matrices (about 90 s each on
# one core), and neural style passes its 500 and 300 epochs to train() as literals (each
# epoch is a VGG-19 forward and backward); the code is otherwise unchanged
SHORTEN = {
    "multiple-gpus-gluon": [("for epoch in range(4):", "for epoch in range(1):")],
    "auto-parallelism": [("shape=(6000, 6000)", "shape=(600, 600)"),
                         ("shape=(2000, 2000)", "shape=(200, 200)")],
    "neural-style": [("ctx, 0.01, 500, 200)", "ctx, 0.01, 10, 200)"),
                     ("ctx, 0.01, 300, 100)", "ctx, 0.01, 5, 100)")],
}


def sections(book: Path) -> list[tuple[str, str]]:
    """``(chapter folder, section name)`` in the book's order (its index toctrees)."""
    out = []
    for chapter in CHAPTERS:
        folder = f"chapter_{chapter}"
        index = (book / folder / "index.md").read_text(encoding="utf-8")
        block = index.split("toctree::", 1)[-1].split("```", 1)[0]
        for line in block.splitlines():
            name = line.strip()
            if re.fullmatch(r"[a-z0-9-]+", name) and (book / folder / f"{name}.md").exists():
                out.append((folder, name))
    return out


def title(md: Path) -> str:
    for line in md.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return md.stem


def assigned(line: str) -> set[str]:
    """The names a one-line assignment binds (``lr, num_epochs, ctx = 0.01, 5, f()`` gives
    lr, num_epochs and ctx); nothing for any other line, or one that is not a whole
    statement (a line of a longer call)."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return set()
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return set()
    return {n.id for t in tree.body[0].targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def code_cells(md: str) -> str:
    cells = re.findall(r"```\{\.python \.input[^}]*\}\n(.*?)```", md, flags=re.S)
    lines: list[str] = []
    for cell in cells:
        for line in cell.splitlines():
            if MAGIC.match(line) or line.strip() in ("download_imdb()", "d2l.download_imdb()"):
                line = re.sub(r"\S.*", "pass  # skipped by book_status", line)
            lines.append(line)
            if "num_epochs" in assigned(line):
                lines.append(re.match(r"\s*", line).group(0) + "num_epochs = 1")
            m = re.match(r"(\s*)pred_period\b.*=", line)
            if m:
                lines.append(f"{m.group(1)}pred_period = 1")
    return "\n".join(lines) + "\n" if cells else ""


def idx_files(folder: Path, n_train: int = 256, n_test: int = 128) -> None:
    """Fashion-MNIST's four IDX files, gzipped, with random images and labels."""
    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = bytes(rng.randrange(10) for _ in range(n))
        images = bytes(rng.randrange(256) for _ in range(n * 28 * 28))
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 2049, n) + labels)
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + images)


def make_data(book: Path, scratch: Path) -> None:
    rng = random.Random(0)
    for name in ("data", "img"):
        shutil.copytree(book / name, scratch / name, dirs_exist_ok=True)
    shutil.copytree(book / "d2lzh", scratch / "d2lzh", dirs_exist_ok=True)
    for name in ("fashion-mnist", "mnist"):
        idx_files(scratch / "datasets" / name)
    vocab = ["good", "bad", "movie", "great", "awful", "the", "film", "is", "was", "fun"]
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            d = scratch / "data" / "aclImdb" / split / label
            d.mkdir(parents=True, exist_ok=True)
            for i in range(60):
                text = " ".join(rng.choice(vocab) for _ in range(rng.randrange(5, 40)))
                (d / f"{i}_7.txt").write_text(text)
    glove = scratch / "mxnet_home" / "embeddings" / "glove"
    glove.mkdir(parents=True, exist_ok=True)
    words = vocab + ["chip", "chips", "intel", "baby", "boy", "girl", "man", "woman", "son",
                     "daughter", "beautiful", "lovely", "beijing", "china", "tokyo", "japan",
                     "worst", "big", "biggest", "do", "did", "go", "went"]
    words += [f"filler{i}" for i in range(4000)]
    for dim in (50, 100):
        with open(glove / f"glove.6B.{dim}d.txt", "w") as f:
            for w in words:
                f.write(w + " " + " ".join(f"{rng.gauss(0, 1):.4f}" for _ in range(dim)) + "\n")
    from standin_data import make_vision_data
    make_vision_data(scratch / "data", scratch / "datasets", glove.parents[1])
    # d2lzh calls IPython.display.set_matplotlib_formats, which IPython 8 removed; the
    # scripts start with a sitecustomize that puts it back (as matplotlib-inline's function,
    # which IPython's deprecation names, or a no-op when neither is installed)
    (scratch / "sitecustomize.py").write_text(SITECUSTOMIZE)


SITECUSTOMIZE = """try:
    import IPython.display as _display
except ImportError:
    _display = None
if _display is not None and not hasattr(_display, "set_matplotlib_formats"):
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        def set_matplotlib_formats(*formats, **kwargs):
            pass
    _display.set_matplotlib_formats = set_matplotlib_formats
"""


def classify(ok: bool, log: str, gpus: int = 0) -> tuple[str, str]:
    if ok:
        return ("runs", "") if not gpus else (f"runs ({gpus} simulated GPUs)", "")
    lines = [ln for ln in log.strip().splitlines() if ln.strip()]
    err = lines[-1].strip() if lines else ""
    if re.search(r"download|urlopen|URLError|Connection|Name or service|gluon\.utils", log) \
            and re.search(r"[Dd]ownload|URL|Connection", err):
        return "needs data", err
    if re.search(r"\bgpu\(1\)|num_gpus|GPU", err):
        return "needs GPU", err
    return "fails", err


def run_one(book: Path, scratch: Path, folder: str, name: str, timeout: float,
            env: dict[str, str]) -> dict:
    md = book / folder / f"{name}.md"
    row = {"chapter": folder, "section": name, "title": title(md)}
    code = code_cells(md.read_text(encoding="utf-8"))
    if not code.strip():
        return dict(row, status="no code", seconds=0.0, error="")
    for old, new in SHORTEN.get(name, []):
        code = code.replace(old, new)
    work = scratch / folder
    work.mkdir(exist_ok=True)
    script = work / f"{name}.py"
    script.write_text(code, encoding="utf-8")
    gpus = SIMULATED_GPUS if name in GPU_SECTIONS else 0
    if gpus:
        env = dict(env, MINIGLUON_GPUS=str(gpus))
    t0 = time.time()
    try:
        p = subprocess.run([sys.executable, "-m", "minigluon.compat", str(script)], cwd=work,
                           env=env, capture_output=True, text=True, timeout=timeout)
        status, err = classify(p.returncode == 0, p.stdout + p.stderr, gpus)
        (work / f"{name}.log").write_text(p.stdout + p.stderr, encoding="utf-8")
    except subprocess.TimeoutExpired:
        status, err = "timeout", f"did not finish in {timeout:.0f} s"
    seconds = round(time.time() - t0, 1)
    (work / f"{name}.result.json").write_text(json.dumps([status, seconds, err]))
    return dict(row, status=status, seconds=seconds, error=err[:300])


def from_logs(book: Path, scratch: Path, folder: str, name: str) -> dict:
    """The row of a section from what an earlier (perhaps interrupted) run left in the
    scratch folder; ``not checked`` if it did not get to the section."""
    md = book / folder / f"{name}.md"
    row = {"chapter": folder, "section": name, "title": title(md)}
    if not code_cells(md.read_text(encoding="utf-8")).strip():
        return dict(row, status="no code", seconds=0.0, error="")
    result, log = scratch / folder / f"{name}.result.json", scratch / folder / f"{name}.log"
    if result.is_file():
        status, seconds, err = json.loads(result.read_text())
    elif log.is_file():  # a run from before results were written: the log decides
        text = log.read_text(encoding="utf-8")
        status, err = classify("Traceback (most recent call last)" not in text, text,
                               SIMULATED_GPUS if name in GPU_SECTIONS else 0)
        seconds = None
    else:
        return dict(row, status="not checked", seconds=None, error="")
    return dict(row, status=status, seconds=seconds, error=err[:300])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("book", type=Path)
    ap.add_argument("only", nargs="*",
                    help="sections to run (chapter_x/name or name); default all")
    ap.add_argument("--scratch", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "book_status.json")
    ap.add_argument("--from-logs", action="store_true",
                    help="run nothing: write the table from what a run left in --scratch")
    args = ap.parse_args(argv)
    book = args.book.resolve()
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="minigluon-book-"))
    scratch.mkdir(parents=True, exist_ok=True)
    if not args.from_logs:
        make_data(book, scratch)
    env = dict(os.environ, MXNET_HOME=str(scratch / "mxnet_home"), MPLBACKEND="Agg",
               MINIGLUON_DATA=str(scratch / "datasets"), MINIGLUON_VERIFY_SHA1="0",
               MINIGLUON_EMBEDDING_ANY_HASH="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", PYTHONWARNINGS="ignore",
               PYTHONPATH=os.pathsep.join([str(scratch), os.environ.get("PYTHONPATH", "")]))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[var] = "http://127.0.0.1:9"  # nothing is downloaded: a download fails at once
    todo = [s for s in sections(book)
            if not args.only or f"{s[0]}/{s[1]}" in args.only or s[1] in args.only]
    t0 = time.time()
    if args.from_logs:
        rows = [from_logs(book, scratch, *s) for s in todo]
    else:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(lambda s: run_one(book, scratch, *s, args.timeout, env),
                                 todo))
    for r in rows:
        print(f"{r['chapter']}/{r['section']}: {r['status']} ({r['seconds']} s) {r['error']}")
    import numpy

    import minigluon
    # a git checkout of the book, or an export with its commit written in BOOK_DIR/.commit
    commit = subprocess.run(["git", "-C", str(book), "rev-parse", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    if not commit and (book / ".commit").is_file():
        commit = (book / ".commit").read_text().strip()
    chapters = {f"chapter_{c}": title(book / f"chapter_{c}" / "index.md") for c in CHAPTERS}
    report = {
        "date": datetime.date.today().isoformat(),
        "minigluon": minigluon.__version__,
        "minigluon_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short",
                                            "HEAD"], capture_output=True,
                                           text=True).stdout.strip(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "book": "d2l-zh v1" + (f" ({commit[:10]})" if commit else ""),
        "command": "python tests/book/book_status.py BOOK_DIR",
        "minutes": None if args.from_logs else round((time.time() - t0) / 60, 1),
        "complete": all(r["status"] != "not checked" for r in rows),
        "chapters": chapters,
        "sections": rows,
    }
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
