"""Run code written for MXNet unchanged: ``import mxnet`` gives minigluon.

From a shell, run a script (its own helper modules included) with::

    python -m minigluon.compat train.py --epochs 3
    python -m minigluon.compat -m package.module args...

In a notebook, one line before ``import mxnet`` (or ``import d2lzh``)::

    import minigluon.compat; minigluon.compat.install()

How it works: :func:`install` puts an import hook (a "meta-path finder") first in
``sys.meta_path``. It answers every ``import mxnet...`` with the matching minigluon module
itself: ``mxnet`` is ``minigluon``, ``mxnet.nd`` is ``minigluon.ndarray``, ``mxnet.gluon.nn``
is ``minigluon.gluon.nn``, and so on. Parts of MXNet that minigluon does not implement
(``mxnet.module``, ``mxnet.symbol``, ``mxnet.contrib.onnx`` ...) are
*placeholder* modules: importing them works, so a helper package that imports them at the
top (like the book's ``d2lzh``) still loads, but using anything in them raises
:class:`~minigluon.base.NotAvailableError` naming what was used. :func:`uninstall` removes
the hook and every trace of it.

Examples
--------
>>> import minigluon, minigluon.compat
>>> minigluon.compat.install()
>>> import mxnet as mx
>>> from mxnet import module, nd
>>> mx is minigluon and nd is minigluon.nd
True
>>> module.Module('net')
Traceback (most recent call last):
...
minigluon.base.NotAvailableError: mxnet.module.Module is not available in minigluon...
>>> minigluon.compat.uninstall()
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types
from collections.abc import Sequence
from typing import Any

from .base import MinigluonError, NotAvailableError

__all__ = ["install", "uninstall", "is_installed", "main"]

# Short names MXNet gives some modules (``mx.nd``), by parent package.
_ALIASES: dict[str, dict[str, str]] = {
    "": {"nd": "ndarray", "init": "initializer", "sym": "symbol", "np": "numpy",
         "npx": "numpy_extension", "img": "image", "kv": "kvstore", "mod": "module",
         "mon": "monitor", "rnd": "random", "th": "torch", "viz": "visualization"},
    "contrib": {"nd": "ndarray", "sym": "symbol", "quant": "quantization"},
}
# MXNet modules that minigluon keeps under another name
_RENAMED = {"visualization": "viz"}
# MXNet modules whose contents minigluon keeps in the parent package: their placeholder
# hands out what the parent has (``from mxnet.gluon.nn.activations import LeakyReLU``)
_FLATTENED = {"gluon.nn.activations", "gluon.nn.basic_layers", "gluon.nn.conv_layers",
              "gluon.data.vision.datasets", "gluon.data.vision.transforms",
              "gluon.data.dataset", "gluon.data.dataloader", "gluon.data.sampler",
              "optimizer.optimizer", "ndarray.ndarray", "ndarray.utils", "ndarray.op",
              "ndarray.register", "image.image"}
# The public modules of Apache MXNet 1.9.1 (as ``mxnet.<name>``): the only names that get
# a placeholder, so that a misspelt ``import mxnet.gloun`` still fails
_MXNET_MODULES = frozenset("""
api attribute autograd base callback context contrib contrib.amp contrib.amp.amp
contrib.amp.lists contrib.amp.lists.symbol_bf16 contrib.amp.lists.symbol_fp16
contrib.amp.loss_scaler contrib.autograd contrib.io contrib.ndarray contrib.onnx
contrib.quantization contrib.svrg_optimization contrib.svrg_optimization.svrg_module
contrib.svrg_optimization.svrg_optimizer contrib.symbol contrib.tensorboard contrib.text
contrib.text.embedding contrib.text.utils contrib.text.vocab engine error executor
executor_manager gluon gluon.block gluon.contrib gluon.contrib.cnn
gluon.contrib.cnn.conv_layers gluon.contrib.data gluon.contrib.data.sampler
gluon.contrib.data.text gluon.contrib.estimator gluon.contrib.estimator.batch_processor
gluon.contrib.estimator.estimator gluon.contrib.estimator.event_handler
gluon.contrib.estimator.utils gluon.contrib.nn gluon.contrib.nn.basic_layers
gluon.contrib.rnn gluon.contrib.rnn.conv_rnn_cell gluon.contrib.rnn.rnn_cell gluon.data
gluon.data.dataloader gluon.data.dataset gluon.data.sampler gluon.data.vision
gluon.data.vision.datasets gluon.data.vision.transforms gluon.loss gluon.model_zoo
gluon.model_zoo.model_store gluon.model_zoo.vision gluon.model_zoo.vision.alexnet
gluon.model_zoo.vision.densenet gluon.model_zoo.vision.inception
gluon.model_zoo.vision.mobilenet gluon.model_zoo.vision.resnet
gluon.model_zoo.vision.squeezenet gluon.model_zoo.vision.vgg gluon.nn gluon.nn.activations
gluon.nn.basic_layers gluon.nn.conv_layers gluon.parameter gluon.rnn gluon.rnn.rnn_cell
gluon.rnn.rnn_layer gluon.trainer gluon.utils image image.detection image.image initializer
io io.io io.utils kvstore kvstore.base kvstore.kvstore kvstore.kvstore_server libinfo
library log lr_scheduler metric misc model module module.base_module module.bucketing_module
module.executor_group module.module module.python_module module.sequential_module monitor
name ndarray ndarray.contrib ndarray.image ndarray.linalg ndarray.ndarray ndarray.numpy
ndarray.numpy.linalg ndarray.numpy.random ndarray.numpy_extension
ndarray.numpy_extension.image ndarray.numpy_extension.random ndarray.op ndarray.random
ndarray.register ndarray.sparse ndarray.utils ndarray_doc notebook notebook.callback numpy
numpy.arrayprint numpy.fallback numpy.fallback_linalg numpy.function_base numpy.io
numpy.linalg numpy.multiarray numpy.random numpy.stride_tricks numpy.utils
numpy_dispatch_protocol numpy_extension numpy_extension.image numpy_extension.random
numpy_extension.utils numpy_op_fallback numpy_op_signature onnx operator optimizer
optimizer.contrib optimizer.optimizer profiler random recordio registry rnn rnn.io rnn.rnn
rnn.rnn_cell rtc runtime space symbol symbol.contrib symbol.image symbol.linalg symbol.numpy
symbol.numpy.linalg symbol.numpy.random symbol.numpy_extension symbol.numpy_extension.image
symbol.numpy_extension.random symbol.op symbol.random symbol.register symbol.sparse
symbol.symbol symbol_doc torch tvmop util visualization
""".split())
# packages whose missing MXNet submodules become attributes at install time, as MXNet's
# own __init__ files import them (``mx.image``, ``mx.gluon.rnn`` work without an import)
_EAGER_PARENTS = ("", "contrib", "gluon", "ndarray")


def _canonical(fullname: str) -> str:
    """``mxnet.nd.random`` -> ``ndarray.random``: the name without aliases or ``mxnet.``."""
    parts: list[str] = []
    for p in fullname.split(".")[1:]:
        parts.append(_ALIASES.get(".".join(parts), {}).get(p, p))
    return ".".join(parts)


def _minigluon_name(canonical: str) -> str:
    if not canonical:
        return "minigluon"
    top, _, rest = canonical.partition(".")
    return "minigluon." + ".".join(filter(None, [_RENAMED.get(top, top), rest]))


class _Placeholder(types.ModuleType):
    """A part of MXNet that minigluon does not implement: it imports, but using anything
    in it raises NotAvailableError."""

    def __init__(self, canonical: str, fallback: types.ModuleType | None) -> None:
        name = "mxnet." + canonical
        super().__init__(name, f"Placeholder for {name}, which minigluon does not "
                               "implement (see minigluon.compat).")
        self.__path__: list[str] = []  # a package: its own submodules import too
        self.__all__: list[str] = []   # `from ... import *` brings nothing
        self._mg_canonical = canonical
        self._mg_fallback = fallback

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # dunders and privates: what introspection expects
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        child = f"{self._mg_canonical}.{attr}"
        if child in _MXNET_MODULES and _FINDER in sys.meta_path:
            return importlib.import_module("mxnet." + child)
        fallback = self._mg_fallback
        if fallback is not None and hasattr(fallback, attr):
            return getattr(fallback, attr)
        raise NotAvailableError(
            f"{self.__name__}.{attr} is not available in minigluon, which implements "
            f"mx.nd, mx.autograd and Gluon; {self.__name__} is only a placeholder so that "
            "code importing it still loads")

    def __dir__(self) -> list[str]:
        prefix = self._mg_canonical + "."
        return sorted({n[len(prefix):].split(".")[0] for n in _MXNET_MODULES
                       if n.startswith(prefix)})

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} (not available in minigluon)>"


class _MXNetFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``import mxnet[.X.Y]`` with the minigluon module of the same name, or a
    placeholder. Keeps a record of everything it added, for :func:`uninstall`."""

    def __init__(self) -> None:
        self.placeholders: dict[str, _Placeholder] = {}  # by canonical name
        self.provided: dict[str, types.ModuleType] = {}  # sys.modules name -> module
        # (module, attribute, value) that the import system set on minigluon modules
        self.attributes: list[tuple[types.ModuleType, str, types.ModuleType]] = []

    # -- MetaPathFinder ---------------------------------------------------------------------
    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "mxnet" and not fullname.startswith("mxnet."):
            return None
        module = self._resolve(fullname)
        if module is None:
            return None  # not an MXNet module: the usual ModuleNotFoundError follows
        parent, _, child = fullname.rpartition(".")
        owner = sys.modules.get(parent) if parent else None
        if owner is not None and not isinstance(owner, _Placeholder) and \
                child not in vars(owner):
            self.attributes.append((owner, child, module))  # the import system sets it
        self.provided[fullname] = module
        is_pkg = "__path__" in vars(module)  # not hasattr: it may run a module __getattr__
        return importlib.util.spec_from_loader(fullname, self, is_package=is_pkg)

    def _resolve(self, fullname: str) -> types.ModuleType | None:
        canonical = _canonical(fullname)
        real = _minigluon_name(canonical)
        parent_name, _, child = real.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        if parent is not None and isinstance(vars(parent).get(child), types.ModuleType):
            return vars(parent)[child]  # e.g. a namespace module the package defines
        if _exists(real):
            return importlib.import_module(real)
        if canonical not in _MXNET_MODULES:
            return None
        if canonical not in self.placeholders:
            fallback = None
            if canonical in _FLATTENED:
                fallback = sys.modules.get(_minigluon_name(canonical.rpartition(".")[0]))
            self.placeholders[canonical] = _Placeholder(canonical, fallback)
        return self.placeholders[canonical]

    # -- Loader -----------------------------------------------------------------------------
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # a blank module: the import system may write on it, not on ours

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system returns whatever sys.modules holds after this: our module
        sys.modules[module.__name__] = self.provided[module.__name__]


