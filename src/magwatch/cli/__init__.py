"""The ``magwatch`` command line: a thin shell over the Python API.

Each command group lives in its own module here and registers on ``app``.
Errors magwatch raises on purpose print as one line on stderr with a
non-zero exit code; nothing else is caught.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from magwatch.errors import MagwatchError, NoDataError

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Rare-earth magnet trade intelligence from official statistics.")

state: dict[str, Optional[Path]] = {"db": None}


@app.callback()
def _global(db: Optional[Path] = typer.Option(
        None, "--db", help="Store file (default: $MAGWATCH_DB, else magwatch.duckdb in the "
                           "user data directory; `magwatch info` shows which).")) -> None:
    from magwatch.config import checked_db_path

    state["db"] = checked_db_path(db, "--db") if db is not None else None


def open_handle(read_only: bool = False):
    """The store, for reading (as last published; never refused while a writer runs) or
    for writing (the store's one writer at a time)."""
    import magwatch
    from magwatch.errors import NoDataError

    path = store_path()
    if read_only and not path.exists():     # the message names the store and the fix (_message)
        raise NoDataError("no monthly figures or claims: the store does not exist yet")
    return magwatch.open(path, read_only=read_only)


def _register() -> None:
    from magwatch.cli import data  # noqa: F401  (commands register on import)
    from magwatch.cli import db  # noqa: F401
    from magwatch.cli import events  # noqa: F401
    from magwatch.cli import mirror  # noqa: F401
    from magwatch.cli import monitor  # noqa: F401
    from magwatch.cli import report  # noqa: F401
    from magwatch.cli import risk  # noqa: F401
    from magwatch.cli import scale  # noqa: F401
    from magwatch.cli import sources  # noqa: F401
    from magwatch.cli import web  # noqa: F401


def store_path() -> Path:
    """The store the command line opens: ``--db``, else ``MAGWATCH_DB``, else the default."""
    from magwatch.config import resolve_db_path

    return resolve_db_path(state["db"], "--db")


def _message(exc: MagwatchError) -> str:
    """One line; a "no data" error also names the store read and how to fill it."""
    if not isinstance(exc, NoDataError) or getattr(exc, "store_named", False):
        return str(exc)
    from magwatch.config import no_data_hint

    try:
        return f"{exc} ({no_data_hint(store_path())})"
    except MagwatchError:
        return str(exc)


def main() -> None:
    _register()
    try:
        app(prog_name="magwatch")       # usage errors: Typer prints them and exits 2
    except MagwatchError as exc:
        typer.echo(f"error: {_message(exc)}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("aborted", err=True)
        sys.exit(130)
