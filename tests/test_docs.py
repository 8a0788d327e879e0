"""The documentation site: it builds without a warning and without network, and its pages
say what the code says.

The site is built once per test session, in the background from the moment this module is
collected (``SiteBuild``); the browser tests in ``test_browser.py`` reuse that build.
sphinx-gallery runs every tutorial during the build. Without the ``docs`` extra these tests
are skipped, except under CI (``CI=true``), where a missing tool is a failure.
"""

from __future__ import annotations

import ast
import atexit
import copy
import doctest
import functools
import importlib.util
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon._compat_notes import DIFFERENCES, Difference

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIALS = sorted(p for p in (ROOT / "tutorials").glob("*.py") if p.name != "__init__.py")
DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there: any download attempt fails fast


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require(module: str) -> Any:
    """Import a documentation tool; skip without it, except in CI, where it must exist."""
    if in_ci():
        return importlib.import_module(module)
    return pytest.importorskip(module)


class SiteBuild:
    """One ``sphinx-build`` of the site, started in the background as soon as this module is
    imported (at collection), so that it runs on another core while the first tests run.

    It runs ``docs/build.py``: the English edition into ``html/en``, then the Chinese one
    into ``html/zh_CN``. The build runs with every proxy variable pointing at a closed
    port, so anything that tries to download during the build (a CDN, intersphinx
    inventories) fails it. Its output goes to a temporary folder that is removed when
    Python exits.
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        if importlib.util.find_spec("sphinx") is None:
            return  # the tests say what is missing (or skip)
        self.dir = Path(tempfile.mkdtemp(prefix="minigluon-site-"))
        self.out = self.dir / "html" / "en"
        self.zh = self.dir / "html" / "zh_CN"
        # one BLAS thread: the build shares the machine with the test run
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore",
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        for var in ("http_proxy", "https_proxy", "all_proxy"):
            env[var] = env[var.upper()] = DEAD_PROXY
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        self.log = (self.dir / "stdout.txt").open("w"), (self.dir / "stderr.txt").open("w")
        # both editions, by the command the README gives: English (runs the tutorials),
        # then Chinese (reuses their outputs)
        self.proc = subprocess.Popen(
            [sys.executable, str(DOCS / "build.py"), "-q", str(self.dir / "html")],
            stdout=self.log[0], stderr=self.log[1], env=env, cwd=ROOT)
        atexit.register(self.close)

    def wait(self) -> subprocess.CompletedProcess:
        if self.proc is None:
            require("sphinx")
            pytest.fail("sphinx is installed but was not when the tests were collected")
        require("sphinx_gallery")
        if self.returncode is None:
            self.returncode = self.proc.wait()
            for f in self.log:
                f.close()
        return subprocess.CompletedProcess(
            self.proc.args, self.returncode,
            (self.dir / "stdout.txt").read_text(), (self.dir / "stderr.txt").read_text())

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:  # the docs tests did not run
            self.proc.kill()
            self.proc.wait()
        for f in self.log:
            f.close()
        shutil.rmtree(self.dir, ignore_errors=True)


_BUILD = SiteBuild()


def build_site(language: str = "en") -> tuple[Path, subprocess.CompletedProcess]:
    """The html folder of this session's build of one edition (``en`` or ``zh_CN``), and
    the build's result (waits for it)."""
    result = _BUILD.wait()
    return (_BUILD.out if language == "en" else _BUILD.zh), result


@pytest.fixture(scope="module")
def site() -> Path:
    out, r = build_site()
    # a warning fails only test_build_has_no_warning; the other tests check what was built
    assert (out / "index.html").is_file(), f"sphinx-build failed:\n{r.stdout[-3000:]}\n{r.stderr}"
    return out


@pytest.fixture(scope="module")
def soup(site: Path):
    """``soup("index.html")``: a built page, parsed (once; tests only read it)."""
    bs4 = require("bs4")

    @functools.cache
    def read(rel: str):
        path = site / rel
        assert path.is_file(), f"{rel} was not built"
        return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")

    return read


