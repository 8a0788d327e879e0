"""``mx.test_utils``: the public testing helpers of MXNet 1.9.1 that user code imports.

Tolerances, messages and random draws are MXNet's: :func:`assert_almost_equal` uses the
per-dtype default ``rtol``/``atol`` of :func:`default_rtols`/:func:`default_atols` (the
larger of the two operands' defaults) and reports the worst element as MXNet does;
:func:`rand_ndarray` and the ``rand_shape_*`` helpers draw from NumPy's global generator
(``np.random.seed`` makes them repeat, as in MXNet).

MXNet's ``check_numeric_gradient`` takes a Symbol; minigluon has none, so here it takes a
function of NDArrays (a HybridBlock works too) and checks its tape gradient against
central differences. The ``check_symbolic_*`` helpers and sparse storage types are not
provided.

:func:`get_mnist` and :func:`get_mnist_ubyte` read MNIST files that are already there and
never download them: a missing file is reported with the address MXNet would fetch it
from.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.testing as npt

from .base import MinigluonError
from .context import Context, cpu, num_gpus
from .ndarray import NDArray, array

__all__ = ["default_context", "set_default_context", "default_dtype", "default_rtols",
           "default_atols", "get_rtol", "get_atol", "get_tolerance", "get_tols", "same",
           "almost_equal", "assert_almost_equal", "assert_allclose", "assert_exception",
           "random_arrays", "rand_ndarray", "rand_shape_2d", "rand_shape_3d",
           "rand_shape_nd", "same_array", "default_numeric_eps",
           "check_numeric_gradient", "list_gpus", "download", "get_mnist",
           "get_mnist_ubyte"]

_DEFAULT_CTX: list[Context] = [cpu()]


def default_context() -> Context:
    """The context tests run on (``cpu(0)`` unless :func:`set_default_context` changed it)."""
    return _DEFAULT_CTX[0]


def set_default_context(ctx: Context) -> None:
    """Set the context :func:`default_context` returns."""
    _DEFAULT_CTX[0] = ctx


def default_dtype() -> type:
    """The dtype of the arrays the random helpers make: float32."""
    return np.float32


def default_rtols() -> dict[np.dtype, float]:
    """MXNet's default relative tolerance for each dtype."""
    return {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4,
            np.dtype(np.float64): 1e-5, np.dtype(np.bool_): 0, np.dtype(np.int8): 0,
            np.dtype(np.uint8): 0, np.dtype(np.int32): 0, np.dtype(np.uint32): 0,
            np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def default_atols() -> dict[np.dtype, float]:
    """MXNet's default absolute tolerance for each dtype."""
    return {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3,
            np.dtype(np.float64): 1e-20, np.dtype(np.bool_): 0, np.dtype(np.int8): 0,
            np.dtype(np.uint8): 0, np.dtype(np.int32): 0, np.dtype(np.uint32): 0,
            np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def get_rtol(rtol: float | None = None, dtype: Any = np.dtype(np.float64)) -> float:
    """``rtol``, or the default one of ``dtype``."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_atol(atol: float | None = None, dtype: Any = np.dtype(np.float64)) -> float:
    """``atol``, or the default one of ``dtype``."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_tolerance(dat: Any, tol: Any, default_tol: Mapping[np.dtype, float]) -> float:
    """``tol`` if it is a number, else its (or the default's) entry for ``dat``'s dtype."""
    if isinstance(tol, numbers.Number):
        return tol  # type: ignore[return-value]
    dtype = np.dtype(dat.dtype)
    tol = {} if tol is None else tol
    return tol.get(dtype, default_tol[dtype])


def get_tols(x: Any, y: Any, rtol: Any, atol: Any) -> tuple[float, float]:
    """The tolerances for comparing ``x`` and ``y``: the larger of their dtypes' defaults."""
    x = np.array(x) if isinstance(x, numbers.Number) else x
    y = np.array(y) if isinstance(y, numbers.Number) else y
    return (max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols())),
            max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols())))


def _np(a: Any) -> Any:
    return a.asnumpy() if isinstance(a, NDArray) else a


