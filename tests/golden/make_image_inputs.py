"""Step 1 of the image/RecordIO golden files, run with minigluon's Python (needs OpenCV and
Pillow)::

    .venv/bin/python tests/golden/make_image_inputs.py
    ~/mxnet-oracle/bin/python tests/golden/make_image_golden.py

It writes small JPEG and PNG images (colour and grayscale, written by OpenCV and by Pillow,
4:2:0 and 4:4:4 chroma) to ``tests/golden/files/image/``, and ``from_minigluon.rec``/
``.idx`` written by ``minigluon.recordio`` (with records that contain the RecordIO magic
word, so that they are split into chunks). ``make_image_golden.py`` then decodes and
resizes the images with MXNet and reads minigluon's records with MXNet.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "golden" / "files" / "image"
sys.path.insert(0, str(ROOT))

MAGIC = b"\x0a\x23\xd7\xce"


def smooth(rng: np.random.Generator, h: int, w: int, c: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    chans = [127 + 120 * np.sin(x / (7 + 3 * k) + y / (11 + k)) * np.cos(y / (5 + 2 * k))
             for k in range(c)]
    return np.clip(np.stack(chans, -1) + rng.normal(0, 10, (h, w, c)), 0, 255).astype(np.uint8)


def records() -> list[bytes]:
    """Payloads that exercise RecordIO's corner cases."""
    return [b"", b"a", b"ab", b"abc", b"abcd", MAGIC, MAGIC + MAGIC, b"xyz" + MAGIC,
            b"abcd" + MAGIC + b"efgh" + MAGIC + b"ij", MAGIC + b"tail", b"q" * 1001,
            bytes(range(256)) * 3]


def main() -> None:
    import cv2
    from PIL import Image

    from minigluon import recordio

    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(12)
    for i, (h, w, c) in enumerate([(37, 53, 3), (120, 90, 3), (64, 64, 1), (15, 9, 1)]):
        a = smooth(rng, h, w, c)
        im = Image.fromarray(a[..., 0] if c == 1 else a)
        im.save(OUT / f"pil_{i}.jpg", quality=90, subsampling=0)
        im.save(OUT / f"pil420_{i}.jpg", quality=75, subsampling=2)
        im.save(OUT / f"pil_{i}.png")
        cv2.imwrite(str(OUT / f"cv_{i}.jpg"), a[..., ::-1] if c == 3 else a[..., 0],
                    [cv2.IMWRITE_JPEG_QUALITY, 85])
    (OUT / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")

    w = recordio.MXIndexedRecordIO(str(OUT / "from_minigluon.idx"),
                                   str(OUT / "from_minigluon.rec"), "w")
    for i, r in enumerate(records()):
        w.write_idx(i, r)
    img = (OUT / "pil_1.jpg").read_bytes()
    w.write_idx(100, recordio.pack(recordio.IRHeader(0, 3.0, 100, 0), img))
    w.write_idx(101, recordio.pack(recordio.IRHeader(0, [1, 2.5, 3, 4, 5], 101, 0), img))
    w.close()


if __name__ == "__main__":
    main()
