"""Commands ``monitor`` (what moved in a month) and ``audit`` (reported vs computed)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from magwatch.cli import app, open_handle
from magwatch.codes import MAGNET_LINE
from magwatch.errors import ParameterError
from magwatch.render import emit_table, to_json

MONITOR_FORMATS = ("table", "json", "csv")


def _fmt(value, suffix="", digits=1, sign=False):
    if value is None:
        return "-"
    return f"{value:+,.{digits}f}{suffix}" if sign else f"{value:,.{digits}f}{suffix}"


def _title(result: dict) -> str:
    """``China's rare-earth magnet exports (CN 85051110), June 2025``."""
    from magwatch.report.words import month_words, subject

    first, _, last = str(result["month"]).partition("..")
    month = f"{month_words(first)} to {month_words(last)}, published combined" if last else \
        month_words(first)
    return f"{subject(result['reporter'], result['commodity'], result['flow'])}, {month}"


def _focus(result: dict, partner: str) -> list[str]:
    """The lines a ``--partner`` reader wants first: that destination's level, changes,
    rank and share, each with its basis; or that the month has no figure for it."""
    from magwatch.report.words import country_words

    name = country_words(partner)
    entry = next((e for e in result["partners"] if e["partner"] == partner), None)
    if entry is None or entry["net_weight_t"] is None:
        held = sum(1 for e in result["partners"] if e["net_weight_t"] is not None)
        some = f"{held} destination has one" if held == 1 else f"{held} destinations have one"
        return [f"{name}: no figure in this month ({some})"]
    basis = entry["basis"]
    share = "" if entry["share_pct"] is None else f"; share {_fmt(entry['share_pct'], '%')} of the world total"
    rank = "" if entry["rank"] is None else f"; rank {entry['rank']} ({basis.get('rank')})"
    return [f"{name}: {_fmt(entry['net_weight_t'], ' t')}; m/m {_fmt(entry['mom_pct'], '%', sign=True)} "
            f"({basis.get('mom_pct')}); y/y {_fmt(entry['yoy_pct'], '%', sign=True)} "
            f"({basis.get('yoy_pct')}){rank}{share}"]


def _headline(result: dict) -> list[str]:
    lines = [_title(result)]
    w = result["world"]
    if w is not None and w["net_weight_t"] is not None:
        lines.append(f"World {_fmt(w['net_weight_t'], ' t')}; m/m {_fmt(w['mom_pct'], '%', sign=True)} "
                     f"({w['basis'].get('mom_pct')}); y/y {_fmt(w['yoy_pct'], '%', sign=True)} "
                     f"({w['basis'].get('yoy_pct')})")
        for check in w["checks"]:
            lines.append(f"  check: {check}")
    c = result["concentration"]
    if c is not None and c["coverage_pct"] is not None:    # without a world total: 'lacks' says so
        hhi = _fmt(c["hhi_min"], digits=0) if c["hhi_min"] == c["hhi_max"] else \
            f"{_fmt(c['hhi_min'], digits=0)}-{_fmt(c['hhi_max'], digits=0)}"
        lines.append(f"HHI of destinations {hhi} ({c['level']}); top-1 {_fmt(c['top1_share_pct'], '%')}, "
                     f"top-3 {_fmt(c['top3_share_pct'], '%')} of the world total")
    for a in result["anomalies"]:
        lines.append(f"anomaly {a['partner']}: {'; '.join(a['reasons'])}")
    for a in result.get("unit_value_flags") or []:
        lines.append(f"unit value {a['partner']}: {'; '.join(a['reasons'])}")
    for e in result["partners"]:
        for check in e["checks"]:
            lines.append(f"check {e['partner']}: {check}")
    for item in result["lacks"]:
        lines.append(f"lacks: {item}")
    for note in result["notes"]:
        lines.append(f"note: {note}")
    return lines


