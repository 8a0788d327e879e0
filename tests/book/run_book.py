"""Run sections of the book (d2l-zh, branch v1) through ``python -m minigluon.compat``
with shortened training, on small stand-in data of the book's formats.

    python tests/book/run_book.py BOOK_DIR SCRATCH_DIR [--python PY] [section ...]

BOOK_DIR is a checkout (or export) of d2l-zh v1 holding ``chapter_*`` and ``d2lzh``;
nothing of the book is kept in this repository. SCRATCH_DIR receives a copy of d2lzh, the
extracted scripts (``<chapter>/<section>.py``) and the stand-in data (``data/``, and an
``MXNET_HOME`` with GloVe files; their hashes are not the published ones, so the run sets
MINIGLUON_EMBEDDING_ANY_HASH=1). Each section's code cells are joined into one script;
``num_epochs`` is set to 1 (``pred_period`` to 1) right after the book sets it, and calls
that download (``download_imdb()``) are skipped. Prints one line per section: runs/fails,
the time, the last error line, and the last line that reports a loss, perplexity or
accuracy. ``--python PY`` runs the scripts with that interpreter directly instead (e.g.
the real MXNet's, ``~/mxnet-oracle/bin/python``), for the same figures from MXNet.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
import zipfile

# the same scripts as the site's table: one way to cut a section into a script
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from book_status import code_cells  # noqa: E402

SECTIONS = [
    "chapter_recurrent-neural-networks/rnn-scratch",
    "chapter_recurrent-neural-networks/rnn-gluon",
    "chapter_recurrent-neural-networks/gru",
    "chapter_recurrent-neural-networks/lstm",
    "chapter_recurrent-neural-networks/deep-rnn",
    "chapter_recurrent-neural-networks/bi-rnn",
    "chapter_natural-language-processing/word2vec-gluon",
    "chapter_natural-language-processing/approx-training",
    "chapter_natural-language-processing/similarity-analogy",
    "chapter_natural-language-processing/sentiment-analysis-rnn",
    "chapter_natural-language-processing/sentiment-analysis-cnn",
    "chapter_natural-language-processing/seq2seq",
    "chapter_natural-language-processing/attention",
    "chapter_natural-language-processing/machine-translation",
]


def make_data(scratch: str) -> None:
    rng = random.Random(0)
    data = os.path.join(scratch, "data")
    os.makedirs(data, exist_ok=True)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 300)] + ["想要", "有", "直升机", "分开"]
    lyrics = "".join(rng.choice(chars) + (" " if rng.random() < 0.1 else "")
                     for _ in range(20000))
    with zipfile.ZipFile(os.path.join(data, "jaychou_lyrics.txt.zip"), "w") as z:
        z.writestr("jaychou_lyrics.txt", lyrics)
    words = ["the", "join", "a", "chip", "intel", "baby"] * 10 + [f"w{i}" for i in range(300)]
    with zipfile.ZipFile(os.path.join(data, "ptb.zip"), "w") as z:
        for part in ("train", "valid", "test"):
            z.writestr(f"ptb/ptb.{part}.txt", "\n".join(
                " ".join(rng.choice(words[:100 + rng.randrange(200)]) for _ in range(20))
                for _ in range(400 if part == "train" else 20)) + "\n")
    fr = "elle est vieille . / il est grand . / je suis chinois . / elle est belle ."
    en = "she is old . / he is tall . / i am chinese . / she is beautiful ."
    with open(os.path.join(data, "fr-en-small.txt"), "w") as f:
        for a, b in zip(fr.split(" / "), en.split(" / ")):
            f.write(f"{a}\t{b}\n" * 5)
    vocab = ["good", "bad", "movie", "great", "awful", "the", "film", "is", "was", "fun"]
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            d = os.path.join(data, "aclImdb", split, label)
            os.makedirs(d, exist_ok=True)
            for i in range(60):
                words_ = [rng.choice(vocab) for _ in range(rng.randrange(5, 40))]
                with open(os.path.join(d, f"{i}_7.txt"), "w") as f:
                    f.write(" ".join(words_))
    glove = os.path.join(scratch, "mxnet_home", "embeddings", "glove")
    os.makedirs(glove, exist_ok=True)
    for dim in (50, 100):
        with open(os.path.join(glove, f"glove.6B.{dim}d.txt"), "w") as f:
            # the book looks tokens up by index (up to 3367): a few thousand fillers
            for w in vocab + ["chip", "chips", "intel", "baby", "boy", "girl", "man", "woman",
                              "son", "daughter", "beautiful", "lovely", "beijing", "china",
                              "tokyo", "japan", "worst", "big", "biggest", "do", "did", "go",
                              "went"] + [f"filler{i}" for i in range(4000)]:
                f.write(w + " " + " ".join(f"{rng.gauss(0, 1):.5f}" for _ in range(dim))
                        + "\n")


def ipython_shim(scratch: str) -> None:
    """d2lzh imports IPython.display for notebook figures: a shim that does nothing."""
    d = os.path.join(scratch, "IPython")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "__init__.py"), "w").close()
    with open(os.path.join(d, "display.py"), "w") as f:
        f.write("def set_matplotlib_formats(*a, **k):\n    pass\n\n\n"
                "def display(*a, **k):\n    pass\n")


_DUMMY = """class _Dummy:
    def __call__(self, *a, **k):
        return self

    def __getattr__(self, name):
        return self

    def __iter__(self):
        return iter(())


