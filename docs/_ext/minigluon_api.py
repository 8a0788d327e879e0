"""The API reference, generated at build time from what imports.

``conf.py`` lists the modules to document, in reading order (``minigluon_api_modules``);
public top-level modules of the package that the list forgets are appended. Before Sphinx
reads the sources, one page per module is written to ``api/generated/<module>.rst``.
A module that does not import (missing, or half-written by someone right now) is left out,
with a message in ``sphinx-build -v`` output, so the build never fails on it: it appears as
soon as it imports.

Each page holds the module's docstring, a summary table of its public names (``__all__``,
or, without ``__all__``, the functions and classes defined in it) and one autodoc entry
per name. A name re-exported from another documented module (``minigluon.cpu`` is
``minigluon.context.cpu``) is documented once, on that module's page, and the summary links
there. Public functions and classes that a module defines without listing them in
``__all__`` (``nd``'s functions generated from the operator registry) get their own section.

Two docstring helpers live here too: an operator's rule line (``y = |x|.   VJP: ...``) is
shown as code, and a ``:doc:`` link from a docstring to a tutorial that is not written yet
renders as plain text instead of failing the build.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import pkgutil
import re
import tempfile
import types
from pathlib import Path
from typing import Any, TypeVar

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

PACKAGE = "minigluon"
OUTDIR = "api/generated"  # relative to the source dir; ignored by git
# modules whose real name differs from the name users type
ALIASES = {"minigluon.nd": "minigluon.ndarray"}


# ---- finding the modules ---------------------------------------------------------------

def resolve(dotted: str) -> types.ModuleType:
    """Import ``dotted``, following attributes for aliases such as ``minigluon.nd.random``.

    Raises whatever the import raises; a name that is not a module raises ImportError.
    """
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        # only "this very module does not exist" may be an alias; an error inside it is not
        if exc.name is None or not (dotted == exc.name or dotted.startswith(exc.name + ".")):
            raise
        parent, _, attr = dotted.rpartition(".")
        if not parent:
            raise
        obj = getattr(resolve(parent), attr, None)
        if not isinstance(obj, types.ModuleType):
            raise
        return obj


def discover(listed: list[str]) -> list[str]:
    """The listed modules, then any public top-level module of the package not covered."""
    pkg = importlib.import_module(PACKAGE)
    covered = set(listed) | {ALIASES.get(m, m) for m in listed}
    extra = [f"{PACKAGE}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__)
             if not m.name.startswith("_")]
    return list(listed) + [m for m in extra if m not in covered]


def importable(names: list[str]) -> dict[str, types.ModuleType]:
    """Display name -> module, for the modules that import; the others are reported."""
    found = {}
    for name in names:
        try:
            found[name] = resolve(name)
        except Exception as exc:  # a module being written may fail in any way
            logger.info(f"[minigluon_api] {name} is not documented yet: it does not import "
                        f"({type(exc).__name__}: {exc})")
    return found


# ---- what a module exports ---------------------------------------------------------------

def _defined_in(obj: Any, module: types.ModuleType) -> bool:
    owner = getattr(obj, "__module__", None)
    if not isinstance(owner, str):
        return False
    if hasattr(module, "__path__"):  # a package: its submodules count as itself
        return owner == module.__name__ or owner.startswith(module.__name__ + ".")
    return owner == module.__name__


def _is_api_object(obj: Any) -> bool:
    return (inspect.isfunction(obj) or inspect.isclass(obj)) and not isinstance(obj, TypeVar)


def public_names(module: types.ModuleType) -> tuple[list[str], list[str]]:
    """(exported names, other public functions and classes defined in the module).

    ``vars()`` rather than ``getattr``: a module ``__getattr__`` may answer ``__all__`` for
    another module.
    """
    ns = vars(module)
    own = [n for n, v in ns.items()
           if not n.startswith("_") and _is_api_object(v) and _defined_in(v, module)]
    if "__all__" not in ns:
        return own, []
    exported = [n for n in ns["__all__"] if _lookup(module, n) is not _MISSING]
    # beside an __all__, only what the module itself defines: a package's helpers imported
    # from its submodules are internal
    more = [n for n in own if n not in exported and ns[n].__module__ == module.__name__]
    return exported, more


_MISSING = object()


def _lookup(module: types.ModuleType, name: str) -> Any:
    try:
        return getattr(module, name)
    except Exception:  # a lazily imported submodule that does not import yet
        return _MISSING


# ---- writing the pages -------------------------------------------------------------------

class Page:
    """One module's page: which names it documents, and which it links elsewhere."""

    def __init__(self, name: str, module: types.ModuleType) -> None:
        self.name = name
        self.module = module
        self.real = module.__name__
        self.exported, self.more = public_names(module)
        self.objects = {n: _lookup(module, n) for n in self.exported + self.more}

    def names_of(self, obj: Any) -> list[str]:
        return [n for n, v in self.objects.items() if v is obj]


