"""The monthly brief: a wire-style report generated from the store, every figure footnoted.

The facts come from the ``Magwatch`` handle (``monitor`` for levels, changes, ranks, shares
and records; ``explain`` and ``events`` for the events a month follows; ``risk`` and
``scenario`` for the outlook; ``reference`` for importer-side figures). This module only
selects, words and cites them: Jinja2 templates (``templates/brief.md.j2`` and
``brief.html.j2``) turn the facts into Markdown and HTML, with wording that follows the
figures (rose/fell/was flat, first/second, "highest since"). Each number carries a
footnote naming its source rows, vintage and whether it is observed, computed or reported.
A month with thin data says what is missing.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from magwatch.analytics import figures
from magwatch.analytics.reader import Reader
from magwatch.codes import MAGNET_LINE, countries
from magwatch.errors import NoDataError, ParameterError
from magwatch.periods import Month
from magwatch.records import WITHHELD_FLAGS
from magwatch.report.words import (
    EU_MEMBERS, change_verb, country_name, headline_pct, list_words, month_name, ordinal, pct,
    period_words, plain_words, possessive, ratio_words, record_phrase, sector_name, the_name,
    tonnes,
)

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_SCENARIO = "repeat-2025-04"


# ----------------------------------------------------------------------------- footnotes

@dataclass
class Footnotes:
    items: list[dict] = field(default_factory=list)
    _keys: dict = field(default_factory=dict)

    def add(self, what: str, basis: str, sources: list[dict]) -> int:
        clean = [{k: s.get(k) for k in ("role", "url", "file", "row", "vintage", "outlet")} for s in sources]
        key = (basis, tuple(tuple(sorted((k, str(v)) for k, v in s.items())) for s in clean))
        if key in self._keys:
            n = self._keys[key]
            if what not in self.items[n - 1]["what"]:
                self.items[n - 1]["what"] += f"; {what}"
            return n
        self.items.append({"n": len(self.items) + 1, "what": what, "basis": basis, "sources": clean})
        self._keys[key] = len(self.items)
        return len(self.items)


def _pick(row: dict, *roles: str) -> list[dict]:
    out = []
    for s in row.get("sources", []):
        role = s.get("role") or ""
        if any(role == r or role.startswith(r) for r in roles):
            out.append(s)
    return out


def _basis_word(text: str | None) -> str:
    text = text or ""
    if text.startswith("computed"):
        return "computed (" + text + ")"
    if text.startswith("as reported"):
        return "reported (" + text + ")"
    if text.startswith("observed"):
        return "observed: " + text
    return text


def _figure_row(row: dict, notes: Footnotes, month: str, world_row: dict | None,
                record: bool = True) -> dict:
    """One partner's (or the world's) figures with a footnote number for each."""
    name = row.get("partner_name") or row.get("partner")
    basis = row.get("basis") or {}
    out: dict[str, Any] = {k: row.get(k) for k in ("partner", "partner_name", "net_weight_t", "mom_pct",
                                                    "yoy_pct", "rank", "share_pct", "ytd_t")}
    out["name"] = name
    out["flag"] = row.get("flag_text")          # 'estimated', 'suppressed (confidential)'
    if row.get("net_weight_t") is not None:
        out["fn_t"] = notes.add(f"{name} net weight, {month}", "observed (a figure the source published)",
                                _pick(row, "net weight"))
    if row.get("mom_pct") is not None:
        b = basis.get("mom_pct", "")
        src = _pick(row, "net weight", "base") if b.startswith("computed") else _pick(row, "reported mom_pct")
        out["fn_mom"] = notes.add(f"{name} m/m change, {month}", _basis_word(b), src)
        out["mom_basis"] = "computed" if b.startswith("computed") else "reported"
    if row.get("yoy_pct") is not None:
        b = basis.get("yoy_pct", "")
        src = _pick(row, "net weight", "base") if b.startswith("computed") else _pick(row, "reported yoy_pct")
        out["fn_yoy"] = notes.add(f"{name} y/y change, {month}", _basis_word(b), src)
        out["yoy_basis"] = "computed" if b.startswith("computed") else "reported"
    if row.get("rank") is not None:
        rep = _pick(row, "reported rank")
        out["reported_rank"] = int(rep[0]["value"]) if rep and rep[0].get("value") is not None else None
        out["fn_rank"] = notes.add(f"{name} rank, {month}",
                                   _basis_word(basis.get("rank", "computed")) +
                                   (f"; reported rank {out['reported_rank']}" if rep else ""),
                                   _pick(row, "net weight") + rep)
    if row.get("share_pct") is not None and row.get("partner") != "WLD":
        src = _pick(row, "net weight") + (_pick(world_row, "net weight") if world_row else [])
        out["fn_share"] = notes.add(f"{name} share of the world total, {month}",
                                    _basis_word(basis.get("share_pct", "computed")), src)
    out["record"] = record_phrase(row.get("record")) if record else None
    if out["record"] and row.get("net_weight_t") is not None:
        out["fn_record"] = notes.add(f"{name} record, {month}",
                                     "computed from the monthly figures in the store (months without a "
                                     "figure are not counted)", _pick(row, "net weight"))
    out["ratio_yoy"] = ratio_words(row.get("yoy_pct"))
    out["verb_mom"] = change_verb(row.get("mom_pct"))
    out["verb_yoy"] = change_verb(row.get("yoy_pct"))
    out["anomaly"] = row.get("anomaly") or []
    return out


# ----------------------------------------------------------------------------- facts

def _mirror_rows(handle: Reader, month: str) -> list[dict]:
    """Importer-side figures whose period is the month or contains it (quarter, year)."""
    m = Month.parse(month)
    spans = {str(m), f"{m.year}-Q{(m.month - 1) // 3 + 1}", str(m.year)}
    rows = []
    for i, r in enumerate(handle.reference("partner_imports_monthly").to_pylist(), start=1):
        if r.get("period") in spans and r.get("exporter") == "CHN":
            rows.append({**r, "source_row": i})
    return rows


@dataclass
class Brief:
    month: str
    facts: dict
    footnotes: list[dict]
    markdown: str = ""
    html: str = ""
    charts: dict[str, dict[str, Path]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def gather(handle: Reader, month: str, *, top: int = 5, scenario: str | None = DEFAULT_SCENARIO,
           paths: int = 2000, seed: int = 0, focus: str | None = None) -> tuple[dict, Footnotes, Any]:
    """The facts of the brief for ``month`` and their footnotes (plus the scenario result).

    ``focus``: a destination code (DEU, EUU, USA...) the brief leads with; by default it leads
    with the month's biggest move.
    """
    at = Month.parse(month, "month")
    month = str(at)
    focus = _focus_code(focus)
    notes = Footnotes()
    facts: dict[str, Any] = {"month": month, "month_name": at.label(),
                             "year_earlier_name": (at - 12).label(),
                             "generated": dt.date.today().isoformat(), "missing": [], "lead": None,
                             "world": None, "partners": [], "groups": [], "events": [], "mirror": [],
                             "risk": {"stages": [], "scenario": None}, "coverage_pct": None,
                             "fn_coverage": None, "unfigured_ranked": [], "rank_disagreements": [],
                             "n_with_figure": 0, "focus": None, "focus_code": focus}
    facts["data_age"] = handle.info()["data_age"]["line"]     # magwatch.calendar
    try:
        mon = handle.monitor(month).to_dict()
    except NoDataError as exc:
        facts["empty"] = str(exc)
        facts["missing"].append(f"no figures for {month_name(month)} in the store: {exc}")
        facts["headline"] = headline(facts)
        return facts, notes, None
    facts["empty"] = None
    _month_facts(facts, mon, notes, top)
    _unit_value_facts(facts, mon, notes, top)
    _lead(facts, mon, notes, focus)
    _event_facts(facts, handle, notes)
    _mirror_facts(facts, handle, notes)
    result = _risk_facts(facts, handle, notes, scenario, paths, seed)
    facts["missing"] = _merged([_missing_words(m, facts) for m in facts["missing"]])
    facts["headline"] = headline(facts)
    return facts, notes, result


def _why_no_change(row: dict | None) -> str | None:
    """Why a row has no m/m or y/y change, in words without month names (they would re-date the text)."""
    if not row:
        return None
    why = []
    for metric in ("mom_pct", "yoy_pct"):
        basis = (row.get("basis") or {}).get(metric) or ""
        if row.get(metric) is not None:
            continue
        if "published combined" in basis:
            why.append("China publishes January and February as one figure")
        elif "same month a year earlier" in basis:
            why.append("the store has no figure for the same month a year earlier")
        elif "previous month" in basis:
            why.append("the store has no figure for the month before")
    return "; ".join(why) or None


def _merged(items: list[str]) -> list[str]:
    """One line for each subject: 'No world total for June 2019: a' and '...: b' become '...: a; b'."""
    out: dict[str, str] = {}
    for item in items:
        head, sep, tail = item.partition(": ")
        if sep and head in out:
            out[head] += "; " + tail
        else:
            out[head if sep else item] = item
    return list(out.values())


def _focus_code(focus: str | None) -> str | None:
    if focus is None or not str(focus).strip():
        return None
    code = str(focus).strip().upper()
    if not countries.is_known(code) or code == "WLD":
        raise ParameterError("focus", f"expected a destination code such as DEU, EUU, USA, JPN, KOR or IND, "
                                      f"got {focus!r}")
    return code


def _month_facts(facts: dict, mon: dict, notes: Footnotes, top: int) -> None:
    """Levels, changes, ranks and shares of the world, the destinations and the groups."""
    month = facts["month"]
    world_row = mon.get("world") if mon.get("world") and mon["world"].get("net_weight_t") is not None else None
    facts["world_row"] = world_row
    facts["world"] = _figure_row(world_row, notes, month, None) if world_row else None
    facts["world_why"] = _why_no_change(world_row)
    if not world_row:
        facts["missing"].append(f"no world total for {month_name(month)}: changes and shares of the total "
                                "cannot be given")
    partners = [r for r in mon["partners"] if r.get("net_weight_t") is not None]
    partners.sort(key=lambda r: (r.get("rank") or 99, -(r["net_weight_t"] or 0)))
    facts["partner_rows"] = partners
    facts["n_with_figure"] = len(partners)
    facts["partners"] = [_figure_row(r, notes, month, world_row) for r in partners[:top]]
    facts["unfigured_ranked"] = [
        {"partner": r["partner"], "name": r.get("partner_name") or r["partner"],
         "reported_rank": int(_pick(r, "reported rank")[0]["value"]) if _pick(r, "reported rank") else None,
         "fn": notes.add(f"{r.get('partner_name')} rank as reported, {month}", "reported",
                         _pick(r, "reported rank"))}
        for r in mon["partners"] if r.get("net_weight_t") is None and _pick(r, "reported rank")]
    facts["groups"] = [_figure_row(r, notes, month, world_row, record=False) for r in mon.get("groups", [])
                       if r.get("net_weight_t") is not None]
    conc = mon.get("concentration") or {}
    facts["concentration"] = conc
    facts["coverage_pct"] = conc.get("coverage_pct")
    if facts["coverage_pct"] is not None and facts["coverage_pct"] < 99.5 and world_row:
        facts["fn_coverage"] = notes.add(
            f"share of the world total covered by destination figures, {month}",
            "computed (sum of the destination net weights / world net weight)",
            _pick(world_row, "net weight") + [s for r in partners for s in _pick(r, "net weight")])
    if not partners:
        facts["missing"].append(f"no destination has a figure for {month_name(month)}: the store holds no "
                                "breakdown by destination")
    if facts["world_why"]:
        facts["missing"].append(f"no change for the world total: {facts['world_why']}")
    facts["missing"].extend(mon.get("lacks") or [])
    facts["notes"] = mon.get("notes") or []
    _flag_facts(facts, mon)
    ranked = [f for f in facts["partners"] if f.get("rank")]
    facts["top_dest"] = ranked[0] if ranked else None
    facts["second_dest"] = ranked[1] if len(ranked) > 1 else None
    facts["rank_disagreements"] = [f for f in ranked if f.get("reported_rank") not in (None, f["rank"])]


def _flag_facts(facts: dict, mon: dict) -> None:
    """The destinations whose cell the source withheld (a reason, no figure: never a zero)
    and the code changes the series crosses."""
    held = [r for r in mon["partners"] + (mon.get("groups") or [])
            if r.get("flag") in WITHHELD_FLAGS and r.get("net_weight_t") is None]
    facts["withheld"] = [{"name": r.get("partner_name") or r["partner"], "flag": r["flag_text"]}
                         for r in held]
    facts["flag_notes"] = [n for n in facts["notes"] if any(
        n.startswith(f"{w['name']}: ") for w in facts["withheld"])]
    world = [mon["world"]] if mon.get("world") else []
    facts["flag_notes"] += [f"{r.get('partner_name') or r['partner']}: the figure is "
                            f"{r['flag_text']} as the source published it"
                            for r in world + mon["partners"] + (mon.get("groups") or [])
                            if r.get("flag") and r.get("net_weight_t") is not None]
    facts["flag_notes"] += [n for n in facts["notes"] if n.startswith("code change: ")]


def _unit_value_facts(facts: dict, mon: dict, notes: Footnotes, top: int) -> None:
    """Unit values (value / net weight) of the world and the top destinations, with their m/m,
    y/y and flags (analytics/unit_values.py); values held only in another currency, unconverted."""
    month = facts["month"]
    rows = [r for r in ([mon.get("world")] + mon["partners"][:top]) if r]
    facts["unit_values"], facts["local_values"] = [], []
    for r in rows:
        name, basis = r.get("partner_name") or r["partner"], r.get("basis") or {}
        if r.get("unit_value_usd_kg") is not None:
            u = {"partner": r["partner"], "name": name, "uv": r["unit_value_usd_kg"],
                 "fn": notes.add(f"{name} unit value, {month}", "computed (value / net weight)",
                                 _pick(r, "net weight", "value")),
                 "flags": _unit_value_flag_words(r)}
            for key in ("mom", "yoy"):
                u[key] = r.get(f"unit_value_{key}_pct")
                if u[key] is not None:
                    u[f"fn_{key}"] = notes.add(f"{name} unit value {'m/m' if key == 'mom' else 'y/y'}, "
                                               f"{month}", _basis_word(basis.get(f"unit_value_{key}_pct")),
                                               _pick(r, "net weight", "value", "base"))
            facts["unit_values"].append(u)
        if r.get("value_currency"):
            facts["local_values"].append({"partner": r["partner"], "name": name,
                                          "currency": r["value_currency"], "value": r["value_local"],
                                          "fn": notes.add(f"{name} value in {r['value_currency']}, {month}",
                                                          "observed, not converted to USD (magwatch "
                                                          "holds no exchange rate)",
                                                          _pick(r, "value"))})


def _unit_value_flag_words(row: dict) -> list[str]:
    """The monitor's unit-value flags in words without figures (the figures are in its basis)."""
    oxide = row.get("oxide") or {}
    words = []
    z = row.get("unit_value_z")
    if z is not None and abs(z) >= 3:
        words.append(f"far {'above' if z > 0 else 'below'} the median of its own series over the "
                     "months before")
    if (oxide.get("level") or {}).get("below"):
        words.append("below the cost of its NdPr content at the NdPr oxide price quoted that month")
    for key, label in (("mom", "the month before"), ("yoy", "a year earlier")):
        if (oxide.get(key) or {}).get("against"):
            words.append(f"moving against the NdPr oxide price from {label}")
    return words