def same(a: Any, b: Any) -> bool:
    """Whether two arrays have the same shape and elements."""
    return bool(np.array_equal(_np(a), _np(b)))


def _check_shapes(a: Any, b: Any) -> None:
    if a.shape != b.shape:
        raise AssertionError(npt.build_err_msg(
            [a, b], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"))


def almost_equal(a: Any, b: Any, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False, use_broadcast: bool = True) -> bool:
    """``np.allclose`` with MXNet's float64 defaults (``rtol=1e-5``, ``atol=1e-20``)."""
    a, b = _np(a), _np(b)
    if not use_broadcast:
        _check_shapes(a, b)
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol),
                            equal_nan=equal_nan))


def _find_max_violation(a: np.ndarray, b: np.ndarray, rtol: float, atol: float
                        ) -> tuple[tuple[int, ...], float]:
    with np.errstate(invalid="ignore"):  # inf - inf: equal elements count as no error
        absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))
    violation = absdiff / (atol + rtol * np.abs(b) + 1e-20)
    idx = np.unravel_index(np.argmax(violation), violation.shape)
    return tuple(int(i) for i in idx), float(np.max(violation))


def _location(a: np.ndarray, b: np.ndarray, index: tuple[int, ...], names: Sequence[str],
              max_error: bool = False) -> str:
    maximum = "maximum " if max_error else ""
    return "Location of %serror: %s, %s=%.8f, %s=%.8f" % (
        maximum, str(index), names[0], a[index], names[1], b[index])


def assert_almost_equal(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                        names: Sequence[str] = ("a", "b"), equal_nan: bool = False,
                        use_broadcast: bool = True, mismatches: tuple[int, int] = (10, 10)
                        ) -> None:
    """Raise ``AssertionError`` unless ``a`` and ``b`` are close (NDArrays or NumPy arrays).

    Without ``rtol``/``atol`` the tolerances are the larger defaults of the two dtypes
    (float32: ``rtol=1e-4, atol=1e-3``). The message names the worst element, as MXNet's.

    Examples
    --------
    >>> from minigluon import nd, test_utils
    >>> test_utils.assert_almost_equal(nd.array([1.0, 2.0]), nd.array([1.0, 2.0001]))
    >>> test_utils.assert_almost_equal(nd.array([1.0, 2.0]), nd.array([1.0, 2.1]))
    Traceback (most recent call last):
    ...
    AssertionError: ...
    Error 82.644547 exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 (mismatch 50.000000%).
    Location of maximum error: (1,), a=2.00000000, b=2.09999990
    ...
    """
    a, b = _np(a), _np(b)
    if not use_broadcast:
        _check_shapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        npt.assert_equal(a, b)
        return
    if almost_equal(a, b, rtol, atol, equal_nan=equal_nan):
        return
    index, rel = _find_max_violation(a, b, rtol, atol)
    if index != ():
        index_err, rel_err = index, rel
        # MXNet prints the worst elements before raising
        print(f"\n*** Maximum errors for vector of size {a.size}:  rtol={rtol}, atol={atol}\n")
        a_tmp, b_tmp = a.copy(), b.copy()
        i = 1
        while i <= a.size:
            if i <= mismatches[0]:
                print("%3d: Error %f  %s" % (i, rel, _location(a, b, index, names)))
            a_tmp[index] = b_tmp[index] = 0
            if almost_equal(a_tmp, b_tmp, rtol, atol, equal_nan=equal_nan):
                break
            i += 1
            if i <= mismatches[1] or mismatches[1] <= 0:
                index, rel = _find_max_violation(a_tmp, b_tmp, rtol, atol)
            else:
                break
        degree = "at least " if mismatches[1] > 0 and i > mismatches[1] else ""
        err = "Error %f exceeds tolerance rtol=%e, atol=%e (mismatch %s%f%%).\n%s" % (
            rel_err, rtol, atol, degree, 100 * i / a.size,
            _location(a, b, index_err, names, max_error=True))
    else:
        err = "Error %f exceeds tolerance rtol=%e, atol=%e.\n" % (rel, rtol, atol)
    # NumPy >= 2.2 adds "shape=..." to a shortened repr; MXNet's NumPy did not
    legacy = "2.1" if np.lib.NumpyVersion(np.__version__) >= "2.2.0" else False
    with np.printoptions(threshold=4, suppress=True, legacy=legacy):
        msg = npt.build_err_msg([a, b], err_msg=err)
    raise AssertionError(msg)


