"""MXNet's RecordIO files (``.rec``, with an optional ``.idx`` index), byte-compatible.

The format is dmlc-core's: every record is one or more chunks, each a little-endian
uint32 magic ``0xced7230a``, a uint32 ``lrec = cflag << 29 | length`` and ``length``
bytes. A payload that contains the magic word at a 4-byte-aligned offset is split
there: the word is dropped and the pieces are written as chunks with ``cflag`` 1
(first), 2 (middle) and 3 (last); the reader puts the magic word back between them.
A whole record (``cflag`` 0) or the last chunk of a split one is followed by zero bytes
up to a multiple of 4. The index is text, one ``key<TAB>offset`` line per record.

An image record (``pack``/``unpack``) starts with MXNet's ``IRHeader``: struct
``'IfQQ'`` (flag, label, id, id2), then ``flag`` float32 labels when the label is an
array, then the encoded image.

Where minigluon differs: a writer writes to a temporary file next to the target and
renames it over the target on ``close()`` (also when the object is garbage collected, as
MXNet flushes then), so an interrupted writer never leaves a half-written ``.rec``/
``.idx`` pair; readers see the file only once it is complete. A damaged file raises
:class:`RecordIOError` naming the file and the byte offset, where MXNet stops with
"Invalid RecordIO File"; a record longer than the rest of the file is refused before
anything is read.
"""

from __future__ import annotations

import numbers
import os
import stat
import struct
from collections import namedtuple
from multiprocessing import current_process
from typing import Any

import numpy as np

from ._fileformat import _fsync_directory, _open_temp
from .base import MinigluonError

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img",
           "unpack_img", "RecordIOError"]

MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", MAGIC)
_MAX_LEN = (1 << 29) - 1


class RecordIOError(MinigluonError):
    """A ``.rec`` file that is not valid RecordIO (MXNet: "Invalid RecordIO File").

    Attributes
    ----------
    path : str
        The file.
    offset : int
        Byte offset of the chunk header where the problem was found.
    """

    def __init__(self, message: str, path: str, offset: int) -> None:
        super().__init__(f"Invalid RecordIO File {path!r} at byte offset {offset}: {message}")
        self.path = path
        self.offset = offset


def _encode_lrec(cflag: int, length: int) -> bytes:
    return _MAGIC_BYTES + struct.pack("<I", (cflag << 29) | length)


def encode_record(buf: bytes | bytearray | memoryview) -> bytes:
    """The bytes dmlc's ``RecordIOWriter::WriteRecord`` writes for one record."""
    data = bytes(buf)
    n = len(data)
    if n >= 1 << 29:
        raise ValueError(f"RecordIO only accepts records of less than 2^29 bytes, got {n}")
    out = []
    start = 0
    # only 4-byte-aligned occurrences of the magic word split a record, as in dmlc
    pos = data.find(_MAGIC_BYTES)
    while 0 <= pos <= n - 4:
        if pos % 4 == 0:
            out.append(_encode_lrec(1 if start == 0 else 2, pos - start))
            out.append(data[start:pos])
            start = pos + 4
            pos = data.find(_MAGIC_BYTES, start)
        else:
            pos = data.find(_MAGIC_BYTES, pos + 1)
    out.append(_encode_lrec(3 if start else 0, n - start))
    out.append(data[start:])
    out.append(b"\0" * (-n % 4))
    return b"".join(out)


