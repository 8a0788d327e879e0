"""Collects the ``>>>`` examples of the package docstrings and of the tutorials.

Tutorials are sphinx-gallery scripts: a docstring, ``# %%`` text blocks and code blocks.
Each example and each code block becomes a test item, run in order in one namespace, so a
tutorial's examples see the variables its code made.
"""

import ast
import doctest
import itertools
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # plt.show() must not block under pytest

try:  # one BLAS thread: small products stall when threads compete on a busy 2-core machine
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except ImportError:
    pass

import pytest  # noqa: E402
from sybil import Document, Region, Sybil  # noqa: E402
from sybil.evaluators.doctest import DocTestEvaluator  # noqa: E402
from sybil.parsers.abstract import DocTestStringParser  # noqa: E402
from sybil.parsers.markdown import PythonCodeBlockParser  # noqa: E402
from sybil.parsers.rest import DocTestParser  # noqa: E402
from sybil.sybil import SybilCollection  # noqa: E402

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
TEXT_START = re.compile(r"# %%|#{20,}")


class GalleryScript(Document):
    """A sphinx-gallery script whose text examples and code blocks run in file order."""

    @classmethod
    def parse(cls, path, *parsers, encoding="utf-8"):
        text = Path(path).read_text(encoding=encoding)
        doc = cls(text, path)
        doc.namespace.update(__name__="__main__", __file__=path)
        lines = text.splitlines(keepends=True)
        start = list(itertools.accumulate(map(len, lines), initial=0))
        is_text = [False] * len(lines)
        # the doctest parser sees the file with code blanked out and comment markers and
        # docstring quotes turned into spaces, so offsets stay the same
        seen = [re.sub(r"[^\n]", " ", ln) for ln in lines]
        body = ast.parse(text).body
        if body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0].value, "value", None), str):
            d = body[0]
            for i in range(d.lineno - 1, d.end_lineno):
                is_text[i], seen[i] = True, lines[i]
            chars = list("".join(seen))
            a = start[d.lineno - 1] + d.col_offset
            b = start[d.end_lineno - 1] + d.end_col_offset
            quote = re.match(r"[rRuU]*(\"\"\"|'''|\"|')", text[a:b])
            chars[a:a + quote.end()] = " " * quote.end()
            chars[b - len(quote.group(1)):b] = " " * len(quote.group(1))
            seen = "".join(chars).splitlines(keepends=True)
        in_text = False
        for i, ln in enumerate(lines):
            if is_text[i]:
                continue
            in_text = bool(TEXT_START.match(ln)) or (in_text and ln.startswith("#"))
            if in_text:
                is_text[i], seen[i] = True, " " + ln[1:]
        for region in DocTestStringParser(DocTestEvaluator(FLAGS))("".join(seen), path):
            doc.add(region)
        for code, group in itertools.groupby(range(len(lines)), key=lambda i: not is_text[i]):
            idx = list(group)
            source = "".join(lines[i] for i in idx)
            if code and source.strip():
                doc.add(Region(start[idx[0]], start[idx[-1] + 1], (source, idx[0]), _run_code))
        return doc


class _NotAModule(pytest.File):
    """Stands in for the module pytest would import when a tutorial is named on the command
    line: tutorials run through Sybil only, once, in file order."""

    def collect(self):
        return []


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.parent.name == "tutorials":
        return _NotAModule.from_parent(parent, path=module_path)
    return None


def _run_code(example):
    source, first_line = example.parsed
    exec(compile("\n" * first_line + source, example.path, "exec"), example.namespace)


def _close_figures(namespace):
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


pytest_collect_file = SybilCollection([
    Sybil(parsers=[], path="tutorials", patterns=["*.py"], excludes=["GALLERY_HEADER*"],
          document_types={".py": GalleryScript}, teardown=_close_figures),
    Sybil(parsers=[DocTestParser(optionflags=FLAGS)], path="minigluon", patterns=["*.py"]),
    Sybil(parsers=[PythonCodeBlockParser(doctest_optionflags=FLAGS)], path=".",
          patterns=["README.md"]),
]).pytest()
