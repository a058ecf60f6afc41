"""The canonical record types: an observation and a reported claim.

An *observation* is one figure a statistics office or another source published
for one reporter, partner, flow, commodity and period, as of one vintage.
A *reported claim* is a change, share or rank that a source states in words
("-38% y/y", "second-largest buyer"); claims are kept beside observations and
never mixed into them.

Both are Arrow schemas so every layer (readers, store, analytics, renderers)
speaks the same columns.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pyarrow as pa

FLOWS = ("X", "M")  # X export, M import

#: Commodity classifications: the code's system, so 850511 (HS) and
#: 85051110 (China's tariff line) are never confused.
CLASSIFICATIONS = {
    "HS": "Harmonized System, 6 digits",
    "CN-CHN": "China customs tariff line, 8 or 10 digits",
    "CN-EU": "EU Combined Nomenclature, 8 digits",
    "HTS-US": "US Harmonized Tariff Schedule / Schedule B, 10 digits",
    "HS-JPN": "Japan's statistical code, 9 digits",
}

#: Precision of a vintage date. A source that gives only a month or a year is
#: stored at the last day of that month or year (the latest date the statement
#: allows, so "as of" never claims a figure was known earlier than it was);
#: ``compiled`` means the source gave no date and the figure is dated by when
#: the bundled data set was compiled.
VINTAGE_PRECISIONS = ("day", "month", "year", "compiled")

OBSERVATION_KEY = (
    "source", "source_ref", "reporter", "partner", "flow", "classification",
    "commodity", "period", "period_months",
)
OBSERVATION_VALUES = (
    "net_weight_kg", "value", "currency", "value_usd", "quantity", "quantity_unit",
    "is_estimated", "is_confidential", "flag", "flag_raw",
)
PROVENANCE = ("vintage", "vintage_precision", "source_url", "source_file", "source_row",
              "source_sha256", "note")

#: The fields that say whose figure, of what, for when: the start of both fact schemas.
_SERIES_FIELDS = [
    pa.field("source", pa.string(), nullable=False),
    # Distinguishes figures of one source that may legitimately disagree: for
    # press figures the article's URL, for official sources the dataset id.
    pa.field("source_ref", pa.string(), nullable=False),
    pa.field("reporter", pa.string(), nullable=False),
    pa.field("partner", pa.string(), nullable=False),
    pa.field("flow", pa.string(), nullable=False),
    pa.field("classification", pa.string(), nullable=False),
    pa.field("commodity", pa.string(), nullable=False),
    pa.field("period", pa.date32(), nullable=False),          # first day of the first month
    pa.field("period_months", pa.int8(), nullable=False),     # 1 = a month; 2 = Jan-Feb combined; 12 = a year
]
#: Where a figure comes from: the end of both fact schemas.
_PROVENANCE_FIELDS = [
    pa.field("vintage", pa.date32(), nullable=False),
    pa.field("vintage_precision", pa.string(), nullable=False),
    pa.field("source_url", pa.string()),
    pa.field("source_file", pa.string()),
    pa.field("source_row", pa.int64()),
    pa.field("source_sha256", pa.string()),
    pa.field("note", pa.string()),
]

OBSERVATION_SCHEMA = pa.schema([
    *_SERIES_FIELDS,
    pa.field("net_weight_kg", pa.float64()),
    pa.field("value", pa.float64()),
    pa.field("currency", pa.string()),
    pa.field("value_usd", pa.float64()),
    pa.field("quantity", pa.float64()),
    pa.field("quantity_unit", pa.string()),
    pa.field("is_estimated", pa.bool_(), nullable=False),
    pa.field("is_confidential", pa.bool_(), nullable=False),
    pa.field("flag", pa.string()),          # one of FLAGS, or None: no flag stated
    pa.field("flag_raw", pa.string()),      # the source's own flag text ('C', 'isNetWgtEstimated')
    *_PROVENANCE_FIELDS,
])

#: What the source said about a figure (the ``flag`` column; None = nothing said). One flag a
#: figure, the strongest: a withheld cell's reason first, then how final the figure is.
FLAGS = {
    "confidential": "withheld by the source to protect a trader (statistical confidentiality): "
                    "no figure published",
    "suppressed": "withheld by the source for another reason (not for publication, another "
                  "secrecy rule): no figure published",
    "below_threshold": "below the source's reporting threshold: no figure published",
    "estimated": "estimated by the source, not the figure as declared",
    "provisional": "provisional: the source expects to revise it",
    "revised": "revised by the source since it was first published",
}
#: Flags of a cell the source withheld: it has no figure (never a zero).
WITHHELD_FLAGS = ("confidential", "suppressed", "below_threshold")


def strongest_flag(flags) -> str | None:
    """The one flag a figure keeps of several (a withheld cell's reason before an estimate,
    an estimate before 'provisional'): the first of them in :data:`FLAGS`' order."""
    found = set(flags) - {None}
    return next((f for f in FLAGS if f in found), None)


