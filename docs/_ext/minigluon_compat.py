"""Directives for the "MXNet compatibility" page, rendered from the package itself so the
page cannot drift from the code.

``.. minigluon-operator-table::``
    The operator registry (``minigluon.ops.OPS``: what minigluon and installed plugins
    register, not what a tutorial registers), one table per module that registers
    operators: name, rule (the first paragraph of the operator's docstring), the ``nd``
    function and the ``NDArray`` method that call it (only those that really exist), and
    whether its VJP can itself be differentiated (``create_graph=True``).

``.. minigluon-registry:: minigluon.optimizer.OPTIMIZERS``
    Any other registry (optimizers, initializers...): name, class, first docstring line.
    Renders nothing while the module does not import (it is still being written).

``.. minigluon-differences:: fix`` (or ``limit``)
    The deliberate differences from MXNet kept in ``minigluon._compat_notes.DIFFERENCES``,
    one subsection each, with the tests that demonstrate them and their examples.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)


def table(header: list[str], rows: list[list[nodes.Node | str]], widths: list[int],
          cls: str) -> nodes.table:
    """A docutils table; a cell is text or a node."""
    t = nodes.table(classes=[cls, "colwidths-given"])  # honour the widths
    group = nodes.tgroup(cols=len(header))
    t += group
    group += [nodes.colspec(colwidth=w) for w in widths]

    def row(cells: list[nodes.Node | str]) -> nodes.row:
        r = nodes.row()
        for c in cells:
            para = nodes.paragraph()
            para += nodes.Text(c) if isinstance(c, str) else c
            r += nodes.entry("", para)
        return r

    group += nodes.thead("", row(list(header)))
    group += nodes.tbody("", *[row(r) for r in rows])
    return t


def shipped(registry: Any) -> list[tuple[str, Any]]:
    """The entries of a registry that minigluon or an installed plugin provides, by name.

    Tutorials run in the same process during the build and may register their own
    operators (the plugin tutorial does); those belong to the tutorial, not to this page.
    """
    def ours(owner: str) -> bool:
        return owner == "minigluon" or owner.startswith(("minigluon.", "plugin "))

    return sorted((n, obj) for n, obj in registry.items() if ours(registry.owner(n)))


def first_paragraph(obj: Any) -> str:
    doc = inspect.cleandoc(getattr(obj, "__doc__", None) or "")
    return " ".join(doc.split("\n\n")[0].split())


class OperatorTable(SphinxDirective):
    """``.. minigluon-operator-table::``"""

    def xref(self, role: str, title: str, target: str) -> list[nodes.Node]:
        parsed, messages = self.state.inline_text(f":{role}:`{title} <{target}>`", self.lineno)
        return parsed + messages

    def run(self) -> list[nodes.Node]:
        from minigluon import nd
        from minigluon.ops import OPS

        groups: dict[str, list[list[Any]]] = {}
        # public operators first, then the internal ones (``_mul_scalar``...)
        for key, cls in sorted(shipped(OPS), key=lambda kv: (kv[0].startswith("_"), kv[0])):
            called: list[nodes.Node] = []
            if hasattr(nd, cls.name):  # generated, or written by hand under that name
                called += self.xref("func", f"nd.{cls.name}", f"minigluon.nd.{cls.name}")
            if cls.method and hasattr(nd.NDArray, cls.method):
                called += [nodes.Text(", ")] if called else []
                called.append(nodes.literal(text=f"x.{cls.method}()"))
            groups.setdefault(OPS.owner(key), []).append([
                nodes.literal(text=cls.name),
                nodes.literal(text=first_paragraph(cls)),
                nodes.inline("", "", *called),
                "yes" if cls.saves is not None else "",
            ])
        out: list[nodes.Node] = []
        for owner in sorted(groups):
            out.append(nodes.rubric(text=f"{owner} ({len(groups[owner])})"))
            out.append(table(["operator", "rule", "called as", "2nd order"], groups[owner],
                             [20, 52, 18, 10], "minigluon-operators"))
        return out


class RegistryTable(SphinxDirective):
    """``.. minigluon-registry:: module.REGISTRY``"""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module_name, _, attr = self.arguments[0].rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            logger.info(f"[minigluon_compat] {module_name} is not listed yet: it does not "
                        f"import ({type(exc).__name__}: {exc})", location=self.get_location())
            return []
        registry = getattr(module, attr)  # a wrong name is an error in the page: let it raise
        rows = []
        for name, obj in shipped(registry):
            target = f"{obj.__module__}.{obj.__qualname__}"
            parsed, messages = self.state.inline_text(f":obj:`~{target}`", self.lineno)
            rows.append([nodes.literal(text=name), nodes.inline("", "", *parsed, *messages),
                         first_paragraph(obj)])
        return [table([registry.kind, "class", "what it does"], rows, [16, 24, 60],
                      "minigluon-registry")]


class Differences(SphinxDirective):
    """``.. minigluon-differences:: fix|limit``"""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from minigluon._compat_notes import DIFFERENCES

        kind = self.arguments[0]
        entries = [d for d in DIFFERENCES if d.kind == kind]
        if not entries:
            raise self.error(f"no difference of kind {kind!r} in minigluon._compat_notes")
        lines: list[str] = []
        for d in entries:
            title = d.topic
            lines += [title, "~" * len(title), "", f"**MXNet 1.9.1:** {d.mxnet}", "",
                      f"**minigluon:** {d.minigluon}", ""]
            if d.tests:
                lines += ["**Shown by:** " + ", ".join(f"``{t}``" for t in d.tests), ""]
            if d.example:
                lines += [".. code-block:: pycon", ""]
                lines += [f"   {ln}" if ln else "" for ln in d.example.splitlines()] + [""]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="minigluon/_compat_notes.py"),
                                 node)
        return node.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("minigluon-operator-table", OperatorTable)
    app.add_directive("minigluon-registry", RegistryTable)
    app.add_directive("minigluon-differences", Differences)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