def assert_allclose(a: Any, b: Any, rtol: float = 1e-07, atol: float = 0,
                    equal_nan: bool = True) -> None:
    """``np.testing.assert_allclose`` on NDArrays or NumPy arrays."""
    npt.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_exception(f: Callable[..., Any], exception_type: type[BaseException], *args: Any,
                     **kwargs: Any) -> None:
    """Check that ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise "
                         f"{exception_type.__name__}")


def random_arrays(*shapes: Any) -> Any:
    """Standard-normal float32 NumPy arrays of the given shapes (one array bare)."""
    arrays = [np.array(np.random.randn(), dtype=default_dtype()) if len(s) == 0
              else np.random.randn(*s).astype(default_dtype()) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def rand_ndarray(shape: Any, stype: str = "default", density: float | None = None,
                 dtype: Any = None, modifier_func: Any = None,
                 shuffle_csr_indices: bool = False, distribution: Any = None,
                 ctx: Context | None = None) -> NDArray:
    """A standard-normal array of ``shape`` (dense storage only: ``stype='default'``)."""
    if stype != "default":
        raise MinigluonError(f"rand_ndarray: storage type {stype!r} is not available in "
                             "minigluon, which has dense arrays only (stype='default')")
    return array(random_arrays(shape), dtype=dtype, ctx=ctx)


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False
                  ) -> tuple[int, int]:
    """A random 2-D shape with sides in [1, dim] (from 0 with ``allow_zero_size``)."""
    low = 0 if allow_zero_size else 1
    return np.random.randint(low, dim0 + 1), np.random.randint(low, dim1 + 1)


def rand_shape_3d(dim0: int = 10, dim1: int = 10, dim2: int = 10,
                  allow_zero_size: bool = False) -> tuple[int, int, int]:
    """A random 3-D shape with sides in [1, dim] (from 0 with ``allow_zero_size``)."""
    low = 0 if allow_zero_size else 1
    return (np.random.randint(low, dim0 + 1), np.random.randint(low, dim1 + 1),
            np.random.randint(low, dim2 + 1))


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False
                  ) -> tuple[int, ...]:
    """A random shape of ``num_dim`` sides in [1, dim] (from 0 with ``allow_zero_size``)."""
    low = 0 if allow_zero_size else 1
    return tuple(np.random.randint(low, dim + 1, size=num_dim))


def same_array(array1: NDArray, array2: NDArray) -> bool:
    """Whether two NDArrays share memory (checked by writing to the first)."""
    array1[:] += 1
    if not same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return same(array1.asnumpy(), array2.asnumpy())


def default_numeric_eps() -> dict[np.dtype, float]:
    """MXNet's finite-difference step for each float dtype (powers of two: exact deltas)."""
    return {np.dtype(np.float16): 1.0 / 2**6, np.dtype(np.float32): 1.0 / 2**9,
            np.dtype(np.float64): 1.0 / 2**14}


