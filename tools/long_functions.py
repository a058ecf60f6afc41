"""List the functions and methods in src/magwatch longer than 80 lines.

A function counts from its ``def`` line to its last line (decorators excluded):
``end_lineno - lineno + 1``. A long function is allowed when its body starts with a
comment ``# long: <reason>``, on the ``def`` line or on the line right after it (for a
multi-line signature, the line right after the signature's end).

Prints ``path:line name N lines`` for each long function without a reason and exits 1
if any is listed, 0 otherwise::

    python tools/long_functions.py [--root DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

LIMIT = 80
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "src" / "magwatch"
REASON = re.compile(r"#\s*long:\s*\S")


@dataclass(frozen=True)
class LongFunction:
    path: Path
    line: int
    name: str
    lines: int

    def text(self, root: Path) -> str:
        shown = self.path
        for base in (Path.cwd(), root.parent):
            try:
                shown = self.path.relative_to(base)
                break
            except ValueError:
                continue
        return f"{shown.as_posix()}:{self.line} {self.name} {self.lines} lines"


def _functions(tree: ast.AST):
    """Every function and method, with its dotted name (Class.method, outer.inner)."""

    def walk(node: ast.AST, prefix: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def _has_reason(func: ast.AST, lines: list[str]) -> bool:
    """A ``# long: <reason>`` comment on the def's line or the line right after it.

    For a signature spread over several lines, the line after the signature counts
    too, so the comment may open the body however the signature is wrapped.
    """
    body_start = func.body[0].lineno
    candidates = {func.lineno, func.lineno + 1, body_start - 1, body_start}
    for number in sorted(candidates):
        if 1 <= number <= len(lines) and number <= body_start:
            if REASON.search(lines[number - 1]):
                return True
    return False


def long_functions(root: Path, limit: int = LIMIT) -> list[LongFunction]:
    """The functions under *root* longer than *limit* lines, without a stated reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for name, func in _functions(ast.parse(source, filename=str(path))):
            length = func.end_lineno - func.lineno + 1
            if length > limit and not _has_reason(func, lines):
                found.append(LongFunction(path, func.lineno, name, length))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help="folder to scan (default: src/magwatch)")
    parser.add_argument("--limit", type=int, default=LIMIT,
                        help=f"longest allowed function in lines (default: {LIMIT})")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    found = long_functions(root, args.limit)
    for item in found:
        print(item.text(root))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