class MXRecordIO:
    """Read (``flag='r'``) or write (``flag='w'``) a RecordIO file record by record.

    Examples
    --------
    >>> import os, tempfile
    >>> from minigluon import recordio
    >>> path = os.path.join(tempfile.mkdtemp(), 'tmp.rec')
    >>> w = recordio.MXRecordIO(path, 'w')
    >>> for i in range(3):
    ...     w.write(b'record_%d' % i)
    >>> w.close()
    >>> r = recordio.MXRecordIO(path, 'r')
    >>> r.read(), r.read(), r.read(), r.read()
    (b'record_0', b'record_1', b'record_2', None)
    >>> r.close()
    """

    def __init__(self, uri: str | os.PathLike[str], flag: str) -> None:
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid: int | None = None
        self.is_open = False
        self._f: Any = None
        self._tmp: str | None = None
        self.open()

    # ---- opening and closing -------------------------------------------------------
    def open(self) -> None:
        """Open the file (a writer starts a new, empty one)."""
        if self.flag == "w":
            self._tmp, fd = _open_temp(*os.path.split(os.path.realpath(self.uri)))
            self._f = os.fdopen(fd, "wb")
            self.writable = True
        elif self.flag == "r":
            self._f = open(self.uri, "rb")  # noqa: SIM115 - kept open between reads
            self._size = os.fstat(self._f.fileno()).st_size
            self.writable = False
        else:
            raise ValueError(f"Invalid flag {self.flag}")
        self.pid = current_process().pid
        self.is_open = True

    def close(self) -> None:
        """Close the file; a writer's file appears under its name now."""
        if not self.is_open:
            return
        self.is_open = False
        self.pid = None
        f, self._f = self._f, None
        if self.writable:
            _publish(f, self._tmp, self.uri)
            self._tmp = None
        else:
            f.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible left to do
            pass

    def __getstate__(self) -> dict[str, Any]:
        # a copy sent to a DataLoader worker reopens the file there; a reader keeps its
        # own handle (MXNet closes it), a writer is closed, i.e. published, as in MXNet
        is_open = self.is_open
        if self.writable:
            self.close()
        d = dict(self.__dict__)
        d["is_open"] = is_open
        d["_f"] = None
        d["_tmp"] = None
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        self.__dict__ = d
        is_open = d["is_open"]
        self.is_open = False
        if is_open:
            self.open()

    def _check_pid(self, allow_reset: bool = False) -> None:
        if self.pid != current_process().pid:
            if allow_reset:
                self.reset()
            else:
                raise RuntimeError("Forbidden operation in multiple processes")

    def reset(self) -> None:
        """Back to the first record (a writer starts over with an empty file)."""
        if self.is_open and self.writable:
            # starting over discards what was written, as MXNet's truncation does
            self._f.close()
            os.unlink(self._tmp)
            self.is_open = False
        self.close()
        self.open()

    # ---- records --------------------------------------------------------------------
    def write(self, buf: bytes | bytearray | memoryview) -> None:
        """Append one record."""
        if not self.writable:
            raise MinigluonError(f"{self.uri!r} is open for reading (flag='r'), not writing")
        if not isinstance(buf, (bytes, bytearray, memoryview)):
            raise TypeError(f"a record is bytes, not {type(buf).__name__}")
        self._check_pid(allow_reset=False)
        self._f.write(encode_record(buf))

    def read(self) -> bytes | None:
        """The next record, or None at the end of the file."""
        if self.writable:
            raise MinigluonError(f"{self.uri!r} is open for writing (flag='w'), not reading")
        self._check_pid(allow_reset=False)
        f = self._f
        parts: list[bytes] = []
        first = True
        while True:
            offset = f.tell()
            head = f.read(8)
            if not head and first:
                return None
            if len(head) < 8:
                raise RecordIOError("the file ends inside a chunk header" if head else
                                    "the file ends inside a split record", self.uri, offset)
            magic, lrec = struct.unpack("<II", head)
            if magic != MAGIC:
                raise RecordIOError(f"expected the magic number 0x{MAGIC:08x}, found "
                                    f"0x{magic:08x}", self.uri, offset)
            cflag, length = lrec >> 29, lrec & _MAX_LEN
            if first and cflag not in (0, 1) or not first and cflag not in (2, 3):
                raise RecordIOError(
                    f"chunk flag {cflag} " + ("starts a record" if first else
                                              "inside a split record"), self.uri, offset)
            padded = (length + 3) & ~3
            if padded > self._size - offset - 8:
                raise RecordIOError(
                    f"the record claims {length} bytes but the file ends after "
                    f"{self._size - offset - 8} (a truncated file?)", self.uri, offset)
            data = f.read(padded)
            if len(data) < padded:  # the file shrank under us
                raise RecordIOError("file ends inside a record", self.uri, offset)
            parts.append(data[:length])
            if cflag in (0, 3):
                return _MAGIC_BYTES.join(parts)
            first = False


