"""Paths and settings, read from the environment once per call.

The store every interface opens by default (the CLI, ``magwatch.open()``, ``magwatch
serve`` and ``make run``) is ``MAGWATCH_DB`` if set, else ``magwatch.duckdb`` in the
user's data directory (``~/.local/share/magwatch/`` on Linux, ``$XDG_DATA_HOME`` honoured).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

from magwatch.errors import ParameterError

APP = "magwatch"
#: What to do about an empty or wrong store, for every "no data" message.
FIX = "fill it with `magwatch load`, or point --db or MAGWATCH_DB at a loaded store"


def data_dir() -> Path:
    """The package's bundled data folder (``magwatch/data/``): the press figures and the
    reference tables (ingest loads them into the store; risk reads them when no store is given)."""
    return Path(str(resources.files("magwatch") / "data"))


def user_db_path() -> Path:
    """The default store file in the user's data directory (its folder is created on use)."""
    return Path(platformdirs.user_data_dir(APP)) / "magwatch.duckdb"


def default_db_path() -> Path:
    """The store file: ``MAGWATCH_DB`` if set, else the user's data directory."""
    env = os.environ.get("MAGWATCH_DB")
    if env:
        return checked_db_path(env, "MAGWATCH_DB")
    path = user_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def checked_db_path(db: str | os.PathLike[str], parameter: str = "db") -> Path:
    """A store path someone chose: its folder must exist (a typo never creates folders)."""
    path = Path(db).expanduser()
    if not path.parent.is_dir():
        raise ParameterError(parameter, f"folder {path.parent} does not exist; create it or "
                                        f"choose a store path in an existing folder")
    return path


def resolve_db_path(db: str | os.PathLike[str] | None, parameter: str = "db") -> Path:
    """An explicit path wins over the environment and the default."""
    return checked_db_path(db, parameter) if db is not None else default_db_path()


def no_data_hint(path: Path | str | None) -> str:
    """The tail of a "no data" message: which store was read and how to fill it."""
    return f"store {path or ':memory:'}: {FIX}"