@pytest.fixture(scope="module")
def api(soup):
    """The docs' own extension module, and the API pages of the build.

    The pages are those the build listed: modules written concurrently may have started
    to import since.
    """
    require("sphinx")
    conf = runpy.run_path(str(DOCS / "conf.py"))  # also puts docs/_ext on sys.path
    import minigluon_api

    table = soup("api/index.html").select_one("table.minigluon-api-modules")
    listed = [a.get_text() for a in table.select("tbody a")]
    pages = [minigluon_api.Page(n, minigluon_api.resolve(n)) for n in listed]
    return types.SimpleNamespace(ext=minigluon_api, conf=conf, pages=pages, listed=listed)


def words(node) -> str:
    """A page element's text with runs of whitespace as one space (as HTML shows it)."""
    return " ".join(node.get_text().split())


def ids(page_soup) -> set[str]:
    return {t["id"] for t in page_soup.find_all(id=True)}


# ---- the build ------------------------------------------------------------------------

def test_build_has_no_warning():
    _, r = build_site()
    assert r.returncode == 0 and "WARNING" not in r.stderr and "ERROR" not in r.stderr, \
        f"sphinx-build -W failed:\n{r.stderr}"


def test_key_pages_exist(site):
    for rel in ("index.html", "installation.html", "compatibility.html", "api/index.html",
                "tutorials/index.html", "genindex.html", "search.html"):
        assert (site / rel).is_file(), rel


def test_index_says_what_minigluon_is_and_for_whom(soup):
    text = soup("index.html").get_text(" ")
    for phrase in ("Dive into Deep Learning", "teach", "meant to be", "read",
                   "tape is an object you can look at"):
        assert phrase in text, phrase


def test_every_tutorial_is_a_page_with_its_title_and_output(soup, api):
    assert TUTORIALS, "no tutorial in tutorials/"
    # every build runs every tutorial: docs/tutorials/'s MD5 cache would skip unchanged ones
    assert api.conf["sphinx_gallery_conf"]["run_stale_examples"] is True
    index = soup("tutorials/index.html")
    linked = {a["href"].split("#")[0] for a in index.find_all("a", href=True)}
    for script in TUTORIALS:
        title = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
        title = title.strip().splitlines()[0].strip()
        page = soup(f"tutorials/{script.stem}.html")
        assert page.find("h1").get_text().rstrip("#¶ ") == title, script.name
        assert f"{script.stem}.html" in linked, f"{script.name} is missing from the index"
        assert page.select("div.highlight pre"), f"{script.name}: no code block"


def test_every_tutorial_thumbnail_is_one_of_its_own_figures(site, soup):
    """The gallery shows each tutorial with a figure the tutorial drew (a graph or a plot),
    never sphinx-gallery's placeholder: each has its own images, and no two tutorials
    share a thumbnail (the placeholder would be the same picture for all)."""
    images = DOCS / "tutorials" / "images"
    thumbs = {}
    for box in soup("tutorials/index.html").select("div.sphx-glr-thumbcontainer"):
        page = box.select_one("a.reference")["href"].removesuffix(".html")
        thumbs[page] = site / "tutorials" / box.select_one("img")["src"]
    assert sorted(thumbs) == sorted(p.stem for p in TUTORIALS)
    for stem, thumb in thumbs.items():
        own = sorted(images.glob(f"sphx_glr_{stem}_[0-9][0-9][0-9].*"))
        assert own, f"{stem}: the tutorial draws no figure, so its thumbnail is a placeholder"
        assert thumb.is_file() and thumb.stat().st_size > 500, f"{stem}: {thumb} missing"
    contents = {stem: thumb.read_bytes() for stem, thumb in thumbs.items()}
    shared = [a for a in contents for b in contents if a < b and contents[a] == contents[b]]
    assert not shared, f"tutorials sharing one thumbnail (the placeholder?): {shared}"


