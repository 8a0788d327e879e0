"""Measure which library reproduces MXNet 1.9.1's decoded and resized pixels (the table in
the README's "Images: why OpenCV"). Run with minigluon's Python (needs OpenCV and Pillow)::

    .venv/bin/python tests/golden/measure_image_libraries.py [--oracle ~/mxnet-oracle/bin/python]

It writes 20 images to a temporary directory, has MXNet decode and resize them (a
subprocess running the oracle's Python on this same file with ``--mxnet``), and prints, per
candidate, the share of identical values and the largest difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SPECS = [(37, 53, 3), (120, 90, 3), (64, 64, 1), (241, 317, 3), (15, 9, 1)]


def make_images(d: Path) -> None:
    import cv2
    from PIL import Image

    rng = np.random.default_rng(0)
    for i, (h, w, c) in enumerate(SPECS):
        y, x = np.mgrid[0:h, 0:w]
        chans = [127 + 120 * np.sin(x / (7 + 3 * k) + y / (11 + k)) * np.cos(y / (5 + 2 * k))
                 for k in range(c)]
        a = np.clip(np.stack(chans, -1) + rng.normal(0, 10, (h, w, c)), 0, 255).astype(np.uint8)
        im = Image.fromarray(a[..., 0] if c == 1 else a)
        im.save(d / f"pil_{i}.jpg", quality=90)
        im.save(d / f"pil_{i}.png")
        im.save(d / f"pil420_{i}.jpg", quality=75, subsampling=2)
        cv2.imwrite(str(d / f"cv_{i}.jpg"), a[..., ::-1] if c == 3 else a[..., 0],
                    [cv2.IMWRITE_JPEG_QUALITY, 85])


def run_mxnet(d: Path) -> None:
    import mxnet as mx

    out = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith((".jpg", ".png")):
            continue
        for flag in (0, 1):
            img = mx.image.imread(str(d / f), flag=flag)
            out[f"dec|{f}|{flag}"] = img.asnumpy()
            h, w = img.shape[:2]
            for interp in range(5):
                for nw, nh in [(31, 29), (200, 150), (13, 40), (w * 2, h * 2),
                               (max(w // 2, 1), max(h // 2, 1))]:
                    out[f"rs|{f}|{flag}|{interp}|{nw}|{nh}"] = mx.image.imresize(
                        img, nw, nh, interp=interp).asnumpy()
    np.savez(d / "mxnet.npz", **out)


def compare(d: Path) -> None:
    import cv2
    from PIL import Image

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from minigluon import image, nd

    pil_interp = {0: Image.NEAREST, 1: Image.BILINEAR, 2: Image.BICUBIC, 3: Image.BOX,
                  4: Image.LANCZOS}

    def as3(a):
        return a[..., None] if a.ndim == 2 else a

    def cv_dec(f, flag):
        a = cv2.imdecode(np.fromfile(d / f, np.uint8), 1 if flag else 0)
        return a[..., ::-1] if flag else a[..., None]

    def pil_dec(f, flag):
        return as3(np.asarray(Image.open(d / f).convert("RGB" if flag else "L")))

    def pil_rs(a, w, h, i):
        return as3(np.asarray(Image.fromarray(a[..., 0] if a.shape[2] == 1 else a).resize(
            (w, h), pil_interp[i])))

    candidates = {
        "opencv": (cv_dec, lambda a, w, h, i: as3(cv2.resize(a, (w, h), interpolation=i))),
        "pillow": (pil_dec, pil_rs),
        "minigluon": (lambda f, flag: image.imread(str(d / f), flag=flag).asnumpy(),
                      lambda a, w, h, i: image.imresize(nd.array(a, dtype="uint8"), w, h,
                                                        interp=i).asnumpy()),
    }
    ref = np.load(d / "mxnet.npz")
    stats: dict = {}
    for k in ref.files:
        p = k.split("|")
        for name, (dec, rs) in candidates.items():
            if p[0] == "dec":
                got, key = dec(p[1], int(p[2])), (name, "decode", p[1].rsplit(".", 1)[1])
            else:
                src = ref[f"dec|{p[1]}|{p[2]}"]
                got = rs(src, int(p[4]), int(p[5]), int(p[3]))
                key = (name, "resize", f"interp {p[3]}")
            diff = np.abs(got.astype(int) - ref[k])
            s = stats.setdefault(key, [0, 0, 0])
            s[0], s[1], s[2] = max(s[0], int(diff.max())), s[1] + int((diff == 0).sum()), \
                s[2] + diff.size
    for key in sorted(stats):
        m, same, n = stats[key]
        print(f"{' '.join(key):32} identical {100 * same / n:8.3f}%   max diff {m}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mxnet", help="(internal) decode and resize with MXNet into DIR")
    ap.add_argument("--oracle", default=os.path.expanduser("~/mxnet-oracle/bin/python"))
    args = ap.parse_args()
    if args.mxnet:
        run_mxnet(Path(args.mxnet))
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        make_images(d)
        subprocess.run([args.oracle, __file__, "--mxnet", tmp], check=True)
        compare(d)


if __name__ == "__main__":
    main()
