"""Alert rules on the monthly figures, with their evidence, delivered where the user asks.

Rules live in a TOML file (``[[rule]]`` tables; see docs/brief.md, "Alerts", and the
example ``alerts.toml`` next to this module). Each rule is evaluated on one month through
the ``Magwatch`` handle (``monitor``, ``flows``, ``revisions``); every alert carries the
figure, the threshold, whether the figure is computed or reported, and its sources.

Delivery: the terminal, a JSON-lines file (appended), or a webhook (HTTP POST of one
JSON object per alert, retried with exponential back-off on connection errors and
5xx/429 answers).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from magwatch.analytics import figures
from magwatch.analytics.reader import Reader
from magwatch.codes import MAGNET_LINE
from magwatch.errors import InputError, NoDataError, ParameterError, SourceError
from magwatch.frame import Answer
from magwatch.periods import Month

EXAMPLE_RULES = Path(__file__).with_name("alerts.toml")

KINDS = ("threshold", "new_low", "new_high", "hhi_cross", "revision")
METRICS = ("mom_pct", "yoy_pct", "net_weight_t", "share_pct")
OPS = (">", ">=", "<", "<=")


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    metric: str | None = None
    op: str | None = None
    threshold: float | None = None
    partners: str | tuple[str, ...] = "WLD"   # "WLD", "top10" (top N), "any", or ISO3 codes
    months: int = 12
    direction: str = "above"                   # hhi_cross: above / below / either
    min_coverage: float = 0.5                  # new_low/new_high: share of the window with data
    reporter: str = "CHN"
    commodity: str = MAGNET_LINE
    flow: str = "X"
    description: str = ""


@dataclass
class Alert:
    rule: str
    month: str
    partner: str
    message: str
    value: float | None
    threshold: float | None
    basis: str
    evidence: dict[str, Any] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(repr=False)
class Evaluation(Answer):
    """Alerts that fired, as a Frame of one row per alert, and for each rule a line on why it
    did not (or could not) fire (``quiet``); ``alerts`` keeps the :class:`Alert` objects."""

    month: str
    alerts: list[Alert]
    quiet: list[dict]

    def __post_init__(self) -> None:
        Answer.__init__(self, {"month": self.month, "alerts": [a.as_dict() for a in self.alerts],
                               "quiet": self.quiet}, "alerts")


# ----------------------------------------------------------------------------- rule file

def _fail(file: str, row: int | None, field_: str, msg: str):
    raise InputError(msg, file=file, row=row, field=field_)


def read_rules(path: str | Path | None = None) -> list[Rule]:
    """Rules from a TOML file (default: the bundled example). Errors name file, rule and field."""
    path = Path(path) if path else EXAMPLE_RULES
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError("rules", f"no such file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        _fail(name, None, "toml", f"not valid TOML: {exc}")
    except UnicodeDecodeError as exc:
        _fail(name, None, "toml", f"not UTF-8 text (byte {exc.start}); save the rules as UTF-8")
    tables = data.get("rule")
    if not isinstance(tables, list) or not tables:
        _fail(name, None, "rule", "expected one or more [[rule]] tables")
    rules, seen = [], set()
    allowed = set(Rule.__dataclass_fields__)
    for i, t in enumerate(tables, start=1):
        unknown = set(t) - allowed
        if unknown:
            _fail(name, i, sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(allowed))})")
        if not isinstance(t.get("name"), str) or not t["name"].strip():
            _fail(name, i, "name", "every rule needs a name")
        if t["name"] in seen:
            _fail(name, i, "name", f"duplicate rule name {t['name']!r}")
        seen.add(t["name"])
        kind = t.get("kind", "threshold")
        if kind not in KINDS:
            _fail(name, i, "kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        if kind == "threshold":
            if t.get("metric") not in METRICS:
                _fail(name, i, "metric", f"expected one of {', '.join(METRICS)}, got {t.get('metric')!r}")
        if kind in ("threshold", "revision"):
            if t.get("op") not in OPS:
                _fail(name, i, "op", f"expected one of {' '.join(OPS)}, got {t.get('op')!r}")
        if kind in ("threshold", "revision", "hhi_cross"):
            if not isinstance(t.get("threshold"), (int, float)) or isinstance(t.get("threshold"), bool):
                _fail(name, i, "threshold", f"expected a number, got {t.get('threshold')!r}")
        if kind == "hhi_cross" and t.get("direction", "above") not in ("above", "below", "either"):
            _fail(name, i, "direction", "expected above, below or either")
        months = t.get("months", 12)
        if not isinstance(months, int) or isinstance(months, bool) or not 2 <= months <= 240:
            _fail(name, i, "months", f"expected a whole number of months 2..240, got {months!r}")
        partners = t.get("partners", "WLD")
        if isinstance(partners, list):
            if not all(isinstance(p, str) and len(p) == 3 for p in partners):
                _fail(name, i, "partners", "expected ISO alpha-3 codes")
            partners = tuple(p.upper() for p in partners)
        elif not isinstance(partners, str) or not (partners in ("any", "WLD") or partners.startswith("top")
                                                   or len(partners) == 3):
            _fail(name, i, "partners", f"expected WLD, any, topN or a list of codes, got {partners!r}")
        if isinstance(partners, str) and partners.startswith("top"):
            n = partners[3:]
            if not n.isdigit() or int(n) < 1:
                _fail(name, i, "partners", f"expected top<N>, e.g. top10, got {partners!r}")
        values = {**t, "kind": kind, "partners": partners, "months": months}
        if "threshold" in values:
            values["threshold"] = float(values["threshold"])
        rules.append(Rule(**values))
    return rules


# ----------------------------------------------------------------------------- evaluation

def _cmp(value: float, op: str, threshold: float) -> bool:
    return {">": value > threshold, ">=": value >= threshold, "<": value < threshold,
            "<=": value <= threshold}[op]


def latest_month(handle: Reader, reporter="CHN", commodity=MAGNET_LINE, flow="X") -> str:
    rows = handle.flows(reporter=reporter, commodity=commodity, flow=flow, partner="WLD").to_pylist()
    periods = [r["period"] for r in rows if r["net_weight_t"] is not None]
    if not periods:
        raise NoDataError(f"no world figures for {reporter} {commodity} flow {flow} in the store")
    return max(periods)


def _monitor(handle: Reader, rule: Rule, month: str, cache: dict) -> dict | None:
    key = (rule.reporter, rule.commodity, rule.flow, month)
    if key not in cache:
        try:
            cache[key] = handle.monitor(month, reporter=rule.reporter, commodity=rule.commodity,
                                        flow=rule.flow).to_dict()
        except NoDataError:
            cache[key] = None
    return cache[key]


def _targets(rule: Rule, mon: dict) -> list[dict]:
    rows = [r for r in mon["partners"] if r.get("net_weight_t") is not None or r.get("rank")]
    groups = mon.get("groups", [])
    world = [mon["world"]] if mon.get("world") is not None else []    # a store may lack it
    if rule.partners == "WLD":
        return world
    if rule.partners == "any":
        return rows + groups
    if isinstance(rule.partners, str) and rule.partners.startswith("top"):
        n = int(rule.partners[3:])
        return [r for r in rows if r.get("rank") is not None and r["rank"] <= n]
    wanted = (rule.partners,) if isinstance(rule.partners, str) else rule.partners
    return [r for r in world + rows + groups if r.get("partner") in wanted]


def _basis(row: dict, metric: str) -> str:
    text = (row.get("basis") or {}).get(metric, "")
    if text.startswith("computed"):
        return "computed"
    if text.startswith("as reported"):
        return "reported"
    return text or "observed"


def _sources(row: dict) -> list[dict]:
    return [{k: s.get(k) for k in ("role", "url", "file", "row", "vintage")} for s in row.get("sources", [])]


def _threshold(handle: Reader, rule: Rule, month: str, cache: dict, alerts: list, quiet: list) -> None:
    mon = _monitor(handle, rule, month, cache)
    if mon is None:
        quiet.append({"rule": rule.name, "why": f"no data for {month}"})
        return
    fired = 0
    targets = _targets(rule, mon)
    for row in targets:
        value = row.get(rule.metric)
        if value is None:
            continue
        if _cmp(float(value), rule.op, rule.threshold):
            fired += 1
            partner = row["partner"]
            sign = "+" if rule.metric.endswith("pct") and rule.metric != "share_pct" and value > 0 else ""
            unit = "%" if rule.metric.endswith("pct") else " t"
            alerts.append(Alert(
                rule.name, month, partner,
                f"{row.get('partner_name') or partner} {rule.metric} {sign}{value:,.1f}{unit} "
                f"{rule.op} {rule.threshold:g}{unit} in {month}",
                float(value), rule.threshold, _basis(row, rule.metric),
                {"metric": rule.metric, "op": rule.op, "rank": row.get("rank"),
                 "net_weight_t": row.get("net_weight_t"),
                 "basis_text": (row.get("basis") or {}).get(rule.metric)},
                _sources(row)))
    if not fired:
        have = [r for r in targets if r.get(rule.metric) is not None]
        quiet.append({"rule": rule.name,
                      "why": f"{len(have)} of {len(targets)} partner(s) have {rule.metric} for {month}; "
                             f"none {rule.op} {rule.threshold:g}"})


def _extreme(handle: Reader, rule: Rule, month: str, cache: dict, alerts: list, quiet: list) -> None:
    low = rule.kind == "new_low"
    mon = _monitor(handle, rule, month, cache)
    codes = [r["partner"] for r in _targets(rule, mon)] if mon else []
    if not codes:
        quiet.append({"rule": rule.name, "why": f"no data for {month}"})
        return
    fired = 0
    reasons = []
    for code in codes:
        rows = figures.chosen(handle, reporter=rule.reporter, partner=code, commodity=rule.commodity,
                              flow=rule.flow).to_pylist()
        series = {r["period"]: {"net_weight_t": r["net_weight_t"],
                                **{p: r[f"weight_{p}"] for p in figures.PROVENANCE}}
                  for r in rows if r["net_weight_t"] is not None}
        if month not in series:
            reasons.append(f"{code}: no figure for {month}")
            continue
        cur = float(series[month]["net_weight_t"])
        window = [str(Month.parse(month) - k) for k in range(1, rule.months)]
        have = [p for p in window if p in series]
        if len(have) < rule.min_coverage * len(window):
            reasons.append(f"{code}: only {len(have)} of the previous {len(window)} months have a figure")
            continue
        others = [float(series[p]["net_weight_t"]) for p in have]
        if (low and cur < min(others)) or (not low and cur > max(others)):
            fired += 1
            ref = min(others) if low else max(others)
            alerts.append(Alert(
                rule.name, month, code,
                f"{code} {cur:,.1f} t in {month}: {'lowest' if low else 'highest'} of {rule.months} months "
                f"(previous {'low' if low else 'high'} {ref:,.1f} t; {len(have)} of {len(window)} earlier "
                "months have a figure)",
                cur, ref, "computed from observed months",
                {"window": [window[-1], month], "months_with_data": len(have),
                 "missing": [p for p in window if p not in series]},
                [{"role": "net weight", "url": series[month]["source_url"],
                  "file": series[month]["source_file"], "row": series[month]["source_row"],
                  "vintage": str(series[month]["vintage"])}]))
        else:
            reasons.append(f"{code}: {cur:,.1f} t is not a {rule.months}-month {'low' if low else 'high'}")
    if not fired:
        quiet.append({"rule": rule.name, "why": "; ".join(reasons)})


def _hhi_cross(handle: Reader, rule: Rule, month: str, cache: dict, alerts: list, quiet: list) -> None:
    now = _monitor(handle, rule, month, cache)
    before = _monitor(handle, rule, str(Month.parse(month) - 1), cache)
    if now is None or before is None:
        quiet.append({"rule": rule.name, "why": f"needs {month} and the month before; one has no data"})
        return
    a, b = now.get("concentration") or {}, before.get("concentration") or {}
    if a.get("hhi_min") is None or b.get("hhi_min") is None:
        quiet.append({"rule": rule.name, "why": "HHI not available for both months"})
        return
    if a.get("coverage_pct") is None or b.get("coverage_pct") is None:
        quiet.append({"rule": rule.name, "why": f"no world total for {month} or the month before: "
                                                f"no concentration of the total to compare"})
        return
    t = rule.threshold
    up = a["hhi_min"] > t and b["hhi_max"] <= t
    down = a["hhi_max"] < t and b["hhi_min"] >= t
    if (up and rule.direction in ("above", "either")) or (down and rule.direction in ("below", "either")):
        word = "above" if up else "below"
        alerts.append(Alert(
            rule.name, month, "WLD",
            f"destination HHI crossed {word} {t:,.0f} in {month}: {_bounds(a)} "
            f"(previous month {_bounds(b)})",
            float(a["hhi_min"] if up else a["hhi_max"]), t, "computed (bounds: " + str(a.get("basis")) + ")",
            {"now": a, "before": b}, []))
    else:
        quiet.append({"rule": rule.name,
                      "why": f"HHI {_bounds(a)} in {month}, {_bounds(b)} the month before: "
                             f"no certain crossing of {t:,.0f}"})


def _bounds(c: dict) -> str:
    """An HHI as its bounds ('3,166-3,580'), or one figure when they meet."""
    lo, hi = f"{c['hhi_min']:,.0f}", f"{c['hhi_max']:,.0f}"
    return lo if lo == hi else f"{lo}-{hi}"


def _revision(handle: Reader, rule: Rule, month: str, cache: dict, alerts: list, quiet: list) -> None:
    rows = handle.revisions().to_pylist()
    fired = 0
    for r in rows:
        pct = r.get("weight_change_pct")
        if pct is None:
            old, new = r.get("old_value_usd"), r.get("new_value_usd")
            if old and new is not None:
                pct = (new / old - 1) * 100
        if pct is None or not _cmp(abs(float(pct)), rule.op, rule.threshold):
            continue
        if rule.partners not in ("any",) and isinstance(rule.partners, (tuple, str)) \
                and not str(rule.partners).startswith("top") and rule.partners != "WLD" \
                and r["partner"] not in rule.partners:
            continue
        fired += 1
        alerts.append(Alert(
            rule.name, r["period"], r["partner"],
            f"{r['partner']} {r['period']} revised {pct:+.1f}%: {r.get('old_net_weight_t')} t -> "
            f"{r.get('new_net_weight_t')} t (vintage {r.get('old_vintage')} -> {r.get('new_vintage')})",
            float(pct), rule.threshold, "computed from two vintages",
            {k: (str(v) if v is not None and not isinstance(v, (int, float, str)) else v) for k, v in r.items()},
            [{"role": "release", "release": r.get("new_release"), "vintage": str(r.get("new_vintage"))}]))
    if not fired:
        quiet.append({"rule": rule.name, "why": f"{len(rows)} revised figure(s) in the store; none by "
                                                f"{rule.op} {rule.threshold:g}%"})


def evaluate(handle: Reader, rules: list[Rule], month: str | None = None) -> Evaluation:
    """Evaluate ``rules`` on ``month`` (default: the latest month with a world figure)."""
    month = str(Month.parse(month, "month")) if month else latest_month(handle)
    alerts: list[Alert] = []
    quiet: list[dict] = []
    cache: dict = {}
    for rule in rules:
        fn = {"threshold": _threshold, "new_low": _extreme, "new_high": _extreme,
              "hhi_cross": _hhi_cross, "revision": _revision}[rule.kind]
        fn(handle, rule, month, cache, alerts, quiet)
    return Evaluation(month, alerts, quiet)


# ----------------------------------------------------------------------------- delivery

def deliver_jsonl(alerts: list[Alert], path: str | Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for a in alerts:
            fh.write(json.dumps(a.as_dict(), ensure_ascii=False, default=str) + "\n")
    return len(alerts)


class _Retryable(Exception):
    """A webhook answer worth another try (a connection error, 429 or 5xx)."""


def _post_once(client, url: str, alert: Alert):
    import httpx

    try:
        resp = client.post(url, json=alert.as_dict())
    except httpx.TransportError as exc:
        raise _Retryable(type(exc).__name__) from None
    if resp.status_code < 400:
        return resp
    if resp.status_code == 429 or resp.status_code >= 500:
        raise _Retryable(f"HTTP {resp.status_code}")
    raise SourceError(f"webhook {url}: HTTP {resp.status_code} (not retried)")


def deliver_webhook(alerts: list[Alert], url: str, *, attempts: int = 4, backoff: float = 0.5,
                    timeout: float = 10.0, client=None) -> list[dict]:
    """POST each alert as JSON; retry on connection errors, 429 and 5xx with doubling waits
    (stamina, as the source connectors retry; no jitter, so ``backoff`` is the first wait).

    Returns one record per alert: status code and the number of attempts it took.
    Raises SourceError naming the URL when an alert could not be delivered.
    """
    import httpx
    import stamina

    own = client is None
    client = client or httpx.Client(timeout=timeout)
    out = []
    try:
        for a in alerts:
            try:
                for attempt in stamina.retry_context(on=_Retryable, attempts=attempts, timeout=None,
                                                     wait_initial=backoff, wait_jitter=0,
                                                     wait_max=float("inf"), wait_exp_base=2):
                    with attempt:
                        resp = _post_once(client, url, a)
            except _Retryable as exc:
                raise SourceError(f"webhook {url}: gave up after {attempts} attempts ({exc})") from None
            out.append({"rule": a.rule, "partner": a.partner, "status": resp.status_code,
                        "attempts": attempt.num})
    finally:
        if own:
            client.close()
    return out


def format_alert(a: Alert) -> str:
    src = "; ".join(f"{s.get('file') or ''} row {s.get('row')} ({s.get('url')})" for s in a.sources
                    if s.get("url"))[:400]
    return f"ALERT [{a.rule}] {a.message} [{a.basis}]" + (f"\n    sources: {src}" if src else "")


__all__ = ["Alert", "EXAMPLE_RULES", "Evaluation", "Rule", "deliver_jsonl", "deliver_webhook",
           "evaluate", "format_alert", "latest_month", "read_rules"]
