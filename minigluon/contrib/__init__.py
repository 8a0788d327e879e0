"""MXNet's ``mx.contrib``: operators and tools outside the core API."""

from . import (
    ndarray,  # noqa: F401
    ndarray as nd,  # noqa: F401
)
