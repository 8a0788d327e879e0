"""The import graph of minigluon is a DAG of layers: a module imports only from layers
below its own (or from its own layer, without a cycle).

Every ``import`` of every module counts, also the lazy ones inside functions. Layers,
bottom to top (``LAYERS``): base -> ``_tape`` and ``ops/`` side by side -> ``ndarray/`` ->
``autograd`` -> initializers and optimizers, ``symbol`` and ``metric`` side by side ->
``gluon/`` and the instruments side by side -> ``contrib/`` -> the top-level faces.
Two layers on the same rank are siblings: neither may import the other.

A package's ``__init__`` that imports its own submodules is assembled from them. Its
*contract*, the names it defines above its first submodule import (``ops/__init__``'s
``Op``, ``register_op`` ...), is a node of its own, below those submodules: a submodule may
import the contract (``from . import Op``), but not what the package defines after
loading its parts.
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Iterator

import pytest

import minigluon  # only for where the package lives: the tests read its sources

ROOT = os.path.dirname(os.path.abspath(minigluon.__file__))

#: (layer, rank, module patterns): ``name`` is that module, ``name.*`` its submodules too.
#: Layers on the same rank are siblings and may not import each other.
LAYERS: list[tuple[str, int, tuple[str, ...]]] = [
    ("base", 0, ("base", "_registry", "context", "_rng", "_events", "_fileformat",
                 "_compat_notes", "util", "name", "runtime", "libinfo", "_dmlc")),
    ("tape", 1, ("_tape",)),
    ("ops", 1, ("ops", "ops.*")),
    ("ndarray", 2, ("ndarray", "ndarray.*", "random")),
    ("autograd", 3, ("autograd",)),
    ("initializers and optimizers", 4, ("initializer", "optimizer", "optimizer.*",
                                        "lr_scheduler", "kvstore")),
    ("symbol", 4, ("symbol", "symbol.*")),
    ("metric", 4, ("metric",)),
    ("gluon", 5, ("gluon", "gluon.*", "recordio", "image", "image.*", "io", "io.*")),
    ("instruments", 5, ("instruments", "instruments.*", "viz", "explain", "debug",
                        "testing")),
    ("contrib", 6, ("contrib", "contrib.*", "test_utils")),
    ("faces", 7, ("", "compat", "demo")),
]


def _modname(path: str) -> str:
    rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
    return rel[: -len(".__init__")] if rel.endswith(".__init__") else rel


def _files() -> dict[str, str]:
    out = {}
    for d, _, fs in os.walk(ROOT):
        for f in fs:
            if f.endswith(".py"):
                path = os.path.join(d, f)
                out[_modname(path)] = path
    return out


FILES = _files()
MODULES = set(FILES)
_TREES: dict[str, ast.Module] = {}


def _tree(path: str) -> ast.Module:
    if path not in _TREES:
        with open(path, encoding="utf-8") as f:
            _TREES[path] = ast.parse(f.read(), path)
    return _TREES[path]


def layer_of(module: str) -> tuple[str, int] | None:
    """The layer of ``minigluon.<...>`` from the most specific pattern that matches."""
    rel = module[len("minigluon."):] if module != "minigluon" else ""
    best: tuple[int, str, int] | None = None
    for layer, rank, patterns in LAYERS:
        for p in patterns:
            if p.endswith(".*"):
                hit = rel.startswith(p[:-1])
                score = len(p) - 1
            else:
                hit = rel == p
                score = len(p) + 1  # an exact name beats a wildcard of the same prefix
            if hit and (best is None or score > best[0]):
                best = (score, layer, rank)
    return None if best is None else (best[1], best[2])


class Edge:
    """``src`` imports ``dst`` (names ``names``) at ``file:line``."""

    def __init__(self, src: str, dst: str, names: tuple[str, ...], where: str) -> None:
        self.src, self.dst, self.names, self.where = src, dst, names, where

    def __repr__(self) -> str:
        what = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.src} -> {self.dst}{what} at {self.where}"


def _imports(module: str, path: str) -> Iterator[tuple[str, tuple[str, ...], ast.stmt]]:
    """(target module, imported names, statement) for each minigluon import, lazy ones
    included."""
    tree = _tree(path)
    is_pkg = path.endswith("__init__.py")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "minigluon" or a.name.startswith("minigluon."):
                    yield a.name, (), node
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not (target == "minigluon" or target.startswith("minigluon.")):
                continue
            names = [a.name for a in node.names]
            rest = []
            for n in names:
                if f"{target}.{n}" in MODULES:  # `from . import conv` imports a module
                    yield f"{target}.{n}", (), node
                else:
                    rest.append(n)
            if rest:
                yield target, tuple(rest), node


def _contract(pkg: str, path: str) -> tuple[set[str], int]:
    """The names a package ``__init__`` defines above its first submodule import, and the
    line of that import (a call of a function that imports submodules counts too)."""
    tree = _tree(path)

    def loads_child(stmt: ast.AST) -> bool:
        for n in ast.walk(stmt):
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                if isinstance(n, ast.ImportFrom) and n.level == 1 and (
                        n.module is None and any(f"{pkg}.{a.name}" in MODULES for a in n.names)
                        or n.module is not None and f"{pkg}.{n.module.split('.')[0]}" in MODULES):
                    return True
                if isinstance(n, ast.Import) and any(a.name.startswith(pkg + ".")
                                                     for a in n.names):
                    return True
        return False

    loaders = {s.name for s in tree.body
               if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and loads_child(s)}
    names: set[str] = set()
    for stmt in tree.body:
        calls = {n.func.id for n in ast.walk(stmt)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        is_def = isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        if (not is_def and loads_child(stmt)) or (calls & loaders and not is_def):
            return names, stmt.lineno
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    return names, 10 ** 9


@functools.lru_cache(maxsize=1)
def _graph() -> tuple[Edge, ...]:
    return tuple(_import_graph())


def import_graph() -> list[Edge]:
    return list(_graph())


def _import_graph() -> list[Edge]:
    """Every import between two minigluon modules, with package contracts split off as
    ``<package>:contract`` nodes."""
    contracts = {m: _contract(m, p) for m, p in FILES.items() if p.endswith("__init__.py")}
    edges = []
    for module, path in sorted(FILES.items()):
        rel = os.path.relpath(path, os.path.dirname(ROOT))
        split_line = contracts[module][1] if module in contracts else None
        for target, names, stmt in _imports(module, path):
            src = module
            own_child = target.startswith(module + ".")
            if split_line is not None and stmt.lineno < split_line and not own_child:
                src = module + ":contract"  # an import the contract part makes
            dst = target
            if target in contracts and target != module and module.startswith(target + "."):
                defined = contracts[target][0]
                if names and set(names) <= defined:
                    dst = target + ":contract"
            if src != dst:
                edges.append(Edge(src, dst, names, f"{rel}:{stmt.lineno}"))
    return edges


def _node_layer(node: str) -> tuple[str, int] | None:
    return layer_of(node.split(":")[0])


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for e in edges:
        graph.setdefault(e.src, []).append(e.dst)
        graph.setdefault(e.dst, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_layer() -> None:
    missing = sorted(m for m in MODULES if layer_of(m) is None)
    assert not missing, (
        f"modules without a layer: {missing}. Add each to LAYERS in tests/test_layering.py "
        "(the layer whose modules it imports and that imports it), then run this test.")


def test_no_upward_or_sideways_import() -> None:
    bad = []
    for e in import_graph():
        src, dst = _node_layer(e.src), _node_layer(e.dst)
        if src is None or dst is None:
            continue  # reported by test_every_module_has_a_layer
        if dst[1] > src[1]:
            bad.append(f"upward: {e}  ({src[0]} imports {dst[0]}, which sits above it)")
        elif dst[1] == src[1] and dst[0] != src[0]:
            bad.append(f"sideways: {e}  ({src[0]} and {dst[0]} are siblings: neither may "
                       "import the other)")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_no_import_cycle() -> None:
    edges = import_graph()
    cycles = _cycles(edges)
    lines = []
    for comp in cycles:
        members = set(comp)
        lines.append("cycle: " + ", ".join(comp))
        lines += [f"    {e}" for e in edges if e.src in members and e.dst in members]
    assert not cycles, "import cycles:\n" + "\n".join(lines)


def test_ops_never_write_modules() -> None:
    """Operators are NumPy only: no ``sys.modules`` tricks to reach the array layer."""
    bad = []
    for module, path in FILES.items():
        if not (module == "minigluon.ops" or module.startswith("minigluon.ops.")):
            continue
        tree = _tree(path)
        for n in ast.walk(tree):
            if isinstance(n, ast.Attribute) and n.attr == "modules" and \
                    isinstance(n.value, ast.Name) and n.value.id == "sys":
                bad.append(f"{os.path.relpath(path, os.path.dirname(ROOT))}:{n.lineno}")
    assert not bad, f"sys.modules used under ops/: {bad}"


def _levels(edges: list[Edge]) -> dict[str, int]:
    """Dependency depth of each node (0 = imports nothing of minigluon)."""
    deps: dict[str, set[str]] = {}
    for e in edges:
        deps.setdefault(e.src, set()).add(e.dst)
        deps.setdefault(e.dst, set())
    depth: dict[str, int] = {}

    def d(v: str) -> int:
        if v not in depth:
            depth[v] = 0  # guards against a cycle (reported by its own test)
            depth[v] = 1 + max((d(w) for w in deps[v]), default=-1)
        return depth[v]

    for v in deps:
        d(v)
    return depth


@pytest.mark.parametrize("module, layer", [
    ("minigluon", "faces"), ("minigluon.ops.rnn", "ops"), ("minigluon.ops.sequence", "ops"),
    ("minigluon.ops.detection", "ops"), ("minigluon.gluon.rnn.rnn_layer", "gluon"),
    ("minigluon.gluon.model_zoo.vision", "gluon"), ("minigluon.contrib.text", "contrib"),
    ("minigluon.image", "gluon"), ("minigluon.recordio", "gluon"), ("minigluon.io", "gluon"),
    ("minigluon.test_utils", "contrib"), ("minigluon.util", "base"), ("minigluon.name", "base"),
    ("minigluon.runtime", "base"), ("minigluon.instruments.graph", "instruments"),
    ("minigluon.optimizer.sgd", "initializers and optimizers"),
    ("minigluon.random", "ndarray"), ("minigluon.metric", "metric"),
])
def test_layer_map_places_planned_modules(module: str, layer: str) -> None:
    assert layer_of(module) == (layer, dict((n, r) for n, r, _ in LAYERS)[layer])


def test_layer_map_rejects_unknown_module() -> None:
    assert layer_of("minigluon.somewhere_new") is None


def test_the_checks_can_fail() -> None:
    """A cycle and an upward edge, made up, are found."""
    e1 = Edge("minigluon._tape", "minigluon.ndarray.ndarray", ("NDArray",), "x.py:1")
    e2 = Edge("minigluon.ndarray.ndarray", "minigluon._tape", ("Node",), "y.py:2")
    assert _cycles([e1, e2]) == [["minigluon._tape", "minigluon.ndarray.ndarray"]]
    assert _node_layer(e1.dst)[1] > _node_layer(e1.src)[1]  # type: ignore[index]


def test_summary_is_a_dag() -> None:
    """The graph has depth (levels), edges, and no cycle: the numbers the README quotes."""
    edges = import_graph()
    levels = _levels(edges)
    assert max(levels.values()) >= 5
    assert not _cycles(edges)


if __name__ == "__main__":  # print the graph summary
    es = import_graph()
    lv = _levels(es)
    print(f"{len(FILES)} modules, {len({(e.src, e.dst) for e in es})} import edges, "
          f"{max(lv.values()) + 1} levels, {len(_cycles(es))} cycles")
    for level in range(max(lv.values()) + 1):
        print(f"level {level}: " + ", ".join(sorted(
            n.replace("minigluon.", "") for n, v in lv.items() if v == level)))