def home(obj: Any, pages: list[Page]) -> tuple[Page, str] | None:
    """The page that documents ``obj``: the one whose module is nearest to where ``obj``
    is defined and that exports it; with the name it has there."""
    owner = getattr(obj, "__module__", None)
    if not isinstance(owner, str):
        return None
    best: tuple[Page, str] | None = None
    for page in pages:
        if owner != page.real and not owner.startswith(page.real + "."):
            continue
        names = page.names_of(obj)
        if names and (best is None or len(page.real) > len(best[0].real)):
            name = getattr(obj, "__name__", None)
            best = (page, name if name in names else names[0])
    return best


def operator_methods(cls: type) -> dict[str, str]:
    """Methods of ``cls`` generated from the operator registry: method name -> nd function.

    Such a method only forwards to the ``nd`` function (it has the operator's docstring),
    so the class page lists them in one paragraph instead of repeating each entry.
    """
    from minigluon.ops import OPS

    out = {}
    for _, op in OPS.items():
        meth = vars(cls).get(op.method or "")
        if meth is not None and op.__doc__ and getattr(meth, "__doc__", None) == op.__doc__:
            out[op.method] = op.name
    return dict(sorted(out.items()))


def _directive(name: str, obj: Any) -> list[str]:
    if inspect.isclass(obj):
        lines = [f".. autoclass:: {name}", "   :members:"]
        if obj.__bases__ != (object,):  # "Bases: object" says nothing
            lines.append("   :show-inheritance:")
        generated = operator_methods(obj)
        if generated:
            links = ", ".join(f":func:`{m} <minigluon.nd.{n}>`" if m == n else
                              f"``{m}`` (:func:`nd.{n} <minigluon.nd.{n}>`)"
                              for m, n in generated.items())
            lines += [f"   :exclude-members: {', '.join(generated)}", "",
                      "   .. rubric:: Methods that call an operator", "",
                      "   Each calls the ``nd`` function of the same name with the array as "
                      "its first input (``x.exp()`` is ``nd.exp(x)``): " + links + "."]
        return lines + [""]
    if callable(obj):
        return [f".. autofunction:: {name}", ""]
    value = repr(obj)
    no_value = ["   :no-value:"] if len(value) > 60 or " at 0x" in value else []
    return [f".. autodata:: {name}", *no_value, ""]


def _own_doc(obj: Any, module: str | None, name: str | None) -> str:
    """The documentation of ``obj`` itself: for a plain value (``OPS``, a constant) not
    its type's docstring, but the ``#:`` comment above its assignment, if any."""
    if inspect.isclass(obj) or inspect.isroutine(obj) or isinstance(obj, types.ModuleType):
        return inspect.getdoc(obj) or ""
    if module and name:
        from sphinx.pycode import ModuleAnalyzer

        try:
            comments = ModuleAnalyzer.for_module(module).find_attr_docs()
        except Exception:  # no source to read
            comments = {}
        if ("", name) in comments:
            return "\n".join(comments[("", name)]).strip()
    return ""


