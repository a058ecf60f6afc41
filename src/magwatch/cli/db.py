"""Commands ``db backup PATH`` and ``db restore PATH``: an exact copy of the store and back."""

from __future__ import annotations

from pathlib import Path

import typer

from magwatch.cli import app, open_handle, state

db_app = typer.Typer(no_args_is_help=True, help="Back up and restore the store (docs/reliability.md).")
app.add_typer(db_app, name="db")


@db_app.command("backup")
def backup(path: Path = typer.Argument(..., help="Backup file to write (a DuckDB file)"),
           overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file")) -> None:
    """Copy every table of the store to PATH, checked row by row, written atomically."""
    with open_handle(read_only=True) as mw:
        result = mw.backup(path, overwrite=overwrite)
    typer.echo(f"backed up to {result['path']} ({result['bytes']:,} bytes): "
               + ", ".join(f"{name} {rows:,}" for name, rows in result["tables"].items()) + " rows")


@db_app.command("restore")
def restore(path: Path = typer.Argument(..., help="Backup file written by 'magwatch db backup'")) -> None:
    """Replace the store with the backup at PATH (refused while another process writes to it)."""
    from magwatch.config import resolve_db_path
    from magwatch.store.backup import restore as restore_store

    result = restore_store(path, resolve_db_path(state["db"]))
    typer.echo(f"restored {result['path']} from {result['from']}: "
               + ", ".join(f"{name} {rows:,}" for name, rows in result["tables"].items()) + " rows")
