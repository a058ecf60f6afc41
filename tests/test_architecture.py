"""The layer contract in .importlinter holds, and a forbidden import breaks it.

``lint-imports`` (import-linter, a test dependency) reads .importlinter at the repository root:
the read path ``cli → web → session → report → events | risk | engine → analytics → ingest →
store → shared helpers → records | codes | periods → errors`` and ingest kept off the read path
(docs/architecture.md). The second test plants imports in a copy of the package, so the check
is shown to fail when it should; the copy is linted, never the working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def lint(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package under ``root/src`` with ``root/.importlinter``."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([LINT_IMPORTS, "--no-cache", "--no-logo", "--config",
                           str(root / ".importlinter")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_layer_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, (
        "an import breaks the layer contract in .importlinter (docs/architecture.md says where "
        "each module belongs):\n" + result.stdout + result.stderr)
    assert "0 broken" in result.stdout


#: (file under src/magwatch, text appended to it, what lint-imports must report)
PLANTED = [
    # a lazy import inside a function counts as much as one at the top
    ("risk/exposure.py", "\n\ndef _planted():\n    from magwatch.handle import Magwatch\n"
                         "    return Magwatch\n",
     "magwatch.risk is not allowed to import magwatch.handle"),
    # siblings in one layer stay apart
    ("risk/indices.py", "\nfrom magwatch import events  # noqa\n",
     "magwatch.risk is not allowed to import magwatch.events"),
    # the read path never imports ingest, even though ingest sits below it
    ("analytics/changes.py", "\nfrom magwatch.bundled import load_bundled  # noqa\n",
     "magwatch.analytics is not allowed to import magwatch.bundled"),
    # an import from below the store up into the analytics
    ("codes/countries.py", "\n\ndef _planted():\n    import magwatch.analytics.figures\n",
     "magwatch.codes is not allowed to import magwatch.analytics"),
    # a new module directly under magwatch/ must be given a layer
    ("newthing.py", "x = 1\n", "- magwatch.newthing"),
]


@pytest.mark.parametrize("path, text, reported", PLANTED, ids=[p[0] for p in PLANTED])
def test_a_forbidden_import_breaks_the_contract(tmp_path, path, text, reported):
    shutil.copytree(ROOT / "src" / "magwatch", tmp_path / "src" / "magwatch",
                    ignore=shutil.ignore_patterns("__pycache__", "*.csv", "*.png"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    target = tmp_path / "src" / "magwatch" / path
    with target.open("a", encoding="utf-8") as fh:
        fh.write(text)
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert reported in result.stdout, result.stdout


def test_the_handle_is_a_reader(mw):
    """risk/ and report/ annotate what they are handed with the Reader protocol instead of
    importing the handle: the handle has each member, with the same parameters."""
    import inspect

    from magwatch.analytics.reader import Reader
    from magwatch.handle import Magwatch

    assert set(Reader.__annotations__) == {"store"} and hasattr(mw, "store")
    methods = [n for n, v in vars(Reader).items() if not n.startswith("_") and callable(v)]
    assert len(methods) >= 9
    for name in methods:
        ours, theirs = (inspect.signature(getattr(k, name)) for k in (Reader, Magwatch))
        assert list(ours.parameters.values()) == list(theirs.parameters.values()), (
            f"Reader.{name}{ours} differs from Magwatch.{name}{theirs}: change "
            f"magwatch/analytics/reader.py with the handle")


def test_risk_and_report_call_only_what_the_reader_declares():
    import re

    from magwatch.analytics.reader import Reader

    declared = {n for n in vars(Reader) if not n.startswith("_")} | set(Reader.__annotations__)
    called = set()
    for folder in ("risk", "report"):
        for path in (ROOT / "src" / "magwatch" / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            called |= set(re.findall(r"\b(?:handle|self\.h)\.([a-z_]+)\b", text))
    assert called and called <= declared, f"add to magwatch/analytics/reader.py: {called - declared}"


def test_the_architecture_page_quotes_the_contract():
    """docs/architecture.md shows .importlinter as it is: the page cannot describe other rules."""
    import re

    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    quoted = re.findall(r"```ini\n(.*?)```", page, re.S)
    assert quoted == [(ROOT / ".importlinter").read_text(encoding="utf-8")], (
        "copy .importlinter into the ```ini block of docs/architecture.md")


#: Modules that still read MAGWATCH_* variables themselves, each to ask
#: magwatch.config.settings() instead (their owners are reworking them). The test below
#: fails when one more appears, and when one of these stops, so the list shrinks with them.
NOT_YET_THROUGH_SETTINGS: set[str] = set()


def environment_reads(root: Path) -> dict[str, list[str]]:
    """Modules under ``root`` that read a ``MAGWATCH_*`` variable (``os.environ.get``,
    ``os.getenv``, ``os.environ[...]``, ``env_float``), with the names read."""
    import ast

    def text_of(node) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr) and node.values:
            return text_of(node.values[0])
        return ""

    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                name = text_of(node.args[0]) if node.args and func in {
                    "get", "getenv", "env_float", "pop", "setdefault"} else ""
            elif isinstance(node, ast.Subscript):
                name = text_of(node.slice)
            else:
                continue
            if name.startswith("MAGWATCH_"):
                found.setdefault(path.relative_to(root).as_posix(), []).append(name)
    return found


def test_settings_are_read_in_one_place():
    reads = environment_reads(ROOT / "src" / "magwatch")
    reads.pop("config.py", None)       # where settings() reads them
    assert set(reads) == NOT_YET_THROUGH_SETTINGS, (
        f"read MAGWATCH_* variables through magwatch.config.settings(): {reads}")


def test_an_environment_read_is_found(tmp_path):
    (tmp_path / "a.py").write_text('import os\nx = os.environ.get("MAGWATCH_X")\n'
                                   'y = os.environ[f"MAGWATCH_{1}_Y"]\nz = print("MAGWATCH_Z")\n')
    assert environment_reads(tmp_path) == {"a.py": ["MAGWATCH_X", "MAGWATCH_"]}


#: Declared in pyproject.toml and never imported by magwatch, each with what needs it.
DECLARED_NOT_IMPORTED = {
    "sqlglot": "pinned: the SQL compiler Ibis 12 uses, at the tested version",
    "pandas": "Frame.to_pandas() converts through pyarrow",
    "country_converter": "its country table is read as a package file (codes/countries.py)",
    "python-multipart": "FastAPI's parser of form uploads (POST /api/v1/import)",
    "uvloop": "uvicorn's event loop", "httptools": "uvicorn's HTTP parser",
    "fastapi-swagger": "its Swagger UI files are served at /api/docs (web/app.py)",
}


def test_each_dependency_is_declared_and_each_declared_one_is_used():
    """Every third-party module src/magwatch imports comes from a distribution pyproject.toml
    declares (the engine's pyspark from the ``spark`` extra), and every declared one is
    imported or listed above with its reason."""
    import ast
    import importlib.metadata
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["spark"]]
    declared = {re.split(r"[\[<>=!~ ;]", d, maxsplit=1)[0].lower().replace("_", "-") for d in wanted}
    imported = set()
    for path in (ROOT / "src" / "magwatch").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    imported -= set(sys.stdlib_module_names) | {"magwatch"}
    owners = importlib.metadata.packages_distributions()
    used = {owners[m][0].lower().replace("_", "-") for m in imported}
    assert used <= declared, f"imported, not declared in pyproject.toml: {sorted(used - declared)}"
    reasons = {d.replace("_", "-") for d in DECLARED_NOT_IMPORTED}
    assert reasons <= declared - used, f"no longer true: {sorted(reasons - (declared - used))}"
    unused = declared - used - reasons
    assert not unused, f"declared and never imported: {sorted(unused)} (remove, or say why)"
