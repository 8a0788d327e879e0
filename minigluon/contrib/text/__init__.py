"""``mx.contrib.text``: vocabularies and pre-trained token embeddings (MXNet 1.9.1's
``mxnet.contrib.text``)."""

from . import embedding, utils, vocab  # noqa: F401

__all__ = ["embedding", "utils", "vocab"]