def check_numeric_gradient(sym: Callable[..., NDArray], location: Any, aux_states: Any = None,
                           numeric_eps: Any = None, rtol: Any = None, atol: Any = None,
                           grad_nodes: Any = None, use_forward_train: bool = True,
                           ctx: Context | None = None, grad_stype_dict: Any = None,
                           dtype: Any = np.float32) -> None:
    """Check the gradient of ``sym`` against central differences; raise ``AssertionError``.

    ``sym`` is a function of NDArrays (or a Block) where MXNet takes a Symbol; ``location``
    is a list of input arrays, or a dict of them passed by keyword. ``grad_nodes`` lists
    the inputs to check (names for a dict, indices for a list); all of them by default.
    As in MXNet, the output is weighted by ``np.random.rand(...) + 0.1``, the step is
    :func:`default_numeric_eps` of ``dtype``, each input moves by ``eps/2`` either way,
    and the comparison is :func:`assert_almost_equal` with names ``NUMERICAL_<name>`` and
    ``BACKWARD_<name>``.

    Examples
    --------
    >>> from minigluon import nd, test_utils
    >>> test_utils.check_numeric_gradient(lambda x: x * x, [nd.array([1.0, -2.0])])
    """
    from . import autograd

    if aux_states is not None:
        raise MinigluonError("check_numeric_gradient: aux_states is not available in "
                             "minigluon (there are no symbols)")
    dt = np.dtype(dtype)
    if dt not in (np.float16, np.float32, np.float64):
        raise MinigluonError(f"check_numeric_gradient: dtype must be float16, float32 or "
                             f"float64, got {dt.name}")
    keyed = isinstance(location, Mapping)
    names = [str(k) for k in location] if keyed else [str(i) for i in range(len(location))]
    values = [np.array(_np(v), dtype=dt) for v in
              (location.values() if keyed else location)]

    def call(xs: Sequence[NDArray]) -> NDArray:
        return sym(**dict(zip(names, xs))) if keyed else sym(*xs)

    wanted = list(range(len(values))) if grad_nodes is None else \
        [names.index(str(n)) for n in grad_nodes]
    xs_nd = [array(v, dtype=dt) for v in values]
    for i in wanted:
        xs_nd[i].attach_grad()
    with autograd.record(train_mode=use_forward_train):
        out = call(xs_nd)
    proj = (np.random.rand(*out.shape) + 0.1).astype(dt)
    out.backward(array(proj, dtype=dt))
    eps = get_tolerance(out, numeric_eps, default_numeric_eps())

    def forward(xs: Sequence[np.ndarray]) -> np.ndarray:
        scope = autograd.train_mode() if use_forward_train else autograd.predict_mode()
        with scope:
            return (call([array(x, dtype=dt) for x in xs]) * array(proj, dtype=dt)).asnumpy()

    for i in wanted:
        numeric = np.zeros(values[i].shape, dtype=dt)
        flat = values[i].reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps / 2.0
            f_plus = forward(values)
            flat[j] = flat[j] - eps
            f_minus = forward(values)
            flat[j] = old
            numeric.reshape(-1)[j] = (f_plus - f_minus).sum() / eps
        assert_almost_equal(numeric, xs_nd[i].grad.asnumpy(), rtol, atol,
                            (f"NUMERICAL_{names[i]}", f"BACKWARD_{names[i]}"))


def list_gpus() -> range:
    """The ids of the GPUs, as ``range`` (MXNet counts ``nvidia-smi -L``'s lines;
    minigluon's GPUs are the simulated ones, so it is ``range(0)`` unless
    :func:`minigluon.context.simulate_gpus` or ``MINIGLUON_GPUS`` says otherwise)."""
    return range(num_gpus())


def download(url: str, fname: str | None = None, dirname: str | None = None,
             overwrite: bool = False, retries: int = 5) -> str:
    """Download ``url`` to ``fname`` (default: the URL's last part) in ``dirname`` and
    return that path; an existing file is kept unless ``overwrite``.

    MXNet's ``test_utils.download``: ``dirname`` defaults to ``fname``'s directory and
    is created if missing. The transfer is :func:`minigluon.gluon.utils.download`'s.
    """
    from .gluon import utils  # looked up now: code that replaces it is honoured

    if retries < 0:
        raise AssertionError("Number of retries should be at least 0")
    if fname is None:
        fname = url.split("/")[-1]
    if dirname is None:
        dirname = os.path.dirname(fname)
    else:
        fname = os.path.join(dirname, fname)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if not overwrite and os.path.exists(fname):
        return fname  # MXNet logs "<fname> exists, skipping download" at INFO
    return utils.download(url, path=fname, overwrite=True, retries=max(retries, 1))


