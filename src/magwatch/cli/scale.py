"""Command ``export parquet``: the store as Hive-partitioned Parquet for other engines.

``magwatch import DIR`` reads such a folder back (see magwatch.store.export);
``magwatch.engine.open_tables`` runs the analytics over it on DuckDB or Spark.
"""

from __future__ import annotations

from pathlib import Path

import typer

from magwatch.cli import app, open_handle

export_app = typer.Typer(no_args_is_help=True,
                         help="Write the store for other engines (docs/scale.md).")
app.add_typer(export_app, name="export")


@export_app.command("parquet")
def parquet(directory: Path = typer.Argument(..., help="Folder to write (created; must be empty)"),
            by_reporter: bool = typer.Option(False, "--by-reporter",
                                             help="Also partition by reporter below year/month"),
            overwrite: bool = typer.Option(False, "--overwrite",
                                           help="Replace the tables of an earlier export there")) -> None:
    """Observation history (every vintage), latest figures, claims, releases and reference
    tables as Parquet, partitioned by period year and month (and reporter)."""
    from magwatch.store.export import export_parquet

    with open_handle(read_only=True) as mw:
        manifest = export_parquet(mw.store, directory, by_reporter=by_reporter, overwrite=overwrite)
    rows = manifest["rows"]
    typer.echo(f"wrote {directory} partitioned by {', '.join(manifest['partition_by'])}: "
               + ", ".join(f"{name} {count:,}" for name, count in rows.items()) + " rows")
