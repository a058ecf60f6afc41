"""Commands for the official sources: fetch, sources, refresh (docs/sources.md).

``magwatch import --source gacc FILE`` is the ``import`` command of cli/data.py: its
``Magwatch.import_file`` hands files of a registered file source to that source's parser.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from magwatch.cli import app, open_handle
from magwatch.cli.report import (
    ALERTS_OPTION, ALERTS_TO_OPTION, BRIEF_DIR_OPTION, landing_hooks, report_retries,
)
from magwatch.errors import NoDataError
from magwatch.render import emit_table


def _progress(quiet: bool):
    """Progress lines on a terminal; retries reported in one short line each (not stamina's log)."""
    report_retries(quiet)
    if quiet or not sys.stderr.isatty():
        return None
    return lambda message: typer.echo(message, err=True)


@app.command()
def fetch(source: str = typer.Argument(..., help="comtrade, census or comext"),
          reporter: Optional[str] = typer.Option(None, help="ISO3 or the source's code; comma list"),
          partner: Optional[str] = typer.Option(None, help="ISO3 or the source's code; comma list"),
          commodity: Optional[str] = typer.Option(None, help="e.g. 850511 (HS), 85051110 (CN8)"),
          flow: Optional[str] = typer.Option(None, help="M, X or M,X"),
          start: str = typer.Option(..., "--from", help="YYYY-MM"),
          end: str = typer.Option(..., "--to", help="YYYY-MM"),
          freq: str = typer.Option("M", help="M monthly or A annual (Comtrade)"),
          base_url: Optional[str] = typer.Option(None, "--base-url",
                                                 help="A mirror or proxy of the source's API"),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only what changed")) -> None:
    """Fetch new or revised figures from an official source into the store."""
    with open_handle() as mw:
        report = mw.fetch(source, reporter=reporter, partner=partner, commodity=commodity, flow=flow,
                          start=start, end=end, freq=freq, base_url=base_url, progress=_progress(quiet))
    for line in report.lines(changed_only=quiet):
        typer.echo(line)
    if not report.landed and not any(b.status in ("skipped", "unchanged") for b in report.batches):
        raise NoDataError(f"{source}: nothing fetched; " + "; ".join(b.message for b in report.empty))
    if not quiet:
        typer.echo(f"{source}: {len(report.landed)} release(s), {report.rows_added} rows added, "
                   f"{report.calls} call(s)")


@app.command("sources")
def sources_(fmt: str = typer.Option("table", "--format", help="table|csv|json"),
             out: Optional[Path] = typer.Option(None)) -> None:
    """Each source, its status (key set?), configured queries and last release fetched."""
    with open_handle() as mw:
        frame = mw.sources()
    emit_table(frame.arrow, fmt, out, title="sources",
               table_columns=["source", "kind", "status", "configured_queries", "batches_done",
                              "last_period", "last_release"])


@app.command()
def refresh(quiet: bool = typer.Option(False, "--quiet", "-q",
                                       help="Print nothing when nothing changed (for cron)"),
            alerts: Optional[Path] = ALERTS_OPTION, alerts_to: List[str] = ALERTS_TO_OPTION,
            brief_dir: Optional[Path] = BRIEF_DIR_OPTION) -> None:
    """Run every configured source query again; ingest what is new or revised.

    When a run lands new figures it then evaluates ``--alerts`` and rewrites the
    brief in ``--brief-dir``; when nothing changed it does neither.
    """
    with open_handle() as mw:
        hooks = landing_hooks(mw, alerts, alerts_to, brief_dir)
        reports = mw.refresh(progress=_progress(quiet), hooks=hooks)
    changed = any(report.lines(changed_only=True) for report in reports)
    for report in reports:
        for line in report.lines(changed_only=quiet):
            typer.echo(line)
    if not changed and not quiet:
        typer.echo("nothing new: every configured source is up to date")

