"""Command ``mirror``: the reporter's exports against the partner's imports, month by month."""

from __future__ import annotations

from typing import Optional

import typer

from magwatch.cli import app, open_handle
from magwatch.codes import MAGNET_LINE
from magwatch.errors import ParameterError
from magwatch.render import emit_table, to_json

FORMATS = ("table", "json")
TABLE_COLUMNS = ["period", "partner_period", "status", "export_t", "import_t", "scope_t",
                 "residual_t", "residual_pct", "flag", "value_ratio", "export_source", "import_source"]


def _num(value, digits=3) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def headline(result: dict) -> list[str]:
    """The text above the month table: lines, lag fit, scope, valuation, range, signals."""
    lines = [f"mirror {result['reporter']} {result['classification']} {result['commodity']} exports "
             f"-> {result['partner']} imports"]
    pl = result["partner_line"]
    if pl is not None:
        lines.append(f"partner line: {pl['classification']} {pl['commodity']} ({pl['source']}, "
                     f"{pl['months']} months {pl['first']}..{pl['last']}; {pl['scope_relation']})")
        lines.append(f"partner value basis: {pl['value_basis']}")
    lag = result["lag"]
    if lag is not None:
        lines.append(f"lag: {lag['months']} month(s), {lag['basis']}")
        for f in lag["fit"]:
            lines.append(f"  fit lag {f['lag']}: {f['months']} months, correlation "
                         f"{_num(f['correlation'])}, imports/exports {_num(f['import_export_ratio'])}")
    if result["scope"] is not None:
        s = result["scope"]
        lines.append(f"scope share: {_num(s['share'])} ({s['method']}"
                     + (f"; {s['basis']}" if s.get("basis") else "") + ")")
    if result["cif_fob"] is not None:
        c = result["cif_fob"]
        lines.append(f"valuation factor (CIF/FOB): {_num(c['factor'])} ({c['method']}"
                     + (f", {c['months']} months" if c["months"] else "") + ")")
    if result["usual_range"] is not None:
        u = result["usual_range"]
        if u["median_pct"] is None:
            lines.append(f"usual residual range: {u['method']}")
        else:
            lines.append(f"usual residual range: {u['low_pct']:+.1f}% .. {u['high_pct']:+.1f}% "
                         f"(median {u['median_pct']:+.1f}%, {u['months']} months)")
    for text in result["explanations"]:
        lines.append(text)
    for sig in result["rerouting"]:
        lines.append(f"{'SIGNAL' if sig['signal'] else 'checked'} {sig['kind']}: {sig['text']} "
                     f"[rests on: {sig['rests_on']}]")
    for c in result["context"]:
        amount = (f"{c['net_weight_t']:,.0f} t" if c["net_weight_t"] else
                  f"USD {c['value_usd']:,.0f}" if c["value_usd"] else
                  f"{c['exporter']} share {c['exporter_share_pct']}% (reported)")
        lines.append(f"{c['label']}: {c['period']} {c['importer']}<-{c['exporter']} {amount} "
                     f"({c['code_scope']}; {c['source_file']} row {c['source_row']}; {c['source_url']})")
    for note in result["notes"]:
        lines.append(f"note: {note}")
    return lines


@app.command()
def mirror(partner: str = typer.Option(..., help="ISO3 partner whose imports are compared (USA, EUU, JPN)"),
           reporter: str = typer.Option("CHN", help="ISO3 reporter whose exports are compared"),
           commodity: str = typer.Option(MAGNET_LINE, help="The reporter's commodity line"),
           partner_commodity: Optional[str] = typer.Option(
               None, help="The partner's line (default: its HS6 line, else the one with most months)"),
           start: Optional[str] = typer.Option(None, "--from", help="First reporter month YYYY-MM"),
           end: Optional[str] = typer.Option(None, "--to", help="Last reporter month YYYY-MM"),
           lag: Optional[int] = typer.Option(None, help="Shipping lag in months (0-3); default: estimated"),
           fmt: str = typer.Option("table", "--format", help="table|json")) -> None:
    """Reporter's exports vs the partner's imports: lag, scope, CIF/FOB, residual, pending months."""
    if fmt not in FORMATS:
        raise ParameterError("format", f"expected one of {', '.join(FORMATS)}, got {fmt!r}")
    with open_handle(read_only=True) as mw:
        result = mw.mirror(partner, reporter=reporter, commodity=commodity, start=start, end=end,
                           lag=lag, partner_commodity=partner_commodity).to_dict()
    if fmt == "json":
        typer.echo(to_json({**result, "months": result["months"].to_pylist()}))
        return
    for line in headline(result):
        typer.echo(line)
    emit_table(result["months"], "table", None, title="mirror by reporter month",
               table_columns=TABLE_COLUMNS)
