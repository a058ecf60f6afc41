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

from magwatch.errors import MagwatchError

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Rare-earth magnet trade intelligence from official statistics.")

state: dict[str, Optional[Path]] = {"db": None}


@app.callback()
def _global(db: Optional[Path] = typer.Option(
        None, "--db", help="Store file (default: $MAGWATCH_DB or the user data directory).")) -> None:
    state["db"] = db


def open_handle(read_only: bool = False):
    import magwatch

    return magwatch.open(state["db"], read_only=read_only)


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


def main() -> None:
    _register()
    try:
        app(prog_name="magwatch")       # usage errors: Typer prints them and exits 2
    except MagwatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("aborted", err=True)
        sys.exit(130)
