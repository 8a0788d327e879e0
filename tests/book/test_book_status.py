"""The book check cuts each section into a script with shortened training: the cut is
checked here on lines of the book's own forms (the check itself needs the book)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "book_status", Path(__file__).with_name("book_status.py"))
book_status = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book_status)


def cell(*lines: str) -> str:
    return "```{.python .input}\n" + "\n".join(lines) + "\n```\n"


def test_every_form_of_setting_num_epochs_is_followed_by_one_epoch():
    script = book_status.code_cells(
        cell("lr, num_epochs, ctx = 0.01, 5, d2l.try_gpu()",  # alexnet: a call on the line
             "num_epochs = 3",
             "def train(net, num_epochs):",
             "    num_epochs, lr = num_epochs * 2, 0.1",
             "    return num_epochs"))
    assert script.splitlines() == [
        "lr, num_epochs, ctx = 0.01, 5, d2l.try_gpu()", "num_epochs = 1",
        "num_epochs = 3", "num_epochs = 1",
        "def train(net, num_epochs):",
        "    num_epochs, lr = num_epochs * 2, 0.1", "    num_epochs = 1",
        "    return num_epochs"]


def test_lines_that_only_mention_num_epochs_are_left_alone():
    lines = ["d2l.train_ch5(net, train_iter, test_iter, batch_size, trainer, ctx,",
             "              num_epochs)",
             "def train_ch7(trainer_fn, states, hyperparams, features, labels,",
             "              batch_size=10, num_epochs=2):",
             "    for epoch in range(num_epochs):",
             "        pass",
             "if num_epochs == 1:",
             "    pass"]
    assert book_status.code_cells(cell(*lines)).splitlines() == lines


def test_notebook_magic_is_skipped_and_pred_period_shortened():
    script = book_status.code_cells(cell("%matplotlib inline", "!pip install x",
                                         "pred_period, pred_len = 50, 50"))
    assert script.splitlines() == ["pass  # skipped by book_status",
                                   "pass  # skipped by book_status",
                                   "pred_period, pred_len = 50, 50", "pred_period = 1"]
