"""What MXNet 1.9.1's ``mx.test_utils.get_mnist()`` returns for small MNIST files, for
tests/compat/test_get_mnist.py.

``write_idx_files(folder)`` writes four small gzipped IDX files under MNIST's names (a few
random images, seeded); MXNet's ``test_utils.download`` skips a file that exists, so the
oracle reads them from the current directory without any download.

Run with the MXNet oracle from the repository root:
``~/mxnet-oracle/bin/python tests/golden/make_mnist_golden.py``; it writes
``mnist.npz`` (the four arrays, whose dtypes are MXNet's).
"""

import gzip
import os
import struct
import sys
import tempfile

import numpy as np

SIZES = {"train": 5, "t10k": 3}


def write_idx_files(folder):
    """The four ``*-idx?-ubyte.gz`` files of a tiny MNIST in ``folder``."""
    r = np.random.RandomState(42)
    for part, n in SIZES.items():
        images = r.randint(0, 256, (n, 28, 28)).astype(np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255  # both ends of the scale
        labels = r.randint(0, 10, n).astype(np.uint8)
        files = {f"{part}-images-idx3-ubyte.gz": struct.pack(">IIII", 2051, n, 28, 28)
                 + images.tobytes(),
                 f"{part}-labels-idx1-ubyte.gz": struct.pack(">II", 2049, n)
                 + labels.tobytes()}
        for name, content in files.items():
            with open(os.path.join(folder, name), "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
                    f.write(content)


if __name__ == "__main__":
    import mxnet as mx

    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        write_idx_files(tmp)
        os.chdir(tmp)  # MXNet 1.9.1 keeps the files in the current directory
        got = mx.test_utils.get_mnist()
        os.chdir(here)
    path = os.path.join(here, "mnist.npz")
    np.savez(path, **got)
    for k, v in got.items():
        print(k, v.dtype, v.shape, v.min(), v.max(), file=sys.stderr)
    print("wrote", path, file=sys.stderr)
