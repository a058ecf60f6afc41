"""The dashboard's line colours: readable on the white page and told apart with a colour
vision deficiency.

Contrast is WCAG 2.1's relative-luminance ratio; the lines are held to 4.5:1 (the legend
prints its text in them), above the 3:1 that SC 1.4.11 asks of graphics. Colour vision
deficiencies are simulated with the severity-1.0 matrices of Machado, Oliveira and Fernandes
(2009), "A physiologically-based model for simulation of color vision deficiency", IEEE TVCG
15(6), applied to linear sRGB; two lines count as told apart when their CIELAB distance
(Delta E 1976) is at least 15 under normal vision and each simulation. The brief's charts
(magwatch.report.charts) start with the same five and are held to the same rules (3:1).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

CHART_JS = Path(__file__).parents[2] / "src" / "magwatch" / "web" / "static" / "chart.js"

MACHADO_2009 = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
VISIONS = {"normal": np.eye(3), **{k: np.array(v) for k, v in MACHADO_2009.items()}}


def palette() -> list[str]:
    found = re.search(r"var COLOURS = \[([^\]]*)\]", CHART_JS.read_text(encoding="utf-8"))
    return re.findall(r'"(#[0-9a-fA-F]{6})"', found.group(1))


def brief_palette() -> list[str]:
    from magwatch.report.charts import COLOURS

    return COLOURS


def linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def contrast_on_white(colour: str) -> float:
    return 1.05 / (float(linear(colour) @ [0.2126, 0.7152, 0.0722]) + 0.05)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ rgb_linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_the_palette_is_read_from_the_chart_code():
    assert len(palette()) == 5


@pytest.mark.parametrize("colour", palette())
def test_each_line_colour_reads_on_white(colour):
    assert contrast_on_white(colour) >= 4.5, colour


def test_the_brief_charts_start_with_the_dashboard_colours():
    assert brief_palette()[:5] == palette()
    assert all(contrast_on_white(c) >= 3 for c in brief_palette())      # PNG graphics: SC 1.4.11


@pytest.mark.parametrize("which", ["dashboard", "brief"])
@pytest.mark.parametrize("vision", VISIONS)
def test_every_pair_of_lines_is_told_apart(vision, which):
    matrix = VISIONS[vision]
    colours = palette() if which == "dashboard" else brief_palette()
    seen = {c: lab(np.clip(matrix @ linear(c), 0, 1)) for c in colours}
    close = [(a, b, round(float(np.linalg.norm(seen[a] - seen[b])), 1))
             for a, b in itertools.combinations(seen, 2) if np.linalg.norm(seen[a] - seen[b]) < 15]
    assert not close, f"{vision}: too close {close}"


def test_the_old_magenta_would_have_failed():
    """The check has teeth: the palette's earlier fourth colour sat 7.4 from the first line's
    blue under protanopia."""
    matrix = VISIONS["protanopia"]
    a, b = (lab(np.clip(matrix @ linear(c), 0, 1)) for c in ("#0b4f8a", "#a6267a"))
    assert np.linalg.norm(a - b) < 15
