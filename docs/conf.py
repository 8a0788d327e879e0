"""Sphinx configuration of minigluon's site, in English and in Chinese.

Build both editions with ``python docs/build.py`` (into ``docs/_build/html/en`` and
``docs/_build/html/zh_CN``); the build needs no network (MathJax is served from the site,
there is no intersphinx). The English build runs every tutorial in ``tutorials/``; a
tutorial that raises fails the build. The Chinese build (``-D language=zh_CN``, with
``MINIGLUON_GALLERY_REUSE=1``) reuses the outputs the English build left in
``docs/tutorials/`` and translates the text through the catalogs in ``docs/locales/``.
"""

import os
import shutil
import sys
import sysconfig
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import minigluon  # noqa: E402

project = "minigluon"
author = "the minigluon authors"
copyright = "the minigluon authors, Apache-2.0"
version = release = minigluon.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.graphviz",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "mathjax_local",  # docs/_ext: MathJax from the site itself, no CDN
    "minigluon_api",  # docs/_ext: API pages generated from the modules that import
    "minigluon_compat",  # docs/_ext: the compatibility page's tables, from the code
    "language_switch",  # docs/_ext: each page links to its twin in the other language
    "book_status",  # docs/_ext: the "run the book" page's table, from docs/book_status.json
]

# ---- languages: English source, Chinese through gettext catalogs --------------------------
# docs/locales/zh_CN/LC_MESSAGES/<page>.po, one catalog per page (gettext_compact off), kept
# in sync with `python docs/build.py --update-po` (sphinx-build -b gettext, sphinx-intl)
locale_dirs = ["locales/"]
gettext_compact = False
gettext_uuid = False
gettext_location = False  # no source line numbers in the catalogs: fewer spurious diffs
language_switch = {"en": "English", "zh_CN": "中文"}
# jieba (docs extra) splits Chinese text into words for the search index; without it
# Sphinx's Chinese splitter indexes no Chinese word at all
html_search_language = None  # follows `language`

# ---- tutorials: top-level tutorials/*.py, rendered into docs/tutorials/ ------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../tutorials"],
    "gallery_dirs": ["tutorials"],
    "filename_pattern": r".*\.py$",  # execute every tutorial, not only plot_*
    "ignore_pattern": r"(__init__|conftest)\.py",
    "within_subsection_order": "FileNameSortKey",  # plot_01_..., plot_02_... in order
    "abort_on_example_error": True,
    # run every tutorial on every build: the MD5 cache in docs/tutorials/ would skip a
    # tutorial that a change to minigluon broke, and it is shared by all builds of this tree.
    # The one exception is the Chinese build right after the English one (docs/build.py):
    # it reuses the outputs the English build just made (same scripts, same MD5s)
    "run_stale_examples": os.environ.get("MINIGLUON_GALLERY_REUSE") != "1",
    "download_all_examples": False,
    "write_computation_times": False,
    "show_memory": False,
    "remove_config_comments": True,
    # each tutorial starts like a fresh kernel: layer names dense0..., no recording
    "reset_modules": ("matplotlib", "gallery_reset.reset_minigluon", "gallery_figures.clear"),
    # minigluon's graph figures are saved as SVG images too, so a tutorial's thumbnail is
    # its own figure (docs/_ext/gallery_figures.py); matplotlib's figures as usual
    "image_scrapers": ("matplotlib", "gallery_figures.graph_scraper"),
}

# ---- API reference (docs/_ext/minigluon_api.py) ------------------------------------------
# One page per module, in this order. A module that does not import yet is left out; a
# public top-level module missing from this list is appended at the end.
minigluon_api_modules = [
    "minigluon",
    "minigluon.nd",
    "minigluon.nd.random",
    "minigluon.autograd",
    "minigluon.gluon",
    "minigluon.gluon.nn",
    "minigluon.gluon.loss",
    "minigluon.gluon.rnn",
    "minigluon.gluon.data",
    "minigluon.gluon.data.vision",
    "minigluon.gluon.utils",
    "minigluon.initializer",
    "minigluon.optimizer",
    "minigluon.metric",
    "minigluon.viz",
    "minigluon.explain",
    "minigluon.ops",
    "minigluon.testing",
    "minigluon.random",
    "minigluon.context",
    "minigluon.base",
    "minigluon.compat",
]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_use_type_comments = False  # annotations only; skips re-parsing every function
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_custom_sections = [("Class attributes", "params_style")]

# ---- figures: graphviz-pure (pip) renders DOT; a system `dot` also works ----------------
_gvp = Path(sysconfig.get_path("scripts")) / "graphviz-pure"
graphviz_dot = str(_gvp) if _gvp.exists() else (shutil.which("graphviz-pure") or "dot")
graphviz_output_format = "svg"

# ---- HTML ---------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "minigluon"
html_theme_options = {"show_toc_level": 2, "use_download_button": True,
                      "max_navbar_depth": 2}
html_copy_source = False  # the tutorials offer their .py and .ipynb for download instead
html_static_path = ["_static"]
html_css_files = ["minigluon.css"]
templates_path = ["_templates"]
html_sidebars = {"**": ["navbar-logo.html", "language-switch.html", "icon-links.html",
                        "search-button-field.html",
                        "sbt-sidebar-nav.html"]}
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
