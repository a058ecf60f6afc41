"""Validating the staged rows of an export folder before any of them is stored.

The rows pass the checks of a canonical file import, by calling
:func:`magwatch.store.normalise.normalise` on them (once per source) (codes, flows,
classifications, periods, figures, units, currencies, vintages, text, duplicate keys);
a row must also already be in the store's canonical form (``DEU``, not ``Germany``; the
first of the month), since an export holds rows as magwatch wrote them. Each row's
provenance must agree with its release (:func:`check_provenance`): the same source, the
same file digest, a vintage no later than the release's ingestion, and, for a release
fetched from a URL, that URL. A refusal names the Parquet file and the row in it.
"""

from __future__ import annotations

import re

import duckdb

from magwatch.errors import InputError
from magwatch.records import CLAIM_METRICS, CLAIM_SCHEMA, IMPORT_OPTIONAL, IMPORT_REQUIRED
from magwatch.records import OBSERVATION_SCHEMA, VINTAGE_PRECISIONS
from magwatch.store.normalise import normalise, sql_literal
from magwatch.store.schema import fetch_one

#: Columns normalise reads from an observation row (the import columns the store keeps).
IMPORT_COLUMNS = [c for c in (*IMPORT_REQUIRED, *IMPORT_OPTIONAL) if c in OBSERVATION_SCHEMA.names]
#: Columns normalise may rewrite and an exported row must already hold in canonical form.
CANONICAL_FORM = ("reporter", "partner", "flow", "classification", "commodity", "period",
                  "period_months", "net_weight_kg", "value", "currency", "quantity",
                  "quantity_unit", "is_estimated", "is_confidential", "flag", "vintage")
#: A claim as normalise reads it: its codes, period and vintage; the metric joins the key
#: (so two metrics of one key are not duplicates) and a zero stands in for the figure (a
#: claim's own value, a signed percentage or a rank, is checked in :func:`_claim_checks`).
CLAIM_AS_IMPORT = ("reporter, partner, flow, commodity, classification, period, period_months, "
                   "vintage, source_url, note, source_ref || ' metric=' || metric AS source_ref, "
                   "CAST(0 AS DOUBLE) AS net_weight_kg")


def _first(con: duckdb.DuckDBPyConnection, table: str, checks: list[tuple],
           join: str = "") -> None:
    """Raise InputError for the first staged row failing one of ``checks``: (field, SQL true
    for a bad row, message[, SQL text shown after the message for that row])."""
    if not checks:
        return
    firsts = ", ".join(f"min(t._row) FILTER (WHERE coalesce({c[1]}, false))" for c in checks)
    found = fetch_one(con.execute(f"SELECT {firsts} FROM {table} t {join}"))
    failing = [(row, i) for i, row in enumerate(found) if row is not None]
    if not failing:
        return
    row, i = min(failing)
    field, _, message, *shown = checks[i]
    if shown:
        detail = fetch_one(con.execute(f"SELECT {shown[0]} FROM {table} t {join} "
                                       f"WHERE t._row = ?", [row]))[0]
        message = f"{message} ({detail})"[:400]
    raise located(con, table, InputError(message, row=row, field=field))


def located(con: duckdb.DuckDBPyConnection, table: str, exc: InputError) -> InputError:
    """``exc`` (its row a staged ``_row``) re-addressed to the Parquet file and row it came from."""
    if exc.row is None:
        return exc
    where = fetch_one(con.execute(f"SELECT _file, _file_row FROM {table} WHERE _row = ?",
                                  [exc.row]))
    if where is None:
        return exc

    def earlier(match: re.Match) -> str:
        seen = fetch_one(con.execute(f"SELECT _file, _file_row FROM {table} WHERE _row = ?",
                                     [int(match[1])]))
        if not seen:
            return match[0]
        return f"first seen at row {seen[1]}" + ("" if seen[0] == where[0] else f" of {seen[0]}")

    reason = re.sub(r"first seen at row (\d+)", earlier, exc.reason)
    return InputError(reason, file=where[0], row=where[1], field=exc.field)


def check_structure(con: duckdb.DuckDBPyConnection, table: str, schema) -> None:
    """Required fields filled; every row names a release of the release log."""
    checks = [(f.name, f"t.{f.name} IS NULL", "empty field") for f in schema if not f.nullable]
    checks.append(("release_id", "t.release_id IS NULL OR t.release_id NOT IN "
                                 "(SELECT release_id FROM _fx_release)",
                   "names no release of the release log (release/release.parquet)"))
    _first(con, table, checks)


