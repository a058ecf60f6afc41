"""Paths and settings: every ``MAGWATCH_*`` environment variable, read on each call.

:func:`settings` returns a :class:`Settings`, read from the environment when called (a
variable changed between two calls takes effect on the second); modules ask it instead of
reading ``os.environ``. docs/cli.md ("Settings") documents each one; tests/test_docs.py
checks that the page and this class list the same variables.

The store every interface opens by default (the CLI, ``magwatch.open()``, ``magwatch
serve`` and ``make run``) is ``MAGWATCH_DB`` if set, else ``magwatch.duckdb`` in the
user's data directory (``~/.local/share/magwatch/`` on Linux, ``$XDG_DATA_HOME`` honoured).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

import platformdirs

from magwatch.errors import ParameterError

APP = "magwatch"
#: What to do about an empty or wrong store, for every "no data" message.
FIX = "fill it with `magwatch load`, or point --db or MAGWATCH_DB at a loaded store"


def _env(name: str, doc: str, default: object = None) -> object:
    """A :class:`Settings` field read from the variable ``name`` (``<SOURCE>``: one per source)."""
    if isinstance(default, dict):
        return field(default_factory=dict, metadata={"env": name, "doc": doc})
    return field(default=default, metadata={"env": name, "doc": doc})


@dataclass(frozen=True)
class Settings:
    """magwatch's settings from the environment. An empty variable counts as unset."""

    db: str | None = _env("MAGWATCH_DB", "the store file every interface opens by default")
    token: str | None = _env("MAGWATCH_TOKEN", "bearer token of the API's write endpoints "
                                               "(unset: writing is off)")
    max_upload_bytes: int | None = _env("MAGWATCH_MAX_UPLOAD_BYTES",
                                        "largest upload the API accepts, in bytes (default 50 MiB)")
    memory_limit: str | None = _env("MAGWATCH_MEMORY_LIMIT",
                                    "DuckDB's memory limit (a DuckDB size such as 3GB) in the "
                                    "store and the DuckDB-over-Parquet engine")
    temp_dir: str | None = _env("MAGWATCH_TEMP_DIR", "where the DuckDB-over-Parquet engine spills "
                                                     "past the memory limit (default: a temporary "
                                                     "folder)")
    spark_shuffle_partitions: int | None = _env("MAGWATCH_SPARK_SHUFFLE_PARTITIONS",
                                                "spark.sql.shuffle.partitions of the sessions "
                                                "magwatch creates (Spark's default: 200)")
    cache_dir: str | None = _env("MAGWATCH_CACHE_DIR", "the sources' revalidation cache (default: "
                                                       "http-cache/ beside the store)")
    http_timeout: float = _env("MAGWATCH_HTTP_TIMEOUT", "seconds a source's answer may take", 60.0)
    http_attempts: int = _env("MAGWATCH_HTTP_ATTEMPTS", "attempts per source request", 5)
    base_urls: Mapping[str, str] = _env("MAGWATCH_<SOURCE>_BASE_URL",
                                        "a mirror or proxy of one source's API (--base-url wins)",
                                        {})  # by source name, lower case
    calls_per_minute: Mapping[str, float] = _env("MAGWATCH_<SOURCE>_CALLS_PER_MINUTE",
                                                 "the pace of one source's requests", {})

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = {k: v.strip() for k, v in (os.environ if environ is None else environ).items()
               if k.startswith("MAGWATCH_") and v.strip()}
        values: dict[str, object] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            if "<SOURCE>" in name:
                pattern = re.compile(re.escape(name).replace("<SOURCE>", "([A-Z0-9]+)"))
                kind = float if f.name == "calls_per_minute" else str
                values[f.name] = {m.group(1).lower(): _parse(kind, k, v)
                                  for k, v in env.items() if (m := pattern.fullmatch(k))}
            elif name in env:
                kind = {"max_upload_bytes": int, "spark_shuffle_partitions": int,
                        "http_timeout": float, "http_attempts": int}.get(f.name, str)
                values[f.name] = _parse(kind, name, env[name])
        return cls(**values)

    def base_url(self, source: str) -> str | None:
        """``MAGWATCH_<SOURCE>_BASE_URL`` of ``source``, if set."""
        return self.base_urls.get(source.lower())

    def pace(self, source: str, default: float) -> float:
        """``MAGWATCH_<SOURCE>_CALLS_PER_MINUTE`` of ``source``, else ``default``."""
        return self.calls_per_minute.get(source.lower(), default)


def _parse(kind: type, name: str, raw: str) -> object:
    try:
        value = kind(raw)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise ParameterError(name, f"expected {expected}, got {raw!r}") from None
    if kind is not str and value <= 0:
        raise ParameterError(name, f"expected a number above 0, got {raw!r}")
    return value


def settings() -> Settings:
    """The settings as the environment holds them now."""
    return Settings.from_environ()


def data_dir() -> Path:
    """The package's bundled data folder (``magwatch/data/``): the press figures and the
    reference tables (ingest loads them into the store; risk reads them when no store is given)."""
    return Path(str(resources.files("magwatch") / "data"))


def user_db_path() -> Path:
    """The default store file in the user's data directory (its folder is created on use)."""
    return Path(platformdirs.user_data_dir(APP)) / "magwatch.duckdb"


def default_db_path() -> Path:
    """The store file: ``MAGWATCH_DB`` if set, else the user's data directory."""
    env = settings().db
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
