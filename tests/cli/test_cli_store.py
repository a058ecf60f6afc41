"""The store every interface finds: the default location, no-data hints, refused paths, info.

Each test points HOME and XDG_DATA_HOME at a temporary folder and unsets MAGWATCH_DB,
so the user's real store is never read or written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fresh_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MAGWATCH_DB"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"), **extra)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "magwatch", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home folder whose default store holds the bundled data, loaded as `make run` does."""
    home = tmp_path_factory.mktemp("home")
    result = run(fresh_env(home), "load")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""                  # no library warning reaches the user
    return home


def default_store(home: Path) -> Path:
    return home / ".local" / "share" / "magwatch" / "magwatch.duckdb"


def test_load_fills_the_default_store_and_says_where(loaded_home):
    result = run(fresh_env(loaded_home), "load")           # again: nothing new, same store
    assert result.returncode == 0, result.stderr
    assert default_store(loaded_home).is_file()
    assert result.stdout.strip() == (f"bundled data already loaded in {default_store(loaded_home)} "
                                     f"(13 files); nothing changed")


def test_monitor_in_a_new_shell_reads_the_loaded_default_store(loaded_home):
    result = run(fresh_env(loaded_home), "monitor", "--month", "2025-06")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "2025-06" in result.stdout and "USA" in result.stdout


def test_python_open_and_the_web_app_open_the_same_default_store(loaded_home):
    code = ("import magwatch; from magwatch.web.app import create_app; "
            "mw = magwatch.open(read_only=True); i = mw.info(); "
            "print(i['path'], i['newest_month'], create_app().state.access.path)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=fresh_env(loaded_home), timeout=120)
    assert result.returncode == 0, result.stderr
    store = str(default_store(loaded_home))
    assert result.stdout.split() == [store, "2026-03", store]


def test_make_run_loads_into_the_default_store():
    plan = subprocess.run(["make", "-n", "-B", "run"], cwd=ROOT, capture_output=True, text=True,
                          env=fresh_env(ROOT / "nowhere"), timeout=60).stdout
    assert "magwatch load" in plan
    assert "MAGWATCH_DB" not in plan and "--db" not in plan


def test_no_data_error_names_the_store_and_the_fix(tmp_path):
    store = tmp_path / "empty.duckdb"
    result = run(fresh_env(tmp_path), "--db", str(store), "monitor", "--month", "2025-06")
    assert result.returncode == 5
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no monthly figures")
    for part in (str(store), "magwatch load", "--db", "MAGWATCH_DB"):
        assert part in lines[0]


def test_no_data_error_from_the_default_store_names_it(tmp_path):
    result = run(fresh_env(tmp_path), "monitor", "--month", "2025-06")
    assert result.returncode == 5
    assert str(default_store(tmp_path)) in result.stderr and "magwatch load" in result.stderr


@pytest.mark.parametrize("target", ["/nonexistent/dir/x.duckdb", "{tmp}/missing/x.duckdb"])
def test_db_in_a_missing_folder_is_refused_and_not_created(tmp_path, target):
    path = Path(target.format(tmp=tmp_path))
    result = run(fresh_env(tmp_path), "--db", str(path), "info")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--db" in lines[0] and f"folder {path.parent} does not exist" in lines[0]
    assert not path.parent.exists()


def test_magwatch_db_in_a_missing_folder_is_refused(tmp_path):
    path = tmp_path / "missing" / "x.duckdb"
    result = run(fresh_env(tmp_path, MAGWATCH_DB=str(path)), "load")
    assert result.returncode == 2
    assert "MAGWATCH_DB" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not path.parent.exists()


def test_python_open_refuses_a_missing_folder(tmp_path):
    import magwatch

    with pytest.raises(magwatch.ParameterError, match="does not exist"):
        magwatch.open(tmp_path / "missing" / "x.duckdb")
    assert not (tmp_path / "missing").exists()


def test_info_opens_with_path_newest_month_newest_event_and_last_change(loaded_home):
    result = run(fresh_env(loaded_home), "info")
    assert result.returncode == 0, result.stderr
    head = [line.split(":", 1) for line in result.stdout.splitlines()[:5]]
    assert [k.strip() for k, _ in head] == ["path", "newest_month", "newest_event", "last_changed",
                                            "data_age"]
    values = [v.strip() for _, v in head]
    assert values[0] == str(default_store(loaded_home))
    assert values[1] == "2026-03" and values[2] == "2026-01-08"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", values[3])
    assert values[4].startswith("Data to March 2026; ") and "China customs month due by today" in values[4]
    facts = json.loads(run(fresh_env(loaded_home), "info", "--format", "json").stdout)
    assert facts["data_age"]["newest_in_store"] == "2026-03" and facts["data_age"]["source"] == "gacc"
