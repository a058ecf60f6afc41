"""Charts for the monthly brief, drawn headless with matplotlib (Agg), as PNG and SVG.

Each chart draws only figures that exist: a month without a figure is a gap in the line,
never an interpolated point, and every chart carries a line naming its data and source.
"""

from __future__ import annotations

from pathlib import Path

from magwatch.periods import Month

FORMATS = ("png", "svg")
COLOURS = ["#1b4f72", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#566573"]


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


def volume_chart(series: dict[str, dict[str, float]], names: dict[str, str], events: list[dict],
                 month: str, stem: Path, *, caption: str) -> dict[str, Path]:
    """World exports (bars) and top destinations (lines with gaps) by month, with event markers.

    ``series`` maps partner -> {YYYY-MM: tonnes}; ``WLD`` is drawn as bars on the top panel.
    ``events`` are dicts with ``event_date`` (date) and ``label``.
    """
    plt = _plt()
    known = sorted({p for s in series.values() for p in s})
    months = [str(m) for m in Month.parse(known[0]).until(Month.parse(month))] if known else []
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.2), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.3]})
    world = series.get("WLD", {})
    xs = [Month.parse(p).first_day for p in months]
    top.bar([Month.parse(p).first_day for p in world], list(world.values()), width=20, color="#aab7b8",
            label="World (all destinations)")
    for p in months:
        if p not in world:
            top.annotate("no figure", (Month.parse(p).first_day, 0), rotation=90, fontsize=6, color="#7f8c8d",
                         ha="center", va="bottom")
    top.set_ylabel("tonnes")
    top.set_title(f"China's rare-earth magnet exports (CN 85051110), to {Month.parse(month).label()}", fontsize=11)
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
    from matplotlib.ticker import StrMethodFormatter

    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        for k, ev in enumerate(events):
            ax.axvline(ev["event_date"], color="#e67e22", linestyle="--", linewidth=0.9)
            if ax is top:
                ax.annotate(ev["label"], (ev["event_date"], ax.get_ylim()[1]), rotation=90, fontsize=6.5,
                            color="#a04000", ha="right", va="top")
    fig.autofmt_xdate()
    fig.text(0.01, 0.005, caption, fontsize=6.5, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, stem)


def share_chart(shares: list[tuple[str, float]], uncovered_pct: float | None, month: str, stem: Path,
                *, caption: str) -> dict[str, Path]:
    """Destination shares of the world total (computed), with the part no partner figure covers."""
    plt = _plt()
    labels = [s[0] for s in shares]
    values = [s[1] for s in shares]
    if uncovered_pct is not None and uncovered_pct > 0:
        labels.append("destinations without a figure")
        values.append(uncovered_pct)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(labels) + 1.6))
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(shares))] + ["#d5d8dc"] * (len(labels) - len(shares))
    bars = ax.barh(labels[::-1], values[::-1], color=colours[::-1])
    for b, v in zip(bars, values[::-1]):
        ax.annotate(f"{v:.1f}%", (b.get_width(), b.get_y() + b.get_height() / 2), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_xlabel("share of China's world exports, % of net weight")
    ax.set_title(f"Destination shares, {Month.parse(month).label()} (computed)", fontsize=11)
    ax.set_xlim(0, max(values + [1]) * 1.18)
    ax.grid(axis="x", alpha=0.3)
    fig.text(0.01, 0.005, caption, fontsize=6.5, color="#555555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _save(fig, stem)


def fan_chart(result, stem: Path) -> dict[str, Path]:
    """The risk model's fan chart (magwatch.risk.fanchart), as PNG and SVG."""
    from magwatch.risk.fanchart import fan_chart as draw

    return {fmt: draw(result, stem.with_suffix("." + fmt)) for fmt in FORMATS}


__all__ = ["FORMATS", "fan_chart", "share_chart", "volume_chart"]
