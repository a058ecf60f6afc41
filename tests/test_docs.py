"""Docs stay true to the code.

* Every command is documented and every README link resolves.
* The command table of docs/cli.md lists every command with exactly the options its
  ``--help`` shows; an option is written outside ``[brackets]`` exactly when it is required;
  each row links the page that documents the command, and that page names it.
* Every ```python block in docs/*.md runs, by these rules:

  - The blocks of one page run in order in one namespace (a later block may use what an
    earlier one set), in an empty temporary working directory, with ``MAGWATCH_DB`` set to
    a copy of the bundled store: ``magwatch.open()`` opens the store ``make run`` fills.
  - A block whose first line starts with ``>>>`` is a doctest: the output of each example
    is compared with the lines shown under it (runs of whitespace count as one space,
    ``...`` stands for any text; an error is shown as ``Traceback (most recent call
    last):``, an indented ``...`` and the exception's last line).
  - Any other block runs as a script and what it prints is not compared: a page that shows
    the output of Python writes it as a doctest.
  - A block that cannot run here (it needs a remote cluster) has
    ``<!-- not run: REASON -->`` on the line before its fence.
  - docs/scale.md's blocks run Spark for minutes: they run in ``make test-slow``.
"""

from __future__ import annotations

import doctest
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def commands() -> set[str]:
    from magwatch.cli import _register, app

    _register()
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups}
    return {n.replace("_", "-").rstrip("-") for n in names}


def test_every_command_is_documented():
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    missing = sorted(c for c in commands() if f"magwatch {c}" not in text)
    assert not missing, f"commands without docs: {missing}"


def test_readme_links_resolve_and_it_gives_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link
    assert "make run" in readme and "make test" in readme


# -- every command's options against docs/cli.md ---------------------------------------------

def cli_commands() -> dict[str, object]:
    """Every command a user runs (``"db backup"``), and every group with options of its own."""
    import typer

    from magwatch.cli import _register, app

    _register()
    found: dict[str, object] = {}

    def walk(command, name: str) -> None:
        subcommands = getattr(command, "commands", None) or {}
        if name and (not subcommands or command.params):
            found[name] = command
        for sub_name, sub in subcommands.items():
            walk(sub, f"{name} {sub_name}".strip())

    walk(typer.main.get_command(app), "")
    return found


def options(command) -> tuple[set[str], set[str]]:
    """(every long option of ``command``, the required ones)."""
    every, required = set(), set()
    for param in command.params:
        if param.param_type_name == "argument" or param.hidden:
            continue
        names = {o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")}
        every |= names
        if param.required:
            required |= names
    return every, required


ROW = re.compile(r"^\| `magwatch ((?:[a-z][a-z-]* ?)+)([^`]*)` \|.*\[[^\]]+\]\(([a-z]+\.md)\) \|$", re.M)


def documented(text: str | None = None) -> dict[str, tuple[set[str], set[str], str]]:
    """docs/cli.md's command table: command -> (options, required options, page)."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8") if text is None else text
    rows = {}
    for name, rest, page in ROW.findall(text):
        name = name.strip()
        assert name not in rows, f"docs/cli.md lists 'magwatch {name}' twice"
        outside = re.sub(r"\[[^\]]*\]", "", rest)
        rows[name] = (set(re.findall(r"--[a-z][a-z-]*", rest)),
                      set(re.findall(r"--[a-z][a-z-]*", outside)), page)
    return rows


def test_the_command_table_lists_every_command_and_no_other():
    listed, real = set(documented()), set(cli_commands())
    assert listed == real, (f"add to the table in docs/cli.md: {sorted(real - listed)}; "
                            f"no such command: {sorted(listed - real)}")


def test_each_command_row_gives_exactly_its_options():
    rows = documented()
    wrong = []
    for name, command in sorted(cli_commands().items()):
        every, required = options(command)
        listed, listed_required, _ = rows[name]
        if listed != every:
            wrong.append(f"magwatch {name}: not in docs/cli.md {sorted(every - listed)}, "
                         f"no such option {sorted(listed - every)}")
        elif listed_required != required:
            wrong.append(f"magwatch {name}: required {sorted(required)}, written outside "
                         f"[brackets] {sorted(listed_required)}")
    assert not wrong, "\n".join(wrong)


def test_a_wrong_row_is_caught():
    """The parsing above sees a dropped option, an invented one and a lost requirement."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `magwatch mirror "))
    assert "[--lag N]" in row and "--partner P [" in row
    wrong = row.replace("[--lag N]", "[--lags N]").replace("--partner P [", "[--partner P] [")
    assert documented(text)["mirror"][:2] != documented(text.replace(row, wrong))["mirror"][:2]
    listed, required, _ = documented(text.replace(row, wrong))["mirror"]
    assert "--lag" not in listed and "--lags" in listed and "--partner" not in required


