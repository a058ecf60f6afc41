"""Paths and settings, read from the environment once per call."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "magwatch"


def default_db_path() -> Path:
    """The store file: ``MAGWATCH_DB`` if set, else the user's data directory."""
    env = os.environ.get("MAGWATCH_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP)) / "magwatch.duckdb"


def resolve_db_path(db: str | os.PathLike[str] | None) -> Path:
    """An explicit path wins over the environment and the default."""
    return Path(db).expanduser() if db is not None else default_db_path()
