"""The instruments: tools that read a recorded computation and change nothing in it.

They sit beside :mod:`minigluon.gluon`, above the core, and reach it only through what the
tape records and through the linter's events. Users reach them through their faces
:mod:`minigluon.viz`, :mod:`minigluon.explain`, :mod:`minigluon.debug` and
:mod:`minigluon.testing`, which re-export what is listed here module by module:

``_recorded``
    the one shared reader of a recorded graph: order, names, symbols, a backward replay.
``graph``, ``render``
    the picture (DOT text and a plain listing) and turning it into SVG/PNG.
``memory``
    what the tape keeps alive for backward and the backward peak.
``explain``, ``derivation``
    a backward pass told step by step; a hand derivation checked against the tape.
``lint``
    the training-loop linter behind ``mx.debug``.
``gradcheck``
    gradient checks against finite differences, behind ``mx.testing``.

Nothing is imported here, so that importing one instrument does not load the others.
"""

__all__: list[str] = []