def _exists(name: str) -> bool:
    """Whether the minigluon module ``name`` can be imported (without importing it)."""
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent is missing
        return False


_FINDER = _MXNetFinder()


def is_installed() -> bool:
    """Whether ``import mxnet`` currently gives minigluon."""
    return _FINDER in sys.meta_path


def install() -> None:
    """Make ``import mxnet`` (and every ``mxnet.X.Y``) give minigluon, in this process.

    Call it before the first ``import mxnet``. Calling it again does nothing.

    Raises
    ------
    MinigluonError
        If the real MXNet is already imported.
    """
    if is_installed():
        return
    real = sys.modules.get("mxnet")
    if real is not None and real not in _FINDER.provided.values():
        raise MinigluonError("minigluon.compat.install(): the real mxnet is already imported "
                             "in this process; call install() before the first "
                             "`import mxnet` (restart the kernel in a notebook)")
    sys.meta_path.insert(0, _FINDER)
    try:
        for parent in _EAGER_PARENTS:
            _add_missing_children(parent)
    except BaseException:
        uninstall()
        raise


def _add_missing_children(parent: str) -> None:
    """Import the placeholders of ``mxnet.<parent>``'s MXNet submodules that minigluon
    lacks, so that they are attributes of the package as in MXNet."""
    pkg = importlib.import_module(f"mxnet.{parent}" if parent else "mxnet")
    names = [n for n in _MXNET_MODULES if n.rpartition(".")[0] == parent]
    if not parent:
        names += list(_ALIASES[""])
    for name in sorted(names):
        child = name.rpartition(".")[2]
        mx_name = f"mxnet.{parent}.{child}" if parent else f"mxnet.{child}"
        real = _minigluon_name(_canonical(mx_name))
        if child in vars(pkg) or _exists(f"{pkg.__name__}.{child}") or \
                (_exists(real) and real not in sys.modules):
            continue  # there already, or loaded on first use: no need to import it now
        importlib.import_module(mx_name)


