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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from magwatch.analytics import figures
from magwatch.errors import NoDataError, ParameterError
from magwatch.periods import Month

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_SCENARIO = "repeat-2025-04"


# ----------------------------------------------------------------------------- wording

def month_name(period: str | None) -> str:
    """``June 2025`` for a month; anything else (a quarter, a year, None) as given."""
    try:
        return Month.parse(period).label()
    except ParameterError:
        return period or ""


def change_verb(pct: float | None) -> str:
    if pct is None:
        return "changed by an unknown amount"
    if abs(pct) < 0.5:
        return "was flat"
    if pct >= 100:
        return "jumped"
    if pct >= 10:
        return "rose"
    if pct > 0:
        return "edged up"
    if pct <= -50:
        return "plunged"
    if pct <= -10:
        return "fell"
    return "eased"


def ordinal(n: int | None) -> str:
    words = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
             "tenth"]
    if n is None:
        return "unranked"
    return words[n] if 0 < n < len(words) else f"{n}th"


def ratio_words(pct: float | None) -> str | None:
    """'about half' for -52%, 'about twice' for +100%...; None when no plain phrase fits."""
    if pct is None:
        return None
    r = 1 + pct / 100
    for value, words in ((0.25, "about a quarter of"), (1 / 3, "about a third of"), (0.5, "about half"),
                         (2 / 3, "about two-thirds of"), (2.0, "about twice"), (3.0, "about three times")):
        if abs(r - value) <= 0.05 * value + 0.01:
            return words
    return None


def the_name(name: str | None) -> str:
    """'the United States', 'the Netherlands', but 'Germany'."""
    if not name:
        return ""
    if re.match(r"(United|European|Netherlands|Philippines|Czech Republic|Republic)", name):
        return "the " + name
    return name


def tonnes(x: float | None) -> str:
    if x is None:
        return "no data"
    return f"{x:,.1f} t".replace(".0 t", " t")


def pct(x: float | None, signed: bool = True) -> str:
    if x is None:
        return "no data"
    return f"{x:+,.1f}%" if signed else f"{abs(x):,.1f}%"


def record_phrase(text: str | None) -> str | None:
    """Monitor's record wording in words ('highest since 2025-03 (...)' -> 'the highest since March 2025')."""
    if not text:
        return None
    m = re.match(r"(highest|lowest) since (\d{4}-\d{2})(?: \((.*)\))?", text)
    if m:
        tail = f" ({m.group(3).replace('with data', 'with a figure')})" if m.group(3) else ""
        return f"the {m.group(1)} since {month_name(m.group(2))}{tail}"
    m = re.match(r"(highest|lowest) of (\d+) months with data since (\d{4}-\d{2})", text)
    if m:
        return f"the {m.group(1)} of the {m.group(2)} months with a figure since {month_name(m.group(3))}"
    return text


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

def _mirror_rows(handle, month: str) -> list[dict]:
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


