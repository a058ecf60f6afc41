"""One exception family for everything magwatch raises on purpose.

Every error renders as a single line that names what was wrong and where:
the file, row and field for input files; the parameter for API calls.
"""

from __future__ import annotations


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
        super().__init__(f"{prefix}: {message}" if prefix else message)


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


class NoDataError(MagwatchError):
    """A query that is valid but has nothing to answer with; says why."""

    exit_code = 5
