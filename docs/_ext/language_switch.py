"""A link on every page to the same page in the other language edition.

``docs/build.py`` builds the editions side by side, ``<out>/en`` and ``<out>/zh_CN``, so
the twin of ``<out>/en/tutorials/x.html`` is ``../../zh_CN/tutorials/x.html``: the link is
relative and works from a file system or any web server. ``conf.py`` names the editions in
``language_switch`` (code -> label); the template ``_templates/language-switch.html`` shows
the links in the sidebar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform

# words of generated text that is kept out of the catalogs because its numbers change on
# every run (docs/build.py drops it from them), translated here instead
GENERATED = {"zh_CN": {"Total running time of the script:": "脚本总运行时间："}}


def twins(editions: dict[str, str], language: str | None, pagename: str) -> list[tuple]:
    """``(code, label, href)`` for every edition other than ``language``."""
    here = language or "en"
    up = "../" * (pagename.count("/") + 1)  # from this page up to the folder of editions
    return [(code, label, f"{up}{code}/{pagename}.html")
            for code, label in editions.items() if code != here]


def _context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    context["language_twins"] = twins(app.config.language_switch, app.config.language,
                                      pagename)


class TranslateGenerated(SphinxTransform):
    default_priority = 900

    def apply(self, **kwargs: Any) -> None:
        words = GENERATED.get(self.config.language or "en")
        if not words:
            return
        for text in list(self.document.findall(nodes.Text)):
            if str(text) in words:
                text.parent.replace(text, nodes.Text(words[str(text)]))


def _fix_chinese_stemmer(app: Any, exc: BaseException | None) -> None:
    """Sphinx 9.0's Chinese search ships the English stemmer (for Latin words) but ends
    ``language_data.js`` with ``window.Stemmer = ChineseStemmer;``, a name nothing defines:
    every page then logs a ReferenceError and search stems no Latin word. Point it at the
    stemmer that is there."""
    if exc is not None or app.builder.format != "html":
        return
    path = Path(app.outdir) / "_static" / "language_data.js"
    if path.is_file():
        js = path.read_text(encoding="utf-8")
        if "ChineseStemmer" in js and "EnglishStemmer" in js:
            path.write_text(js.replace("window.Stemmer = ChineseStemmer;",
                                       "window.Stemmer = EnglishStemmer;"), encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("language_switch", {}, "html")
    app.add_transform(TranslateGenerated)
    app.connect("build-finished", _fix_chinese_stemmer)
    app.connect("html-page-context", _context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