def _publish(f: Any, tmp: str | None, target: str) -> None:
    """Flush, sync and rename a writer's temporary file over ``target``."""
    try:
        f.flush()
        os.fsync(f.fileno())
    finally:
        f.close()
    real = os.path.realpath(target)
    try:
        os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
    except FileNotFoundError:
        pass
    os.replace(tmp, real)
    _fsync_directory(os.path.dirname(real))


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with an index file, for reading records by key.

    Examples
    --------
    >>> import os, tempfile
    >>> from minigluon import recordio
    >>> d = tempfile.mkdtemp()
    >>> w = recordio.MXIndexedRecordIO(os.path.join(d, 'a.idx'), os.path.join(d, 'a.rec'), 'w')
    >>> for i in range(5):
    ...     w.write_idx(i, b'record_%d' % i)
    >>> w.close()
    >>> r = recordio.MXIndexedRecordIO(os.path.join(d, 'a.idx'), os.path.join(d, 'a.rec'), 'r')
    >>> r.read_idx(3), r.keys
    (b'record_3', [0, 1, 2, 3, 4])
    """

    def __init__(self, idx_path: str | os.PathLike[str], uri: str | os.PathLike[str],
                 flag: str, key_type: type = int) -> None:
        self.idx_path = os.fspath(idx_path)
        self.idx: dict[Any, int] = {}
        self.keys: list[Any] = []
        self.key_type = key_type
        self.fidx: Any = None
        self._idx_tmp: str | None = None
        super().__init__(uri, flag)

    def open(self) -> None:
        super().open()
        self.idx = {}
        self.keys = []
        if self.writable:
            self._idx_tmp, fd = _open_temp(*os.path.split(os.path.realpath(self.idx_path)))
            self.fidx = os.fdopen(fd, "w")
            return
        with open(self.idx_path, encoding="utf-8", errors="surrogateescape") as f:
            for lineno, line in enumerate(f, 1):
                fields = line.strip().split("\t")
                if fields == [""]:
                    continue
                try:
                    line.encode("utf-8")  # bytes that are not text fail here, by line
                    key, pos = self.key_type(fields[0]), int(fields[1])
                except (ValueError, IndexError):
                    raise MinigluonError(
                        f"index file {self.idx_path!r} line {lineno}: expected "
                        f"'key<TAB>offset', got {line.rstrip()!r}") from None
                self.idx[key] = pos
                self.keys.append(key)

    def close(self) -> None:
        if not self.is_open:
            return
        writable = self.writable
        super().close()
        fidx, self.fidx = self.fidx, None
        if writable:
            _publish(fidx, self._idx_tmp, self.idx_path)
            self._idx_tmp = None
        elif fidx is not None:
            fidx.close()

    def reset(self) -> None:
        if self.is_open and self.writable:
            self.fidx.close()
            os.unlink(self._idx_tmp)
        super().reset()

    def __getstate__(self) -> dict[str, Any]:
        d = super().__getstate__()
        d["fidx"] = None
        d["_idx_tmp"] = None
        return d

    def seek(self, idx: Any) -> None:
        """Move the read position to the record with key ``idx``."""
        if self.writable:
            raise MinigluonError(f"{self.uri!r} is open for writing, seek needs flag='r'")
        self._check_pid(allow_reset=True)
        pos = self.idx[idx]
        if not 0 <= pos <= self._size:
            raise RecordIOError(f"the index {self.idx_path!r} points past the end of the "
                                f"file ({self._size} bytes) for key {idx!r}", self.uri, pos)
        self._f.seek(pos)

    def tell(self) -> int:
        """The write position: where the next record will start."""
        if not self.writable:
            raise MinigluonError("tell() is for a writer (flag='w')")
        return self._f.tell()

    def read_idx(self, idx: Any) -> bytes | None:
        """The record with key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx: Any, buf: bytes | bytearray | memoryview) -> None:
        """Append a record under key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write(f"{key}\t{pos}\n")
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """An image record's header: flag, label (a number or an array of
floats), id, id2 (the id's high bits, usually 0)."""

_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header: Any, s: bytes) -> bytes:
    """``header`` (an IRHeader or a 4-tuple) and the bytes ``s`` as one record.

    A number label is stored in the header (flag 0); an array label is stored as
    float32 values after it and ``flag`` becomes their count.

    Examples
    --------
    >>> from minigluon import recordio
    >>> rec = recordio.pack(recordio.IRHeader(0, [1, 2], 7, 0), b'xyz')
    >>> recordio.unpack(rec)
    (HEADER(flag=2, label=array([1., 2.], dtype=float32), id=7, id2=0), b'xyz')
    """
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s: bytes) -> tuple[Any, bytes]:
    """The IRHeader and the payload of a record written by `pack`."""
    if len(s) < _IR_SIZE:
        raise MinigluonError(f"an image record starts with a {_IR_SIZE}-byte IRHeader; "
                             f"this one has {len(s)} bytes")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        if len(s) < 4 * header.flag:
            raise MinigluonError(f"the IRHeader announces {header.flag} float32 labels but "
                                 f"the record has only {len(s)} bytes after it")
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def unpack_img(s: bytes, iscolor: int = -1) -> tuple[Any, np.ndarray]:
    """The IRHeader and the decoded image (OpenCV's BGR channel order, ``iscolor`` as
    ``cv2.imdecode``'s flag)."""
    from .image._cv import cv2

    header, s = unpack(s)
    img = cv2.imdecode(np.frombuffer(s, dtype=np.uint8), iscolor)
    if img is None:
        raise MinigluonError("the image in this record cannot be decoded")
    return header, img


def pack_img(header: Any, img: np.ndarray, quality: int = 95, img_fmt: str = ".jpg") -> bytes:
    """`pack` an image (a NumPy array in OpenCV's BGR order) encoded as ``img_fmt``.

    ``quality`` is the JPEG quality (1-100) or the PNG compression level (0-9).
    """
    from .image._cv import cv2

    params: list[int] | None = None
    if img_fmt.upper() in (".JPG", ".JPEG"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif img_fmt.upper() == ".PNG":
        params = [cv2.IMWRITE_PNG_COMPRESSION, quality]
    ok, buf = cv2.imencode(img_fmt, np.asarray(img), params)
    if not ok:
        raise MinigluonError(f"failed to encode the image as {img_fmt}")
    return pack(header, buf.tobytes())
