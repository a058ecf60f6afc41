"""Display wording, one module for the brief, the dashboard and the command line.

Codes become words here (``DEU`` -> ``Germany``, ``2025-06`` -> ``June 2025``, ``CHN 85051110
X`` -> ``China's rare-earth magnet exports (CN 85051110)``), changes become verbs and ranks
ordinals, and figures are formatted as the brief prints them. Nothing here reads the store.
"""

from __future__ import annotations

import re

from magwatch.codes import MAGNET_LINE, countries
from magwatch.errors import MagwatchError, ParameterError
from magwatch.periods import Month


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
    """'the United States', 'the Netherlands', but 'Germany' (magwatch.codes.in_sentence)."""
    return countries.in_sentence(name)


#: what a table cell shows when the store has no figure (explained under the table)
NO_FIGURE = "\u2013"


def tonnes(x: float | None) -> str:
    if x is None:
        return NO_FIGURE
    return f"{x:,.1f} t".replace(".0 t", " t")


def pct(x: float | None, signed: bool = True) -> str:
    if x is None:
        return NO_FIGURE
    return f"{x:+,.1f}%" if signed else f"{abs(x):,.1f}%"


def headline_pct(x: float) -> str:
    """A change as a headline gives it: whole percent from 10% on ('661%'), one decimal below ('6.0%')."""
    return f"{abs(x):,.0f}%" if abs(x) >= 10 else f"{abs(x):.1f}%"


#: EU member states: their importers are modelled within the European Union in the scenarios
EU_MEMBERS = frozenset("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL "
                       "PRT ROU SVK SVN ESP SWE".split())

SECTORS = {"conventional_vehicles": "conventional vehicles", "ev_nev": "electric vehicles",
           "hvac_appliances": "HVAC appliances", "industrial_motors": "industrial motors",
           "consumer_electronics": "consumer electronics", "wind": "wind turbines",
           "elevators": "elevators", "other": "other uses"}


def country_name(code: str | None) -> str:
    """'Germany' for DEU, 'the world total' for WLD; a code the tables do not know stays as given."""
    if not code:
        return ""
    if code == "WLD":
        return "the world total"
    try:
        return the_name(countries.name(code))
    except Exception:       # noqa: BLE001 - an unknown code is shown as it is
        return code


def possessive(name: str) -> str:
    return name + ("'" if name.endswith("s") else "'s")


def sector_name(sector: str | None) -> str:
    return SECTORS.get(sector or "", (sector or "").replace("_", " "))


def period_words(period: str | None) -> str:
    """'June 2025', 'the first quarter of 2024', '2024' (a year), as given otherwise."""
    m = re.fullmatch(r"(\d{4})-Q([1-4])", period or "")
    if m:
        return f"the {ordinal(int(m.group(2)))} quarter of {m.group(1)}"
    if re.fullmatch(r"\d{4}-\d{2}", period or ""):
        return month_name(period)
    return period or ""


def plain_words(text: str) -> str:
    """Month codes as month names and destination codes as names ('DEU, 2024-10' -> 'Germany, October 2024')."""
    text = re.sub(r"\b\d{4}-\d{2}\b(?!-)", lambda m: month_name(m.group(0)), text)
    return re.sub(r"\b[A-Z]{3}\b", lambda m: _name_or_code(m.group(0)), text)


def _name_or_code(code: str) -> str:
    try:
        return countries.name(code) if countries.is_known(code) else code
    except Exception:       # noqa: BLE001
        return code


def list_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
    if text == "first figure in the store":
        return "the first figure in the store"
    return plain_words(text)


# ----------------------------------------------------------------------------- the dashboard's and the CLI's

#: Reader's words for the commodities the dashboard opens on; other codes show their code.
COMMODITY_WORDS = {MAGNET_LINE: "rare-earth magnet", "850511": "permanent magnet"}


def country_words(code: str) -> str:
    """``Germany`` for DEU, ``the world`` for WLD; an unknown code stays as given."""
    if code == "WLD":
        return "the world"
    try:
        return countries.name(code)
    except MagwatchError:
        return code


def country_phrase(code: str) -> str:
    """The country as a sentence names it: ``the United States``, ``Germany``."""
    return the_name(country_words(code))


def country_possessive(code: str) -> str:
    """``China's``, ``the Netherlands'``: the country's name as an owner."""
    return possessive(country_words(code))


def subject(reporter: str, commodity: str, flow: str) -> str:
    """``China's rare-earth magnet exports (CN 85051110)``: words first, the code in brackets."""
    goods = COMMODITY_WORDS.get(commodity, "commodity")
    return f"{country_possessive(reporter)} {goods} {'exports' if flow == 'X' else 'imports'} (CN {commodity})"


def month_words(value) -> str:
    """``June 2025`` for ``2025-06``; a span of months published as one figure in words,
    ``January–February 2026 combined`` for ``2026-01..2026-02`` (``December 2025–January 2026
    combined`` across a year); text that is neither stays as given."""
    first, dots, last = str(value).partition("..")
    try:
        if not dots:
            return Month.parse(first).label()
        start, end = Month.parse(first), Month.parse(last)
    except (MagwatchError, ValueError):
        return str(value)
    if start.year == end.year:
        return f"{start.label().rsplit(' ', 1)[0]}–{end.label()} combined"
    return f"{start.label()}–{end.label()} combined"


def day_words(value) -> str:
    """``4 Apr 2025`` for a date or ``2025-04-04``; anything else as given."""
    import datetime as dt

    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


#: A reported claim's metric as a column or row names it (records.CLAIM_METRICS holds the keys).
METRIC_WORDS = {"mom_pct": "month on month (%)", "yoy_pct": "year on year (%)",
                "value_mom_pct": "value, month on month (%)", "value_yoy_pct": "value, year on year (%)",
                "share_pct": "share of the total (%)", "rank": "rank among destinations",
                "outlet_net_weight_t": "net weight as a second outlet printed it (t)",
                "outlet_yoy_pct": "year on year as a second outlet printed it (%)"}


def metric_words(metric) -> str:
    """``year on year (%)`` for ``yoy_pct``; an unknown metric with its underscores as spaces."""
    return METRIC_WORDS.get(str(metric), str(metric).replace("_", " "))


#: An event's type (events.registry) in words.
EVENT_TYPE_WORDS = {"export_control": "export control", "license": "licence", "trade_deal": "trade deal",
                    "tariff": "tariff", "investment": "investment", "other": "other"}


def event_type_words(event_type) -> str:
    return EVENT_TYPE_WORDS.get(str(event_type), str(event_type).replace("_", " "))