def summary(obj: Any, module: str | None = None, name: str | None = None) -> str:
    """The first sentence of ``obj``'s documentation, as reStructuredText; an operator's
    rule (a formula in plain text) as code.

    A sentence ends at a period followed by a space outside inline markup: autosummary
    cuts ``y = A . B`` inside a formula, and then the table does not parse.
    """
    doc = _own_doc(obj, module, name)
    para = " ".join(doc.split("\n\n")[0].split())
    rule = _rule_prefix(para)
    if rule:
        return f"``{rule}``"
    for m in re.finditer(r"\.\s", para + " "):
        head = para[:m.start() + 1]
        if head.count("``") % 2 == 0 and head.replace("``", "").count("`") % 2 == 0:
            return head
    return para


def summary_table(rows: list[tuple[str, str, Any]], aliases: bool = False) -> list[str]:
    """A two-column table: a link to each name's entry, and its first sentence.

    With ``aliases``, a name bound to an object that is also listed under its own name
    (``MXNetError`` for ``MinigluonError``, ``plus`` for ``add``) says so instead.
    """
    def is_own_name(name: str, target: str, obj: Any) -> bool:
        if isinstance(obj, types.ModuleType):  # mx.nd is the page "minigluon.nd"
            return target.rsplit(".", 1)[-1] == name
        return getattr(obj, "__name__", None) == name

    own = {id(obj): (name, target) for name, target, obj in rows
           if is_own_name(name, target, obj)}
    lines = [".. list-table::", "   :widths: 30 70", "   :class: minigluon-summary", ""]
    for name, target, obj in rows:
        role = "py:mod" if isinstance(obj, types.ModuleType) else "py:obj"
        module, _, attr = target.rpartition(".")
        text = summary(obj, ALIASES.get(module, module), attr) or " "
        if aliases and own.get(id(obj), (name,))[0] != name:
            real_name, real_target = own[id(obj)]
            text = f"Another name for :{role}:`{real_name} <{real_target}>`."
        lines += [f"   * - :{role}:`{name} <{target}>`", f"     - {text}"]
    return lines + [""]


def render(page: Page, pages: list[Page]) -> str:
    by_name = {p.name: p for p in pages} | {p.real: p for p in pages}
    title = page.name
    lines = [title, "=" * len(title), "", f".. automodule:: {page.name}", ""]
    if page.real != page.name:
        lines += [f"(Its source is the module ``{page.real}``.)", ""]
    rows: list[tuple[str, str, Any]] = []  # (name here, full name of its entry, object)
    modules: list[tuple[str, str, Any]] = []
    local: list[str] = []
    for n in page.exported:
        obj = page.objects[n]
        if isinstance(obj, types.ModuleType):
            target = by_name.get(f"{page.name}.{n}") or by_name.get(obj.__name__)
            if target is not None:
                modules.append((n, target.name, obj))
            continue
        home_page, as_name = home(obj, pages) or (page, n)
        if home_page is page:
            local.append(n)
            as_name = n
        rows.append((n, f"{home_page.name}.{as_name}", obj))
    if rows or modules:
        lines += [".. rubric:: Summary", ""]
        lines += summary_table(rows + modules, aliases=True)
    groups = [("Classes", inspect.isclass),
              ("Functions", lambda o: not inspect.isclass(o) and callable(o)),
              ("Other objects", lambda o: not callable(o))]
    for heading, test in groups:
        members = [n for n in local if test(page.objects[n])]
        if members:
            lines += [heading, "-" * len(heading), ""]
            for n in members:
                lines += _directive(n, page.objects[n])
    if page.more:
        heading = "Not in __all__"
        lines += [heading, "-" * len(heading), "",
                  "Public functions and classes that this module defines without listing "
                  "them in its ``__all__`` (so ``from ... import *`` leaves them out).", ""]
        lines += summary_table([(n, f"{page.name}.{n}", page.objects[n]) for n in page.more])
        for n in page.more:
            lines += _directive(n, page.objects[n])
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    """Write atomically, and only when the text changed, so Sphinx's incremental build
    does not re-read every page (and concurrent builds never read half a file)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def generate(app: Sphinx) -> None:
    names = discover(list(app.config.minigluon_api_modules))
    pages = [Page(n, m) for n, m in importable(names).items()]
    outdir = Path(app.srcdir) / OUTDIR
    outdir.mkdir(parents=True, exist_ok=True)
    wanted = {f"{p.name}.rst" for p in pages}
    for old in outdir.glob("*.rst"):  # a module that was renamed or removed
        if old.name not in wanted:
            old.unlink(missing_ok=True)
    for page in pages:
        _write_if_changed(outdir / f"{page.name}.rst", render(page, pages))
    app.env.minigluon_api_pages = [  # type: ignore[attr-defined]
        (p.name, _first_line(p.module)) for p in pages]


def _first_line(module: types.ModuleType) -> str:
    doc = inspect.getdoc(module) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


class ApiToc(SphinxDirective):
    """``.. minigluon-api-toc::``: the generated pages as a toctree and a table."""

    def run(self) -> list[nodes.Node]:
        pages = getattr(self.env, "minigluon_api_pages", [])
        rel = Path(OUTDIR).relative_to(Path(self.env.docname).parent)  # from api/index
        lines = [".. toctree::", "   :hidden:", "", *[f"   {rel}/{n}" for n, _ in pages], "",
                 ".. list-table::", "   :header-rows: 1", "   :widths: 30 70",
                 "   :class: minigluon-api-modules", "",
                 "   * - module", "     - what it holds"]
        for name, blurb in pages:
            lines += [f"   * - :doc:`{name} <{rel}/{name}>`",
                      f"     - {blurb}"]
        node = nodes.container()
        self.state.nested_parse(StringList(lines, source="minigluon_api"), self.content_offset,
                                node)
        return node.children


def _always_reread(app: Sphinx, env: Any, added: set, changed: set, removed: set) -> list:
    # the index lists whatever modules import today
    return [d for d in app.config.minigluon_api_index if d in env.found_docs]


# ---- docstring helpers -------------------------------------------------------------------

@functools.cache
def _rules() -> tuple[str, ...]:
    """Every operator's rule, longest first (a rule may start with a shorter one)."""
    from minigluon.ops import OPS

    out = {rule_of(cls) for _, cls in OPS.items()}
    return tuple(sorted((r for r in out if r and "``" not in r), key=len, reverse=True))


