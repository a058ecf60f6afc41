"""Charts for the monthly brief, drawn headless with matplotlib (Agg), as PNG and SVG.

Each chart draws only figures that exist: a month without a figure is a gap in the line,
never an interpolated point, and every chart carries a line naming its data and source.
"""

from __future__ import annotations

from pathlib import Path

from magwatch.periods import Month

FORMATS = ("png", "svg")
#: The dashboard's five line colours (web/static/chart.js) and two more, each at least 3:1 on
#: white and every pair apart under simulated colour vision deficiencies
#: (tests/web/test_chart_colours.py); event markers are grey, so no line is mistaken for one.
COLOURS = ["#0b4f8a", "#b35900", "#007a5e", "#cc22bb", "#5b4a00", "#8800ff", "#222222"]
EVENT_COLOUR, EVENT_TEXT = "#666666", "#333333"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, stem: Path) -> dict[str, Path]:
    out = {}
    for fmt in FORMATS:
        path = stem.with_suffix("." + fmt)
        fig.savefig(path, format=fmt, dpi=110)
        out[fmt] = path
    _plt().close(fig)
    return out


#: Points between two rows of event numbers above the chart, and the gap kept between two
#: numbers in a row.
ROW_PT, GAP_PX = 11, 3


def label_rows(spans: list[tuple[float, float]]) -> list[int]:
    """The row (0 = lowest) of each label given its (left, right) extent in pixels, in
    order: each goes to the lowest row where it overlaps no label placed before it."""
    rows: list[float] = []                  # the right edge of the last label in each row
    out = []
    for left, right in spans:
        row = next((i for i, edge in enumerate(rows) if left > edge + GAP_PX), len(rows))
        if row == len(rows):
            rows.append(right)
        rows[row] = right
        out.append(row)
    return out


def _boxes(fig, texts) -> list[dict]:
    """Pixel boxes of ``texts`` (drawn), as the dashboard's chart records its labels."""
    renderer = fig.canvas.get_renderer()
    out = []
    for i, t in enumerate(texts):
        if not t.get_visible() or not t.get_text():
            continue
        b = t.get_window_extent(renderer)
        out.append({"n": i, "text": t.get_text(), "x": b.x0, "y": b.y0, "w": b.width, "h": b.height})
    return out


def _event_numbers(fig, ax, events: list[dict]) -> list:
    """Events numbered 1, 2... above ``ax`` (a dashed line each), in rows so that no two
    numbers overlap; the numbers are explained in the key under the chart."""
    texts = []
    for k, ev in enumerate(events, start=1):
        for a in fig.axes:
            a.axvline(ev["event_date"], color=EVENT_COLOUR, linestyle="--", linewidth=0.9)
        texts.append(ax.annotate(str(k), (ev["event_date"], 1), xycoords=("data", "axes fraction"),
                                 xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                                 fontsize=7.5, color=EVENT_TEXT,
                                 bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": EVENT_COLOUR,
                                       "lw": 0.6}))
    if not texts:
        return texts
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    spans = [(t.get_window_extent(renderer).x0, t.get_window_extent(renderer).x1) for t in texts]
    rows = label_rows(spans)
    for t, row in zip(texts, rows):
        t.set_position((0, 3 + row * ROW_PT))
    ax.set_title(ax.get_title(), fontsize=11, pad=8 + (max(rows) + 1) * ROW_PT)
    return texts


def _month_axis(ax, months: list[str]) -> None:
    """Month labels in words (``May 2025``), one every few months so that none overlap."""
    from matplotlib.dates import DateFormatter, MonthLocator

    step = max(1, -(-len(months) // 7))
    ax.xaxis.set_major_locator(MonthLocator(interval=step))
    ax.xaxis.set_major_formatter(DateFormatter("%b %Y"))


def _event_key(events: list[dict], width: int = 140) -> str:
    """The numbered events in words, wrapped to the figure's width between events."""
    lines: list[str] = []
    for k, ev in enumerate(events, start=1):
        item = f"{k}: {ev['label']}"
        if lines and len(lines[-1]) + len(item) + 2 <= width:
            lines[-1] += "; " + item
        else:
            lines.append(("Events: " if not lines else "") + item)
    return "\n".join(lines)


def volume_chart(series: dict[str, dict[str, float]], names: dict[str, str], events: list[dict],
                 month: str, stem: Path, *, caption: str, boxes: list | None = None) -> dict[str, Path]:
    """World exports (bars) and top destinations (lines with gaps) by month, with event markers.

    ``series`` maps partner -> {YYYY-MM: tonnes}; ``WLD`` is drawn as bars on the top panel.
    ``events`` are dicts with ``event_date`` (date) and ``label`` (words), numbered on the chart
    and named in the key under it. With ``boxes`` (a list), the pixel boxes of the event
    numbers and of each axis' month labels are appended to it (for the overlap tests).
    """
    plt = _plt()
    known = sorted({p for s in series.values() for p in s})
    months = [str(m) for m in Month.parse(known[0]).until(Month.parse(month))] if known else []
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.6), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.3]})
    _volume_panels(top, bottom, series, names, months)
    top.set_title(f"China's rare-earth magnet exports (CN 85051110), to {Month.parse(month).label()}",
                  fontsize=11)
    _month_axis(bottom, months)
    key = _event_key(events)
    lines = key.count("\n") + 1 if key else 0
    fig.text(0.01, 0.005, caption, fontsize=6.5, color="#555555")
    if key:
        fig.text(0.01, 0.03, key, fontsize=7, color="#333333", va="bottom")
    fig.tight_layout(rect=(0, 0.035 + 0.022 * lines, 1, 1))
    numbers = _event_numbers(fig, top, events)
    fig.tight_layout(rect=(0, 0.035 + 0.022 * lines, 1, 1))
    if boxes is not None:
        fig.canvas.draw()
        boxes.append({"name": "events", "boxes": _boxes(fig, numbers)})
        boxes.append({"name": "months", "boxes": _boxes(fig, bottom.get_xticklabels())})
    return _save(fig, stem)


