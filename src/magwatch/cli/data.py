"""Commands for data in and out: load, import, flows, claims, releases, revisions, info."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from magwatch.cli import app, open_handle
from magwatch.cli.report import ALERTS_OPTION, ALERTS_TO_OPTION, BRIEF_DIR_OPTION, landing_hooks
from magwatch.render import emit_table, to_json

FLOW_TABLE_COLUMNS = ["period", "reporter", "partner", "flow", "commodity", "net_weight_t",
                      "value_usd", "source", "vintage", "source_url"]


@app.command()
def load() -> None:
    """Load the bundled real data (idempotent)."""
    from rich.progress import Progress

    from magwatch.bundled import FILES, summary

    import sys

    quiet = not sys.stderr.isatty()          # no bar, and no blank line, when not on a terminal
    with open_handle() as mw, Progress(transient=True, disable=quiet) as progress:
        task = progress.add_task("loading bundled data", total=len(FILES))
        results = mw.load(progress=lambda name: progress.advance(task))
    typer.echo(summary(results, mw.store.path))


#: Sources that read their own files (sources.run.is_file_source); listed here so that
#: the CLI starts without importing every source (a test keeps the two in step).
FILE_SOURCES = ("comext (an SDMX-CSV answer or a bulk file)", "comtrade (a Comtrade bulk or API file)",
                "gacc (a China customs export, GBK)")


@app.command("import")
def import_(file: Path = typer.Argument(..., help="CSV, Parquet or Excel in the canonical columns"),
            source: str = typer.Option("user", help="Source name recorded with the release; "
                                       "a file source reads the file with its own parser: "
                                       + ", ".join(FILE_SOURCES)),
            vintage: Optional[str] = typer.Option(None, help="Publication date YYYY-MM-DD"),
            sheet: Optional[str] = typer.Option(None, help="Read only this sheet of an Excel "
                                                "workbook (by default every sheet with data)"),
            alerts: Optional[Path] = ALERTS_OPTION, alerts_to: List[str] = ALERTS_TO_OPTION,
            brief_dir: Optional[Path] = BRIEF_DIR_OPTION) -> None:
    """Import a user file (docs/import.md) as one release.

    When the release adds figures it then evaluates ``--alerts`` and rewrites the
    brief in ``--brief-dir``, as ``magwatch refresh`` does; a file that changes
    nothing triggers neither.
    """
    with open_handle() as mw:
        release = mw.import_file(file, source=source, vintage=vintage, sheet=sheet)
        typer.echo(release.describe())
        if release.rows_added or release.claims_added:
            for hook in landing_hooks(mw, alerts, alerts_to, brief_dir):
                hook(mw.store, [release])


@app.command()
def flows(reporter: Optional[str] = typer.Option(None, help="ISO3, e.g. CHN"),
          partner: Optional[str] = typer.Option(None, help="ISO3 or WLD, EUU"),
          commodity: Optional[str] = typer.Option(None, help="e.g. 85051110"),
          flow: Optional[str] = typer.Option(None, help="X export or M import"),
          period: Optional[str] = typer.Option(None, help="YYYY-MM"),
          start: Optional[str] = typer.Option(None, "--from", help="YYYY-MM"),
          end: Optional[str] = typer.Option(None, "--to", help="YYYY-MM"),
          as_of: Optional[str] = typer.Option(None, "--as-of", help="What was known on YYYY-MM-DD"),
          source: Optional[str] = typer.Option(None, help="press, comtrade, census, comext, ..."),
          months: int = typer.Option(1, help="Span: 1 monthly, 12 annual, 0 every span"),
          fmt: str = typer.Option("table", "--format", help="table|csv|json|parquet|xlsx"),
          out: Optional[Path] = typer.Option(None, help="Write to a file")) -> None:
    """Observations with their sources (latest vintage, or as of a date)."""
    with open_handle(read_only=True) as mw:
        frame = mw.flows(reporter=reporter, partner=partner, commodity=commodity, flow=flow,
                         period=period, start=start, end=end, as_of=as_of, source=source,
                         months=months)
    emit_table(frame.arrow, fmt, out, title="flows", table_columns=FLOW_TABLE_COLUMNS)


@app.command()
def claims(reporter: Optional[str] = typer.Option(None), partner: Optional[str] = typer.Option(None),
           commodity: Optional[str] = typer.Option(None), period: Optional[str] = typer.Option(None),
           metric: Optional[str] = typer.Option(None, help="mom_pct, yoy_pct, share_pct, rank"),
           months: int = typer.Option(1),
           fmt: str = typer.Option("table", "--format"), out: Optional[Path] = typer.Option(None)) -> None:
    """Changes, shares and ranks as sources reported them."""
    with open_handle(read_only=True) as mw:
        frame = mw.claims(reporter=reporter, partner=partner, commodity=commodity, period=period,
                          metric=metric, months=months)
    emit_table(frame.arrow, fmt, out, title="reported claims",
               table_columns=["period", "partner", "metric", "value", "source", "source_url"])


@app.command()
def releases(fmt: str = typer.Option("table", "--format"), out: Optional[Path] = typer.Option(None)) -> None:
    """Every ingested release: source, vintage, file, hash, rows read and added."""
    with open_handle(read_only=True) as mw:
        frame = mw.releases()
    emit_table(frame.arrow, fmt, out, title="releases",
               table_columns=["release_id", "source", "vintage", "file_name", "rows_read",
                              "rows_added", "claims_added", "ingested_at"])


@app.command()
def revisions(source: Optional[str] = typer.Option(None),
              since: Optional[str] = typer.Option(None, help="Revisions published on or after YYYY-MM-DD"),
              release: Optional[int] = typer.Option(None, help="Revisions one release made"),
              fmt: str = typer.Option("table", "--format"), out: Optional[Path] = typer.Option(None)) -> None:
    """Figures a later vintage changed, old beside new."""
    with open_handle(read_only=True) as mw:
        frame = mw.revisions(source=source, since=since, release=release)
    if frame.num_rows == 0 and fmt == "table":
        typer.echo("no revisions: no figure has been replaced by a later vintage")
        return
    emit_table(frame.arrow, fmt, out, title="revisions")


@app.command()
def info(fmt: str = typer.Option("table", "--format", help="table|json")) -> None:
    """What the store holds."""
    with open_handle(read_only=True) as mw:
        facts = mw.info()
    if fmt == "json":
        typer.echo(to_json(facts))
    else:
        for key, value in facts.items():
            value = value.get("line", value) if isinstance(value, dict) else value
            typer.echo(f"{key:>20}: {json.dumps(value) if isinstance(value, list) else value}")
