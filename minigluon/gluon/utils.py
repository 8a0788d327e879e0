"""Gluon utilities: splitting batches across devices, gradient clipping, downloads.

``download`` and ``check_sha1`` are what the vision datasets call to fetch and verify
their files. They look both up in this module at call time, so replacing either
(``mx.gluon.utils.download = my_mirror_download``) redirects every dataset, as in MXNet.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import ssl
import sys
import urllib.request
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ndarray as nd
from ..context import Context
from ..ndarray.ndarray import NDArray, _wrap

__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1", "download"]


def split_data(data: NDArray, num_slice: int, batch_axis: int = 0,
               even_split: bool = True) -> list[NDArray]:
    """Cut ``data`` into ``num_slice`` parts along ``batch_axis``.

    With ``even_split=False`` the first ``size % num_slice`` parts get one extra row.
    The result is a list even for one slice.

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.utils import split_data
    >>> [p.shape for p in split_data(nd.zeros((7, 2)), 3, even_split=False)]
    [(3, 2), (2, 2), (2, 2)]
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices "
            f"along axis {batch_axis}. Use a batch size that's multiple of {num_slice} or "
            "set even_split=False to allow uneven partitioning of data.")
    each, extra = divmod(size, num_slice)
    bounds = np.cumsum([0] + [each + 1] * extra + [each] * (num_slice - extra))
    if batch_axis == 0:
        return [data[int(lo):int(hi)] for lo, hi in zip(bounds[:-1], bounds[1:])]
    return [nd.slice_axis(data, axis=batch_axis, begin=int(lo), end=int(hi))
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def split_and_load(data: Any, ctx_list: Sequence[Context], batch_axis: int = 0,
                   even_split: bool = True) -> list[NDArray]:
    """Split ``data`` into ``len(ctx_list)`` parts and put part i on ``ctx_list[i]``.

    With one context the result is ``[data]`` itself (no copy). ``ctx_list`` must be a
    list: a bare Context fails with MXNet's ``TypeError`` ("object of type 'Context' has
    no len()").

    Examples
    --------
    >>> import minigluon as mx
    >>> x = mx.nd.ones((4, 2))
    >>> mx.gluon.utils.split_and_load(x, [mx.cpu()])[0] is x
    True
    """
    if not isinstance(data, NDArray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    parts = split_data(data, len(ctx_list), batch_axis, even_split)
    return [p.as_in_context(c) for p, c in zip(parts, ctx_list)]


def clip_global_norm(arrays: Sequence[NDArray], max_norm: float,
                     check_isfinite: bool = True) -> Any:
    """Scale ``arrays`` in place so that their joint 2-norm is at most ``max_norm``.

    Every array is multiplied by ``min(1, max_norm / (total_norm + 1e-8))``, where
    ``total_norm = sqrt(sum of all squared elements)``, computed in float32.

    Returns
    -------
    numpy.float32 or NDArray
        The total norm before clipping: a NumPy scalar, or an NDArray of shape (1,)
        when ``check_isfinite=False``. If the norm is nan or inf a UserWarning says
        so (unless ``check_isfinite=False``).

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.utils import clip_global_norm
    >>> a, b = nd.array([3, 4]), nd.array([12])
    >>> float(clip_global_norm([a, b], 1.0))
    13.0
    >>> a
    <BLANKLINE>
    [0.23076925 0.30769232]
    <NDArray 2 @cpu(0)>
    """
    assert len(arrays) > 0
    sq = np.float32(0)
    for a in arrays:
        x = a._data.reshape(-1).astype(np.float32, copy=False)
        sq = sq + np.dot(x, x)
    total = np.sqrt(np.float32(sq), dtype=np.float32)
    if check_isfinite and not np.isfinite(total):
        warnings.warn("nan or inf is detected. Clipping results will be undefined.",
                      UserWarning, stacklevel=2)
    scale = min(np.float32(max_norm) / (total + np.float32(1e-8)), np.float32(1))
    for a in arrays:
        a *= scale
    if check_isfinite:
        return total
    return _wrap(np.array([total], dtype=np.float32), None)


def check_sha1(filename: str | os.PathLike[str], sha1_hash: str) -> bool:
    """Whether the SHA-1 of the file's bytes is ``sha1_hash`` (hex digits)."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        while chunk := f.read(1 << 20):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash


def _show_progress(done: int, total: int | None, last: list[int]) -> None:
    # one line, rewritten in place, at most every 5%
    if not total:
        return
    pct = done * 100 // total
    if pct >= last[0] + 5 or done == total:
        last[0] = pct
        sys.stdout.write(f"\r  {done / 1e6:.1f} MB of {total / 1e6:.1f} MB ({pct}%)")
        if done == total:
            sys.stdout.write("\n")
        sys.stdout.flush()


def _fetch(url: str, fname: str, sha1_hash: str | None, verify_ssl: bool) -> None:
    """One download attempt into a temporary file next to ``fname``, renamed over it
    only when complete (and matching ``sha1_hash``)."""
    context = None if verify_ssl else ssl._create_unverified_context()
    directory, base = os.path.split(os.path.abspath(fname))
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.part")
    try:
        with urllib.request.urlopen(url, timeout=60, context=context) as r:
            status = getattr(r, "status", None)
            if status is not None and status != 200:
                raise OSError(f"Failed downloading url {url}: HTTP status {status}")
            length = r.headers.get("Content-Length") if r.headers else None
            total = int(length) if length and length.isdigit() else None
            done, last = 0, [-5]
            with open(tmp, "wb") as f:
                while chunk := r.read(1 << 16):
                    f.write(chunk)
                    done += len(chunk)
                    _show_progress(done, total, last)
                f.flush()
                os.fsync(f.fileno())
        if total is not None and done != total:
            raise OSError(f"Failed downloading url {url}: got {done} of {total} bytes")
        if sha1_hash and not check_sha1(tmp, sha1_hash):
            raise OSError(
                f"File {fname} is downloaded but the content hash does not match "
                f"(expected SHA-1 {sha1_hash}). The repo may be outdated or the download "
                "incomplete. If MXNET_GLUON_REPO is set, consider the default repo.")
        os.replace(tmp, fname)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


ENV_VERIFY = "MINIGLUON_VERIFY_SHA1"


def sha1_checks_enabled() -> bool:
    """False when the environment variable ``MINIGLUON_VERIFY_SHA1`` is ``0`` (``false``,
    ``no``, ``off``): then files already on disk are used without checking their SHA-1
    against the published one (for small stand-in files made locally, e.g. by tests or
    tests/book/book_status.py). MXNet has no such switch; its default (checking) is ours."""
    return os.environ.get(ENV_VERIFY, "1").strip().lower() not in ("0", "false", "no", "off")


def download(url: str, path: str | os.PathLike[str] | None = None, overwrite: bool = False,
             sha1_hash: str | None = None, retries: int = 5, verify_ssl: bool = True) -> str:
    """Download ``url`` to a file and return the file's path.

    The data go to a temporary file that is renamed over the destination only once
    complete (and, given ``sha1_hash``, verified), so an interrupted or wrong download
    never replaces the file.

    Parameters
    ----------
    url : str
        What to fetch (``http(s)://`` or ``file://``).
    path : str, optional
        The destination file, or a directory to put it in (under the URL's last path
        component). Default: that name in the current directory.
    overwrite : bool, default False
        Download even when the file exists.
    sha1_hash : str, optional
        Expected SHA-1 (hex). An existing file with another hash is downloaded again
        (unless ``MINIGLUON_VERIFY_SHA1=0``: then it is used as it is, with a warning),
        and a download with another hash is refused.
    retries : int, default 5
        Number of attempts (at least one is made).
    verify_ssl : bool, default True
        Check the server's TLS certificate.

    Raises
    ------
    OSError
        When every attempt failed (for example, no network), naming the URL, the
        destination and the last error.
    """
    if path is None:
        fname = url.split("/")[-1]
        assert fname, ("Can't construct file-name from this URL. "
                       "Please set the `path` option manually.")
    else:
        path = os.path.expanduser(os.fspath(path))
        fname = os.path.join(path, url.split("/")[-1]) if os.path.isdir(path) else path
    assert retries >= 0, f"Number of retries should be at least 0, currently it's {retries}"
    if not verify_ssl:
        warnings.warn("Unverified HTTPS request is being made (verify_ssl=False). "
                      "Adding certificate verification is strongly advised.", stacklevel=2)
    if not overwrite and os.path.exists(fname):
        if not sha1_hash or check_sha1(fname, sha1_hash):
            return fname
        if not sha1_checks_enabled():
            # the documented escape hatch for locally made stand-in files: the file that
            # is there is used, and said to be unverified; a new download is still checked
            warnings.warn(f"{fname}: SHA-1 is not {sha1_hash}; using the file as it is "
                          f"because {ENV_VERIFY}=0", stacklevel=2)
            return fname
    directory = os.path.dirname(os.path.abspath(fname))
    os.makedirs(directory, exist_ok=True)
    attempts = max(retries, 1)  # MXNet makes `retries` attempts, and one if retries is 0
    for left in range(attempts - 1, -1, -1):
        try:
            print(f"Downloading {fname} from {url}...")
            _fetch(url, fname, sha1_hash, verify_ssl)
            return fname
        except Exception as e:
            if left == 0:
                raise OSError(
                    f"Failed downloading url {url} to {fname} after {attempts} "
                    f"attempt{'s' if attempts > 1 else ''}: {e}. Check the network "
                    f"connection, or put the file at {fname} yourself.") from e
            print(f"download failed due to {e!r}, retrying, {left} attempt"
                  f"{'s' if left > 1 else ''} left")
    raise AssertionError("unreachable")


def _get_repo_url() -> str:
    """The base URL of the Gluon data repository (``$MXNET_GLUON_REPO`` if set)."""
    url = os.environ.get("MXNET_GLUON_REPO",
                         "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/")
    return url if url.endswith("/") else url + "/"


def _get_repo_file_url(namespace: str, filename: str) -> str:
    """The URL of ``filename`` under ``namespace`` in the Gluon data repository."""
    return f"{_get_repo_url()}{namespace}/{filename}"


def _indent(s: str, num_spaces: int) -> str:
    """Indent every line but the first (for nested reprs, as Gluon prints them)."""
    first, *rest = s.split("\n")
    return "\n".join([first] + [" " * num_spaces + line for line in rest])


def _brief_print_list(lst: Sequence[Any], limit: int = 7) -> str:
    """``'a', 'b', ..., 'z'``: at most ``limit`` quoted items."""
    lst = list(lst)
    if len(lst) > limit:
        return (_brief_print_list(lst[:limit // 2], limit) + ", ..., "
                + _brief_print_list(lst[-limit // 2:], limit))
    return ", ".join(f"'{i}'" for i in lst)
