"""Fan chart of simulated shortfall: P10-P90 band and P50 line per month (PNG or SVG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from magwatch.errors import ParameterError


def fan_chart(result, path: str | Path, *, importer: str | None = None) -> Path:
    """Draw the shortfall fan of ``result`` (a ScenarioResult) to ``path`` (.png or .svg)."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ParameterError("chart", f"expected a .png or .svg file name, got {path.name!r}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import StrMethodFormatter

    sim, scn = result.simulation, result.scenario
    labels = scn.months()
    if importer is None:
        series, title = sim.total, "all importers"
    else:
        if importer not in scn.model.importers:
            raise ParameterError("importer", f"{importer!r} is not in the scenario")
        series = sim.shortfall[scn.model.importers.index(importer)].sum(axis=0)
        from magwatch.codes import countries

        title = countries.name(importer) if countries.is_known(importer) else importer
    bands = np.quantile(series, [0.1, 0.25, 0.5, 0.75, 0.9], axis=1)
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    ax.fill_between(x, bands[0], bands[4], color="#c6dbef", label="P10-P90")
    ax.fill_between(x, bands[1], bands[3], color="#6baed6", label="P25-P75")
    ax.plot(x, bands[2], color="#08306b", linewidth=2, label="P50")
    ax.set_xticks(x, [_month_label(m) for m in labels], rotation=45, ha="right")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylabel("magnet shortfall, tonnes per month")
    ax.set_title(f"{scn.title}\n{title}; {result.paths:,} paths, seed {result.seed} (computed)",
                 fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.text(0.01, 0.01, "magwatch scenario model; inputs and sources: magwatch scenario run --format json",
             fontsize=7, color="#555555")
    fig.tight_layout()
    fig.savefig(path, format=path.suffix.lower()[1:])
    plt.close(fig)
    return path


def _month_label(month) -> str:
    """``Apr 2026`` for ``2026-04``; anything else as given."""
    from magwatch.periods import Month

    try:
        return f"{Month.parse(str(month)).first_day:%b %Y}"
    except Exception:           # noqa: BLE001 - a label that is not a month stays as it is
        return str(month)


__all__ = ["fan_chart"]