def __getattr__(name):
    return _Dummy()
"""


def matplotlib_shim(scratch: str) -> None:
    """For an interpreter without matplotlib (the MXNet venv): figures become no-ops."""
    d = os.path.join(scratch, "shims", "matplotlib")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "__init__.py"), "w") as f:
        f.write(_DUMMY + "\nrcParams = {}\n")
    with open(os.path.join(d, "pyplot.py"), "w") as f:
        f.write(_DUMMY + "\n\ndef subplots(*a, **k):\n    return _Dummy(), _Dummy()\n")


def main(argv: list[str]) -> int:
    python = None
    if "--python" in argv:
        i = argv.index("--python")
        python = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    book, scratch, *chosen = argv
    cmd = [python] if python else [sys.executable, "-m", "minigluon.compat"]
    sections = chosen or SECTIONS
    os.makedirs(scratch, exist_ok=True)
    shutil.copytree(os.path.join(book, "d2lzh"), os.path.join(scratch, "d2lzh"),
                    dirs_exist_ok=True)
    make_data(scratch)
    try:
        import IPython  # noqa: F401
    except ImportError:
        ipython_shim(scratch)
    path = [scratch]
    if python and subprocess.run([python, "-c", "import matplotlib"],
                                 capture_output=True).returncode:
        matplotlib_shim(scratch)
        path.append(os.path.join(scratch, "shims"))
    env = dict(os.environ, MXNET_HOME=os.path.join(scratch, "mxnet_home"),
               MINIGLUON_EMBEDDING_ANY_HASH="1", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(path + [os.environ.get("PYTHONPATH", "")]))
    for sec in sections:
        chapter, name = sec.split("/")
        folder = os.path.join(scratch, chapter)
        os.makedirs(folder, exist_ok=True)
        script = os.path.join(folder, name + ".py")
        with open(os.path.join(book, sec + ".md"), encoding="utf8") as f:
            with open(script, "w", encoding="utf8") as out:
                out.write(code_cells(f.read()))
        t0 = time.time()
        try:
            p = subprocess.run([*cmd, script], cwd=folder,
                               env=env, capture_output=True, text=True, timeout=900)
            ok, err = p.returncode == 0, (p.stderr.strip().splitlines() or [""])[-1]
            log = p.stdout + p.stderr
        except subprocess.TimeoutExpired:
            ok, err, log = False, "timeout (900 s)", ""
        with open(script[:-3] + ".log", "w", encoding="utf8") as f:
            f.write(log)
        figures = [ln for ln in log.splitlines()
                   if re.search(r"perplexity|loss|acc", ln) and len(ln) < 200]
        print(f"{sec}: {'runs' if ok else 'FAILS'} ({time.time() - t0:.0f} s)"
              + ("" if ok else f": {err}") + (f" | {figures[-1].strip()}" if figures else ""),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
