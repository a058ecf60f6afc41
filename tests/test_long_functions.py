"""No function in src/magwatch runs over 80 lines without a stated reason (tools/long_functions.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "long_functions.py"


def load_script():
    spec = importlib.util.spec_from_file_location("long_functions", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def test_no_long_function_in_the_package():
    result = run()
    assert result.stdout == "", f"functions over 80 lines:\n{result.stdout}"
    assert result.returncode == 0, result.stderr
    assert load_script().long_functions(ROOT / "src" / "magwatch") == []


def _function(name: str, lines: int, first: str = "") -> str:
    """A function *lines* long (def line included), its body opened by *first*."""
    body = [f"    {first}"] if first else []
    body += [f"    x{i} = {i}" for i in range(lines - 1 - len(body))]
    return "\n".join([f"def {name}():", *body]) + "\n"


def test_it_lists_exactly_the_long_function_without_a_reason(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "mod.py").write_text(
        _function("short", 80)
        + _function("too_long", 81)
        + _function("kept_long", 120, first="# long: one table of cases, read top to bottom")
        + "class Holder:\n"
        + "".join("    " + line + "\n" for line in _function("method", 81).splitlines()),
        encoding="utf-8",
    )
    (package / "other.py").write_text(
        "def wrapped(\n    a,\n    b,\n):  # long: the signature wraps\n"
        + "\n".join(f"    x{i} = {i}" for i in range(90)) + "\n",
        encoding="utf-8",
    )

    result = run("--root", str(package))

    listed = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr
    assert [line.split()[1:] for line in listed] == [
        ["too_long", "81", "lines"],
        ["Holder.method", "81", "lines"],
    ]
    assert listed[0].endswith("sub/mod.py:81 too_long 81 lines")
    assert listed[1].split()[0].endswith("sub/mod.py:283")


def test_a_tree_without_long_functions_exits_0(tmp_path):
    (tmp_path / "mod.py").write_text(_function("fine", 80), encoding="utf-8")
    result = run("--root", str(tmp_path))
    assert (result.returncode, result.stdout) == (0, "")
