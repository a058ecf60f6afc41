"""How much one imported CSV or Parquet file may ask of the machine.

Every limit is checked before the work it bounds starts (or, for what only the
reading itself can tell, such as a row's length, as soon as the limit is passed),
and a file over one is refused with one line naming the limit. The values are far
above any real trade file: a canonical file has at most 20 columns, a trade record
is well under a kilobyte, and the project's benchmarks import files of 20 million
rows (``bench/ingest.py``). docs/reliability.md ("Limits") lists them.

The Excel reader keeps its own limits (``store/xlsx.py``); the web layer bounds
uploads and query parameters.
"""

from __future__ import annotations

#: Bytes in one imported file: bounds the hashing, the encoding check and a GB18030
#: file's UTF-8 copy (about 200 million rows of a canonical CSV).
MAX_FILE_BYTES = 16 << 30

#: Data rows in one file (Parquet: from its footer, before reading; CSV: while reading).
MAX_ROWS = 100_000_000

#: Columns in a header (CSV) or schema (Parquet); a canonical file has at most 20.
MAX_COLUMNS = 1_000

#: Bytes in a CSV header line, read before anything else.
MAX_HEADER_BYTES = 64 << 10

#: Bytes in one field (a value of a CSV cell or of a Parquet text column).
MAX_FIELD_BYTES = 1 << 20

#: Bytes of a CSV line (up to a line break), checked before parsing, which would hold
#: the line whole. The check reads the file in blocks of this size and refuses a block
#: with no line break: a line up to this long always passes, one twice as long never.
MAX_LINE_BYTES = 8 << 20

#: Bytes of a Parquet footer (its schema and row-group metadata), checked before it is parsed.
MAX_PARQUET_FOOTER_BYTES = 64 << 20

#: Bytes of one Parquet row group once decompressed, as its footer states them.
MAX_PARQUET_ROW_GROUP_BYTES = 1 << 30


def size(n: int) -> str:
    """``16 GiB``, ``1 MiB``, ``65,536``: a limit as a reader writes it."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,}"


def over(what: str, limit: int, name: str, *, in_bytes: bool = True) -> str:
    """The refusal for a limit passed: what, the limit and its constant's name."""
    shown = size(limit) if in_bytes else f"{limit:,}"
    return f"{what}: over the limit of {shown} ({name}; docs/reliability.md#limits)"
