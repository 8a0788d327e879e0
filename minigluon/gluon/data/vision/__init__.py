"""Vision data sets (MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageFolderDataset,
ImageRecordDataset) and image transforms."""

from . import transforms
from .datasets import MNIST, FashionMNIST
from .image_datasets import CIFAR10, CIFAR100, ImageFolderDataset, ImageRecordDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageFolderDataset",
           "ImageRecordDataset", "transforms"]