def _volume_panels(top, bottom, series: dict, names: dict, months: list[str]) -> None:
    """The world's bars (top) and the destinations' lines (bottom), gaps left empty."""
    from matplotlib.ticker import StrMethodFormatter

    world = series.get("WLD", {})
    xs = [Month.parse(p).first_day for p in months]
    top.bar([Month.parse(p).first_day for p in world], list(world.values()), width=20, color="#aab7b8",
            label="World (all destinations)")
    for p in months:
        if p not in world:
            top.annotate("no figure", (Month.parse(p).first_day, 0), rotation=90, fontsize=6, color="#566573",
                         ha="center", va="bottom")
    top.set_ylabel("tonnes")
    top.legend(loc="upper left", fontsize=8)
    for i, (code, s) in enumerate((k, v) for k, v in series.items() if k != "WLD"):
        ys = [s.get(p) for p in months]
        bottom.plot(xs, [float("nan") if y is None else y for y in ys], marker="o", markersize=3.5,
                    color=COLOURS[i % len(COLOURS)], label=names.get(code, code))
    bottom.set_ylabel("tonnes")
    if any(v for k, v in series.items() if k != "WLD"):
        bottom.legend(loc="upper left", fontsize=8, ncol=3)
    else:
        bottom.text(0.5, 0.5, "No destination has a figure in these months", transform=bottom.transAxes,
                    ha="center", va="center", fontsize=10, color="#566573")
        bottom.set_yticks([])
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def share_chart(shares: list[tuple[str, float]], uncovered_pct: float | None, month: str, stem: Path,
                *, caption: str, boxes: list | None = None) -> dict[str, Path]:
    """Destination shares of the world total (computed), with the part no partner figure covers.
    With ``boxes`` (a list), the pixel boxes of the share values are appended to it."""
    plt = _plt()
    labels = [s[0] for s in shares]
    values = [s[1] for s in shares]
    if uncovered_pct is not None and uncovered_pct > 0:
        labels.append("destinations without a figure")
        values.append(uncovered_pct)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(labels) + 1.6))
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(shares))] + ["#d5d8dc"] * (len(labels) - len(shares))
    bars = ax.barh(labels[::-1], values[::-1], color=colours[::-1])
    values_drawn = [ax.annotate(f"{v:.1f}%", (b.get_width(), b.get_y() + b.get_height() / 2), xytext=(3, 0),
                                textcoords="offset points", va="center", fontsize=8)
                    for b, v in zip(bars, values[::-1])]
    ax.set_xlabel("share of China's world exports, % of net weight")
    ax.set_title(f"Destination shares, {Month.parse(month).label()} (computed)", fontsize=11)
    ax.set_xlim(0, max(values + [1]) * 1.18)
    ax.grid(axis="x", alpha=0.3)
    fig.text(0.01, 0.005, caption, fontsize=6.5, color="#555555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    if boxes is not None:
        fig.canvas.draw()
        boxes.append({"name": "shares", "boxes": _boxes(fig, values_drawn + ax.get_yticklabels())})
    return _save(fig, stem)


def fan_chart(result, stem: Path) -> dict[str, Path]:
    """The risk model's fan chart (magwatch.risk.fanchart), as PNG and SVG."""
    from magwatch.risk.fanchart import fan_chart as draw

    return {fmt: draw(result, stem.with_suffix("." + fmt)) for fmt in FORMATS}


__all__ = ["FORMATS", "fan_chart", "label_rows", "share_chart", "volume_chart"]
