"""The built site in a real browser: formulas typeset, code highlighted, figures drawn, and
nothing fetched from outside the site.

Headless Chromium (Debian's ``chromium`` package) driven by Playwright, on the site that
``test_docs`` builds once per session, served from 127.0.0.1. Without Chromium or
Playwright the tests are skipped, except under CI (``CI=true``), where they must run.

The figure checks are data-driven: every tutorial page is opened, and whatever it holds
(math, code, printed output, matplotlib images, inline SVG graphs) is checked.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from test_docs import TUTORIALS, build_site, in_ci, require

CHROMIUM = shutil.which("chromium")
# no GPU, no first-run or background traffic to Google's hosts, no QUIC
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--no-default-browser-check"]
TIMEOUT_MS = 15_000


def _require_browser() -> Any:
    missing = []
    if CHROMIUM is None:
        missing.append("chromium (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        missing.append("playwright (pip install playwright)")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if in_ci():
            pytest.fail(message + "; CI must install it")
        pytest.skip(message)
    return sync_api


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Path:
    out, _ = build_site()
    assert (out / "index.html").is_file(), "the site was not built"
    return out


@pytest.fixture(scope="module")
def site_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = _require_browser()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=ARGS, headless=True,
            viewport={"width": 1200, "height": 1600}, service_workers="block")
        yield context
        context.close()


class Visit:
    """One page, opened with every request outside the site blocked and recorded."""

    def __init__(self, browser, site_url: str, path: str) -> None:
        self.page = browser.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        inside = (site_url + "/", "data:", "blob:", "about:")

        def route(r):
            if r.request.url.startswith(inside):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        response = self.page.goto(f"{site_url}/{path}", wait_until="load")
        assert response is not None and response.ok, f"{path}: HTTP error"
        self.path = path

    def close(self) -> None:
        assert self.outside == [], f"{self.path} fetched from outside the site: {self.outside}"
        assert self.errors == [], f"{self.path}: JavaScript errors {self.errors}"
        self.page.close()

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()


@pytest.fixture
def visit(browser, site_url):
    opened: list[Visit] = []

    def open_(path: str) -> Visit:
        v = Visit(browser, site_url, path)
        opened.append(v)
        return v

    yield open_
    for v in opened:
        v.close()


def check_math(v: Visit) -> int:
    """Every formula on the page is typeset by MathJax; returns how many there are."""
    n = v.count(".math")
    if n:
        v.page.wait_for_selector("mjx-container", timeout=TIMEOUT_MS)
        v.page.wait_for_function(
            "n => document.querySelectorAll('.math mjx-container').length >= n", arg=n,
            timeout=TIMEOUT_MS)
        untypeset = v.page.evaluate(
            "[...document.querySelectorAll('.math')].filter(e => !e.querySelector("
            "'mjx-container')).map(e => e.textContent)")
        assert untypeset == [], f"{v.path}: raw TeX left: {untypeset}"
        # the glyphs come from MathJax's web fonts, which must have loaded
        widths = v.page.evaluate(
            "[...document.querySelectorAll('mjx-container')].map(e => "
            "e.getBoundingClientRect().width)")
        assert min(widths) > 0, f"{v.path}: a formula has no width"
    return n


def check_code(v: Visit) -> int:
    """Code blocks are shown, highlighted (Pygments spans), with a copy button."""
    blocks = v.page.locator("div.highlight pre")
    n = blocks.count()
    for i in range(n):
        block = blocks.nth(i)
        assert block.is_visible() and block.inner_text().strip(), f"{v.path}: empty code"
    # code lines wrap: none is cut off at the right edge or hidden behind a scroll bar
    # (printed output, div.sphx-glr-script-out, keeps its columns and may scroll)
    wide = v.page.evaluate(
        "[...document.querySelectorAll('div.highlight pre')]"
        ".filter(p => !p.closest('div.sphx-glr-script-out'))"
        ".filter(p => p.scrollWidth > p.clientWidth + 1)"
        ".map(p => p.textContent.split('\\n').reduce((a, b) => a.length > b.length ? a : b))")
    assert wide == [], f"{v.path}: code wider than its block: {wide}"
    if n:
        assert v.count("div.highlight pre span") > n, f"{v.path}: code is not highlighted"
        v.page.wait_for_selector("button.copybtn", state="attached", timeout=TIMEOUT_MS)
    return n


def check_figures(v: Visit) -> tuple[int, int]:
    """Matplotlib images load and have a size; inline SVG graphs are drawn."""
    images = v.page.locator("img.sphx-glr-single-img, img.sphx-glr-multi-img")
    for i in range(images.count()):
        img = images.nth(i)
        img.scroll_into_view_if_needed()
        size = img.evaluate("i => i.complete ? [i.naturalWidth, i.naturalHeight] : [0, 0]")
        assert min(size) > 50, f"{v.path}: image {img.get_attribute('src')} did not load"
    graphs = v.page.locator("div.output_html svg:not(svg svg)")  # _repr_html_ output
    for i in range(graphs.count()):
        svg = graphs.nth(i)
        box = svg.bounding_box()
        assert box is not None and box["width"] > 20 and box["height"] > 20, v.path
        shapes = svg.locator("polygon, ellipse, path, rect").count()
        texts = svg.locator("text").count()
        assert shapes >= 2 and texts >= 1, f"{v.path}: an inline SVG graph is empty"
    return images.count(), graphs.count()


def figures_in_html(path: Path) -> tuple[int, int]:
    """(matplotlib images, inline SVG graphs) that the page's HTML holds."""
    soup = require("bs4").BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    images = soup.select("img.sphx-glr-single-img, img.sphx-glr-multi-img")
    graphs = [s for s in soup.select("div.output_html svg") if not s.find_parent("svg")]
    return len(images), len(graphs)


