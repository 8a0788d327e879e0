"""OpenCV, imported on first use with a clear message when it is missing.

MXNet decodes and resizes images with OpenCV (3.4.2 inside the 1.9.1 wheels); the
headless OpenCV wheel gives the same pixels (measured: see the README's image section),
Pillow does not. It is the ``vision`` extra: ``pip install 'minigluon[vision]'``.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "cv2":
        raise AttributeError(name)
    try:
        import cv2
    except ImportError:
        raise ImportError(
            "mx.image, mx.recordio's image functions and the image data sets need OpenCV, "
            "as MXNet's do: pip install 'minigluon[vision]' (or opencv-python-headless)"
        ) from None
    # one thread: the same pixels, and no oversubscription beside DataLoader workers
    cv2.setNumThreads(1)
    globals()["cv2"] = cv2
    return cv2
