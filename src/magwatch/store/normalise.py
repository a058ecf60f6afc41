"""Validate a staged user file and turn it into canonical observation rows.

All checks run as one vectorised pass in DuckDB; the first offending row of
the file is reported as one line naming the file, the row and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from magwatch.errors import InputError, ParameterError
from magwatch.codes.countries import REPORTING_AGGREGATES
from magwatch.store.schema import fetch_one
from magwatch.records import (
    CLASSIFICATIONS, FLAGS, IMPORT_OPTIONAL, IMPORT_REQUIRED, OBSERVATION_KEY, OBSERVATION_SCHEMA,
    QUANTITY_UNITS, SOURCE_NAMES, WITHHELD_FLAGS,
)

NUMERIC_TYPES = ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
                 "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")
#: The first month a figure may be for: the Harmonized System, in which every source codes
#: the magnet lines (HS 8505 and the national lines under it), took effect in January 1988.
FIRST_PERIOD = dt.date(1988, 1, 1)
#: Not currencies a trade value is stated in: precious metals, the SDR, bond-market units,
#: the test code and "no currency" (ISO 4217 lists them beside the national currencies).
NOT_TRADE_CURRENCIES = ("XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XTS",
                        "XXX", "XSU", "XUA")
COMMODITY_LENGTHS = {"HS": (2, 4, 6), "CN-CHN": (8, 10), "CN-EU": (8,), "HTS-US": (10,),
                     "HS-JPN": (9,)}


@dataclass(frozen=True)
class Check:
    field: str
    bad: str        # SQL condition true for an offending row
    message: str


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(col: str) -> str:
    return f"NULLIF(trim(CAST(\"{col}\" AS VARCHAR)), '')"


def _lookup_tables(con: duckdb.DuckDBPyConnection) -> None:
    import pycountry

    from magwatch.codes import known_codes

    con.execute("CREATE OR REPLACE TEMP TABLE _known_code (code VARCHAR PRIMARY KEY)")
    con.executemany("INSERT INTO _known_code VALUES (?)", [[c] for c in sorted(known_codes())])
    import pyarrow as pa

    from magwatch.codes.countries import names_to_codes

    names = sorted(names_to_codes().items())
    con.register("_names", pa.table({"name": [k for k, _ in names], "code": [v for _, v in names]}))
    con.execute("CREATE OR REPLACE TEMP TABLE _country_name AS SELECT * FROM _names")
    con.unregister("_names")
    con.execute("CREATE OR REPLACE TEMP TABLE _currency (code VARCHAR PRIMARY KEY)")
    con.executemany("INSERT INTO _currency VALUES (?)",
                    [[c.alpha_3] for c in pycountry.currencies
                     if c.alpha_3 not in NOT_TRADE_CURRENCIES])
    from magwatch.codes.countries import former_until, is_aggregate

    con.execute("CREATE OR REPLACE TEMP TABLE _former (code VARCHAR PRIMARY KEY, until_year INTEGER)")
    con.executemany("INSERT INTO _former VALUES (?, ?)", sorted(former_until().items()))
    con.execute("CREATE OR REPLACE TEMP TABLE _silent (code VARCHAR PRIMARY KEY)")
    con.executemany("INSERT INTO _silent VALUES (?)",
                    [[c] for c in sorted(known_codes()) if is_aggregate(c)
                     and c not in REPORTING_AGGREGATES])


CODE_COLUMNS = ("reporter", "partner", "flow", "commodity", "classification")


def _refuse_numeric_codes(types: dict[str, str], file: str) -> None:
    """A code column typed as a number (Parquet) has lost its leading zeros: refused."""
    for col in CODE_COLUMNS:
        if col in types and types[col] != "VARCHAR":
            raise InputError(f"code column stored as {types[col]}, not text (a number loses "
                             "leading zeros: 0850511100 becomes 850511100); store codes as text",
                             file=file, field=col)
    for col in ("note", "source_ref", "source_url"):
        if types.get(col) == "BLOB":      # bytes would be stored as the text '\x1B[31m'
            raise InputError("text column stored as bytes (BLOB), not text; store it as UTF-8 "
                             "text", file=file, field=col)


@dataclass
class _Columns:
    """The staged file's column types and, built step by step, the canonical columns'
    SQL expressions and the checks over them (in the order they are reported)."""

    types: dict[str, str]
    exprs: dict[str, str] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def has(self, col: str) -> bool:
        return col in self.types

    def num(self, col: str) -> str:
        if self.types[col].split("(")[0] in NUMERIC_TYPES:
            return f"CAST(\"{col}\" AS DOUBLE)"
        return f"TRY_CAST({_text(col)} AS DOUBLE)"

    def check(self, col: str, bad: str, message: str) -> None:
        self.checks.append(Check(col, bad, message))


def normalise(con: duckdb.DuckDBPyConnection, stage: str, *, file: str, source: str,
              vintage: dt.date | None, sha256: str, today: dt.date | None = None,
              source_file: str | None = None) -> None:
    """Create temp view ``_new`` of canonical rows from staged relation ``stage``.

    The checks and the duplicate-key test run in one pass over the file.
    """
    today = today or dt.date.today()
    if vintage is not None and vintage > today:
        raise ParameterError("vintage", f"{vintage} is in the future (after {today}): a figure "
                             f"is imported after it is published; is the year a typo?")
    described = con.execute(f"DESCRIBE {stage}").fetchall()
    types = {name: typ for name, typ, *_ in described if name != "_row"}
    _check_header(types, file)
    _check_source_name(source, file)
    _lookup_tables(con)
    cols = _Columns(types)
    _country_columns(cols)
    _commodity_columns(cols)
    _period_columns(cols, file, today)
    _figure_columns(cols)
    _flag_columns(cols)
    _vintage_columns(cols, vintage, today)
    _provenance_columns(cols, source=source, file=source_file or file, sha256=sha256)
    cols.checks.extend(_text_checks(types))
    cols.checks.extend(_ceiling_checks(cols.exprs))
    given = vintage if vintage is not None and not cols.has("vintage") else None
    cols.checks.extend(_calendar_checks(cols.exprs, given))
    _create_new(con, stage, cols, file)


def _check_header(types: dict[str, str], file: str) -> None:
    """Refuse an unknown or missing column, and a figure column without its currency or
    unit, before any row is read."""
    allowed = set(IMPORT_REQUIRED) | set(IMPORT_OPTIONAL)
    for name in types:
        if name not in allowed:
            import difflib

            close = difflib.get_close_matches(name.lower(), sorted(allowed), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InputError(
                f"unknown column; {hint}expected {', '.join(IMPORT_REQUIRED)} and optionally "
                f"{', '.join(IMPORT_OPTIONAL)}", file=file, field=name)
    for name in IMPORT_REQUIRED:
        if name not in types:
            raise InputError("missing required column", file=file, field=name)
    if "net_weight_kg" in types and "net_weight_t" in types:
        raise InputError("give net_weight_kg or net_weight_t, not both", file=file,
                         field="net_weight_t")
    if not {"net_weight_kg", "net_weight_t", "value", "value_usd", "quantity"} & types.keys():
        raise InputError("no figure column (net_weight_kg, net_weight_t, value, value_usd or "
                         "quantity)", file=file, field="net_weight_kg")
    if "value" in types and "currency" not in types:
        raise InputError("missing column: a value needs its currency", file=file, field="currency")
    if "quantity" in types and "quantity_unit" not in types:
        raise InputError("missing column: a quantity needs its unit", file=file,
                         field="quantity_unit")
    _refuse_numeric_codes(types, file)


def _check_source_name(source: str, file: str) -> None:
    if not source.strip() or any(ord(ch) < 32 or 127 <= ord(ch) <= 159 or ch in "'\"\u200e\u200f"
                                 or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"
                                 for ch in source):
        raise InputError(f"source name {source!r} is empty or holds a control character or a "
                         "quote", file=file)
    if source != source.strip():
        raise InputError(f"source name {source!r} begins or ends with a space", file=file)
    twin = next((name for name in SOURCE_NAMES if name.lower() == source.lower()
                 and name != source), None)
    if twin:            # 'GACC' beside 'gacc' would pass a file of one's own off as the source
        raise InputError(f"source name {source!r} is the source {twin!r} in other capitals; name "
                         f"a file of your own otherwise (or read that source's own file format "
                         f"with --source {twin})", file=file)


def _country_columns(cols: _Columns) -> None:
    """Reporter and partner: a code (DEU), or a country name or alias from the concordance
    (Germany, U.S., 德国); and the flow, X or M."""
    exprs = cols.exprs
    for col in ("reporter", "partner"):
        t = _text(col)
        exprs[col] = (f"CASE WHEN upper({t}) IN (SELECT code FROM _known_code) THEN upper({t}) "
                      f"ELSE coalesce((SELECT code FROM _country_name "
                      # case-insensitive: Germany, GERMANY and germany are one name
                      f"WHERE name = lower(regexp_replace({t}, '\\s+', ' ', 'g'))), upper({t})) END")
        cols.check(col, f"{t} IS NULL", "empty country code")
        cols.check(col, f"{exprs[col]} NOT IN (SELECT code FROM _known_code)",
                   "unknown country code or name (use ISO 3166 alpha-3, WLD, EUU, ... "
                   "or a country name such as Germany)")
    exprs["flow"] = f"upper({_text('flow')})"
    cols.check("flow", f"{exprs['flow']} IS NULL OR {exprs['flow']} NOT IN ('X', 'M')",
               "flow must be X (export) or M (import)")


def _commodity_columns(cols: _Columns) -> None:
    """The commodity code (digits kept as text) and its classification, stated or read from
    the code's length, and the length fitting the classification."""
    exprs = cols.exprs
    exprs["commodity"] = _text("commodity")
    cols.check("commodity", f"{exprs['commodity']} IS NULL OR ltrim({exprs['commodity']}, '0123456789') <> ''",
               "commodity code must be digits (keep it as text so leading zeros stay)")
    default_cls = ("CASE length({c}) WHEN 6 THEN 'HS' WHEN 4 THEN 'HS' WHEN 2 THEN 'HS' "
                   "WHEN 8 THEN 'CN-CHN' WHEN 10 THEN 'HTS-US' WHEN 9 THEN 'HS-JPN' END"
                   ).format(c=exprs["commodity"])
    exprs["classification"] = (f"coalesce(upper({_text('classification')}), {default_cls})"
                               if cols.has("classification") else default_cls)
    cls_list = ", ".join(f"'{c}'" for c in CLASSIFICATIONS)
    cols.check("classification",
               f"{exprs['classification']} IS NULL OR {exprs['classification']} NOT IN ({cls_list})",
               f"unknown classification (one of {', '.join(CLASSIFICATIONS)})")
    length_ok = " OR ".join(
        f"({exprs['classification']} = '{cls}' AND length({exprs['commodity']}) IN "
        f"({', '.join(map(str, lengths))}))" for cls, lengths in COMMODITY_LENGTHS.items())
    cols.check("commodity", f"NOT ({length_ok})",
               "commodity code length does not fit its classification")


