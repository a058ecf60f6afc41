"""The brief's charts: no two labels overlap (event numbers, month labels, share values,
checked from their boxes as the dashboard's chart tests check theirs) and their text is in
words: no month code, no event-type key, no snake_case (read from the SVG, where matplotlib
writes each text beside its glyphs)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

import magwatch
from magwatch.report import charts
from magwatch.report.brief import build

CODE = re.compile(r"\b\d{4}-\d{2}\b|\blicense\b|\b[a-z]+_[a-z_]+\b")


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]]


@pytest.fixture(scope="module")
def drawn(bundled_db: Path, tmp_path_factory) -> dict[str, tuple[list, dict]]:
    """The charts of the June 2025, October 2025 and February 2024 (a thin month) briefs,
    with the label boxes each chart recorded."""
    out = {}
    with magwatch.open(bundled_db, read_only=True) as handle:
        for month in ("2025-06", "2025-10", "2024-02"):
            boxes: list = []
            patch = pytest.MonkeyPatch()
            for name in ("volume_chart", "share_chart"):
                patch.setattr(charts, name, functools.partial(getattr(charts, name), boxes=boxes))
            try:
                brief = build(handle, month, formats=("md",), paths=200,
                              out_dir=tmp_path_factory.mktemp(f"charts-{month}"))
            finally:
                patch.undo()
            out[month] = (boxes, brief.charts)
    return out


@pytest.mark.parametrize("month", ["2025-06", "2025-10", "2024-02"])
def test_no_two_labels_of_a_brief_chart_overlap(drawn, month):
    boxes, _ = drawn[month]
    assert {"events", "months"} <= {b["name"] for b in boxes}
    for group in boxes:
        assert _overlaps(group["boxes"]) == [], (month, group["name"])


@pytest.mark.parametrize("month", ["2025-06", "2025-10", "2024-02"])
def test_brief_charts_speak_words(drawn, month):
    _, files = drawn[month]
    assert files
    for kind, paths in files.items():
        texts = re.findall(r"<!-- (.*?) -->", paths["svg"].read_text(encoding="utf-8"))
        assert texts, kind
        wrong = [t for t in texts if CODE.search(t)]
        assert wrong == [], (month, kind, wrong)


def test_labels_share_a_row_only_when_apart():
    assert charts.label_rows([(0, 10), (5, 15), (11, 20), (30, 40), (44, 50)]) == [0, 1, 2, 0, 0]
    assert charts.label_rows([(0, 10), (12, 20)]) == [0, 1]           # 2 px apart: too close
