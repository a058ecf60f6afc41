"""Commands: ``risk`` (monthly dependence and indices), ``scenario run|list``, ``backtest``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pyarrow as pa
import typer

from magwatch.cli import app, open_handle
from magwatch.errors import ParameterError
from magwatch.render import emit_table, to_json

scenario_app = typer.Typer(no_args_is_help=True, help="Disruption scenarios (Monte Carlo).")
app.add_typer(scenario_app, name="scenario")


#: Columns shown with four significant digits instead of the table's one decimal.
PRECISE = ("value", "lower_bound", "hhi_low", "hhi_high", "prob_tts_lt_ttr", "tts_months_p10",
           "tts_months_p50", "tts_months_p90", "ttr_months_p50")


def _table(rows: list[dict], title: str, columns: list[str] | None = None) -> None:
    if not rows:
        typer.echo(f"{title}: no data")
        return
    flat = [{k: (v if not isinstance(v, (list, dict, tuple)) else str(v)) for k, v in r.items()}
            for r in rows]
    for key in flat[0]:
        kinds = {type(r.get(key)) for r in flat if r.get(key) is not None}
        if len(kinds) > 1 or key in PRECISE:
            for r in flat:
                v = r.get(key)
                r[key] = None if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))
    emit_table(pa.Table.from_pylist(flat), "table", None, title=title,
               table_columns=[c for c in (columns or list(flat[0])) if c in flat[0]])


@app.command()
def risk(month: Optional[str] = typer.Option(None, help="YYYY-MM (default: latest with data)"),
         fmt: str = typer.Option("table", "--format", help="table|json")) -> None:
    """Dependence on China, supplier concentration and supply-risk indices for a month."""
    with open_handle(read_only=True) as mw:
        report = mw.risk(month=month).to_dict()
    if fmt == "json":
        typer.echo(to_json(report))
        return
    if fmt != "table":
        raise ParameterError("format", f"expected table or json, got {fmt!r}")
    typer.echo(f"risk view for {report['month']} (computed rows derive from the cited rows)")
    _table(report["exports_by_partner"], "partner shares of China's magnet exports",
           ["partner", "net_weight_t", "share_of_world_pct", "kind", "where"])
    _table(report["importer_dependence"], "China's share of importers' magnet imports",
           ["importer", "importer_name", "period", "china_share_pct", "hhi_low", "hhi_high", "kind", "scope", "where"])
    _table(report["china_stage_shares"], "China's share of world supply by stage",
           ["stage", "china_share_pct", "year", "kind", "where"])
    _table(report["indices"], "supply-risk indices",
           ["index", "subject", "value", "lower_bound", "status", "note"])


@scenario_app.command("list")
def scenario_list() -> None:
    """Example scenario files shipped with magwatch."""
    from magwatch.risk.scenario import list_scenarios

    _table(list_scenarios(), "bundled scenarios", ["name", "title", "start", "months", "file"])


@scenario_app.command("run")
def scenario_run(file: str = typer.Argument(..., help="TOML file or a bundled scenario name"),
                 paths: int = typer.Option(10_000, "--paths", help="Monte Carlo paths"),
                 seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same numbers)"),
                 fmt: str = typer.Option("table", "--format", help="table|json"),
                 chart: Optional[Path] = typer.Option(None, "--chart", help="Fan chart .png or .svg"),
                 importer: Optional[str] = typer.Option(None, help="Limit the monthly table to one importer")) -> None:
    """Run a disruption scenario: shortfall tonnes and units P10/P50/P90, TTS vs TTR."""
    if paths < 1:
        raise ParameterError("paths", "expected a positive number of paths")
    if fmt not in ("table", "json"):
        raise ParameterError("format", f"expected table or json, got {fmt!r}")
    with open_handle(read_only=True) as mw:
        result = mw.scenario(file, paths=paths, seed=seed)
    if chart is not None:
        from magwatch.risk.fanchart import fan_chart

        fan_chart(result, chart)
    if fmt == "json":
        typer.echo(to_json(result.as_dict()))
        return
    typer.echo(f"{result.scenario.title}: {paths:,} paths, seed {seed} (computed; inputs below)")
    _table(result.scenario_inputs_rows(), "inputs", ["input", "value", "unit", "kind", "where", "note"])
    _table(result.survival, "time-to-survive vs time-to-recover (months)",
           ["importer", "sector", "tts_months_p10", "tts_months_p50", "tts_months_p90",
            "ttr_months_p50", "prob_tts_lt_ttr", "first_month_tts_lt_ttr"])
    _table(result.total, "shortfall, all importers and sectors (t)")
    monthly = [r for r in result.monthly if (importer is None or r["importer"] == importer.upper())
               and r["shortfall_t_p90"] > 0]
    _table(monthly, "shortfall per importer, sector and month (months with a P90 shortfall)",
           ["importer", "sector", "month", "shortfall_t_p10", "shortfall_t_p50", "shortfall_t_p90",
            "units_p50_low", "units_p50_high", "unit"])
    if chart is not None:
        typer.echo(f"fan chart written to {chart}")


@app.command()
def backtest(paths: int = typer.Option(20_000, "--paths"), seed: int = typer.Option(0, "--seed"),
             fmt: str = typer.Option("table", "--format", help="table|json")) -> None:
    """The April 2025 scenario with only pre-April knowledge, against what happened."""
    from magwatch.risk.backtest import backtest as run_backtest

    with open_handle(read_only=True) as mw:
        report = run_backtest(mw, paths=paths, seed=seed)
    if fmt == "json":
        typer.echo(to_json(report))
        return
    _table(report["checks"], f"back-test {report['scenario']} ({paths:,} paths, seed {seed})",
           ["check", "predicted_p10", "predicted_p50", "predicted_p90", "observed", "unit",
            "outcome", "observed_source"])