def _period_columns(cols: _Columns, file: str, today: dt.date) -> None:
    """The period as the first of its month (a date, YYYY-MM, or a date on the first of the
    month), within FIRST_PERIOD to this month, and how many months it covers."""
    exprs, period_type = cols.exprs, cols.types["period"]
    if period_type == "TIMESTAMP WITH TIME ZONE":
        # an instant: its month depends on the zone, which the reader must have applied
        raise InputError("period is a timestamp with a time zone that was not read in its own "
                         "zone; write it as text YYYY-MM or as a date", file=file, field="period")
    if period_type.startswith(("DATE", "TIMESTAMP")):
        exprs["period"] = "CAST(date_trunc('month', \"period\") AS DATE)"
        cols.check("period", "\"period\" IS NULL", "empty period")
    else:
        p = _text("period")
        # strptime also reads a one-digit month; the length keeps it to YYYY-MM
        # an Excel date on the first of a month (2026-04-01, 2026-04-01 00:00:00) is that month;
        # so is midnight on the first in a stated zone (2026-04-01T00:00:00+09:00: the date as
        # written, in its own zone, never shifted to UTC)
        first_of_month = (f"regexp_full_match({p}, '\\d{{4}}-\\d{{2}}-01"
                          f"([ T]00:00(:00)?(Z|[+-]\\d{{2}}(:?\\d{{2}})?)?)?')")
        exprs["period"] = (f"CASE WHEN length({p}) = 7 THEN CAST(TRY_STRPTIME({p}, '%Y-%m') AS DATE) "
                           f"WHEN {first_of_month} THEN CAST(TRY_STRPTIME(left({p}, 10), '%Y-%m-%d') AS DATE) END")
        cols.check("period", f"{exprs['period']} IS NULL",
                   "period must be YYYY-MM with a month from 01 to 12 "
                   "(or a date on the first of the month)")
    cols.check("period", f"{exprs['period']} < DATE '{FIRST_PERIOD}' OR "
                         f"{exprs['period']} > DATE '{today.replace(day=1)}'",
               f"period out of range ({FIRST_PERIOD:%Y-%m} to {today:%Y-%m})")
    if cols.has("period_months"):
        exprs["period_months"] = f"coalesce(TRY_CAST({cols.num('period_months')} AS TINYINT), 1)"
        cols.check("period_months",
                   f"{_text('period_months')} IS NOT NULL AND NOT coalesce({cols.num('period_months')} IN (1,2,3,4,5,6,7,8,9,10,11,12), false)",
                   "period_months must be a whole number from 1 to 12")
    else:
        exprs["period_months"] = "CAST(1 AS TINYINT)"