def gather(handle, month: str, *, top: int = 5, scenario: str | None = DEFAULT_SCENARIO,
           paths: int = 2000, seed: int = 0) -> tuple[dict, Footnotes, Any]:
    """The facts of the brief for ``month`` and their footnotes (plus the scenario result)."""
    at = Month.parse(month, "month")
    month = str(at)
    notes = Footnotes()
    facts: dict[str, Any] = {"month": month, "month_name": at.label(),
                             "year_earlier_name": (at - 12).label(),
                             "generated": dt.date.today().isoformat(), "missing": [], "lead": None,
                             "world": None, "partners": [], "groups": [], "events": [], "mirror": [],
                             "risk": {"stages": [], "scenario": None}, "coverage_pct": None,
                             "fn_coverage": None, "unfigured_ranked": [], "rank_disagreements": []}
    facts["data_age"] = handle.info()["data_age"]["line"]     # magwatch.calendar
    try:
        mon = handle.monitor(month)
    except NoDataError as exc:
        facts["empty"] = str(exc)
        facts["missing"].append(f"no figures for {month_name(month)} in the store: {exc}")
        return facts, notes, None
    facts["empty"] = None
    world_row = mon.get("world") if mon.get("world") and mon["world"].get("net_weight_t") is not None else None
    facts["world"] = _figure_row(world_row, notes, month, None) if world_row else None
    if not world_row:
        facts["missing"].append(f"no world total for {month_name(month)}: changes and shares of the total "
                                "cannot be given")
    partners = [r for r in mon["partners"] if r.get("net_weight_t") is not None]
    partners.sort(key=lambda r: (r.get("rank") or 99, -(r["net_weight_t"] or 0)))
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
    facts["missing"].extend(mon.get("lacks") or [])
    facts["notes"] = mon.get("notes") or []

    # the lead: the biggest month-on-month move among the world and destinations with >=5% share
    cands = [f for f in ([facts["world"]] if facts["world"] else []) + facts["partners"]
             if f.get("mom_pct") is not None and (f["partner"] == "WLD" or (f.get("share_pct") or 0) >= 5)]
    facts["lead"] = max(cands, key=lambda f: abs(f["mom_pct"])) if cands else (
        facts["world"] or (facts["partners"][0] if facts["partners"] else None))
    ranked = [f for f in facts["partners"] if f.get("rank")]
    facts["top_dest"] = ranked[0] if ranked else None
    facts["second_dest"] = ranked[1] if len(ranked) > 1 else None
    facts["rank_disagreements"] = [f for f in ranked if f.get("reported_rank") not in (None, f["rank"])]

    # events
    facts["events"] = []
    try:
        exp = handle.explain(month).to_dict()
        for ev in exp.get("events", [])[:5]:
            fn = notes.add(f"event {ev['event_id']}", "event registry (reported)",
                           [{"role": "event", "url": ev.get("source_url"), "file": "rare_earth_events.csv",
                             "vintage": None}])
            facts["events"].append({**{k: ev.get(k) for k in ("event_id", "event_date", "event_type", "actor",
                                                              "summary", "timing", "relevance")},
                                    "fn": fn})
    except (NoDataError, ParameterError) as exc:
        facts["missing"].append(f"events: {exc}")

    # mirror (importer-side figures)
    facts["mirror"] = []
    for r in _mirror_rows(handle, month):
        fn = notes.add(f"{r['importer']} imports from China, {r['period']}", "reported (importer-side statistic)",
                       [{"role": "importer-side", "url": r.get("source_url"),
                         "file": "partner_imports_monthly.csv", "row": r["source_row"],
                         "vintage": r.get("source_date")}])
        facts["mirror"].append({**r, "fn": fn})
    if not facts["mirror"]:
        facts["missing"].append(f"no importer-side (mirror) figure for {month_name(month)} in the store; "
                                "the mirror check is not possible")

    # risk outlook
    facts["risk"] = {"stages": [], "scenario": None}
    result = None
    try:
        rep = handle.risk(month)
        for st in rep.get("china_stage_shares", []):
            if st.get("china_share_pct") is None:
                facts["missing"].append(f"China's share of the {st['stage']} stage: no figure")
                continue
            file, _, row = (st.get("where") or "").partition(" row ")
            fn = notes.add(f"China's share of {st['stage']}", f"{st.get('kind')} ({st.get('note') or ''})",
                           [{"role": "stage share", "url": st.get("source_url"), "file": file or None,
                             "row": row or None, "vintage": st.get("year")}])
            facts["risk"]["stages"].append({**st, "fn": fn})
    except (NoDataError, ParameterError) as exc:
        facts["missing"].append(f"risk: {exc}")
    if scenario:
        result = handle.scenario(scenario, paths=paths, seed=seed)
        peak = max(result.total, key=lambda r: r["shortfall_t_p50"])
        fastest = min(result.survival, key=lambda r: r["tts_months_p50"])
        fn = notes.add(f"scenario {scenario}", f"computed (Monte Carlo, {paths:,} paths, seed {seed}; "
                       "inputs and their sources: magwatch scenario run)",
                       [{"role": "scenario file", "url": None, "file": Path(result.scenario.file).name,
                         "row": None, "vintage": None}])
        facts["risk"]["scenario"] = {"name": scenario, "title": result.scenario.title,
                                     "start": str(Month.of(result.scenario.start)),
                                     "months": result.scenario.model.months, "paths": paths, "seed": seed,
                                     "peak": peak, "fastest": fastest, "fn": fn}
    return facts, notes, result


def _series(handle, partners: list[str], month: str, months: int = 18) -> dict[str, dict[str, float]]:
    start = str(Month.parse(month) - (months - 1))
    out = {}
    for p in partners:
        rows = figures.chosen(handle, reporter="CHN", commodity="85051110", flow="X", partner=p,
                              start=start, end=month).to_pylist()
        out[p] = {r["period"]: float(r["net_weight_t"]) for r in rows if r["net_weight_t"] is not None}
    return out


def draw_charts(handle, facts: dict, result, out_dir: Path) -> dict[str, dict[str, Path]]:
    from magwatch.report import charts

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
    events = [{"event_date": e["event_date"], "label": f"{e['event_date']:%d %b} {e['event_type']}"}
              for e in keep][-8:]
    stem = f"brief-{month}"
    drawn["volume"] = charts.volume_chart(
        series, names, events, month, chart_dir / f"{stem}-volume",
        caption="Net weight by month as published (observed); gaps are months without a figure. "
                "Events: magwatch event registry. Sources: footnotes of the brief.")
    if facts.get("world"):
        shares = [(f["name"], f["share_pct"]) for f in facts["partners"] if f.get("share_pct") is not None]
        cover = facts.get("coverage_pct")
        drawn["shares"] = charts.share_chart(
            shares, None if cover is None else round(100 - cover, 1), month, chart_dir / f"{stem}-shares",
            caption="Share = destination net weight / world net weight (computed from the footnoted figures).")
    if result is not None:
        drawn["fan"] = charts.fan_chart(result, chart_dir / f"{stem}-risk-fan")
    return drawn


def _env(kind: str):
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=kind == "html",
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.Undefined)
    env.filters.update(upfirst=lambda s: s[:1].upper() + s[1:], the=the_name, tonnes=tonnes, pct=pct, month_name=month_name, ordinal=ordinal, verb=change_verb)
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


def build(handle, month: str, *, out_dir: str | Path | None = None, formats=("md", "html"),
          top: int = 5, scenario: str | None = DEFAULT_SCENARIO, paths: int = 2000, seed: int = 0,
          charts: bool = True) -> Brief:
    """Build the brief for ``month``; with ``out_dir``, write the files and charts there.

    ``formats``: any of ``md``, ``html``, ``pdf`` (PDF through WeasyPrint, from the HTML).
    """
    bad = [f for f in formats if f not in ("md", "html", "pdf")]
    if bad:
        raise ParameterError("format", f"expected md, html or pdf, got {bad[0]!r}")
    facts, notes, result = gather(handle, month, top=top, scenario=scenario, paths=paths, seed=seed)
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


__all__ = ["Brief", "Footnotes", "build", "change_verb", "draw_charts", "gather", "month_name", "ordinal",
           "ratio_words", "record_phrase", "render", "write_pdf"]
