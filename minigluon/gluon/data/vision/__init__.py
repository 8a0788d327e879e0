"""Vision data sets (MNIST, FashionMNIST) and image transforms."""

from . import transforms
from .datasets import MNIST, FashionMNIST

__all__ = ["MNIST", "FashionMNIST", "transforms"]