def _figure_columns(cols: _Columns) -> None:
    """Weight (kg, or t times 1000), value and its currency, value in USD, quantity and its
    unit: each a finite, non-negative number, and at least one figure in a row."""
    exprs, has, num = cols.exprs, cols.has, cols.num
    for col in ("net_weight_kg", "net_weight_t", "value", "value_usd", "quantity"):
        if not has(col):
            continue
        if cols.types[col].split("(")[0] in NUMERIC_TYPES:
            unreadable = f"NOT isfinite({num(col)})"
        else:
            # DuckDB reads 1_000 as 1000: a digit separator, refused like a thousands comma
            unreadable = (f"{_text(col)} IS NOT NULL AND ({num(col)} IS NULL OR NOT "
                          f"isfinite({num(col)}) OR contains({_text(col)}, '_'))")
        cols.check(col, unreadable,
                   "not a number (write plain digits with a decimal point, no thousands separators)")
        cols.check(col, f"{num(col)} < 0", "negative figure")
        # 1e-400 reads as 0: written as a figure, but none a double holds; below the floor,
        # no trade figure is that small (a microgram, a millionth of a cent)
        tiny = f"{num(col)} > 0 AND {num(col)} < {FLOOR:g}"
        if cols.types[col].split("(")[0] not in NUMERIC_TYPES:
            tiny += (f" OR {num(col)} = 0 AND regexp_matches(split_part(lower({_text(col)}), "
                     f"'e', 1), '[1-9]')")
        cols.check(col, tiny, f"figure too small to be real (not zero, but below {FLOOR:g})")
    if has("net_weight_t"):
        exprs["net_weight_kg"] = f"{num('net_weight_t')} * 1000"
    else:
        exprs["net_weight_kg"] = num("net_weight_kg") if has("net_weight_kg") else "CAST(NULL AS DOUBLE)"
    exprs["value"] = num("value") if has("value") else "CAST(NULL AS DOUBLE)"
    exprs["currency"] = f"upper({_text('currency')})" if has("currency") else "CAST(NULL AS VARCHAR)"
    if has("currency"):
        cols.check("currency", f"{exprs['currency']} NOT IN (SELECT code FROM _currency)",
                   "unknown currency (ISO 4217, e.g. USD, EUR, CNY)")
    if has("value"):
        cols.check("currency", f"{exprs['value']} IS NOT NULL AND {exprs['currency']} IS NULL",
                   "a value needs its currency")
    value_usd = num("value_usd") if has("value_usd") else "CAST(NULL AS DOUBLE)"
    exprs["value_usd"] = (f"coalesce({value_usd}, CASE WHEN {exprs['currency']} = 'USD' "
                          f"THEN {exprs['value']} END)")
    exprs["quantity"] = num("quantity") if has("quantity") else "CAST(NULL AS DOUBLE)"
    exprs["quantity_unit"] = f"lower({_text('quantity_unit')})" if has("quantity_unit") else "CAST(NULL AS VARCHAR)"
    if has("quantity_unit"):
        units = ", ".join(f"'{u}'" for u in QUANTITY_UNITS)
        cols.check("quantity_unit", f"{exprs['quantity_unit']} NOT IN ({units})",
                   f"unknown unit (one of {', '.join(QUANTITY_UNITS)})")
        cols.check("quantity_unit", f"{exprs['quantity']} IS NOT NULL AND {exprs['quantity_unit']} IS NULL",
                   "a quantity needs its unit")


