"""MXNet's Gluon model zoo: the image classification networks MXNet ships, with their
exact block structure and parameter names, so that MXNet's published ``.params`` files
load (see :mod:`.model_store` for where they are looked for; nothing is downloaded)."""

from . import model_store, vision

__all__ = ["model_store", "vision", "get_model"]

get_model = vision.get_model
