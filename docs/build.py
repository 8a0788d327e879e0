"""Build the site in both languages: ``python docs/build.py [OUT]``.

The English edition is built first into ``OUT/en`` (default ``docs/_build/html``); it runs
every tutorial (sphinx-gallery). The Chinese edition follows into ``OUT/zh_CN``: the same
sources with ``language=zh_CN``, the text translated by the gettext catalogs in
``docs/locales/zh_CN/LC_MESSAGES/``, and the tutorials NOT run again: sphinx-gallery finds
the outputs the English build just wrote into ``docs/tutorials/`` (with matching MD5s) and
reuses them. Both builds use ``-W --keep-going`` and need no network. ``OUT/index.html``
sends a browser to the English edition.

``python docs/build.py --update-po`` instead refreshes the catalogs from the sources
(``sphinx-build -b gettext``, then ``sphinx-intl update``); a translator then fills in the
new ``msgstr`` entries. Run it after an English build, so that the tutorials' pages exist.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
LANGUAGES = ("en", "zh_CN")


def sphinx(*args: str, env: dict[str, str] | None = None) -> None:
    cmd = [sys.executable, "-m", "sphinx", *args]
    subprocess.run(cmd, check=True, env=env, cwd=DOCS.parent)


def build(out: Path, quiet: bool = False, doctrees: Path | None = None) -> None:
    doctrees = doctrees or out.parent / "doctrees"
    q = ["-q"] if quiet else []
    for lang in LANGUAGES:
        env = dict(os.environ)
        if lang != "en":
            env["MINIGLUON_GALLERY_REUSE"] = "1"  # the English build just ran the tutorials
        sphinx("-W", "--keep-going", *q, "-b", "html", "-D", f"language={lang}",
               "-d", str(doctrees / lang), str(DOCS), str(out / lang), env=env)
    (out / "index.html").write_text(
        '<!DOCTYPE html>\n<meta charset="utf-8">\n<title>minigluon</title>\n'
        '<meta http-equiv="refresh" content="0; url=en/index.html">\n'
        '<a href="en/index.html">English</a> · <a href="zh_CN/index.html">中文</a>\n',
        encoding="utf-8")


def drop_per_run_messages(pot_dir: Path) -> None:
    """Remove sphinx-gallery's "Total running time ... (0 minutes 0.056 seconds)" from the
    templates: it changes on every run, so it would never stay translated.
    ``_ext/language_switch.py`` translates its words at build time instead."""
    from babel.messages.pofile import read_po, write_po

    for pot in pot_dir.rglob("*.pot"):
        with open(pot, "rb") as f:
            catalog = read_po(f)
        for message in list(catalog):
            if message.id and str(message.id).startswith("**Total running time"):
                del catalog[message.id]
        with open(pot, "wb") as f:
            write_po(f, catalog, width=0)


def update_po() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MINIGLUON_GALLERY_REUSE="1")
        sphinx("-q", "-b", "gettext", str(DOCS), tmp, env=env)
        # the API pages are the docstrings, the English reference: no catalogs for them
        shutil.rmtree(Path(tmp) / "api" / "generated", ignore_errors=True)
        drop_per_run_messages(Path(tmp))
        subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "-p", tmp,
                        "-d", str(DOCS / "locales"), "-l", "zh_CN", "-w", "0"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DOCS / "_build" / "html")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--update-po", action="store_true",
                        help="refresh docs/locales from the sources instead of building")
    args = parser.parse_args(argv)
    if args.update_po:
        update_po()
    else:
        build(args.out.resolve(), args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