def _flag_columns(cols: _Columns) -> None:
    """is_estimated and is_confidential: a yes/no value, false when absent."""
    for flag in ("is_estimated", "is_confidential"):
        if cols.has(flag):
            t = f"lower({_text(flag)})"
            cols.exprs[flag] = f"coalesce({t} IN ('true', '1', 'yes', 'y', 't'), false)"
            cols.check(flag, f"{t} IS NOT NULL AND {t} NOT IN ('true','false','1','0','yes','no','y','n','t','f')",
                       "not a yes/no value (true/false, 1/0, yes/no)")
        else:
            cols.exprs[flag] = "false"
    _flag_column(cols)


def _flag_column(cols: _Columns) -> None:
    """flag: one of records.FLAGS (absent: 'confidential' for a row marked is_confidential,
    'estimated' for one marked is_estimated); a withheld cell's figures must be empty (it
    has none, never a zero), and flag_raw is kept as written."""
    exprs = cols.exprs
    derived = (f"CASE WHEN {exprs['is_confidential']} THEN 'confidential' "
               f"WHEN {exprs['is_estimated']} THEN 'estimated' END")
    if cols.has("flag"):
        given = f"replace(lower({_text('flag')}), ' ', '_')"
        cols.check("flag", f"{given} NOT IN ({', '.join(repr(f) for f in FLAGS)})",
                   f"unknown flag (one of {', '.join(FLAGS)}, or empty)")
        exprs["flag"] = f"coalesce({given}, {derived})"
    else:
        exprs["flag"] = derived
    exprs["flag_raw"] = _text("flag_raw") if cols.has("flag_raw") else "CAST(NULL AS VARCHAR)"
    for column, flag in (("is_confidential", "confidential"), ("is_estimated", "estimated")):
        exprs[column] = f"({exprs[column]} OR coalesce({exprs['flag']} = '{flag}', false))"
    withheld = ", ".join(repr(f) for f in WITHHELD_FLAGS)
    cols.check("net_weight_kg",
               f"{exprs['net_weight_kg']} IS NULL AND {exprs['value']} IS NULL AND "
               f"{exprs['value_usd']} IS NULL AND {exprs['quantity']} IS NULL AND "
               f"coalesce({exprs['flag']}, '') NOT IN ({withheld})",
               "row has no figure (weight, value or quantity; a cell the source withheld "
               "says so in flag)")
    for col in ("net_weight_kg", "value", "value_usd", "quantity"):
        cols.check(col, f"{exprs['flag']} IN ({withheld}) AND {exprs[col]} IS NOT NULL",
                   "a withheld cell (flag confidential, suppressed or below_threshold) has no "
                   "figure: leave it empty (never 0)")