def _lead(facts: dict, mon: dict, notes: Footnotes, focus: str | None) -> None:
    """The lead: the focus destination when asked for, else the biggest month-on-month move among
    the world and the destinations with at least 5% of the total."""
    if focus:
        shown = {f["partner"]: f for f in facts["partners"] + facts["groups"]}
        row = shown.get(focus)
        if row is None:
            raw = next((r for r in facts["partner_rows"] if r["partner"] == focus), None)
            row = _figure_row(raw, notes, facts["month"], facts["world_row"]) if raw else None
        unfigured = next((u for u in facts["unfigured_ranked"] if u["partner"] == focus), None)
        facts["focus"] = {"code": focus, "name": country_name(focus), "row": row, "unfigured": unfigured,
                          "is_group": any(g["partner"] == focus for g in facts["groups"])}
        if row is not None:
            facts["lead"] = row
            return
    cands = [f for f in ([facts["world"]] if facts["world"] else []) + facts["partners"]
             if f.get("mom_pct") is not None and (f["partner"] == "WLD" or (f.get("share_pct") or 0) >= 5)]
    facts["lead"] = max(cands, key=lambda f: abs(f["mom_pct"])) if cands else (
        facts["world"] or (facts["partners"][0] if facts["partners"] else None))


def _event_facts(facts: dict, handle: Reader, notes: Footnotes) -> None:
    facts["events"] = []
    try:
        exp = handle.explain(facts["month"]).to_dict()
    except (NoDataError, ParameterError) as exc:
        facts["missing"].append(f"events: {exc}")
        return
    for ev in exp.get("events", [])[:5]:
        fn = notes.add(f"event {ev['event_id']}", "event registry (reported)",
                       [{"role": "event", "url": ev.get("source_url"), "file": "rare_earth_events.csv",
                         "vintage": None}])
        facts["events"].append({**{k: ev.get(k) for k in ("event_id", "event_date", "event_type", "actor",
                                                          "summary", "timing", "relevance")},
                                "when": _timing_words(ev.get("timing")), "fn": fn})


