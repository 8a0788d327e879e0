"""MXNet NDArray list files (``nd.save`` output and ``.params`` files).

Pure NumPy reader and writer for the binary format of MXNet 1.9.1, with no
dependency on the rest of minigluon.  Files written here are byte-for-byte
identical to the ones MXNet writes for the same arrays, and MXNet loads them.

Layout (everything little-endian, no padding)::

    uint64 0x112            file magic
    uint64 0                reserved
    uint64 N                number of arrays
    N array records
    uint64 K                number of names, 0 (a list) or N (a dict)
    K x (uint64 length, UTF-8 bytes)

A dense array record as MXNet 1.9 writes it (format "V2")::

    uint32 0xF993FAC9       record magic
    int32  0                storage type: dense
    int32  ndim
    ndim x int64            dims
    int32  1, int32 0       device type (cpu) and device id
    int32  dtype flag       see ``DTYPE_FLAGS``
    raw C-order data

The reader also accepts the records that older MXNet versions wrote and that
MXNet 1.9 still loads (each layout was checked by loading a hand-made file with
MXNet 1.9.1):

* "V3" (magic 0xF993FACA): the V2 layout, written under ``np_shape`` semantics;
* "V1" (magic 0xF993FAC8): V2 without the storage type field;
* the original layout, without a record magic: uint32 ndim, ndim x uint32
  dims, then device, dtype flag and data as above.

A V2/V3 record with ndim 0 is a 0-d array followed by its one element: MXNet
writes it so but cannot read it back; this reader returns it as 0-d.  Sparse
records (row_sparse, csr) are refused.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import struct
from collections.abc import Iterable, Mapping
from typing import TypeAlias

import numpy as np

from .base import MinigluonError

__all__ = [
    "DTYPE_FLAGS",
    "FileFormatError",
    "dump_arrays",
    "load_arrays",
    "parse_arrays",
    "write_arrays",
]

ArrayData: TypeAlias = list[np.ndarray] | dict[str, np.ndarray]

LIST_MAGIC = 0x112
ARRAY_MAGIC_V1 = 0xF993FAC8
ARRAY_MAGIC_V2 = 0xF993FAC9
ARRAY_MAGIC_V3 = 0xF993FACA

_STYPE_DENSE = 0
_STYPE_NAMES = {-1: "undefined", 1: "row_sparse", 2: "csr"}
_DEV_CPU = 1

#: MXNet's dtype flag for every dtype the format can hold.
DTYPE_FLAGS: dict[np.dtype, int] = {
    np.dtype(np.float32): 0,
    np.dtype(np.float64): 1,
    np.dtype(np.float16): 2,
    np.dtype(np.uint8): 3,
    np.dtype(np.int32): 4,
    np.dtype(np.int8): 5,
    np.dtype(np.int64): 6,
    np.dtype(np.bool_): 7,
}
_FLAG_DTYPES: dict[int, np.dtype] = {flag: dt for dt, flag in DTYPE_FLAGS.items()}
# Keyed on (kind, itemsize) so that either byte order of an input maps to
# its flag without normalising the dtype first.
_KIND_FLAGS: dict[tuple[str, int], int] = {
    (dt.kind, dt.itemsize): flag for dt, flag in DTYPE_FLAGS.items()
}
# Flags MXNet knows but NumPy cannot represent: named in the error message
# so that the user learns the file is valid, just unsupported.
_UNSUPPORTED_FLAGS = {12: "bfloat16"}

# NumPy's own limit on the number of dimensions.
_MAX_NDIM = 64
# Smallest possible array record (original layout, ndim 1, a zero dim):
# used to reject absurd array counts before looping over them.
_MIN_RECORD_BYTES = 20
_HEAD_HEX_BYTES = 16

# Leading bytes of formats people confuse with MXNet files, for the error.
_KNOWN_SIGNATURES = (
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"PK\x03\x04", "a zip archive (e.g. a NumPy .npz file)"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"\x80", "a Python pickle"),
    (b"{", "a JSON document (e.g. an MXNet -symbol.json file)"),
)


class FileFormatError(MinigluonError, ValueError):
    """A buffer or file is not a valid MXNet NDArray file.

    It is an ``MXNetError`` (what MXNet raises for a bad file, and what code written for
    MXNet catches) and, as before, a ``ValueError``.

    Attributes
    ----------
    source : str
        Description of what was parsed (``"file 'x.params'"`` or ``"buffer"``).
    offset : int or None
        Byte offset at which the problem was found, when there is one.
    """

    def __init__(self, message: str, source: str = "buffer", offset: int | None = None):
        super().__init__(message)
        self.source = source
        self.offset = offset


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def _flag_for(arr: np.ndarray, what: str) -> int:
    flag = _KIND_FLAGS.get((arr.dtype.kind, arr.dtype.itemsize))
    if flag is None or arr.dtype.fields is not None:
        supported = ", ".join(str(dt) for dt in DTYPE_FLAGS)
        raise TypeError(
            f"{what} has dtype {arr.dtype}, which an MXNet NDArray file cannot "
            f"hold; supported dtypes: {supported}"
        )
    return flag


def _encode_array(arr: np.ndarray, what: str) -> list[bytes | np.ndarray]:
    flag = _flag_for(arr, what)
    # The file is little-endian whatever the host is; this is a no-copy view
    # for the usual native, C-contiguous input.
    le = np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
    header = struct.pack(
        f"<IiI{le.ndim}qiii",
        ARRAY_MAGIC_V2,
        _STYPE_DENSE,
        le.ndim,
        *le.shape,
        _DEV_CPU,
        0,
        flag,
    )
    # A 0-d array is written with its one element, exactly as MXNet does.
    return [header, le.reshape(-1).view(np.uint8)]


def _encode(data: ArrayData) -> list[bytes | np.ndarray]:
    """Validate ``data`` and return the file as a list of buffers.

    The data buffers are views of the input where possible, so encoding a
    large parameter set does not double its memory.
    """
    if isinstance(data, Mapping):
        items = list(data.items())
        for key, _ in items:
            if not isinstance(key, str):
                raise TypeError(
                    f"array names must be str, got {type(key).__name__} {key!r}"
                )
        names: list[str] = [key for key, _ in items]
        arrays = [value for _, value in items]
    elif isinstance(data, (list, tuple)):
        names = []
        arrays = list(data)
    else:
        raise TypeError(
            "data must be a list of numpy arrays or a dict of str -> numpy "
            f"array, got {type(data).__name__}"
        )
    chunks: list[bytes | np.ndarray] = [struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays))]
    for i, arr in enumerate(arrays):
        what = f"array {names[i]!r}" if names else f"array {i}"
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{what} must be a numpy.ndarray, got {type(arr).__name__}")
        chunks.extend(_encode_array(arr, what))
    chunks.append(struct.pack("<Q", len(names)))
    for name in names:
        try:
            raw = name.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"array name {name!r} cannot be encoded as UTF-8") from exc
        chunks.append(struct.pack("<Q", len(raw)))
        chunks.append(raw)
    return chunks


def dump_arrays(data: ArrayData) -> bytes:
    """Serialise arrays to the bytes of an MXNet NDArray file.

    Parameters
    ----------
    data : list of numpy.ndarray or dict of str to numpy.ndarray
        A list is saved without names, a dict with its keys as names, in
        iteration order.  An empty dict is saved exactly like an empty list.

    Returns
    -------
    bytes
        What ``mx.nd.save`` writes for the same arrays.
    """
    return b"".join(_encode(data))


def _write_all(fd: int, buf: bytes | np.ndarray) -> None:
    # os.write may write less than asked (signals, pipes, quotas).
    view = memoryview(buf).cast("B")
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _open_temp(directory: str, base: str) -> tuple[str, int]:
    # os.open with 0o666 lets the umask decide the mode, as a plain open()
    # would; tempfile.mkstemp would force 0o600.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        # the pid in the name lets a later save remove what a killed process left
        path = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        try:
            return path, os.open(path, flags, 0o666)
        except FileExistsError:
            continue
        except FileNotFoundError:
            target = os.path.join(directory, base)
            raise FileNotFoundError(
                errno.ENOENT, f"cannot write {target!r}: its directory {directory!r} does "
                "not exist", target) from None
    raise FileExistsError(
        errno.EEXIST, "could not create a unique temporary file", directory
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or we cannot tell: leave its file alone
    return True


def remove_stale_temp_files(directory: str, base: str) -> list[str]:
    """Remove the temporary files that saves of ``base`` by processes no longer running
    left in ``directory`` (a process killed mid-save cannot clean up); return their
    paths. Files of running processes and of other targets are kept."""
    removed = []
    prefix = f".{base}."
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid, _, token = name[len(prefix):-len(".tmp")].partition(".")
        if not (pid.isdigit() and len(token) == 12) or _pid_alive(int(pid)):
            continue
        path = os.path.join(directory, name)
        try:
            os.unlink(path)
            removed.append(path)
        except OSError:
            pass
    return removed


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable; not possible (nor needed) everywhere.
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_arrays(fname: str | os.PathLike[str], data: ArrayData) -> None:
    """Write arrays to an MXNet NDArray file, atomically.

    The data goes to a temporary file in the target's directory, which is
    fsynced and then renamed over ``fname``; if anything fails, ``fname`` is
    left as it was and the temporary file is removed.

    Parameters
    ----------
    fname : str or os.PathLike
        Destination.  A symlink is followed, so the file it points to is
        replaced, as writing through it would.
    data : list of numpy.ndarray or dict of str to numpy.ndarray
        See `dump_arrays`.
    """
    # Validate before touching the file system.
    atomic_write(fname, _encode(data))


def atomic_write(fname: str | os.PathLike[str],
                 chunks: Iterable[bytes | np.ndarray]) -> None:
    """Write ``chunks`` one after the other to ``fname``, atomically.

    The bytes go to a temporary file in the target's directory, which is fsynced and then
    renamed over ``fname`` (keeping the mode of the file it replaces); if anything fails,
    ``fname`` is left as it was and the temporary file is removed. A symlink is followed.
    """
    target = os.path.realpath(os.fspath(fname))
    directory, base = os.path.split(target)
    tmp, fd = _open_temp(directory, base)
    try:
        try:
            for chunk in chunks:
                _write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # Overwriting in place would keep the old mode; so does this.
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        except FileNotFoundError:
            pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)
    remove_stale_temp_files(directory, base)


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------


class _Reader:
    """Bounds-checked cursor over the bytes being parsed."""

    def __init__(self, buf: bytes | bytearray | memoryview, source: str):
        self.buf = memoryview(buf).cast("B")
        self.pos = 0
        self.source = source

    @property
    def remaining(self) -> int:
        return len(self.buf) - self.pos

    def fail(self, message: str, offset: int | None = None) -> FileFormatError:
        offset = self.pos if offset is None else offset
        return FileFormatError(
            f"cannot load {self.source}: {message} (at byte offset {offset})",
            self.source,
            offset,
        )

    def take(self, n: int, what: str) -> memoryview:
        # Every read goes through here, so no size taken from the file is
        # ever used before it is checked against the bytes actually present.
        if n > self.remaining:
            raise FileFormatError(
                f"{self.source} is truncated: expected {n} bytes for {what} at "
                f"byte offset {self.pos}, but only {self.remaining} remain "
                f"(total size {len(self.buf)} bytes)",
                self.source,
                self.pos,
            )
        view = self.buf[self.pos : self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str, what: str) -> tuple[int, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))

    def u32(self, what: str) -> int:
        return self.unpack("<I", what)[0]

    def i32(self, what: str) -> int:
        return self.unpack("<i", what)[0]

    def u64(self, what: str) -> int:
        return self.unpack("<Q", what)[0]


def _hex(raw: bytes | memoryview) -> str:
    return " ".join(f"{b:02x}" for b in bytes(raw)) or "(none)"


def _check_file_magic(r: _Reader) -> None:
    head = bytes(r.buf[:_HEAD_HEX_BYTES])
    expected = struct.pack("<Q", LIST_MAGIC)
    if len(head) < 8 and expected.startswith(head) and head:
        r.take(8, "the file magic")  # a cut-off header: report truncation
    if head[:8] == expected:
        r.pos = 8
        return
    if not head:
        raise FileFormatError(
            f"{r.source} is empty (0 bytes), not an MXNet/minigluon NDArray file",
            r.source,
            0,
        )
    hint = ""
    for signature, kind in _KNOWN_SIGNATURES:
        if head.startswith(signature):
            hint = f"; it looks like {kind}"
            break
    raise FileFormatError(
        f"{r.source} is not an MXNet/minigluon NDArray file: expected the magic "
        f"number 0x112 (bytes {_hex(expected)}) at offset 0, but the file starts "
        f"with {_hex(head)}{hint}",
        r.source,
        0,
    )


def _read_record_shape(r: _Reader, label: str) -> tuple[int, ...]:
    start = r.pos
    magic = r.u32(f"{label} record magic")
    if magic in (ARRAY_MAGIC_V2, ARRAY_MAGIC_V3):
        stype = r.i32(f"{label} storage type")
        if stype != _STYPE_DENSE:
            kind = _STYPE_NAMES.get(stype)
            if kind is None:
                raise r.fail(f"{label} has unknown storage type {stype}", r.pos - 4)
            raise r.fail(
                f"{label} has {kind} storage; only dense arrays are supported "
                f"(convert with .tostype('default') in MXNet before saving)",
                r.pos - 4,
            )
        ndim = r.i32(f"{label} ndim")
        dim_fmt = "q"
    elif magic == ARRAY_MAGIC_V1:
        ndim = r.i32(f"{label} ndim")
        dim_fmt = "q"
    elif 0 < magic <= _MAX_NDIM:
        # The original layout has no record magic: the first word is ndim.
        ndim = magic
        dim_fmt = "I"
    else:
        raise r.fail(
            f"{label} starts with {_hex(r.buf[start : start + 4])}, which is no "
            f"known array record magic (expected c9 fa 93 f9)",
            start,
        )
    if ndim < 0:
        raise r.fail(f"{label} has an unknown shape (ndim {ndim})", r.pos - 4)
    if ndim == 0 and magic == ARRAY_MAGIC_V1:
        # V1 only wrote ndim 0 for an array without data, which NumPy cannot
        # represent; V2/V3 ndim 0 is a real 0-d array with one element.
        raise r.fail(f"{label} is an empty (none) NDArray with no data", start)
    if ndim > _MAX_NDIM:
        raise r.fail(
            f"{label} has ndim {ndim}, more than the {_MAX_NDIM} NumPy supports",
            r.pos - 4,
        )
    dims_at = r.pos
    shape = r.unpack(f"<{ndim}{dim_fmt}", f"{label} dims ({ndim} dims)")
    for k, dim in enumerate(shape):
        if dim < 0:
            raise r.fail(
                f"{label} has a negative dim {dim} in shape {shape}",
                dims_at + struct.calcsize(dim_fmt) * k,
            )
    return shape


def _read_array(r: _Reader, label: str) -> np.ndarray:
    shape = _read_record_shape(r, label)
    # The device the array lived on does not matter once it is on the host;
    # MXNet itself loads any device type onto the CPU.
    r.unpack("<ii", f"{label} device type and id")
    flag = r.i32(f"{label} dtype flag")
    dtype = _FLAG_DTYPES.get(flag)
    if dtype is None:
        name = _UNSUPPORTED_FLAGS.get(flag)
        if name is not None:
            raise r.fail(
                f"{label} has dtype {name}, which NumPy cannot represent", r.pos - 4
            )
        raise r.fail(f"{label} has unknown dtype flag {flag}", r.pos - 4)
    size = 1
    for dim in shape:
        size *= dim
    nbytes = size * dtype.itemsize
    raw = r.take(nbytes, f"{label} data ({shape}, {dtype})")
    data_at = r.pos - nbytes
    try:
        if dtype == np.bool_:
            # Read the bytes as uint8 so that the cast to bool below turns any
            # nonzero byte into a proper True instead of keeping odd values.
            flat = np.frombuffer(raw, dtype=np.uint8)
        else:
            flat = np.frombuffer(raw, dtype=dtype.newbyteorder("<"))
        # astype copies: the result owns its memory, is writable, C-ordered
        # and in native byte order, independent of the input buffer.
        return flat.reshape(shape).astype(dtype, order="C", copy=True)
    except ValueError as exc:  # e.g. a zero-size shape too big for NumPy
        raise r.fail(
            f"{label} shape {shape} cannot be represented: {exc}", data_at
        ) from exc


def _parse(buf: bytes | bytearray | memoryview, source: str) -> ArrayData:
    r = _Reader(buf, source)
    _check_file_magic(r)
    # MXNet ignores the reserved word too, so a nonzero value is accepted.
    r.u64("the reserved header field")
    count_at = r.pos
    count = r.u64("the number of arrays")
    if count * _MIN_RECORD_BYTES > r.remaining:
        raise r.fail(
            f"the header announces {count} arrays, which cannot fit in the "
            f"{r.remaining} bytes that follow",
            count_at,
        )
    arrays = [_read_array(r, f"array {i}") for i in range(count)]
    names_at = r.pos
    n_names = r.u64("the number of names")
    if n_names not in (0, count):
        raise r.fail(
            f"the file has {count} arrays but {n_names} names (expected 0 or {count})",
            names_at,
        )
    names: list[str] = []
    for i in range(n_names):
        length = r.u64(f"the length of name {i}")
        name_at = r.pos
        raw = r.take(length, f"name {i} ({length} bytes)")
        try:
            names.append(str(raw, "utf-8"))
        except UnicodeDecodeError as exc:
            raise r.fail(
                f"name {i} is not valid UTF-8 ({exc.reason})", name_at + exc.start
            ) from exc
    if r.remaining:
        raise r.fail(
            f"{r.remaining} unexpected bytes after the end of the data "
            f"(starting {_hex(r.buf[r.pos : r.pos + _HEAD_HEX_BYTES])})"
        )
    if not names:
        return arrays
    result = dict(zip(names, arrays, strict=True))
    if len(result) != len(names):
        dup = next(n for i, n in enumerate(names) if n in names[:i])
        # MXNet silently keeps only the last one; refusing loses no data.
        raise r.fail(f"the name {dup!r} occurs more than once", names_at)
    return result


def parse_arrays(
    buf: bytes | bytearray | memoryview, name: str | None = None
) -> ArrayData:
    """Parse the bytes of an MXNet NDArray file.

    Parameters
    ----------
    buf : bytes-like
        The whole file content.
    name : str, optional
        What to call the data in error messages (e.g. its file name).

    Returns
    -------
    list of numpy.ndarray or dict of str to numpy.ndarray
        A list if the file has no names, otherwise a dict in file order.
        Arrays are writable, own their memory, are C-contiguous and in native
        byte order.

    Raises
    ------
    FileFormatError
        If ``buf`` is not a complete, valid file of dense arrays.
    """
    source = "buffer" if name is None else f"file {name!r}"
    return _parse(buf, source)


def load_arrays(fname: str | os.PathLike[str]) -> ArrayData:
    """Load an MXNet NDArray file (``nd.save`` output or ``.params``).

    Parameters
    ----------
    fname : str or os.PathLike
        Path of the file.

    Returns
    -------
    list of numpy.ndarray or dict of str to numpy.ndarray
        See `parse_arrays`.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is not a complete, valid file of dense arrays.
    """
    path = os.fspath(fname)
    source = f"file {path!r}"
    with open(path, "rb") as f:
        # the magic first: a foreign or endless file (/dev/zero) is refused after 8 bytes
        head = f.read(8)
        _check_file_magic(_Reader(head, source))
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileFormatError(f"cannot load {source}: it is not a regular file, so its "
                                  "size is unknown", source, 8)
        # a regular file is read up to its size, never more
        buf = head + f.read(max(info.st_size - 8, 0))
    return _parse(buf, source)
