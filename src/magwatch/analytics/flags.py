"""Flags beside the monitor's figures: each entry's flag, and the cells a source withheld.

A row's ``flag`` (magwatch.records.FLAGS) travels with the figure it marks. A partner whose
rows of the month are all withheld (confidential, suppressed, below a threshold) has no
figure, never a zero: its entry says ``suppressed (confidential)`` instead of a gap.
"""

from __future__ import annotations

from typing import Callable

from magwatch.analytics import series
from magwatch.records import WITHHELD_FLAGS, flag_words, strongest_flag

#: The columns of a flagged row the monitor reads.
FLAG_ROW = ("partner", "flag", "flag_raw", "source", "source_ref", "source_row",
            "net_weight_kg", "value_usd")


def flagged(rows, months: list[int]):
    """The rows of ``months`` (month indexes) carrying a flag."""
    return rows.filter(series.month_index(rows.period).isin(months) & rows.flag.notnull()
                       ).select(*FLAG_ROW)


def _figure_rows(e: dict) -> set[tuple]:
    return {(s["source"], s["row"]) for s in e.get("sources", []) if "value" not in s}


def _mark(e: dict, rows: list[dict]) -> None:
    """The entry's flag: that of the row its figure comes from; for an entry without a figure,
    the strongest flag of the partner's rows (a withheld cell's reason)."""
    has_figure = e["net_weight_t"] is not None or e["value_usd"] is not None
    chosen = _figure_rows(e)
    own = [r for r in rows if (r["source"], r["source_row"]) in chosen] if has_figure else rows
    flag = strongest_flag(r["flag"] for r in own)
    raw = sorted({r["flag_raw"] for r in own if r["flag"] == flag and r["flag_raw"]})
    e["flag"], e["flag_raw"] = flag, "; ".join(raw) or None
    e["flag_text"] = flag_words(flag)
    if flag in WITHHELD_FLAGS and not has_figure:
        e["basis"]["net_weight_t"] = f"{flag_words(flag)}: no figure published, not a zero"


def attach(entries: dict[str, dict], rows: list[dict],
           make_entry: Callable[[str], dict]) -> list[str]:
    """Give every entry its flag (None without one), add an entry for each partner whose
    only rows are withheld, and return one note per withheld partner."""
    by_partner: dict[str, list[dict]] = {}
    for r in rows:
        by_partner.setdefault(r["partner"], []).append(r)
    for partner, own in by_partner.items():
        if partner not in entries and any(r["flag"] in WITHHELD_FLAGS for r in own):
            entries[partner] = make_entry(partner)
    notes = []
    for partner, e in entries.items():
        _mark(e, by_partner.get(partner, []))
        if e["flag"] in WITHHELD_FLAGS and e["net_weight_t"] is None and e["value_usd"] is None:
            sources = sorted({f"{r['source']} {r['source_ref']}".strip()
                              for r in by_partner[partner] if r["flag"] == e["flag"]})
            notes.append(f"{e.get('partner_name') or partner}: {e['flag_text']} in {', '.join(sources)}: the source "
                         f"published no figure; not a zero and not a gap")
    return notes


def withheld(e: dict | None) -> bool:
    """Whether an entry stands for a cell the source withheld (no figure, a reason)."""
    return e is not None and e.get("flag") in WITHHELD_FLAGS