def _timing_words(timing: str | None) -> str:
    """'2 month(s) before' -> 'two months before'."""
    m = re.fullmatch(r"(\d+) month\(s\) (before|after)", timing or "")
    if not m:
        return timing or ""
    n = int(m.group(1))
    words = {1: "a month", 2: "two months", 3: "three months", 4: "four months", 5: "five months",
             6: "six months"}
    return f"{words.get(n, f'{n} months')} {m.group(2)}"


def _mirror_facts(facts: dict, handle: Reader, notes: Footnotes) -> None:
    """Importer-side figures for the month, its quarter or its year: only rows with a figure."""
    facts["mirror"] = []
    for r in _mirror_rows(handle, facts["month"]):
        figure = _mirror_figure(r)
        if figure is None:
            continue
        fn = notes.add(f"{country_name(r['importer'])} imports from China, {period_words(r['period'])}",
                       "reported (importer-side statistic)",
                       [{"role": "importer-side", "url": r.get("source_url"),
                         "file": "partner_imports_monthly.csv", "row": r["source_row"],
                         "vintage": r.get("source_date")}])
        facts["mirror"].append({**r, "importer_name": country_name(r["importer"]), "figure": figure[0],
                                "after": figure[1],
                                "period_words": period_words(r["period"]), "fn": fn})
    if not facts["mirror"]:
        facts["missing"].append(f"no importer-side (mirror) figure for {month_name(facts['month'])} in the "
                                "store; the mirror check is not possible")