def _vintage_columns(cols: _Columns, vintage: dt.date | None, today: dt.date) -> None:
    """The row's vintage (not in the future), else the import's, else today as 'ingested'."""
    exprs = cols.exprs
    if cols.has("vintage"):
        # a date as written (DuckDB alone would also read 'epoch', '-infinity', '... (BC)')
        written = f"regexp_full_match({_text('vintage')}, '\\d{{4}}-\\d{{2}}-\\d{{2}}([ T][0-9:.+Z-]*)?')"
        v = f"CASE WHEN {written} THEN TRY_CAST({_text('vintage')} AS DATE) END"
        cols.check("vintage", f"{_text('vintage')} IS NOT NULL AND {v} IS NULL",
                   "vintage must be a date YYYY-MM-DD")
        cols.check("vintage", f"{v} > DATE '{today}'",
                   f"vintage in the future (after {today}): a figure is imported after it is "
                   f"published; is the year a typo?")
        fallback = f"DATE '{vintage or today}'"
        exprs["vintage"] = f"coalesce({v}, {fallback})"
        exprs["vintage_precision"] = f"CASE WHEN {v} IS NULL THEN '{'day' if vintage else 'ingested'}' ELSE 'day' END"
    else:
        exprs["vintage"] = f"DATE '{vintage or today}'"
        exprs["vintage_precision"] = "'day'" if vintage else "'ingested'"


