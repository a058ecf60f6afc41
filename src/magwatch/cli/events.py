"""Commands for events: events (list, add, import), event-study, explain."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pyarrow as pa
import typer

from magwatch.cli import app, open_handle
from magwatch.codes import MAGNET_LINE
from magwatch.errors import ParameterError
from magwatch.render import emit_table, to_json

events_app = typer.Typer(no_args_is_help=False, add_completion=False,
                         help="Dated policy events: list them, add one, import a CSV.")
app.add_typer(events_app, name="events")

EVENT_TABLE_COLUMNS = ["event_id", "event_date", "event_type", "actor", "partners", "commodities",
                       "scope_basis", "summary"]
STUDY_TABLE_COLUMNS = ["offset", "period", "net_weight_t", "source_row", "mom_computed_pct",
                       "mom_reported_pct", "yoy_computed_pct", "yoy_reported_pct",
                       "change_vs_pre_level_pct", "change_vs_scaled_pct", "alternatives"]


def _listable(table: pa.Table) -> pa.Table:
    """Scope lists as text for table and CSV output (``ALL``, ``USA;JPN``, ``none``, ``not stated``)."""
    from magwatch.events.registry import scope_text

    for name in ("partners", "commodities", "elements"):
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, pa.array([scope_text(v) for v in table.column(name).to_pylist()],
                                                        pa.string()))
    return table


@events_app.callback(invoke_without_command=True)
def events(ctx: typer.Context,
           start: Optional[str] = typer.Option(None, "--from", help="YYYY-MM-DD or YYYY-MM"),
           end: Optional[str] = typer.Option(None, "--to", help="YYYY-MM-DD or YYYY-MM"),
           event_type: Optional[str] = typer.Option(None, "--type",
                                                    help="export_control, license, trade_deal, tariff, investment, other"),
           partner: Optional[str] = typer.Option(None, help="ISO3: events that name it, apply to ALL, or leave it unstated"),
           commodity: Optional[str] = typer.Option(None, help="e.g. 85051110"),
           fmt: str = typer.Option("table", "--format", help="table|csv|json|parquet|xlsx"),
           out: Optional[Path] = typer.Option(None, help="Write to a file")) -> None:
    """List registry events (the bundled timeline plus events you added)."""
    if ctx.invoked_subcommand is not None:
        return
    with open_handle(read_only=True) as mw:
        frame = mw.events(start=start, end=end, event_type=event_type, partner=partner,
                          commodity=commodity)
    table = frame.arrow if fmt in ("json", "parquet") else _listable(frame.arrow)
    emit_table(table, fmt, out, title="events", table_columns=EVENT_TABLE_COLUMNS)


@events_app.command("add")
def add(date: str = typer.Option(..., help="YYYY-MM-DD"),
        actor: str = typer.Option(..., help="Who acted, e.g. 'China MOFCOM'"),
        event_type: str = typer.Option(..., "--type", help="export_control, license, trade_deal, tariff, investment, other"),
        summary: str = typer.Option(..., help="One line"),
        url: Optional[str] = typer.Option(None, "--url", help="Source URL (http/https)"),
        partners: Optional[str] = typer.Option(None, help="ALL, NONE or ISO3 codes separated by ';'"),
        commodities: Optional[str] = typer.Option(None, help="ALL, NONE or codes separated by ';'"),
        elements: Optional[str] = typer.Option(None, help="Element symbols separated by ';'"),
        event_id: Optional[str] = typer.Option(None, "--id", help="Id (default: derived from the content)"),
        scope_note: Optional[str] = typer.Option(None, help="Why the event touches what it touches")) -> None:
    """Add one event (validated; adding the same event twice is a no-op)."""
    with open_handle() as mw:
        row = mw.add_event(date=date, actor=actor, event_type=event_type, summary=summary,
                           source_url=url, partners=partners, commodities=commodities,
                           elements=elements, event_id=event_id, scope_note=scope_note)
    typer.echo(f"{row['event_id']}: {'added' if row['added'] else 'already in the registry'}")


@events_app.command("import")
def import_(file: Path = typer.Argument(..., help="CSV with columns date, actor, event_type, summary "
                                                  "[, source_url, partners, commodities, elements, "
                                                  "event_id, scope_note]")) -> None:
    """Import events from a CSV: every row is checked before any is stored."""
    with open_handle() as mw:
        result = mw.import_events(file)
    typer.echo(f"{file.name}: {result['rows']} rows, {result['added']} added, "
               f"{result['skipped']} already in the registry")


@app.command("event-study")
def event_study(event: str = typer.Option(..., "--event", help="Event id or a date YYYY-MM-DD"),
                partner: str = typer.Option("WLD", help="ISO3, or WLD for China's total"),
                commodity: str = typer.Option(MAGNET_LINE, help="Tariff line"),
                window: str = typer.Option("-3:+3", help="Months before and after, e.g. -3:+3 "
                                                         "(write --window=-3:+3)"),
                fmt: str = typer.Option("table", "--format", help="table|json")) -> None:
    """Levels before and after an event, against counterfactuals, with a pre-trend check and placebos."""
    _check_format(fmt)
    with open_handle(read_only=True) as mw:
        study = mw.event_study(event, partner=partner, commodity=commodity, window=window)
    if not _echo(study, fmt):
        emit_table(study.months.arrow, "table", None, title="months", table_columns=STUDY_TABLE_COLUMNS)


@app.command("explain")
def explain(month: str = typer.Option(..., "--month", help="YYYY-MM"),
            partner: str = typer.Option("WLD", help="ISO3, or WLD for China's total"),
            commodity: str = typer.Option(MAGNET_LINE, help="Tariff line"),
            lookback: int = typer.Option(3, help="Months before the month to search for events"),
            fmt: str = typer.Option("table", "--format", help="table|json")) -> None:
    """Which events a month's figure follows (never 'caused'), ranked, with event studies."""
    _check_format(fmt)
    with open_handle() as mw:
        result = mw.explain(month, partner=partner, commodity=commodity, lookback=lookback)
    _echo(result, fmt)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise ParameterError("format", f"expected table or json, got {fmt!r}")


def _echo(result, fmt: str) -> bool:
    """``result`` as JSON (``--format json``: True), else as its lines (False: a table may follow)."""
    if fmt == "json":
        typer.echo(to_json(result.to_dict()))
        return True
    for line in result.lines():
        typer.echo(line)
    return False