@pytest.mark.parametrize("script", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_page_renders(visit, site, script: Path):
    v = visit(f"tutorials/{script.stem}.html")
    check_math(v)
    assert check_code(v) > 0, f"{script.name}: no code block on the page"
    for out in v.page.locator("div.sphx-glr-script-out").all():
        assert out.inner_text().strip(), f"{script.name}: an empty output block"
    # every figure the HTML holds was checked in the browser
    assert check_figures(v) == figures_in_html(site / f"tutorials/{script.stem}.html")


def test_gallery_thumbnails_are_pictures(visit):
    """Every thumbnail of the tutorials' gallery loads as a picture with a size."""
    v = visit("tutorials/index.html")
    thumbs = v.page.locator("div.sphx-glr-thumbcontainer img")
    assert thumbs.count() == len(TUTORIALS)
    for i in range(thumbs.count()):
        img = thumbs.nth(i)
        img.scroll_into_view_if_needed()
        size = img.evaluate("i => i.complete ? [i.naturalWidth, i.naturalHeight] : [0, 0]")
        assert min(size) > 20, f"thumbnail {img.get_attribute('src')} did not load"


def test_linear_regression_page_shows_math_code_and_output(visit):
    (script,) = [p for p in TUTORIALS if p.stem.endswith("linear_regression_scratch")]
    v = visit(f"tutorials/{script.stem}.html")
    assert check_math(v) >= 3
    assert check_code(v) >= 5
    assert "epoch 1, loss" in v.page.locator("div.sphx-glr-script-out").first.inner_text()


def test_site_pages_render(visit):
    v = visit("index.html")
    assert "minigluon" in v.page.title()
    assert check_code(v) >= 1
    assert v.page.locator("nav.bd-docs-nav a", has_text="MXNet compatibility").count() == 1

    v = visit("compatibility.html")
    rows = v.page.locator("table.minigluon-operators tbody tr")
    assert rows.count() > 50
    dot = v.page.locator("table.minigluon-operators tbody tr", has_text="dA = g B^T")
    assert dot.locator("td").first.inner_text() == "dot"
    link = dot.locator("a").first
    link.click()
    v.page.wait_for_url("**/minigluon.nd.html#minigluon.nd.dot")
    assert v.page.locator("dt#minigluon\\.nd\\.dot").is_visible()


# ---- the Chinese edition ------------------------------------------------------------------

@pytest.fixture(scope="module")
def editions_url(site):
    """The folder that holds both editions (``en/``, ``zh_CN/``), served over HTTP."""
    handler = functools.partial(_QuietHandler, directory=str(site.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


# Draw two different CJK characters and an unassigned code point (U+0378, always drawn as
# the font's "missing glyph" box) in the page's own font, on a canvas: with a CJK font the
# two characters differ from each other and from the box; without one (tofu) all three
# are the same box or nothing at all.
GLYPHS_JS = """el => {
  const font = getComputedStyle(el).font;
  const draw = ch => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.font = font.replace(/\\d+(\\.\\d+)?px/, '48px');
    g.fillStyle = '#000'; g.textBaseline = 'top'; g.fillText(ch, 4, 4);
    const d = g.getImageData(0, 0, 64, 64).data; let s = '', ink = 0;
    for (let i = 3; i < d.length; i += 4) { s += d[i] > 127 ? '1' : '0'; ink += d[i] > 127; }
    return [s, ink];
  };
  const [a, inkA] = draw('前'), [b, inkB] = draw('传'), [box] = draw('\\u0378');
  return {font, inkA, inkB, differ: a !== b, notBoxA: a !== box, notBoxB: b !== box};
}"""


def test_chinese_tutorial_page_renders(browser, editions_url, site):
    (script,) = [p for p in TUTORIALS if p.stem.startswith("plot_02")]
    v = Visit(browser, editions_url, f"zh_CN/tutorials/{script.stem}.html")
    try:
        page = v.page
        title = page.locator("h1").first.inner_text()
        assert "计算图" in title, title
        paragraph = page.locator("article p", has_text="计算图").first
        glyphs = paragraph.evaluate(GLYPHS_JS)
        assert glyphs["inkA"] > 30 and glyphs["inkB"] > 30, glyphs
        assert glyphs["differ"] and glyphs["notBoxA"] and glyphs["notBoxB"], glyphs
        # the text lays out as characters, not as a row of equal boxes: a CJK line of ten
        # characters is about ten em wide
        width = page.evaluate("""() => { const s = document.createElement('span');
            s.textContent = '前向传播与反向传播计算'; document.querySelector('article p')
            .appendChild(s); const w = s.getBoundingClientRect().width;
            const em = parseFloat(getComputedStyle(s).fontSize); s.remove(); return w / em; }""")
        assert 9 <= width <= 12, width
        assert check_math(v) >= 1
        images, graphs = check_figures(v)
        assert graphs >= 1, "no graph figure on the Chinese page"
        # the language link goes to the English twin
        link = page.locator("nav.minigluon-language-switch a")
        assert link.inner_text() == "English"
        link.click()
        page.wait_for_url(f"**/en/tutorials/{script.stem}.html")
        assert page.locator("h1").first.inner_text().startswith("2. The computational graph")
        back = page.locator("nav.minigluon-language-switch a")
        assert back.inner_text() == "中文"
        back.click()
        page.wait_for_url(f"**/zh_CN/tutorials/{script.stem}.html")
    finally:
        v.close()


def test_chinese_search_finds_a_chinese_word(browser, editions_url):
    v = Visit(browser, editions_url, "zh_CN/search.html?q=%E5%8F%8D%E5%90%91%E4%BC%A0%E6%92%AD")
    try:  # 反向传播 (backpropagation)
        v.page.wait_for_selector("#search-results ul.search li", timeout=TIMEOUT_MS)
        hits = v.page.locator("#search-results ul.search li a").all_inner_texts()
        assert any("反向传播" in h for h in hits), hits
    finally:
        v.close()