def _provenance_columns(cols: _Columns, *, source: str, file: str, sha256: str) -> None:
    """Where each row came from: the source, its reference and address, the file, its row
    and digest, and the row's note."""
    exprs, has = cols.exprs, cols.has
    exprs["source"] = sql_literal(source)
    exprs["source_ref"] = f"coalesce({_text('source_ref')}, '')" if has("source_ref") else "''"
    exprs["source_url"] = _text("source_url") if has("source_url") else "CAST(NULL AS VARCHAR)"
    exprs["source_file"] = sql_literal(file)
    exprs["source_row"] = "_row"
    exprs["source_sha256"] = sql_literal(sha256)
    exprs["note"] = _text("note") if has("note") else "CAST(NULL AS VARCHAR)"


def _create_new(con: duckdb.DuckDBPyConnection, stage: str, cols: _Columns, file: str) -> None:
    """Run every check in one pass (refusing the first offending row), then create the view
    ``_new`` of canonical rows and refuse a duplicate key if two rows share a key hash."""
    key_hash = f"hash({', '.join(cols.exprs[k] for k in OBSERVATION_KEY)})"
    shared_hashes = _first_failure(con, stage, cols.checks, file, key_hash)

    select = ", ".join(f"{cols.exprs[c]} AS {c}" for c in OBSERVATION_SCHEMA.names)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _new AS SELECT {select} FROM {stage}")
    if shared_hashes:      # some rows share a key hash: find the duplicate, if it is one
        check_duplicates(con, "_new", OBSERVATION_KEY, file)


# No real month reaches these: world exports of all goods are about 2e12 USD a month and the
# heaviest trade (iron ore, crude oil) under 2e11 kg a month; a figure above is a typo or junk.
CEILINGS = {"net_weight_kg": 1e13, "value": 1e15, "value_usd": 1e14, "quantity": 1e15}
#: The smallest figure that is not zero a row may hold (docs/import.md).
FLOOR = 1e-9


def _ceiling_checks(exprs: dict[str, str]) -> list[Check]:
    return [Check(col, f"{exprs[col]} >= {limit:g}",
                  f"figure above the ceiling of {limit:g} no real month reaches (docs/import.md)")
            for col, limit in CEILINGS.items()]


#: Characters a text field may not hold: C0 controls but TAB, LF and CR; DEL; C1 controls
#: (0x9B is a terminal's escape too); the bidirectional overrides and isolates, which make a
#: terminal or a page show text in another order than it is (an RE2 class).
CONTROL_CLASS = ("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{9f}\\x{200e}\\x{200f}"
                 "\\x{202a}-\\x{202e}\\x{2066}-\\x{2069}]")


def _text_checks(types: dict[str, str]) -> list[Check]:
    """Text that cannot hurt: no control characters (ANSI escapes, BEL) in text fields, and
    a source_url that is an http or https address."""
    found = [Check(col, f"regexp_matches(CAST(\"{col}\" AS VARCHAR), '{CONTROL_CLASS}')",
                   "control character in a text field (an escape code or a bell)")
             for col in ("note", "source_ref", "source_url") if col in types]
    if "source_url" in types:
        url = _text("source_url")
        found.append(Check("source_url", f"{url} IS NOT NULL AND NOT regexp_full_match({url}, "
                                         "'https?://[A-Za-z0-9.-]+(:[0-9]+)?([/?#][^\\s]*)?')",
                           "source_url must be an http:// or https:// address"))
    return found