def test_help_shows_the_options_the_table_lists():
    from typer.testing import CliRunner

    from magwatch.cli import app

    runner = CliRunner()
    for name, (listed, _, _) in sorted(documented().items()):
        result = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        shown = set(re.findall(r"--[a-z][a-z-]*", result.output)) - {"--help"}
        assert listed <= shown, f"magwatch {name} --help does not show {sorted(listed - shown)}"
        assert f"magwatch {name}" in (DOCS / documented()[name][2]).read_text(encoding="utf-8")


# -- every Python block in docs/ ---------------------------------------------------------------

@dataclass
class Block:
    page: Path
    line: int               # of the first line of code
    code: str
    not_run: str | None     # the reason, for a block that cannot run here

    @property
    def is_doctest(self) -> bool:
        return self.code.lstrip().startswith(">>>")


def python_blocks(page: Path) -> list[Block]:
    blocks, lines = [], page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            before = lines[i - 1].strip() if i else ""
            mark = re.fullmatch(r"<!-- not run: (.+) -->", before)
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            blocks.append(Block(page, i + 2, "\n".join(lines[i + 1:end]) + "\n",
                                mark.group(1) if mark else None))
            i = end
        i += 1
    return blocks


PAGES = sorted(p for p in DOCS.glob("*.md") if python_blocks(p))
#: docs/scale.md runs the monitor twice on Spark ``local[2]``: minutes on a loaded 2-core
#: machine, so it runs in ``make test-slow`` with the other long Spark runs (docs/scale.md).
SLOW_PAGES = {"scale.md": [pytest.mark.spark, pytest.mark.slow]}


def test_the_pages_with_python_blocks_are_found():
    assert {p.name for p in PAGES} >= {"brief.md", "cli.md", "codes.md", "scale.md"}
    assert all(b.not_run.strip() for p in PAGES for b in python_blocks(p) if b.not_run is not None)


def run_block(block: Block, namespace: dict) -> list[str]:
    """Run one block in ``namespace``; the doctest failures it reports (none for a script)."""
    where = f"{block.page.name}:{block.line}"
    if not block.is_doctest:
        exec(compile("\n" * (block.line - 1) + block.code, str(block.page), "exec"), namespace)
        return []
    test = doctest.DocTestParser().get_doctest(block.code, namespace, where, str(block.page),
                                               block.line - 1)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)        # a DocTest works on a copy: hand its names on
    return report if runner.failures else []


def test_a_wrong_output_or_an_error_fails_a_block(tmp_path):
    page = tmp_path / "page.md"
    wrong = Block(page, 1, ">>> x = 2\n>>> x + 1\n4\n", None)
    assert run_block(wrong, {}) and "Expected:\n    4\nGot:\n    3" in "".join(run_block(wrong, {}))
    namespace: dict = {}
    assert run_block(Block(page, 1, ">>> y = 5\n", None), namespace) == [] and namespace["y"] == 5
    with pytest.raises(ZeroDivisionError):
        run_block(Block(page, 3, "z = 1 / 0\n", None), {})


@pytest.mark.parametrize("page", [pytest.param(p, id=p.name, marks=SLOW_PAGES.get(p.name, ()))
                                  for p in PAGES])
def test_the_python_blocks_of_a_page_run(page, bundled_db, tmp_path, monkeypatch):
    store = tmp_path / "store" / "magwatch.duckdb"
    store.parent.mkdir()
    shutil.copy(bundled_db, store)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("MAGWATCH_DB", str(store))
    namespace: dict = {"__name__": "__docs__"}
    ran = 0
    for block in python_blocks(page):
        if block.not_run is None:
            failures = run_block(block, namespace)
            assert not failures, "".join(failures)
            ran += 1
    assert ran, f"{page.name}: every Python block is marked 'not run'"


# -- every setting documented --------------------------------------------------------------

def settings_rows(text: str | None = None) -> dict[str, str]:
    """The table of docs/cli.md's "Settings" section: variable -> the page it links."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8") if text is None else text
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `(MAGWATCH_[A-Z_<>]+)` \|.*\[[^\]]+\]\(([a-z]+\.md)\) \|$",
                           section, re.M))


def test_every_setting_is_documented():
    """Each variable magwatch.config.Settings reads has a row in docs/cli.md's Settings table,
    the table lists no other, and the page a row links names the variable."""
    from dataclasses import fields

    from magwatch.config import Settings

    variables = {f.metadata["env"] for f in fields(Settings)}
    rows = settings_rows()
    assert set(rows) == variables, (f"document in docs/cli.md (Settings): {sorted(variables - set(rows))}; "
                                    f"not a setting: {sorted(set(rows) - variables)}")
    for variable, page in rows.items():
        assert variable in (DOCS / page).read_text(encoding="utf-8"), (variable, page)


def test_a_setting_missing_from_the_table_is_caught():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `MAGWATCH_TEMP_DIR` |"))
    assert "MAGWATCH_TEMP_DIR" in settings_rows(text)
    assert "MAGWATCH_TEMP_DIR" not in settings_rows(text.replace(row + "\n", ""))