@app.command()
def monitor(month: Optional[str] = typer.Option(None, help="YYYY-MM (default: latest month with data)"),
            reporter: str = typer.Option("CHN", help="ISO3 reporter"),
            commodity: str = typer.Option(MAGNET_LINE, help="Commodity code"),
            flow: str = typer.Option("X", help="X export or M import"),
            engine: str = typer.Option("duckdb", "--engine", help="duckdb|spark (docs/scale.md)"),
            data: Optional[Path] = typer.Option(None, "--data", help="Folder from 'magwatch export parquet'"),
            spark_master: Optional[str] = typer.Option(None, "--spark-master", help="Spark master (default local[*])"),
            partner: Optional[str] = typer.Option(None, help="Lead with this destination (code or "
                                                  "name: DEU, Germany, EUU, USA, JPN, KOR, IND)"),
            fmt: str = typer.Option("table", "--format", help="table|json|csv"),
            out: Optional[Path] = typer.Option(None, help="Write to a file")) -> None:
    """What moved in a month: m/m, y/y, ranks, shares, HHI, records, anomalies."""
    from magwatch import params
    from magwatch.analytics.monitor import TABLE_COLUMNS, partner_table

    if fmt not in MONITOR_FORMATS:
        raise ParameterError("format", f"expected one of {', '.join(MONITOR_FORMATS)}, got {fmt!r}")
    focus = params.country(partner, "partner") if partner is not None else None
    if data is None and engine == "duckdb":
        with open_handle(read_only=True) as mw:
            result = mw.monitor(month, reporter=reporter, commodity=commodity, flow=flow).to_dict()
    else:
        from magwatch.engine import monitor_on

        result = monitor_on(engine, data=data, spark_master=spark_master, month=month,
                            reporter=reporter, commodity=commodity, flow=flow)
    if focus is not None:
        result = {**result, "focus": next((e for e in result["partners"] if e["partner"] == focus),
                                          None)}
    if fmt == "json":
        text = to_json(result)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
        return
    table = partner_table(result)
    if fmt == "csv":
        emit_table(table, "csv", out)
        return
    lines = _headline(result)
    for line in lines[:1] + (_focus(result, focus) if focus else []) + lines[1:]:
        typer.echo(line)
    emit_table(table, "table", out, title=f"monitor {result['month']}",
               table_columns=[c for c in TABLE_COLUMNS if c not in ("value_usd", "record", "anomaly")])


@app.command()
def audit(reporter: Optional[str] = typer.Option(None, help="Only this reporter"),
          engine: str = typer.Option("duckdb", "--engine", help="duckdb|spark (docs/scale.md)"),
          data: Optional[Path] = typer.Option(None, "--data", help="Folder from 'magwatch export parquet'"),
          spark_master: Optional[str] = typer.Option(None, "--spark-master", help="Spark master (default local[*])"),

          fmt: str = typer.Option("table", "--format", help="table|csv|json|parquet|xlsx"),
          out: Optional[Path] = typer.Option(None, help="Write to a file"),
          all_rows: bool = typer.Option(False, "--all", help="Also list claims with nothing to compare")) -> None:
    """Reported vs computed: every stated change and rank checked against the figures."""
    from magwatch.analytics.audit import summary

    if data is None and engine == "duckdb":
        with open_handle(read_only=True) as mw:
            table = mw.audit(reporter=reporter).arrow
    else:
        from magwatch.engine import audit_on

        table = audit_on(engine, data=data, spark_master=spark_master, reporter=reporter)
    counts = summary(table)
    if not all_rows and fmt == "table":
        import pyarrow.compute as pc

        table = table.filter(pc.not_equal(table.column("status"), "reported only"))
    if fmt == "table":
        typer.echo(f"{counts['both']} claims with a computed figure: {counts.get('agrees', 0)} agree "
                   f"within rounding, {counts.get('disagrees', 0)} disagree (reason given); "
                   f"{counts.get('reported only', 0)} reported only (nothing to compare; --all lists them)")
    emit_table(table, fmt, out, title="reported vs computed",
               table_columns=["period", "partner", "metric", "reported", "computed", "status",
                              "reason", "source_url"])