def test_linear_regression_tutorial_shows_its_training_output(soup):
    (script,) = [p for p in TUTORIALS if p.stem.endswith("linear_regression_scratch")]
    out = " ".join(t.get_text() for t in soup(f"tutorials/{script.stem}.html")
                   .select("div.sphx-glr-script-out"))
    assert re.search(r"epoch 1, loss \d+\.\d{6}", out), out


def test_docs_pages_examples_pass():
    """The ``>>>`` examples of the hand-written pages run and print what they show."""
    for rst in sorted(DOCS.glob("*.rst")):
        text = rst.read_text(encoding="utf-8")
        test = doctest.DocTestParser().get_doctest(text, {}, rst.name, str(rst), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS |
                                       doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.failures == 0, rst.name
    assert "x.grad" in (DOCS / "index.rst").read_text(encoding="utf-8")


# ---- offline ------------------------------------------------------------------------------

def test_nothing_is_loaded_from_outside_the_site(site):
    external = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
    for page in site.rglob("*.html"):
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page.read_text("utf-8")):
            assert not external.search(tag), f"{page.relative_to(site)}: {tag}"
    for css in site.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css.read_text("utf-8")), css


def test_math_uses_the_sites_own_mathjax(site, soup):
    with_math = [p for p in TUTORIALS if soup(f"tutorials/{p.stem}.html").select(".math")]
    assert with_math, "no tutorial with math to check"
    for script in with_math:
        srcs = [s.get("src", "") for s in soup(f"tutorials/{script.stem}.html")("script")]
        assert any(s.startswith("../_static/mathjax/tex-chtml.js") for s in srcs), srcs
    assert (site / "_static/mathjax/tex-chtml.js").stat().st_size > 500_000
    assert list((site / "_static/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    assert (site / "_static/mathjax/input/tex/extensions/boldsymbol.js").is_file()


# ---- API reference ------------------------------------------------------------------------

def test_api_index_lists_the_modules_that_import(api):
    order = api.ext.discover(api.conf["minigluon_api_modules"])
    assert api.listed == sorted(api.listed, key=order.index)  # in the order of conf.py
    for must in ("minigluon", "minigluon.nd", "minigluon.nd.random", "minigluon.autograd",
                 "minigluon.ops", "minigluon.testing", "minigluon.random", "minigluon.context",
                 "minigluon.base"):
        assert must in api.listed


def _from_elsewhere(name: str) -> bool:
    """An operator registered in this process by a test or a tutorial (the plugin
    tutorial's ``swish``), which the site, built in its own process, rightly omits."""
    from minigluon.ops import OPS

    return name in OPS._items and not OPS.owner(name).startswith("minigluon")


def test_every_public_name_has_an_entry(api, soup):
    anchors = {p.name: ids(soup(f"api/generated/{p.name}.html")) for p in api.pages}
    missing = []
    for page in api.pages:
        for name, obj in page.objects.items():
            if isinstance(obj, types.ModuleType) or _from_elsewhere(name):
                continue
            where = api.ext.home(obj, api.pages)
            home, as_name = where if where else (page, name)
            if f"{home.name}.{as_name}" not in anchors[home.name]:
                missing.append(f"{page.name}.{name}")
    assert not missing, missing
    # spot checks that do not rely on the extension's own bookkeeping
    nd_ids = anchors["minigluon.nd"]
    assert {"minigluon.nd.dot", "minigluon.nd.NDArray", "minigluon.nd.array",
            "minigluon.nd.NDArray.attach_grad", "minigluon.nd.add"} <= nd_ids
    assert "minigluon.autograd.record" in anchors["minigluon.autograd"]
    assert "minigluon.ops.register_op" in anchors["minigluon.ops"]


def test_reexports_link_to_their_one_entry(soup):
    top = soup("api/generated/minigluon.html")
    hrefs = {a.get_text(): a["href"] for a in top.select("table.minigluon-summary a")}
    assert hrefs["cpu"] == "minigluon.context.html#minigluon.context.cpu"
    # an alias links to the object under its own name, and says so
    assert hrefs["MXNetError"] == "minigluon.base.html#minigluon.base.MinigluonError"
    said = {words(r.select("td")[0]): words(r.select("td")[1])
            for r in top.select("table.minigluon-summary tr")}
    assert said["MXNetError"] == "Another name for MinigluonError."
    assert said["ndarray"] == "Another name for nd."
    assert hrefs["nd"] == "minigluon.nd.html#module-minigluon.nd"
    assert "minigluon.cpu" not in ids(top)  # documented once, on the context page


def test_operator_rules_render_as_code(soup):
    page = soup("api/generated/minigluon.nd.html")
    entry = page.find(id="minigluon.nd.abs").find_parent("dl")
    assert words(entry.select_one("dd code")) == "y = |x|. VJP: dx = g * sign(x) (0 at x = 0)"
    # NDArray's operator methods are listed once, linking to their nd function
    ndarray = page.find(id="minigluon.nd.NDArray").find_parent("dl")
    link = ndarray.find("a", href="#minigluon.nd.exp")
    assert link is not None and link.get_text() == "exp"


def test_a_module_that_does_not_import_is_left_out(api, tmp_path, monkeypatch):
    (tmp_path / "halfwritten.py").write_text("raise RuntimeError('still being written')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = api.ext.importable(["minigluon.autograd", "halfwritten", "minigluon.not_there",
                                "minigluon.nd.random"])
    assert list(found) == ["minigluon.autograd", "minigluon.nd.random"]
    assert found["minigluon.nd.random"].__name__ == "minigluon.ndarray.random"
    # public top-level modules the list forgets are appended; aliases and _private are not
    names = api.ext.discover(["minigluon.nd"])
    assert names[0] == "minigluon.nd" and "minigluon.autograd" in names
    assert "minigluon.ndarray" not in names and "minigluon._tape" not in names


def test_summary_keeps_inline_markup_whole(api, tmp_path, monkeypatch):
    def f():
        """Join ``a. b`` and `c. d`. Then more."""

    assert api.ext.summary(f) == "Join ``a. b`` and `c. d`."
    # a plain value is summarised by its #: comment, not by its type's docstring
    (tmp_path / "valued.py").write_text("#: The answer. Really.\nANSWER = 42\nOTHER = {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import valued

    assert api.ext.summary(valued.ANSWER, "valued", "ANSWER") == "The answer."
    assert api.ext.summary(valued.OTHER, "valued", "OTHER") == ""
    assert api.ext.summary(nd.dot) == f"``{api.ext.rule_of(type(mx.ops.get_op('dot')()))}``"


# ---- compatibility page -------------------------------------------------------------------

def test_operator_table_lists_every_registered_operator(soup):
    from minigluon.ops import OPS

    rows = soup("compatibility.html").select("table.minigluon-operators tbody tr")
    cells = {r.select("td")[0].get_text(): r.select("td") for r in rows}
    # the registry of a fresh process, as the build saw it (tests here register more)
    fresh = subprocess.run([sys.executable, "-c", "from minigluon.ops import OPS; "
                            "print(' '.join(OPS.get(n).name for n in OPS))"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert "dot" in fresh and "broadcast_add" in fresh
    assert len(rows) == len(cells) and sorted(cells) == sorted(fresh)
    dot = cells["dot"]
    assert words(dot[1]) == ("y = A . B (last axis of A with first axis of B). "
                             "VJP: dA = g B^T, dB = A^T g")
    for cls in map(OPS.get, fresh):  # every rule as the operator's docstring states it
        assert words(cells[cls.name][1]) == " ".join(cls.__doc__.split("\n\n")[0].split())
    assert dot[2].find("a")["href"] == "api/generated/minigluon.nd.html#minigluon.nd.dot"
    assert words(dot[2]) == "nd.dot, x.dot()" and words(dot[3]) == "yes"
    assert words(cells["_mul_scalar"][2]) == ""  # not exposed as nd._mul_scalar
    assert words(cells["reshape"][2]) == "nd.reshape"  # NDArray.reshape is written by hand
    assert words(cells["prod"][3]) == ""  # its VJP is not differentiable again
    # public operators first, then the internal ones, each alphabetical
    for table in soup("compatibility.html").select("table.minigluon-operators"):
        col = [words(r.select("td")[0]) for r in table.select("tbody tr")]
        assert col == sorted(col, key=lambda n: (n.startswith("_"), n.lower())), col


def test_registries_are_listed(soup):
    from minigluon.optimizer import OPTIMIZERS

    page = soup("compatibility.html")
    names = {td.get_text() for t in page.select("table.minigluon-registry")
             for td in t.select("tbody td:first-child")}
    ours = {n for n in OPTIMIZERS if OPTIMIZERS.owner(n).startswith("minigluon")}
    assert ours <= names and "sgd" in names and "adam" in names


def test_every_difference_is_on_the_page(soup):
    text = soup("compatibility.html").get_text(" ")
    text = " ".join(text.split())
    for d in DIFFERENCES:
        topic = re.sub(r"``(.*?)``", r"\1", d.topic)
        assert topic in text, d.topic
        for t in d.tests:
            assert t in text


def _test_exists(node_id: str) -> bool:
    path, *names = node_id.split("::")
    file = ROOT / path
    if not file.is_file():
        return False
    body: list[Any] = ast.parse(file.read_text(encoding="utf-8")).body
    for name in names:
        name = name.split("[")[0]  # a parametrized id
        found = [n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                 and n.name == name]
        if not found:
            return False
        body = getattr(found[0], "body", [])
    return True


@pytest.mark.parametrize("diff", DIFFERENCES, ids=lambda d: d.topic[:40])
def test_each_difference_is_demonstrated(diff: Difference):
    assert diff.tests or diff.example
    for node_id in diff.tests:
        assert _test_exists(node_id), f"{diff.topic}: no test {node_id}"
    if diff.example:
        globs = {"mx": mx, "nd": nd, "autograd": autograd, "np": np}
        test = doctest.DocTestParser().get_doctest(diff.example, globs, diff.topic,
                                                   "minigluon/_compat_notes.py", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS |
                                       doctest.NORMALIZE_WHITESPACE)
        try:
            runner.run(test)
        finally:
            autograd.set_recording(False)
        assert runner.failures == 0, diff.topic


def test_difference_entries_are_checked():
    with pytest.raises(ValueError, match="name a test or give an example"):
        Difference("t", "a", "b")
    with pytest.raises(ValueError, match="not a node id"):
        Difference("t", "a", "b", tests=("test_x",))
    with pytest.raises(ValueError, match="kind must be"):
        Difference("t", "a", "b", kind="other", example=">>> 1\n1\n")  # type: ignore[arg-type]
    assert not _test_exists("tests/test_autograd.py::no_such_test")
    assert _test_exists("tests/test_docs.py::test_difference_entries_are_checked")


def test_a_link_to_an_unwritten_tutorial_is_plain_text(api):
    from docutils import nodes
    from sphinx import addnodes

    app = types.SimpleNamespace(srcdir=str(DOCS))
    text = nodes.inline("", "the plugin tutorial")

    def resolve(target: str, reftype: str = "doc") -> Any:
        node = addnodes.pending_xref("", reftype=reftype, reftarget=target)
        return api.ext.pending_tutorial(app, None, node, text)

    assert resolve("/tutorials/plot_99_not_written") is text
    assert resolve(f"/tutorials/{TUTORIALS[0].stem}") is None  # exists: Sphinx decides
    assert resolve("/tutorials/plot_99_not_written", reftype="ref") is None
    assert resolve("/api/index_not_there") is None  # only tutorials may be pending


def test_rules_with_markup_characters_reach_the_page_as_text(soup):
    rows = soup("compatibility.html").select("table.minigluon-operators tbody tr")
    rules = {r.select("td")[0].get_text(): words(r.select("td")[1]) for r in rows}
    assert rules["broadcast_lesser"] == "y = [a < b] as 0/1 in the input dtype. VJP: none"
    assert rules["abs"] == "y = |x|. VJP: dx = g * sign(x) (0 at x = 0)"


# ---- the Chinese edition ------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
LOCALES = DOCS / "locales" / "zh_CN" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def zh_soup(site: Path):
    bs4 = require("bs4")
    zh, _ = build_site("zh_CN")

    @functools.cache
    def read(rel: str):
        path = zh / rel
        assert path.is_file(), f"zh_CN/{rel} was not built"
        return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")

    return read


def test_chinese_pages_are_in_chinese(zh_soup, soup):
    assert zh_soup("index.html").find("html")["lang"] == "zh-CN"
    for rel in ("index.html", "installation.html", "run-the-book.html", "compatibility.html",
                "tutorials/index.html") + tuple(f"tutorials/{p.stem}.html" for p in TUTORIALS):
        zh, en = zh_soup(rel), soup(rel)
        title = zh.find("h1").get_text()
        if rel != "index.html":  # the front page's title is the project's name
            assert CJK.search(title) and title != en.find("h1").get_text(), rel
        # the text is Chinese: most paragraphs of the article hold Chinese characters
        paras = [p.get_text() for p in zh.select("article p")
                 if len(p.get_text()) > 40 and p.find_parent("table") is None]
        chinese = [t for t in paras if CJK.search(t)]
        assert len(chinese) >= 0.8 * len(paras), (rel, [t for t in paras if t not in chinese])


ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'-]+[A-Za-z]{2,}){4,}")


def untranslated_text(page) -> list[str]:
    """Paragraphs and list items of a built page's article that are English prose: five
    or more English words in a row outside code, math, literal and quoted text, and no
    Chinese."""
    found = []
    for el in page.select("article p, article li"):
        if el.find_parent(["pre", "table"]) is not None or el.select_one("p, li"):
            continue  # code and tables are checked elsewhere; a list item by its paragraph
        el = copy.copy(el)
        for lit in el.select("code, pre, .math, kbd, span.pre, a.reference.external"):
            lit.decompose()
        text = " ".join(el.get_text(" ").split())
        quoted = re.sub(r'"[^"]*"|“[^”]*”', "", text)  # MXNet's messages stay as MXNet prints them
        if ENGLISH_RUN.search(quoted) and not CJK.search(text):
            found.append(text)
    return found


def test_chinese_edition_has_no_english_prose_left(zh_soup, site):
    """Every hand-written page and tutorial of the Chinese edition is translated through
    and through: an English paragraph there is a catalog out of date with its page (run
    ``python docs/build.py --update-po`` and translate what it adds)."""
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")
             if not p.relative_to(site).parts[0].startswith("_")
             and p.relative_to(site).parts[:2] != ("api", "generated")
             and p.name not in ("genindex.html", "search.html", "py-modindex.html")]
    assert len(pages) > 15
    left = {rel: found for rel in pages if (found := untranslated_text(zh_soup(rel)))}
    assert not left, left


def test_chinese_tutorials_reuse_the_english_outputs(zh_soup, soup, site):
    """The Chinese build does not run the tutorials again: same printed output, same
    figure files (run again, the timings and any randomness would differ)."""
    zh_dir, _ = build_site("zh_CN")
    for script in TUTORIALS:
        rel = f"tutorials/{script.stem}.html"
        outs = [[t.get_text() for t in s(rel).select("div.sphx-glr-script-out")]
                for s in (soup, zh_soup)]
        assert outs[0] == outs[1], script.name
        code = [[t.get_text() for t in s(rel).select("div.highlight-Python pre")]
                for s in (soup, zh_soup)]
        assert code[0] == code[1], f"{script.name}: code differs between the editions"
    images = sorted((site / "_images").glob("sphx_glr_*.png"))
    assert images
    for img in images:
        assert (zh_dir / "_images" / img.name).read_bytes() == img.read_bytes(), img.name


def test_every_page_links_to_its_twin(site):
    zh, _ = build_site("zh_CN")
    bs4 = require("bs4")
    pages = [p.relative_to(site) for p in site.rglob("*.html")
             if not p.relative_to(site).parts[0].startswith("_")]
    assert len(pages) > 20
    for here, there, label in ((site, zh, "中文"), (zh, site, "English")):
        for rel in pages:
            page = bs4.BeautifulSoup((here / rel).read_text("utf-8"), "html.parser")
            links = page.select("nav.minigluon-language-switch a")
            assert [a.get_text() for a in links] == [label], rel
            target = (here / rel).parent / links[0]["href"]
            assert target.resolve() == (there / rel).resolve() and target.is_file(), rel


def test_catalogs_cover_every_hand_written_page_and_tutorial():
    """Every page but the generated API reference has a catalog, and every message in it
    is translated (an empty msgstr would show English on the Chinese page)."""
    babel = require("babel.messages.pofile")
    expected = {p.stem for p in DOCS.glob("*.rst")} | {"tutorials/index", "api/index"} | {
        f"tutorials/{p.stem}" for p in TUTORIALS}
    found = {str(p.relative_to(LOCALES).with_suffix("")) for p in LOCALES.rglob("*.po")}
    assert expected <= found, expected - found
    for name in sorted(expected):
        with open(LOCALES / f"{name}.po", "rb") as f:
            catalog = babel.read_po(f)
        untranslated = [m.id for m in catalog if m.id and not m.string]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        assert not untranslated and not fuzzy, (name, (untranslated + fuzzy)[:3])


def test_chinese_search_index_holds_chinese_words():
    zh, _ = build_site("zh_CN")
    jieba = require("jieba")
    text = (zh / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(text[text.index("(") + 1:text.rindex(")")])["terms"]
    for phrase in ("反向传播", "计算图", "权重衰减"):
        # Sphinx indexes Chinese text in the words jieba segments it into
        # (反向传播 -> 反向, 传播)
        words = [w for w in jieba.cut_for_search(phrase) if len(w) > 1]
        assert words and all(w in terms for w in words), (phrase, words)


def test_a_downloaded_notebook_runs_from_start_to_end(site, tmp_path):
    """The .ipynb a reader downloads from a tutorial page runs in a real Jupyter kernel."""
    nbformat = require("nbformat")
    nbclient = require("nbclient")
    require("ipykernel")
    (script,) = [p for p in TUTORIALS if p.stem.startswith("plot_01")]
    page = (site / f"tutorials/{script.stem}.html").read_text(encoding="utf-8")
    href = re.search(rf'href="(\.\./_downloads/[^"]+/{script.stem}\.ipynb)"', page)
    assert href, "the page offers no notebook download"
    path = (site / "tutorials" / href.group(1)).resolve()
    nb = nbformat.read(path, as_version=4)
    assert sum(c.cell_type == "code" for c in nb.cells) >= 3
    env_before = dict(os.environ)
    os.environ.update(MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    try:
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    expected = [t.get_text() for t in require("bs4").BeautifulSoup(page, "html.parser")
                .select("div.sphx-glr-script-out pre")]
    assert expected and all(e.strip() in printed for e in expected[:2]), printed[:500]