def _num(text: Any) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _mirror_figure(r: dict) -> tuple[str, str] | None:
    """(' of 11,000 t', ', up 24% on the year as the source reports it'): the figure before the period
    and what follows it; None when the row has no figure."""
    t, usd, share, yoy = (_num(r.get(k)) for k in ("net_weight_t", "value_usd", "exporter_share_pct_reported",
                                                     "yoy_pct_reported"))
    parts = []
    if t is not None:
        parts.append(tonnes(t))
    if usd is not None:
        parts.append(("worth " if parts else "") + f"US${usd:,.0f}")
    if not parts and share is None:
        return None
    main = " of " + " ".join(parts) if parts else ""
    extra = ""
    if share is not None:
        extra += (f", {share:,.1f}% of its imports of the product" if parts else
                  f": China's share of its imports of the product was {share:,.1f}%, as reported (no tonnage)")
    if yoy is not None:
        extra += f", {'up' if yoy >= 0 else 'down'} {abs(yoy):,.0f}% on the year as the source reports it"
    return main, extra


def _risk_facts(facts: dict, handle: Reader, notes: Footnotes, scenario: str | None, paths: int, seed: int):
    """China's share of each supply stage, and the scenario's shortfall and time-to-survive."""
    facts["risk"] = {"stages": [], "scenario": None}
    try:
        rep = handle.risk(facts["month"]).to_dict()
        for st in rep.get("china_stage_shares", []):
            if st.get("china_share_pct") is None:
                facts["missing"].append(f"China's share of the {st['stage']} stage: no figure in the store")
                continue
            file, _, row = (st.get("where") or "").partition(" row ")
            fn = notes.add(f"China's share of {st['stage']}", f"{st.get('kind')} ({st.get('note') or ''})",
                           [{"role": "stage share", "url": st.get("source_url"), "file": file or None,
                             "row": row or None, "vintage": st.get("year")}])
            facts["risk"]["stages"].append({**st, "fn": fn})
    except (NoDataError, ParameterError) as exc:
        facts["missing"].append(f"risk: {exc}")
    if not scenario:
        return None
    result = handle.scenario(scenario, paths=paths, seed=seed)
    peak = max(result.total, key=lambda r: r["shortfall_t_p50"])
    fastest = min(result.survival, key=lambda r: r["tts_months_p50"])
    fn = notes.add(f"scenario {scenario}", f"computed (Monte Carlo, {paths:,} paths, seed {seed}; "
                   "inputs and their sources: magwatch scenario run)",
                   [{"role": "scenario file", "url": None, "file": Path(result.scenario.file).name,
                     "row": None, "vintage": None}])
    facts["risk"]["scenario"] = {
        "name": scenario, "title": result.scenario.title, "start": str(Month.of(result.scenario.start)),
        "start_name": Month.of(result.scenario.start).label(), "months": result.scenario.model.months,
        "paths": paths, "seed": seed, "peak": {**peak, "month_name": month_name(peak["month"])},
        "fastest": {**fastest, "importer_name": country_name(fastest["importer"]),
                    "sector_name": sector_name(fastest["sector"])},
        "focus": _focus_survival(facts.get("focus_code"), result.survival), "fn": fn}
    return result


