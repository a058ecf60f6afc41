"""Docs stay true to the code: every command is documented and every README link resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands() -> set[str]:
    from magwatch.cli import _register, app

    _register()
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups}
    return {n.replace("_", "-").rstrip("-") for n in names}


def test_every_command_is_documented():
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    missing = sorted(c for c in commands() if f"magwatch {c}" not in text)
    assert not missing, f"commands without docs: {missing}"


def test_readme_links_resolve_and_it_gives_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link
    assert "make run" in readme and "make test" in readme
