"""Commodity codes: the magnet lines in each classification, and code validation.

A commodity is always a (classification, code) pair, because the same digits mean
different things in different tariffs: ``85051110`` is China's rare-earth magnet line
(``CN-CHN``) and also an EU CN8 line (``CN-EU``) with its own wording and history.

Classifications (the same keys as :data:`magwatch.records.CLASSIFICATIONS`):

============  ==========================================  ===============
key           what                                        digits
============  ==========================================  ===============
``HS``        Harmonized System                           6 (2 or 4 for chapters and headings)
``CN-CHN``    China customs tariff line                   8 or 10
``CN-EU``     EU Combined Nomenclature                    8
``HTS-US``    US HTS / Schedule B statistical line        10
``HS-JPN``    Japan's statistical code                    9
============  ==========================================  ===============

The named lines live in ``data/commodities.csv`` with their sources, each with the dates it
is valid (``unknown`` where no source confirms them) and the lines it came from and went to
(:func:`validity`, :func:`crossings`).
"""

from __future__ import annotations

import datetime as dt
import functools
import numbers
from dataclasses import dataclass
from typing import Any

from magwatch.codes.tables import read_table
from magwatch.errors import InputError, UnknownCodeError

__all__ = [
    "CLASSIFICATIONS",
    "MAGNET_LINE",
    "NEXT_HS_EDITION",
    "crossings",
    "default_classification",
    "describe",
    "hs6",
    "related",
    "validate_code",
    "validity",
]

#: China's rare-earth magnet line (``CN-CHN 85051110``): the series magwatch reads by default.
#: The EU's CN8 line for the same magnets (``CN-EU 85051110``) carries the same code.
MAGNET_LINE = "85051110"

#: Allowed code lengths per classification.
CLASSIFICATIONS: dict[str, tuple[int, ...]] = {
    "HS": (2, 4, 6),
    "CN-CHN": (8, 10),
    "CN-EU": (8,),
    "HTS-US": (10,),
    "HS-JPN": (9,),
}

_BY_LENGTH = {2: "HS", 4: "HS", 6: "HS", 8: "CN-CHN", 9: "HS-JPN", 10: "HTS-US"}

#: The next change of the Harmonized System: HS 2028 takes effect on 1 January 2028 (WCO
#: press release "HS 2028 Amendments - Adapting the Harmonized System to Global Priorities
#: and Trade Evolution", 21 January 2026; copy at
#: https://pubt.io/view/8409633AE82619D55994F29FE54BC5E960996C6A). Whether it changes the
#: magnet lines is not confirmed, so no line's ``valid_to`` is set from it.
NEXT_HS_EDITION = ("HS 2028", dt.date(2028, 1, 1))


@dataclass(frozen=True)
class _Line:
    classification: str
    code: str
    description: str
    source: str
    verified: bool
    note: str
    valid_from: dt.date | None = None       # None: not confirmed by a source
    valid_to: dt.date | None = None
    predecessors: tuple[str, ...] = ()
    successors: tuple[str, ...] = ()
    validity_note: str = ""


def _day(text: str) -> dt.date | None:
    return None if text in ("", "unknown") else dt.date.fromisoformat(text)


@functools.cache
def _lines() -> dict[tuple[str, str], _Line]:
    return {(r["classification"], r["code"]): _Line(
                r["classification"], r["code"], r["description"], r["source"],
                r["verified"] == "true", r["note"], _day(r["valid_from"]), _day(r["valid_to"]),
                tuple(r["predecessors"].split()), tuple(r["successors"].split()), r["validity_note"])
            for r in read_table("commodities.csv")}


def validity(classification: str, code: Any) -> dict:
    """A named line's dates and lineage: ``valid_from`` / ``valid_to`` (None where no source
    confirms them), ``predecessors`` / ``successors`` (codes of the same classification) and
    ``note`` (what is and is not confirmed). Raises UnknownCodeError for an unnamed line."""
    describe(classification, code)
    line = _lines()[(classification, validate_code(classification, code))]
    return {"classification": line.classification, "code": line.code,
            "valid_from": line.valid_from, "valid_to": line.valid_to,
            "predecessors": list(line.predecessors), "successors": list(line.successors),
            "note": line.validity_note}


def related(code: str) -> set[str]:
    """Every code a named line with digits ``code`` (in any classification) came from or went to."""
    return {c for (_, k), line in _lines().items() if k == code
            for c in (*line.predecessors, *line.successors)}