def _focus_survival(focus: str | None, survival: list[dict]) -> dict | None:
    """The focus destination's importers, sector by sector, shortest median time-to-survive first.

    An EU member state's importers are modelled within the European Union."""
    if not focus:
        return None
    importer = "EUU" if focus in EU_MEMBERS else focus
    rows = sorted((r for r in survival if r["importer"] == importer), key=lambda r: r["tts_months_p50"])
    return {"code": focus, "name": country_name(focus), "importer": importer,
            "importer_name": country_name(importer), "within": importer != focus,
            "sectors": [{**r, "sector_name": sector_name(r["sector"])} for r in rows]}


_REPORTED_BASE = re.compile(r"([A-Z]{3}): as reported by (\S+) \((\d{4}-\d{2}) has no figure in the store\)$")


def _missing_words(text: str, facts: dict) -> str:
    """What is missing, in plain words: names for codes, month names, one count of destinations."""
    m = _REPORTED_BASE.match(text)
    if m:
        code, outlet, base = m.groups()
        kind = "year-on-year" if base == str(Month.parse(facts["month"]) - 12) else "month-on-month"
        who = "the world total" if code == "WLD" else country_name(code)
        return (f"{possessive(who)[:1].upper()}{possessive(who)[1:]} {kind} change is as reported by {outlet}; "
                f"{month_name(base)} has no figure in the store")
    if text.startswith("no values (USD)"):
        return "No US-dollar values: the store has weights only"
    m = re.match(r"destinations ranked by a source but without a figure here: (.*)$", text)
    if m:
        names = [country_name(c.strip()) for c in m.group(1).split(",")]
        verb = "is" if len(names) == 1 else "are"
        return f"{list_words(names)} {verb} ranked by a source but {'has' if verb == 'is' else 'have'} no tonnage in the store"
    if text.startswith("partner figures cover"):
        n = facts["n_with_figure"]
        return (f"In {facts['month_name']}, destination figures cover {facts['coverage_pct']}% of the world total: "
                f"ranks are computed among the {n} destination{'s' if n != 1 else ''} with a figure")
    text = plain_words(text)
    return text[:1].upper() + text[1:]