def check_provenance(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Each row's source, file digest, vintage and URL agree with its release."""
    precisions = ", ".join(sql_literal(p) for p in (*VINTAGE_PRECISIONS, "ingested"))
    fetched = "split_part(r.note, '; imported from ', 1)"
    def shown(row: str, release: str) -> str:
        return (f"'row ' || coalesce(CAST(t.{row} AS VARCHAR), 'empty') || ', release ' || "
                f"r.release_id || ' ' || coalesce(CAST(r.{release} AS VARCHAR), 'empty')")

    checks = [
        ("source", "t.source IS DISTINCT FROM r.source",
         "the row's source differs from its release's (release/release.parquet): provenance "
         "must agree", shown("source", "source")),
        ("source_sha256", "t.source_sha256 IS NOT NULL AND t.source_sha256 IS DISTINCT FROM "
                          "r.sha256", "the row names another file than its release's SHA-256"),
        ("vintage", "t.vintage > CAST(r.ingested_at AS DATE) + 1",
         "vintage after its release was ingested: the figure cannot have been known then",
         shown("vintage", "ingested_at")),
        ("vintage_precision", f"t.vintage_precision NOT IN ({precisions})",
         f"unknown vintage precision (one of {', '.join(VINTAGE_PRECISIONS)}, ingested)"),
        ("vintage_precision", "t.vintage_precision = 'ingested' AND r.vintage IS NOT NULL",
         "dated by its ingestion although its release states a vintage"),
        ("source_url", f"regexp_matches(r.note, '^https?://') AND t.source_url IS NOT NULL "
                       f"AND t.source_url <> {fetched}",
         "the row's URL is not the address its release was fetched from"),
    ]
    _first(con, table, checks, join="JOIN _fx_release r USING (release_id)")


def _canonical_form(con: duckdb.DuckDBPyConnection, table: str, columns) -> None:
    """The rows normalise made (``_new``) equal the staged rows: nothing needed rewriting."""
    checks = [(c, f"n.{c} IS DISTINCT FROM t.{c}",
               "not in the store's canonical form (an export holds rows as magwatch wrote "
               "them: codes such as DEU, periods on the first of the month)")
              for c in columns]
    _first(con, table, checks, join="JOIN _new n ON n.source_row = t._row")


def _normalise_source(con: duckdb.DuckDBPyConnection, table: str, select: str,
                      releases: list[dict], release_file: str) -> None:
    """normalise over the rows of every release of one source at once. The release id joins
    the key, so a later release revising a figure is not taken for a duplicate key."""
    ids = ", ".join(str(int(r["release_id"])) for r in releases)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _fx_stage AS SELECT {select}, _row "
                f"FROM (SELECT * REPLACE (source_ref || ' release=' || release_id AS source_ref) "
                f"FROM {table} WHERE release_id IN ({ids}))")
    first = releases[0]
    try:
        normalise(con, "_fx_stage", file=release_file, source=first["source"], vintage=None,
                  sha256=first["sha256"] or "", source_file=first["file_name"])
    except InputError as exc:
        if exc.row is None:            # the release itself (its source name): its log row
            raise InputError(exc.reason, file=release_file, row=first["_row"],
                             field=exc.field or "source") from None
        raise located(con, table, exc) from None


#: Claim metrics that are a change in per cent: nothing falls by more than all of it, and no
#: month's change reaches ten-thousand-fold (a typo or junk; the bundled claims are within
#: -94% and +660%).
CHANGE_METRICS = ("mom_pct", "yoy_pct", "value_mom_pct", "value_yoy_pct", "outlet_yoy_pct")


def _claim_checks(con: duckdb.DuckDBPyConnection) -> None:
    metrics = ", ".join(sql_literal(m) for m in CLAIM_METRICS)
    changes = ", ".join(sql_literal(m) for m in CHANGE_METRICS)
    _first(con, "_fx_claim", [
        ("metric", f"t.metric NOT IN ({metrics})",
         f"unknown claim metric (one of {', '.join(CLAIM_METRICS)})"),
        ("value", "NOT isfinite(t.value)", "not a finite number"),
        ("value", f"t.metric IN ({changes}) AND (t.value < -100 OR t.value >= 1e6)",
         "a change in per cent below -100 (more than all of it) or of 1,000,000 or more",
         "t.metric || ' ' || t.value"),
        ("value", "t.metric = 'share_pct' AND NOT t.value BETWEEN 0 AND 100",
         "a share in per cent outside 0 to 100", "t.value"),
        ("value", "t.metric = 'rank' AND NOT (t.value = round(t.value) AND t.value BETWEEN 1 AND 250)",
         "a rank must be a whole number from 1 to 250 (there are fewer countries)", "t.value"),
        ("value", "t.metric = 'outlet_net_weight_t' AND NOT (t.value >= 0 AND t.value < 1e10)",
         "a net weight in tonnes below 0 or above the ceiling of 1e10 t (docs/import.md)", "t.value"),
    ])


def validate_rows(con: duckdb.DuckDBPyConnection, releases: list[dict], release_file: str) -> None:
    """Refuse the folder at the first row that any check refuses; store nothing."""
    for table, schema in (("_fx_observation", OBSERVATION_SCHEMA), ("_fx_claim", CLAIM_SCHEMA)):
        check_structure(con, table, schema)
        check_provenance(con, table)
    _claim_checks(con)
    claim_form = [c for c in CANONICAL_FORM if c in CLAIM_SCHEMA.names and c != "value"]
    by_source: dict[str, list[dict]] = {}
    for release in releases:
        by_source.setdefault(release["source"] or "", []).append(release)
    try:
        for group in by_source.values():
            _normalise_source(con, "_fx_observation", ", ".join(IMPORT_COLUMNS), group,
                              release_file)
            _canonical_form(con, "_fx_observation", CANONICAL_FORM)
            _normalise_source(con, "_fx_claim", CLAIM_AS_IMPORT, group, release_file)
            _canonical_form(con, "_fx_claim", claim_form)
    finally:
        con.execute("DROP VIEW IF EXISTS _new")
        con.execute("DROP VIEW IF EXISTS _fx_stage")
