"""Padding layers: :class:`ReflectionPad2D` (``F.pad`` with ``mode='reflect'``)."""

from __future__ import annotations

import numbers
from typing import Any

from ...ndarray.ndarray import NDArray
from ..block import HybridBlock

__all__ = ["ReflectionPad2D"]


class ReflectionPad2D(HybridBlock):
    """Pads the height and width of (batch, channels, height, width) input with its own
    mirror image, the edge row or column not repeated: ``[1, 2, 3]`` padded by 2 on each
    side is ``[3, 2, 1, 2, 3, 2, 1]``.

    Parameters
    ----------
    padding : int or tuple of 8 ints
        An int pads each side of both spatial axes by that much; a tuple is ``nd.pad``'s
        ``pad_width`` (before, after) for each of the four axes, the first four zero.
        Each width must be smaller than its axis.

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon import nn
    >>> nn.ReflectionPad2D(2)(nd.array([[[[1, 2, 3]]]]))[0, 0]   # height 1: nothing to mirror
    Traceback (most recent call last):
    ...
    minigluon.base.MinigluonError: pad: reflection padding must be smaller than the input ...
    >>> nn.ReflectionPad2D((0, 0, 0, 0, 0, 0, 2, 2))(nd.array([[[[1, 2, 3]]]]))[0, 0]
    <BLANKLINE>
    [[3. 2. 1. 2. 3. 2. 1.]]
    <NDArray 1x7 @cpu(0)>
    """

    def __init__(self, padding: Any = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, numbers.Number):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        if len(padding) != 8:
            # MXNet asserts the length, without a message
            raise AssertionError(f"ReflectionPad2D: padding must be an int or 8 ints "
                                 f"(before, after for each of 4 axes), got {padding!r}")
        self._padding = tuple(padding)

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return F.pad(x, mode="reflect", pad_width=self._padding)