def headline(facts: dict) -> str:
    """The headline: the lead's move at news precision, or what exists in a thin month."""
    f, name = facts.get("lead"), facts["month_name"]
    focus = facts.get("focus")
    world = facts.get("world")
    tail = f"; world shipments {tonnes(world['net_weight_t'])}" if world else "; no world total in the store"
    if focus and focus["row"] is None:
        return f"No figure for China's rare-earth magnet exports to {focus['name']} in {name}{tail}"
    if f is None:
        return f"No figures for China's rare-earth magnet exports in {name}"
    to = "" if f["partner"] == "WLD" else f" to {f['name'] and the_name(f['name'])}"
    rest = "" if f["partner"] == "WLD" else tail
    if f.get("mom_pct") is not None:
        move = f["verb_mom"] + ("" if f["verb_mom"] == "was flat" else " " + headline_pct(f["mom_pct"]))
        return f"China's rare-earth magnet exports{to} {move} in {name} to {tonnes(f['net_weight_t'])}{rest}"
    level = f"China's rare-earth magnet exports{to} were {tonnes(f['net_weight_t'])} in {name}"
    if f.get("yoy_pct") is not None:
        word = "up" if f["yoy_pct"] > 0 else "down"
        return f"{level}, {word} {headline_pct(f['yoy_pct'])} from a year earlier{rest}"
    lacks = ["no month-on-month or year-on-year change"]
    if not facts["partners"]:
        lacks.append("no destination figures")
    return f"{level}{rest}; {' and '.join(lacks)} in the store"


