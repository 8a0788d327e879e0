"""Issue 18: every tutorial/file path and ``python -m`` command the docs name exists."""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "docs").glob("*.rst")) + [ROOT / "README.md"]
PATH_RE = re.compile(r"(?<![\w/.:])((?:tutorials|benchmarks|minigluon|tests|docs)/"
                     r"[\w/.\-]+\.(?:py|rst|md|toml))")
MODULE_RE = re.compile(r"python3? -m (minigluon(?:\.\w+)*)")


def _mentions(regex: re.Pattern) -> list[tuple[str, str]]:
    found = []
    for src in SOURCES:
        for m in regex.finditer(src.read_text(encoding="utf-8")):
            found.append((src.name, m.group(1)))
    return found


def test_the_docs_mention_some_paths_and_commands():
    # the scanners below must actually see something, or they test nothing
    scratch = "tutorials/plot_10_linear_regression_scratch.py"
    assert ("installation.rst", scratch) in _mentions(PATH_RE)
    assert any(mod == "minigluon.demo" for _, mod in _mentions(MODULE_RE))


@pytest.mark.parametrize(("src", "path"), _mentions(PATH_RE))
def test_mentioned_file_exists(src, path):
    assert (ROOT / path).is_file(), f"{src} names {path}, which does not exist"


@pytest.mark.parametrize(("src", "module"), _mentions(MODULE_RE))
def test_mentioned_module_command_exists(src, module):
    assert importlib.util.find_spec(module) is not None, \
        f"{src} runs python -m {module}: no such module"