#: where MXNet 1.9.1's get_mnist fetches its four files from
MNIST_URL = "http://data.mxnet.io/data/mnist/"
#: the archive of uncompressed MNIST files that MXNet 1.9.1's get_mnist_ubyte fetches
MNIST_ZIP_URL = "http://data.mxnet.io/mxnet/data/mnist.zip"


def _missing_files(missing: Sequence[str], folder: str, sources: Sequence[str],
                   what: str) -> FileNotFoundError:
    """The error naming each missing file and where MXNet gets it (``sources``)."""
    where = os.path.abspath(folder)
    lines = [f"{what}: minigluon does not download data sets, and {len(missing)} of its "
             f"files are missing from {where}:"]
    lines += [f"  * {name}  ({source})" for name, source in zip(missing, sources)]
    lines.append(f"Put them in {where} and call again.")
    return FileNotFoundError("\n".join(lines))


def get_mnist(path: str | os.PathLike[str] | None = None) -> dict[str, np.ndarray]:
    """The MNIST data set from the four gzipped IDX files in ``path``.

    MXNet 1.9.1's ``get_mnist()`` takes no argument: it downloads the files into the
    current directory unless they are there, and reads them. minigluon reads them from
    the current directory too (or from ``path``, its own addition) and never downloads.

    Returns
    -------
    dict
        ``'train_data'`` and ``'test_data'``: float32 arrays (N, 1, 28, 28) scaled to
        [0, 1] (divided by 255); ``'train_label'`` and ``'test_label'``: int8 arrays (N,),
        the dtype MXNet reads them as.

    Raises
    ------
    FileNotFoundError
        If files are missing, naming each with the address MXNet downloads it from.
    """
    from .gluon.data.vision.datasets import _read_idx

    folder = os.fspath(path) if path is not None else ""
    parts = {"train": ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz"),
             "test": ("t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")}
    names = [n for pair in parts.values() for n in pair]
    missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
    if missing:
        raise _missing_files(missing, folder or os.curdir,
                             [f"MXNet downloads it from {MNIST_URL}{n}" for n in missing],
                             "get_mnist")
    out = {}
    for part, (label_name, image_name) in parts.items():
        label_file, image_file = (os.path.join(folder, n) for n in (label_name, image_name))
        # MXNet reads the label bytes as int8 (MNIST's labels 0-9 fit)
        labels = _read_idx(label_file, 2049, 1).view(np.int8)
        images = _read_idx(image_file, 2051, 3)
        if len(images) != len(labels):
            raise ValueError(f"{image_file} holds {len(images)} images but {label_file} "
                             f"holds {len(labels)} labels")
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{image_file} holds images of {images.shape[1]}x"
                             f"{images.shape[2]} pixels; get_mnist reads 28x28 ones")
        out[f"{part}_data"] = images.reshape(len(images), 1, 28, 28).astype(np.float32) / 255
        out[f"{part}_label"] = labels
    return out


def get_mnist_ubyte() -> None:
    """Make sure the four uncompressed MNIST IDX files are in the folder ``data`` of the
    current directory (created if missing), as MXNet 1.9.1's ``get_mnist_ubyte`` does.

    MXNet downloads ``mnist.zip`` and extracts it there when a file is missing;
    minigluon extracts a ``data/mnist.zip`` that is already there, and never downloads.

    Raises
    ------
    FileNotFoundError
        If files are missing and there is no ``data/mnist.zip``, naming each file and the
        archive's address.
    """
    import zipfile

    os.makedirs("data", exist_ok=True)
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    if all(os.path.exists(os.path.join("data", n)) for n in names):
        return
    archive = os.path.join("data", "mnist.zip")
    if os.path.exists(archive):  # MXNet's download keeps an existing file
        with zipfile.ZipFile(archive) as zf:
            zf.extractall("data")
        return
    missing = [n for n in names if not os.path.exists(os.path.join("data", n))]
    raise _missing_files(missing, "data",
                         [f"MXNet extracts it from {MNIST_ZIP_URL}"] * len(missing),
                         "get_mnist_ubyte")
