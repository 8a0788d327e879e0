"""The "Run the book" page's table: which sections of d2l-zh v1 run on minigluon.

``.. book-status::`` renders ``docs/book_status.json``, which ``tests/book/book_status.py``
writes by running every section of chapters 2-10 (never edited by hand): a line with the
date and versions the check was made with, a summary per chapter, and one row per section
with its status and, for one that fails, the last line of its error. The words the
directive writes itself come in the page's language (``language`` is ``en`` or ``zh_CN``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

WORDS = {
    "en": {"made": "Made on {date} with minigluon {minigluon} ({minigluon_commit}), Python "
                   "{python}, NumPy {numpy}, from {book}, by ``{command}`` in {minutes} "
                   "minutes.",
           "made_partial": "Made on {date} with minigluon {minigluon} ({minigluon_commit}), "
                           "Python {python}, NumPy {numpy}, from {book}, from the logs of an "
                           "interrupted run of ``{command}``: the sections marked \"not "
                           "checked\" were not reached.",
           "chapter": "Chapter", "sections": "Sections", "section": "Section",
           "status": "Status", "seconds": "Seconds", "error": "Last error line",
           "runs": "runs", "runs (2 simulated GPUs)": "runs (2 simulated GPUs)",
           "fails": "fails", "needs data": "needs data",
           "needs GPU": "needs GPU", "timeout": "timeout", "no code": "no code",
           "not checked": "not checked"},
    "zh_CN": {"made": "生成于 {date}：minigluon {minigluon}（{minigluon_commit}）、Python "
                      "{python}、NumPy {numpy}，检查对象 {book}，命令 ``{command}``，"
                      "用时 {minutes} 分钟。",
              "made_partial": "生成于 {date}：minigluon {minigluon}（{minigluon_commit}）、"
                              "Python {python}、NumPy {numpy}，检查对象 {book}，取自命令 "
                              "``{command}`` 一次中断的运行的日志：标为“未检查”的小节"
                              "尚未运行到。",
              "chapter": "章", "sections": "节", "section": "节",
              "status": "状态", "seconds": "秒", "error": "错误的最后一行",
              "runs": "运行通过", "runs (2 simulated GPUs)": "运行通过（2 个模拟 GPU）",
              "fails": "出错", "needs data": "需要数据集",
              "needs GPU": "需要 GPU", "timeout": "超时", "no code": "无代码",
              "not checked": "未检查"},
}
ORDER = ["runs", "runs (2 simulated GPUs)", "fails", "needs data", "needs GPU", "timeout",
         "no code", "not checked"]


def _table(header: list[str], rows: list[list[Any]], classes: list[str]) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for target, cells in ((head, [header]), (body, rows)):
        for cells_ in cells:
            row = nodes.row()
            for cell in cells_:
                entry = nodes.entry()
                para = nodes.paragraph(translatable=False)
                para += cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
                entry += para
                row += entry
            target += row
    return table


class BookStatus(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        path = Path(self.env.srcdir) / "book_status.json"
        self.env.note_dependency(str(path))
        data = json.loads(path.read_text(encoding="utf-8"))
        w = WORDS.get(self.config.language or "en", WORDS["en"])
        # data, not prose: kept out of the gettext catalogs (the words come from WORDS)
        made = nodes.paragraph(classes=["minigluon-book-made"], translatable=False)
        made += nodes.Text(w["made" if data.get("minutes") is not None else "made_partial"]
                           .replace("``", "").format(**data))
        per: dict[str, Counter] = {}
        for row in data["sections"]:
            per.setdefault(row["chapter"], Counter())[row["status"]] += 1
        summary = [[data["chapters"].get(ch, ch),
                    ", ".join(f"{w[s]} {c[s]}" for s in ORDER if c[s])]
                   for ch, c in per.items()]
        rows = []
        for row in data["sections"]:
            # "runs (2 simulated GPUs)" gets the class of "runs" too, for the same colour
            cls = "minigluon-status-" + re.sub(r"\W+", "-", row["status"]).strip("-")
            status = nodes.inline(text=w[row["status"]],
                                  classes=[cls] + (["minigluon-status-runs"]
                                                   if row["status"].startswith("runs ") else []))
            error = nodes.literal(text=row["error"]) if row["error"] else ""
            rows.append([data["chapters"].get(row["chapter"], row["chapter"]),
                         f"{row['title']} ({row['section']})", status,
                         "" if row["seconds"] is None else row["seconds"], error])
        return [made,
                _table([w["chapter"], w["sections"]], summary, ["minigluon-book-summary"]),
                _table([w["chapter"], w["section"], w["status"], w["seconds"], w["error"]],
                       rows, ["minigluon-book-status"])]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("book-status", BookStatus)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
