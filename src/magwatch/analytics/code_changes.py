"""Code changes beside a series: the notes of a series that crosses a change of its commodity
code (magwatch.codes.crossings), from what the store holds."""

from __future__ import annotations

from magwatch.codes import crossings, related


def spans(latest, reporter: str, commodity: str, flow: str) -> list[dict]:
    """(classification, commodity, first, last period) of the reporter's flow in ``commodity``
    and in every line it came from or went to, as the store holds them."""
    codes = sorted({commodity} | related(commodity))
    t = latest.filter((latest.reporter == reporter) & (latest.flow == flow)
                      & latest.commodity.isin(codes))
    found = t.group_by("classification", "commodity").aggregate(
        first=t.period.min(), last=t.period.max())
    return found.to_pyarrow().to_pylist()


def notes(latest, reporter: str, commodity: str, flow: str) -> list[str]:
    """One note per code change the reporter's ``commodity`` series crosses (none for a line
    without known dates or relatives in the store)."""
    return notes_of(spans(latest, reporter, commodity, flow), commodity)


def spans_of(rows: list[dict]) -> list[dict]:
    """:func:`spans` of flows rows (``period`` as YYYY-MM text or a date)."""
    import datetime as dt

    found: dict[tuple, dict] = {}
    for r in rows:
        p = r["period"] if isinstance(r["period"], dt.date) else dt.date.fromisoformat(f"{r['period']}-01")
        s = found.setdefault((r["classification"], r["commodity"]), {
            "classification": r["classification"], "commodity": r["commodity"], "first": p, "last": p})
        s["first"], s["last"] = min(s["first"], p), max(s["last"], p)
    return list(found.values())


def notes_of(rows: list[dict], commodity: str) -> list[str]:
    """The notes of :func:`notes` from spans (classification, commodity, first, last)."""
    out: list[str] = []
    for r in rows:
        if r["commodity"] != commodity:
            continue
        held = {o["commodity"] for o in rows
                if o["classification"] == r["classification"] and o["commodity"] != commodity}
        out += crossings(r["classification"], commodity, r["first"], r["last"], held)
    return out