def _rule_prefix(text: str) -> str:
    """The operator rule that ``text`` (one line) starts with, or ''."""
    return next((r for r in _rules() if text.startswith(r)), "")


def rule_of(cls: type) -> str:
    """An operator's rule: the first paragraph of its docstring, on one line."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    return " ".join(doc.split("\n\n")[0].split())


def rules_as_code(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                  lines: list[str]) -> None:
    """Show a docstring that starts with an operator's rule with the rule as code: rules
    are formulas in plain text (``|x|``, ``x**2``), not reStructuredText."""
    if what not in ("function", "method") or not lines:
        return
    end = lines.index("") if "" in lines else len(lines)
    text = " ".join(" ".join(lines[:end]).split())
    rule = _rule_prefix(text)
    if rule:
        rest = text[len(rule):].strip()
        lines[:end] = [f"``{rule}``" + (f" {rest}" if rest else "")]


def pending_tutorial(app: Sphinx, env: Any, node: Any, contnode: nodes.Node) -> Any:
    """A docstring may link a tutorial that someone is still writing: while
    ``tutorials/<name>.py`` does not exist, show the link text without a link."""
    if node.get("reftype") != "doc":
        return None
    target = node.get("reftarget", "")
    if not target.lstrip("/").startswith("tutorials/"):
        return None
    script = Path(app.srcdir).parent / "tutorials" / (target.rsplit("/", 1)[1] + ".py")
    if script.exists():
        return None  # it exists, so a broken link is a real error: let Sphinx warn
    logger.info(f"[minigluon_api] link to {target} left unlinked: {script.name} is not "
                "written yet", location=node)
    return contnode


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("minigluon_api_modules", [], "env", types=[list])
    app.add_config_value("minigluon_api_index", ["api/index"], "env", types=[list])
    app.add_directive("minigluon-api-toc", ApiToc)
    app.connect("builder-inited", generate)
    app.connect("env-get-outdated", _always_reread)
    app.connect("autodoc-process-docstring", rules_as_code)
    app.connect("missing-reference", pending_tutorial)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