def _calendar_checks(exprs: dict[str, str], given: dt.date | None = None) -> list[Check]:
    """What no real figure can be: a country trading with itself, an aggregate reporting (only
    the EU reports as a whole, and the world its total), a former entity after it ended, a
    vintage before its period (``given``: the vintage given for the whole import, which the
    refusal names)."""
    reporter, partner, period = exprs["reporter"], exprs["partner"], exprs["period"]
    end = f"({period} + to_months(CAST({exprs['period_months']} AS INTEGER)))"
    return [
        Check("partner", f"{reporter} = {partner} AND {reporter} <> 'WLD'",
              "reporter and partner are the same country"),
        # WLD -> WLD is a world total (all reporters' exports to all partners): a real figure
        Check("reporter", f"{reporter} IN (SELECT code FROM _silent) "
                          f"AND NOT ({reporter} = 'WLD' AND {partner} = 'WLD')",
              "an aggregate (the world, bunkers, areas nes, ...) is a partner, not a reporter; "
              "of the aggregates only EUU reports, and WLD only the world total (partner WLD)"),
        *(Check(col, f"year({period}) > (SELECT until_year FROM _former WHERE code = {exprs[col]})",
                "a former entity (USSR, Yugoslavia, ...) named for a month after it ended")
          for col in ("reporter", "partner")),
        Check("vintage", f"{exprs['vintage']} < {end}",
              "vintage before the end of its period: a month's figure is published after it"
              if given is None else
              f"vintage before the end of its period (the import's --vintage {given}): a "
              f"month's figure is published after it"),
    ]


def _first_failure(con: duckdb.DuckDBPyConnection, stage: str, checks: list[Check], file: str,
                   key_hash: str) -> bool:
    """Raise InputError for the first row failing a check; else say whether two rows
    share a key hash (the duplicate-key test, counted in the same pass)."""
    aggregates = ", ".join(f"min(_row) FILTER (WHERE coalesce({c.bad}, false))" for c in checks)
    *firsts, rows, keys = fetch_one(con.execute(
        f"SELECT {aggregates}, count(*), count(DISTINCT {key_hash}) FROM {stage}"))
    failures = [(row, i) for i, row in enumerate(firsts) if row is not None]
    if not failures:
        return keys < rows
    row, i = min(failures)
    check = checks[i]
    raw = fetch_one(con.execute(f"SELECT CAST(\"{check.field}\" AS VARCHAR) FROM {stage} WHERE _row = ?",
                      [row])) if check.field in _columns(con, stage) else None
    shown = f" (got {raw[0]!r}{_hint(check.field, raw[0])})" \
        if raw and raw[0] is not None and len(str(raw[0])) <= 60 else ""
    raise InputError(check.message + shown, file=file, row=row, field=check.field)


def _hint(field: str, value: str) -> str:
    """``; did you mean DEU (Germany)?`` for a misspelt country name, else nothing."""
    if field not in ("reporter", "partner"):
        return ""
    from magwatch.codes import countries

    close = countries.suggest(value)
    return f"; did you mean {close} ({countries.name(close)})?" if close else ""


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()}


def check_duplicates(con: duckdb.DuckDBPyConnection, relation: str, key: tuple[str, ...],
                     file: str, where: str = "true") -> None:
    """Raise InputError when two rows of one file share a key.

    One pass groups the rows by a 64-bit hash of the key; only when some hash is
    shared are the rows behind it compared column by column (so a hash collision
    is never reported as a duplicate).
    """
    cols = ", ".join(key)
    shared = (f"SELECT hash({cols}) FROM {relation} WHERE {where} "
              f"GROUP BY 1 HAVING count(*) > 1")
    if fetch_one(con.execute(f"SELECT count(*) FROM ({shared})"))[0] == 0:
        return
    dup = fetch_one(con.execute(
        f"SELECT min(source_row), max(source_row), {cols} FROM {relation} "
        f"WHERE {where} AND hash({cols}) IN ({shared}) GROUP BY {cols} "
        f"HAVING count(*) > 1 ORDER BY 1 LIMIT 1"))
    if dup:
        first, last = dup[0], dup[1]
        described = ", ".join(f"{k}={v}" for k, v in zip(key, dup[2:]) if k not in ("source", "source_ref"))
        raise InputError(f"duplicate key ({described}); first seen at row {first}",
                         file=file, row=last, field="period")