def flag_words(flag: str | None) -> str | None:
    """How a flag reads beside a figure: 'suppressed (confidential)' for a withheld cell,
    'estimated' for the others, None for no flag."""
    if flag is None:
        return None
    words = flag.replace("_", " ")
    return f"suppressed ({words})" if flag in WITHHELD_FLAGS and flag != "suppressed" else words

#: The official statistics sources magwatch reads (magwatch.sources registers one adapter
#: each, tests/sources checks the two agree). Data, so that the store's import checks can
#: refuse a file of one's own under one of these names in other capitals without importing
#: the adapters.
SOURCE_NAMES = ("census", "comext", "comtrade", "gacc")

#: Metrics a reported claim can state.
CLAIM_METRICS = {
    "mom_pct": "change on the previous month, % (weight unless stated)",
    "yoy_pct": "change on the same period a year earlier, % (weight unless stated)",
    "value_mom_pct": "change in value on the previous month, %",
    "value_yoy_pct": "change in value on the same period a year earlier, %",
    "share_pct": "partner's share of the reporter's total, %",
    "rank": "partner's rank among destinations (1 = largest)",
    "outlet_net_weight_t": "net weight in tonnes as a second outlet printed a figure the store "
                           "holds from another row (kept for the audit, never chosen as the figure)",
    "outlet_yoy_pct": "a y/y change as a second outlet printed it beside a primary reported one "
                      "(kept for the audit, never chosen as the claim)",
}

CLAIM_KEY = (
    "source", "source_ref", "reporter", "partner", "flow", "classification", "commodity",
    "period", "period_months", "metric",
)

CLAIM_SCHEMA = pa.schema([
    *_SERIES_FIELDS,
    pa.field("metric", pa.string(), nullable=False),
    pa.field("value", pa.float64(), nullable=False),
    *_PROVENANCE_FIELDS,
])


#: An event as a registry row (the ``event`` table of the store holds these columns, in this
#: order, plus the time it was added: magwatch.store.events, magwatch.events.registry).
#: Scope lists hold ISO3 codes, tariff-line codes or element symbols: ``['ALL']`` =
#: everything, ``[]`` = none, None = not stated.
EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("event_date", pa.date32()), ("actor", pa.string()),
    ("event_type", pa.string()), ("summary", pa.string()), ("source_url", pa.string()),
    ("partners", pa.list_(pa.string())), ("commodities", pa.list_(pa.string())),
    ("elements", pa.list_(pa.string())), ("scope_basis", pa.string()), ("scope_note", pa.string()),
    ("origin", pa.string()), ("source_file", pa.string()), ("source_row", pa.int64()),
])


def outlet(url: str | None, missing: str = "a source") -> str:
    """The outlet of a figure as its web host without ``www.`` ('timeslive.co.za'), or
    ``missing`` for a figure without a web address."""
    host = urlsplit(url or "").netloc if "//" in (url or "") else ""
    return host.removeprefix("www.") or missing


def empty_observations() -> pa.Table:
    return OBSERVATION_SCHEMA.empty_table()


def empty_claims() -> pa.Table:
    return CLAIM_SCHEMA.empty_table()

#: Quantity units accepted in observations (lower case).
QUANTITY_UNITS = {
    "kg": "kilograms", "t": "tonnes", "g": "grams", "u": "number of items",
    "pair": "pairs", "l": "litres", "m": "metres", "m2": "square metres",
    "m3": "cubic metres", "kwh": "kilowatt hours", "carat": "carats",
}

#: Columns a user file may carry (docs/import.md); the first five are required.
IMPORT_REQUIRED = ("reporter", "partner", "flow", "commodity", "period")
IMPORT_OPTIONAL = (
    "classification", "period_months", "net_weight_kg", "net_weight_t", "value", "currency",
    "value_usd", "quantity", "quantity_unit", "is_estimated", "is_confidential", "flag", "flag_raw", "vintage",
    "source_ref", "source_url", "note",
)
