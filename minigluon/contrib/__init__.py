"""``mx.contrib``: MXNet's contributed packages that minigluon implements."""

from . import text  # noqa: F401
