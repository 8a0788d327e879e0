"""The README's first quick-start command: ``python -m minigluon.demo``."""

import subprocess
import sys

from minigluon import demo


def test_demo_prints_the_section_and_writes_the_graph(tmp_path, capsys):
    assert demo.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "J = 1.400956" in out
    assert "max |by hand - backward()| = 0.0e+00" in out
    assert "s   (1,)    = L2(W1, W2)" in out and "W2    variable" in out
    assert "all hand-derived gradients match" in out
    dot = (tmp_path / "section_3_14_graph.dot").read_text(encoding="utf-8")
    assert dot.startswith("digraph") and dot.count("shape=circle") == 6


def test_demo_runs_as_a_module(tmp_path):
    r = subprocess.run([sys.executable, "-m", "minigluon.demo", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "section_3_14_graph.dot").exists()


def test_readme_quick_start_and_ci_agree():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    demo, tests = block.strip().splitlines()
    assert demo.endswith("-m minigluon.demo") and "pip install" in demo
    assert tests.endswith("-m pytest")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    # CI's main job runs the README's test line itself, read from the Quick start block
    assert "/^## Quick start/" in ci and 'bash -c "$line"' in ci
    assert "apt-get install -y -qq chromium" in ci