def uninstall() -> None:
    """Undo :func:`install`: ``import mxnet`` fails (or finds the real MXNet) again, and
    minigluon's modules are as they were. Modules that already did ``import mxnet`` keep
    the minigluon objects they hold. Calling it again does nothing."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name, module in _FINDER.provided.items():
        if sys.modules.get(name) is module:
            del sys.modules[name]
    for owner, attr, module in _FINDER.attributes:
        if vars(owner).get(attr) is module:
            delattr(owner, attr)
    _FINDER.provided.clear()
    _FINDER.attributes.clear()
    _FINDER.placeholders.clear()


_USAGE = """\
usage: python -m minigluon.compat script.py [args ...]
       python -m minigluon.compat -m module [args ...]

Run a program written for Apache MXNet with `import mxnet` giving minigluon."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run a script (or, after ``-m``, a module) as ``__main__`` with the shim installed.

    ``sys.argv`` becomes the script and its arguments, and the script's directory comes
    first on ``sys.path``, as with ``python script.py``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    if args[0] == "-m":
        if len(args) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        install()
        sys.argv = [args[1]] + args[2:]  # run_module puts the module's file in argv[0]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return 0
    script = args[0]
    if not os.path.isfile(script):
        print(f"python -m minigluon.compat: can't open file {script!r}: no such file",
              file=sys.stderr)
        return 2
    install()
    sys.argv = args
    here = os.path.dirname(os.path.abspath(script))
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path[0] = here  # what `python script.py` puts there
    else:
        sys.path.insert(0, here)
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    # run the main() of the imported module, so that the script sees one shim, not two
    from minigluon.compat import main as _main

    sys.exit(_main())
