"""One figure per partner and month: choosing among the rows the store holds.

The store keeps every figure every source published. Several sources can report
the same reporter x partner x commodity x month (a statistics office and a news
wire, or two articles); the analytics need exactly one weight and one value per
key, and must never add conflicting figures together.

The choice, per measure (net weight, value in USD), among the rows that carry it, is
:data:`magwatch.analytics.figures.RULE` (official source before press, latest vintage,
lowest source row, source reference); this module applies it and does not restate it.

Because a press row often carries only a percentage or only a value, weight and
value are chosen separately and each keeps its own provenance. ``*_figures``
counts how many rows carried the measure and ``*_low``/``*_high`` give their
range, so a disagreement between sources stays visible.

Every function takes an Ibis table and returns an Ibis expression; nothing here
knows which backend runs it.
"""

from __future__ import annotations

import warnings

import ibis
import pyarrow as pa

from magwatch.analytics.figures import MISSING_ROW, PRESS, preference, preference_order

# DuckDB warns that Arrow output of an executed statement copies the rows; that copy is the
# cheaper path here (see :func:`run`), so the warning says nothing a user can act on.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)

#: Columns that identify one series (everything but the partner).
GROUP = ("reporter", "flow", "classification", "commodity")
#: Columns that identify one figure of a series.
KEY = (*GROUP, "partner", "period", "period_months")
#: Provenance kept for each chosen measure.
PROVENANCE = ("source", "source_ref", "source_url", "source_file", "source_row", "vintage")
#: The measures of an observation row.
MEASURES = ("net_weight_kg", "value", "value_usd", "quantity")


def month_index(period):
    """Months since year 0 as an Ibis column: :attr:`magwatch.periods.Month.index`;
    ``Month.from_index`` turns a value back into a month."""
    return period.year() * 12 + period.month() - 1


def finite(column):
    """True where a number column holds a finite number or nothing (NULL), False for NaN, ±inf."""
    return column.isnull() | ~(column.isnan() | column.isinf())


def usable(rows):
    """``rows`` with a NaN or infinite measure read as no figure (NULL): such a value (written
    by an older version, or into the store by hand) is never summed, ranked or divided.
    :func:`unusable` lists the rows it concerns."""
    return rows.mutate(**{m: ibis.ifelse(finite(rows[m]), rows[m], ibis.null("float64"))
                          for m in MEASURES if m in rows.columns})


def unusable(rows):
    """The rows of ``rows`` holding a NaN or infinite measure (which :func:`usable` reads as none)."""
    return rows.filter(ibis.or_(*[~finite(rows[m]) for m in MEASURES]))


def unusable_note(row: dict) -> str:
    """Words for one row :func:`unusable` found (its key, the measures, where it came from)."""
    import math

    from magwatch.periods import Month

    bad = ", ".join(f"{m} {row[m]}" for m in MEASURES
                    if row.get(m) is not None and not math.isfinite(row[m]))
    where = (f"{row['source_file']} row {row['source_row']}" if row.get("source_file")
             else row.get("source_url") or "no source named")
    who = " ".join(str(row[k]) for k in ("reporter", "partner", "flow") if row.get(k))
    return (f"{who} {Month.of(row['period'])}: the store holds {bad} ({where}), not a usable "
            "figure; read as no figure (no rank, share or sum counts it)")


def usable_claims(claims):
    """Claims whose value is a finite number or none: a NaN or infinite one is no claim."""
    return claims.filter(finite(claims.value))


def select(latest, *, reporter: str | None = None, commodity: str | None = None,
           flow: str | None = None, classification: str | None = None, keep_unusable: bool = False):
    """Rows of the latest-vintage table for one reporter / commodity / flow (None = all), their
    non-finite measures read as none (:func:`usable`) unless ``keep_unusable``."""
    conditions = []
    for column, value in (("reporter", reporter), ("commodity", commodity), ("flow", flow),
                          ("classification", classification)):
        if value is not None:
            conditions.append(latest[column] == value)
    rows = latest.filter(*conditions) if conditions else latest
    return rows if keep_unusable else usable(rows)


def _preference(rows, measure: str):
    """Row number 0 = the row preferred for ``measure`` within its key."""
    window = ibis.window(group_by=[rows[k] for k in KEY],
                         order_by=[ibis.ifelse(rows[measure].isnull(), 1, 0), *preference_order(rows)])
    return ibis.row_number().over(window)


def pick(rows):
    """One row per key: the preferred net weight and value, each with its provenance.

    Columns: the key, ``net_weight_kg``, ``value_usd``, ``weight_<provenance>`` and
    ``value_<provenance>`` for the chosen rows, ``weight_figures`` / ``value_figures``
    (rows carrying the measure), ``weight_low`` / ``weight_high``, ``value_low`` /
    ``value_high`` and ``month``
    (a month index). A NaN or infinite measure counts as none (:func:`usable`).
    """
    rows = usable(rows)
    ranked = rows.mutate(_w=_preference(rows, "net_weight_kg"), _v=_preference(rows, "value_usd"))
    chosen_w = (ranked._w == 0) & ranked.net_weight_kg.notnull()
    chosen_v = (ranked._v == 0) & ranked.value_usd.notnull()
    aggregates = {
        "net_weight_kg": ranked.net_weight_kg.max(where=chosen_w),
        "value_usd": ranked.value_usd.max(where=chosen_v),
        "weight_figures": ranked.net_weight_kg.count(),
        "value_figures": ranked.value_usd.count(),
        "weight_low": ranked.net_weight_kg.min(),
        "weight_high": ranked.net_weight_kg.max(),
        "value_low": ranked.value_usd.min(),
        "value_high": ranked.value_usd.max(),
    }
    for column in PROVENANCE:
        aggregates[f"weight_{column}"] = ranked[column].max(where=chosen_w)
        aggregates[f"value_{column}"] = ranked[column].max(where=chosen_v)
    picked = ranked.group_by([ranked[k] for k in KEY]).aggregate(**aggregates)
    return picked.mutate(month=month_index(picked.period))


