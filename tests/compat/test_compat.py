"""minigluon.compat: code written for MXNet (``import mxnet``) runs unchanged on minigluon,
as a script (``python -m minigluon.compat``) or in-process (``install()``); placeholders
for the parts minigluon leaves out; nothing left behind by ``uninstall()``."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import types
from pathlib import Path

import pytest

import minigluon
from minigluon import compat
from minigluon.base import MXNetError, NotAvailableError

EXAMPLE = Path(__file__).parent / "compat_example"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shim():
    """The shim installed for one test, and a check that uninstall() leaves no trace."""
    before_modules = set(sys.modules)
    before_attrs = {name: set(vars(sys.modules[name])) for name in
                    ("minigluon", "minigluon.ndarray")}
    before_path = list(sys.meta_path)
    compat.install()
    yield compat
    compat.uninstall()
    sys.modules.pop("d2lzh_like", None)  # the example's helper, imported by the test
    assert not [m for m in sys.modules if m == "mxnet" or m.startswith("mxnet.")]
    assert sys.meta_path == before_path
    new = set(sys.modules) - before_modules
    assert all(not m.startswith("mxnet") for m in new)
    for name, attrs in before_attrs.items():
        added = set(vars(sys.modules[name])) - attrs
        # only real minigluon submodules may have been loaded meanwhile
        assert all(isinstance(getattr(sys.modules[name], a), types.ModuleType) and
                   getattr(sys.modules[name], a).__name__.startswith("minigluon.")
                   for a in added), added
    assert not compat.is_installed()


def _run_example(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minigluon.compat", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def _check_training_output(out: str, epochs: int) -> None:
    losses = [float(v) for v in re.findall(r"^epoch \d+, loss (\S+)$", out, re.M)]
    assert len(losses) == epochs and losses[-1] < 1e-3 < losses[0]
    w = [float(v) for v in re.search(r"^w (\S+) (\S+)$", out, re.M).groups()]
    b = float(re.search(r"^b (\S+)$", out, re.M).group(1))
    assert abs(w[0] - 2) < 0.02 and abs(w[1] + 3.4) < 0.02 and abs(b - 4.2) < 0.02
    assert "ctx cpu(0)" in out  # mx.gpu() arrays raised MXNetError, d2l fell back
    assert "run as __main__" in out


def test_script_runs_unchanged_from_the_command_line():
    proc = _run_example("tests/compat/compat_example/train.py", "--epochs", "2", "--lr", "0.03")
    assert proc.returncode == 0, proc.stderr
    _check_training_output(proc.stdout, epochs=2)


def test_script_runs_in_process_after_install(shim, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.setattr(sys, "argv", ["train.py", "--epochs", "3"])
    runpy.run_path(str(EXAMPLE / "train.py"), run_name="__main__")
    _check_training_output(capsys.readouterr().out, epochs=3)
    d2l = sys.modules["d2lzh_like"]
    assert d2l.mx is minigluon and d2l.DEFAULT_CTX == minigluon.cpu()
    assert issubclass(d2l.Residual, minigluon.gluon.nn.Block)


def test_module_mapping(shim):
    import mxnet as mx
    import mxnet.gluon.nn as nn
    from mxnet import autograd, gluon, init, nd
    from mxnet.gluon import data as gdata, loss as gloss, utils as gutils

    assert mx is minigluon and nd is minigluon.nd and mx.nd is mx.ndarray
    assert init is minigluon.initializer and mx.init is mx.initializer
    assert autograd is minigluon.autograd and gluon is minigluon.gluon
    assert nn is minigluon.gluon.nn and gloss is minigluon.gluon.loss
    assert gdata is minigluon.gluon.data and gutils is minigluon.gluon.utils
    assert mx.rnd is minigluon.random
    assert sys.modules["mxnet.gluon.nn"] is minigluon.gluon.nn
    # the modules keep their own identity: no mxnet spec leaks into them
    assert mx.__spec__.name == "minigluon" and nn.__spec__.name == "minigluon.gluon.nn"
    assert isinstance(mx.cpu(), mx.Context) and mx.base.MXNetError is MXNetError


def test_placeholders_import_but_refuse_use(shim):
    import mxnet as mx
    from mxnet import module
    from mxnet.contrib import onnx
    from mxnet.gluon.contrib import estimator

    assert repr(module) == "<module 'mxnet.module' (not available in minigluon)>"
    with pytest.raises(NotAvailableError) as e:
        module.Module("net")
    assert str(e.value) == (
        "mxnet.module.Module is not available in minigluon, which implements mx.nd, "
        "mx.autograd and Gluon; mxnet.module is only a placeholder so that code importing "
        "it still loads")
    assert isinstance(e.value, MXNetError)  # `except mx.base.MXNetError` catches it
    with pytest.raises(NotAvailableError, match=r"^mxnet\.contrib\.onnx\.export_model "):
        onnx.export_model("net-symbol.json")
    with pytest.raises(NotAvailableError, match=r"^mxnet\.gluon\.contrib\.estimator\.Estimator "):
        estimator.Estimator(None)
    with pytest.raises(NotAvailableError, match=r"^mxnet\.module\.BucketingModule "):
        from mxnet.module import BucketingModule  # noqa: F401
    from mxnet.image import imresize  # mx.image is implemented

    assert imresize is minigluon.image.imresize
    # without an import, as MXNet's __init__ imports them; aliases are the same module
    assert mx.sym is mx.symbol and mx.img is minigluon.image and mx.mod is module
    assert mx.gluon.model_zoo is not None
    assert mx.sym.var("x").name == "x"  # mx.sym is minigluon's (issue 13)
    # introspection still sees an ordinary module
    assert not hasattr(module, "__wrapped__") and "text" in dir(mx.contrib)
    # a module MXNet keeps apart and minigluon in the package: its names are handed out
    from mxnet.gluon.nn.activations import Activation
    assert Activation is minigluon.gluon.nn.Activation
    assert mx.nd.op.Convolution is minigluon.nd.Convolution


def test_misspelt_module_still_fails(shim):
    with pytest.raises(ModuleNotFoundError, match="No module named 'mxnet.gloun'"):
        import mxnet.gloun  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match="No module named 'mxnet.image.jpeg'"):
        import mxnet.image.jpeg  # noqa: F401


def test_gpu_arrays_raise_clearly(shim):
    import mxnet as mx

    with pytest.raises(mx.base.MXNetError, match="USE_CUDA=1"):
        mx.nd.zeros((1,), ctx=mx.gpu())


def test_install_is_idempotent_and_uninstall_restores(shim):
    compat.install()
    assert sys.meta_path.count(compat._FINDER) == 1
    import mxnet  # noqa: F401

    assert "module" in vars(minigluon)
    compat.uninstall()
    assert "module" not in vars(minigluon) and "contrib" not in vars(minigluon.gluon)
    with pytest.raises(ModuleNotFoundError, match="No module named 'mxnet'"):
        import mxnet  # noqa: F401,F811
    compat.uninstall()  # twice is fine
    compat.install()  # and again, for the fixture's own uninstall


def test_install_refuses_when_real_mxnet_is_loaded(monkeypatch):
    monkeypatch.setitem(sys.modules, "mxnet", types.ModuleType("mxnet"))
    with pytest.raises(MXNetError, match=r"the real mxnet is already imported"):
        compat.install()
    assert not compat.is_installed()


def test_command_line_errors_and_exit_codes(tmp_path):
    proc = _run_example()
    assert proc.returncode == 2 and proc.stderr.startswith("usage: python -m minigluon.compat")
    proc = _run_example("no_such_script.py")
    assert proc.returncode == 2 and "can't open file 'no_such_script.py'" in proc.stderr
    script = tmp_path / "fails.py"
    script.write_text("import sys\nimport mxnet\nprint(mxnet.__name__, sys.argv[1:])\n"
                      "raise SystemExit(3)\n")
    proc = _run_example(str(script), "a", "-b")
    assert proc.returncode == 3 and proc.stdout == "minigluon ['a', '-b']\n"
    script.write_text("import mxnet\nmxnet.module.Module('x')\n")
    proc = _run_example(str(script))
    assert proc.returncode == 1
    assert "NotAvailableError: mxnet.module.Module is not available" in proc.stderr


def test_module_mode(tmp_path):
    (tmp_path / "mxprog.py").write_text("import sys\nfrom mxnet import nd\n"
                                        "print(nd.ones(2).sum().asscalar(), sys.argv[1:])\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "minigluon.compat", "-m", "mxprog", "x"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "2.0 ['x']\n"


def test_chapter8_multi_gpu_code_runs_on_two_simulated_gpus():
    """The book's multiple-gpus / multiple-gpus-gluon code (small stand-in data and net)
    with MINIGLUON_GPUS=2; without the variable it fails at the first GPU array."""
    script = os.path.join("tests", "compat", "compat_example", "multiple_gpus.py")
    env = dict(os.environ, MINIGLUON_GPUS="2")
    res = subprocess.run([sys.executable, "-m", "minigluon.compat", script], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "allreduce: [[3.0, 3.0]] [[3.0, 3.0]] gpu(1)" in out
    assert "split: [(3, 4), (3, 4)] [gpu(0), gpu(1)]" in out
    assert "outputs on: gpu(0) gpu(1)" in out and "not initialized on cpu(0)" in out
    losses = [float(v) for v in re.findall(r"^epoch \d, loss (\S+)$", out, re.M)]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert "copies equal after training: True" in out
    assert "copied to: gpu(0) -> cpu(0)" in out
    env["MINIGLUON_GPUS"] = "0"
    res = subprocess.run([sys.executable, "-m", "minigluon.compat", script], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode != 0 and "GPU is not enabled" in res.stderr
