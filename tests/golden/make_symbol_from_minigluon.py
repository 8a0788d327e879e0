"""Export the models of symbol_models.py with minigluon, for real MXNet to import.

Run from the repository root with the project's Python, before make_symbol_golden.py:

    .venv/bin/python tests/golden/make_symbol_from_minigluon.py

It writes tests/golden/files/symbol/mg_<model>-symbol.json and -0000.params;
make_symbol_golden.py (the oracle) imports them with mx.gluon.SymbolBlock.imports and
records MXNet's outputs in tests/golden/symbol_io.npz.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import symbol_models  # noqa: E402

import minigluon as mx  # noqa: E402

OUT = os.path.join(HERE, "files", "symbol")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in symbol_models.MODELS:
        net, x = symbol_models.build(mx, name)
        net.hybridize()
        net(x)
        net.export(os.path.join(OUT, f"mg_{name}"))


if __name__ == "__main__":
    main()