def _series(handle: Reader, partners: list[str], month: str, months: int = 18) -> dict[str, dict[str, float]]:
    start = str(Month.parse(month) - (months - 1))
    out = {}
    for p in partners:
        rows = figures.chosen(handle, reporter="CHN", commodity=MAGNET_LINE, flow="X", partner=p,
                              start=start, end=month).to_pylist()
        out[p] = {r["period"]: float(r["net_weight_t"]) for r in rows if r["net_weight_t"] is not None}
    return out


def draw_charts(handle: Reader, facts: dict, result, out_dir: Path) -> dict[str, dict[str, Path]]:
    from magwatch.report import charts
    from magwatch.report.words import event_type_words

    month = facts["month"]
    chart_dir = out_dir / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, dict[str, Path]] = {}
    if facts.get("empty"):
        return drawn
    codes = ["WLD"] + [f["partner"] for f in facts["partners"][:4]]
    names = {f["partner"]: f["name"] for f in facts["partners"]}
    series = _series(handle, codes, month)
    at = Month.parse(month)
    evs = handle.events(start=(at - 17).first_day, end=f"{at}-28").to_pylist()
    keep = [e for e in evs if e["event_type"] in ("export_control", "license", "trade_deal")
            and e.get("touches_commodity") in ("yes", "all", None)]
    events = [{"event_date": e["event_date"],
               "label": f"{e['event_date'].day} {e['event_date']:%b %Y}, {event_type_words(e['event_type'])}"}
              for e in keep][-8:]
    stem = f"brief-{month}"
    drawn["volume"] = charts.volume_chart(
        series, names, events, month, chart_dir / f"{stem}-volume",
        caption="Net weight by month as published (observed); gaps are months without a figure. "
                "Events: magwatch event registry. Sources: footnotes of the brief.")
    if facts.get("world") and facts["partners"]:
        shares = [(f["name"], f["share_pct"]) for f in facts["partners"] if f.get("share_pct") is not None]
        cover = facts.get("coverage_pct")
        drawn["shares"] = charts.share_chart(
            shares, None if cover is None else round(100 - cover, 1), month,
            chart_dir / f"{stem}-shares",
            caption="Share = destination net weight / world net weight (computed from the footnoted figures).")
    if result is not None:
        drawn["fan"] = charts.fan_chart(result, chart_dir / f"{stem}-risk-fan")
    return drawn