def crossings(classification: str, code: str, first: dt.date, last: dt.date,
              held: set[str] = frozenset()) -> list[str]:
    """What a series of ``code`` from month ``first`` to ``last`` says about code changes:
    months outside the line's known dates, and ``held`` codes (the store holds them for the
    same reporter and flow) that the line came from or went to. Empty for an unnamed line."""
    line = _lines().get((classification, code))
    if line is None:
        return []
    out = []
    if line.valid_from is not None and first < line.valid_from:
        out.append(f"{classification} {code} is valid from {line.valid_from}; the series has "
                   f"months before it (from {first:%Y-%m}): they are of another code")
    if line.valid_to is not None and last > line.valid_to:
        out.append(f"{classification} {code} is valid to {line.valid_to}; the series has months "
                   f"after it (to {last:%Y-%m}): they are of another code")
    for kind, codes in (("came from", line.predecessors), ("went to", line.successors)):
        for other in sorted(set(codes) & set(held)):
            out.append(f"the store also holds {classification} {other}, the line {code} {kind} "
                       f"({line.validity_note}): the series crosses a code change, and the two "
                       f"lines are not one series")
    name, starts = NEXT_HS_EDITION
    if last >= starts:
        out.append(f"months from {starts:%Y-%m} are under {name}, which takes effect on {starts}; "
                   f"whether it changes {classification} {code} is not confirmed")
    return out


def _check_classification(classification: Any, *, file: str | None = None,
                          row: int | None = None) -> str:
    if classification not in CLASSIFICATIONS:
        raise UnknownCodeError(f"unknown commodity classification {classification!r}; "
                               f"expected one of {', '.join(CLASSIFICATIONS)}", file=file, row=row)
    return classification


def _digits(code: Any, lengths: tuple[int, ...]) -> str | None:
    """The code as a digit string, or None if it is not one.

    Strings keep their leading zeros and may use dots or spaces as separators
    (``"8505.11.0070"``, ``"8505 11 10"``). Ints (which cannot carry leading zeros) are
    zero-padded to the shortest allowed length that fits, so ``10121`` is HS ``010121``.
    """
    if isinstance(code, bool):
        return None
    if isinstance(code, numbers.Integral):
        if code < 0:
            return None
        s = str(int(code))
        fit = [n for n in lengths if n >= len(s)]
        return s.zfill(min(fit)) if fit else s
    if isinstance(code, str):
        s = code.strip().replace(".", "").replace(" ", "")
        return s if s.isascii() and s.isdigit() else None
    return None


def validate_code(classification: str, code: Any, *, file: str | None = None,
                  row: int | None = None, field: str | None = None) -> str:
    """The normalised code string; raises InputError unless it is all digits of a length the
    classification allows (see :data:`CLASSIFICATIONS`), UnknownCodeError for an unknown
    classification."""
    lengths = CLASSIFICATIONS[_check_classification(classification, file=file, row=row)]
    s = _digits(code, lengths)
    if s is None:
        raise InputError(f"{classification} commodity code {code!r} is not a string of digits",
                         file=file, row=row, field=field)
    if len(s) not in lengths:
        expected = " or ".join(str(n) for n in lengths)
        raise InputError(f"{classification} commodity code {code!r} has {len(s)} digits; "
                         f"expected {expected}", file=file, row=row, field=field)
    return s


def describe(classification: str, code: Any) -> str:
    """The description of a named line (``describe("HS", "850511")``).

    Raises UnknownCodeError for a valid code that ``commodities.csv`` does not name:
    only the magnet lines and their neighbours are described, not whole tariffs.
    """
    s = validate_code(classification, code)
    line = _lines().get((classification, s))
    if line is None:
        raise UnknownCodeError(f"unknown {classification} commodity code {s!r}: "
                               "not a named line in magwatch/codes/data/commodities.csv")
    return line.description


def hs6(classification: str, code: Any) -> str:
    """The HS6 subheading a code belongs to: its first six digits (every national line
    extends HS6). Raises InputError for chapters and headings, which have no HS6 parent."""
    s = validate_code(classification, code)
    if len(s) < 6:
        raise InputError(f"{classification} code {s!r} is a {'chapter' if len(s) == 2 else 'heading'}; "
                         "it has no HS6 parent")
    return s[:6]


def default_classification(code: Any) -> str:
    """Guess a classification from the number of digits: 2, 4, 6 -> ``HS``; 8 -> ``CN-CHN``;
    9 -> ``HS-JPN``; 10 -> ``HTS-US``.

    Only a guess: an 8-digit code may be EU CN8 and a 10-digit code may be China's
    10-digit line (``8505111000``). Pass the classification explicitly when the source is known.
    """
    s = _digits(code, (2, 4, 6, 8, 9, 10))
    if s is None or len(s) not in _BY_LENGTH:
        raise InputError(f"cannot guess the classification of commodity code {code!r}: "
                         "expected 2, 4, 6, 8, 9 or 10 digits")
    return _BY_LENGTH[len(s)]