def monthly(series):
    """Single-month figures only (period_months = 1): the rows m/m and y/y compare."""
    return series.filter(series.period_months == 1)


# -- compiled once: expression shapes with bound parameters ------------------------------

#: Compiled query text per expression shape (see :func:`run`). The text depends on the
#: shape, the backend and the input tables' names and schemas, never on the data, so a
#: store change cannot make an entry stale; results are not kept.
COMPILED: dict[tuple, tuple] = {}
_MAX_COMPILED = 256
_SQL_TYPES = {"int64": "BIGINT", "string": "VARCHAR", "date": "DATE"}


def _dtype(value) -> str:
    import datetime as dt

    if isinstance(value, bool) or value is None:
        raise TypeError(f"unsupported parameter value {value!r}")
    if isinstance(value, int):
        return "int64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date):
        return "date"
    raise TypeError(f"unsupported parameter value {value!r}")


def _sentinel(i: int, dtype: str):
    import datetime as dt

    return {"int64": 918_273_645_000 + i, "string": f"__mw_param_{i}__", "date": dt.date(1001, 1, 1 + i)}[dtype]


#: Text of a sentinel left in compiled SQL (a parameter not replaced by its placeholder).
_MARKS = ("918273645", "__mw_param_", "MAKE_DATE(1001,")


def _table_key(table) -> tuple:
    op = table.op()
    return (type(op).__name__, getattr(op, "name", None), getattr(op, "namespace", None),
            tuple((k, str(v)) for k, v in op.schema.items()))


def _compile_duckdb(backend, expr, params: dict, types: dict) -> tuple[str, list[str]]:
    """DuckDB SQL of ``expr`` with each parameter as a named placeholder ``$name``."""
    sentinels = {name: _sentinel(i, types[name]) for i, name in enumerate(params)}
    sql = backend.compile(expr, params={params[n]: v for n, v in sentinels.items()})
    used = []
    for name, value in sentinels.items():
        text = backend.compile(ibis.literal(value, type=params[name].type()).name("x"))
        text = text.split("SELECT ", 1)[1].rsplit(' AS "x"', 1)[0]
        if text in sql:
            dtype = _SQL_TYPES[types[name]]
            sql = sql.replace(text, f"CAST(${name} AS {dtype})")
            used.append(name)
    if any(mark in sql for mark in _MARKS):
        return None, used        # a parameter written some other way: keep the expression
    return sql, used


def together(pieces: dict):
    """One one-row table holding each piece's rows as a list of structs: one query for all."""
    from functools import reduce

    ones = [e.aggregate(**{name: ibis.struct({c: e[c] for c in e.columns}).collect()})
            for name, e in pieces.items()]
    return reduce(lambda a, b: a.cross_join(b), ones)


def _compiled(backend, build, tables, types):
    params = {k: ibis.param(dtype) for k, dtype in types}
    expr = build(*tables, **params)
    pieces = expr if isinstance(expr, dict) else None
    one = together(pieces) if pieces is not None and backend.name == "duckdb" else expr
    sql, used = (None, []) if backend.name != "duckdb" else _compile_duckdb(
        backend, one, params, dict(types))
    if sql is None:
        return ("expr", pieces or expr, params, backend)
    schema = ({k: e.schema() for k, e in pieces.items()} if pieces is not None
              else expr.as_table().schema())
    return ("sql", sql, used, schema)


def run(shape: str, build, tables: tuple, values: dict):
    """Rows of ``build(*tables, **params)`` with ``values`` bound to the parameters.

    ``shape`` names what ``build`` builds (same name, same expression for any values);
    the expression is built and compiled once per shape, backend and input tables, with
    each value an ``ibis.param``. On DuckDB the compiled text runs with the values as
    bound parameters (no Ibis compilation per call); other backends execute the kept
    expression with ``params``. A ``build`` returning a dict of expressions gives a dict
    of row lists, from one query on DuckDB (:func:`together`).
    """
    backend = tables[0]._find_backend()
    types = tuple((k, _dtype(v)) for k, v in sorted(values.items()))
    key = (shape, backend.name, tuple(_table_key(t) for t in tables), types)
    entry = COMPILED.get(key)
    if entry is None or (entry[0] == "expr" and entry[3] is not backend):
        entry = _compiled(backend, build, tables, types)
        if len(COMPILED) >= _MAX_COMPILED:
            COMPILED.clear()
        COMPILED[key] = entry
    if entry[0] == "sql":
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        _, sql, used, schema = entry
        # execute, not sql(): a relation built by sql() binds the query twice (some 40% more), and
        # the extra copy of the rows execute's Arrow output makes costs far less
        arrow = backend.con.execute(sql, {n: values[n] for n in used}).to_arrow_table()
        if not isinstance(schema, dict):
            return DuckDBPyArrowData.convert_table(arrow, schema).to_pylist()
        out = {}
        for name, piece in schema.items():        # a list of structs -> the piece's rows
            structs = arrow.column(name).combine_chunks().flatten()
            table = pa.Table.from_struct_array(structs)
            out[name] = DuckDBPyArrowData.convert_table(table, piece).to_pylist()
        return out
    _, expr, params, _ = entry
    bound = {params[k]: values[k] for k in values}
    if isinstance(expr, dict):
        return {k: e.to_pyarrow(params=bound).to_pylist() for k, e in expr.items()}
    return expr.to_pyarrow(params=bound).to_pylist()