@functools.cache
def _env(kind: str):
    """The template environment of ``kind`` (md or html), one per process: it keeps its
    compiled templates, which cost about a second to compile."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=kind == "html",
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.Undefined)
    env.filters.update(upfirst=lambda s: s[:1].upper() + s[1:], the=the_name, tonnes=tonnes, pct=pct,
                       month_name=month_name, ordinal=ordinal, verb=change_verb, possessive=possessive,
                       months=lambda x: f"{x:,.1f} month" + ("" if f"{x:.1f}" == "1.0" else "s"))
    if kind == "md":
        env.globals["ref"] = lambda n: f"[^{n}]" if n else ""
    else:
        import markupsafe

        env.globals["ref"] = lambda n: markupsafe.Markup(
            f'<sup class="fn"><a href="#fn{n}" id="ref{n}">{n}</a></sup>') if n else ""
    return env


def render(facts: dict, footnotes: list[dict], charts: dict, kind: str, chart_base: str = "charts") -> str:
    env = _env(kind)
    tpl = env.get_template("brief.md.j2" if kind == "md" else "brief.html.j2")
    rel = {name: {fmt: f"{chart_base}/{p.name}" for fmt, p in paths.items()} for name, paths in charts.items()}
    return tpl.render(f=facts, notes=footnotes, charts=rel)


def build(handle: Reader, month: str, *, out_dir: str | Path | None = None, formats=("md", "html"),
          top: int = 5, scenario: str | None = DEFAULT_SCENARIO, paths: int = 2000, seed: int = 0,
          charts: bool = True, focus: str | None = None) -> Brief:
    """Build the brief for ``month``; with ``out_dir``, write the files and charts there.

    ``formats``: any of ``md``, ``html``, ``pdf`` (PDF through WeasyPrint, from the HTML).
    ``focus``: a destination code (DEU, EUU, USA, JPN, KOR, IND...) the brief leads with.
    """
    bad = [f for f in formats if f not in ("md", "html", "pdf")]
    if bad:
        raise ParameterError("format", f"expected md, html or pdf, got {bad[0]!r}")
    facts, notes, result = gather(handle, month, top=top, scenario=scenario, paths=paths, seed=seed,
                                  focus=focus)
    brief = Brief(facts["month"], facts, notes.items)
    drawn = {}
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if charts:
            drawn = draw_charts(handle, facts, result, out)
        brief.charts = drawn
    brief.markdown = render(facts, notes.items, drawn, "md")
    brief.html = render(facts, notes.items, drawn, "html")
    if out_dir is not None:
        stem = Path(out_dir) / f"brief-{brief.month}"
        if "md" in formats:
            stem.with_suffix(".md").write_text(brief.markdown, encoding="utf-8")
            brief.files.append(stem.with_suffix(".md"))
        if "html" in formats or "pdf" in formats:
            stem.with_suffix(".html").write_text(brief.html, encoding="utf-8")
            brief.files.append(stem.with_suffix(".html"))
        if "pdf" in formats:
            brief.files.append(write_pdf(stem.with_suffix(".html"), stem.with_suffix(".pdf")))
    return brief


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render the HTML brief to PDF with WeasyPrint (needs pango from the system)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise ParameterError("format", f"pdf needs WeasyPrint and pango (pip install weasyprint): {exc}") from None
    weasyprint.HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(str(pdf_path))
    return pdf_path


__all__ = ["Brief", "Footnotes", "build", "change_verb", "country_name", "draw_charts", "gather", "headline",
           "headline_pct", "month_name", "ordinal", "period_words", "plain_words", "ratio_words",
           "record_phrase", "render", "write_pdf"]
