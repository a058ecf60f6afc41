"""One exception family for everything magwatch raises on purpose.

Every error renders as a single line that names what was wrong and where:
the file, row and field for input files; the parameter for API calls.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode line separators and direction overrides:
# characters that would break a one-line message or act on the terminal that shows it
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in "\n\r\t":
        return repr(ch)[1:-1]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def printable(text: str) -> str:
    """``text`` with its control characters escaped as ``\\n``, ``\\x1b``, ``\\u202e``."""
    return _UNPRINTABLE.sub(_escaped, text)


class MagwatchError(Exception):
    """Base class: any error magwatch raises deliberately."""

    exit_code = 1


class InputError(MagwatchError):
    """Bad input data: names the file, the row (1-based data row) and the field."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.reason = message
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        # a file name (or a parser's message quoting it) may hold a newline or an escape code
        super().__init__(printable(f"{prefix}: {message}" if prefix else message))


class ParameterError(MagwatchError):
    """A bad argument to a command or an API call: names the parameter."""

    exit_code = 2

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.reason = message
        super().__init__(f"parameter {parameter!r}: {message}")


class UnknownCodeError(InputError):
    """A country, commodity or unit code that no concordance knows."""


class StoreError(MagwatchError):
    """The store cannot be opened or written (locked, corrupt, wrong version)."""

    exit_code = 3


class SourceError(MagwatchError):
    """A statistics source failed: rejected key, quota, bad answer, unreachable."""

    exit_code = 4


class EngineError(MagwatchError):
    """The chosen engine cannot start (Spark or Java missing, cluster unreachable)."""

    exit_code = 4


class NoDataError(MagwatchError):
    """A query that is valid but has nothing to answer with; says why."""

    exit_code = 5
