"""Country codes: every source's reporter and partner codes to one canonical code.

The canonical code is the ISO 3166-1 alpha-3 code (``USA``, ``CHN``, ``TWN``), plus a
few explicit non-ISO codes kept in ``data/extra_codes.csv``: aggregates such as ``WLD``
(world), ``EUU`` (European Union) and ``XNS`` (areas not elsewhere specified), Kosovo
(``XKX``) and a handful of former entities that source tables still list (``SCG``,
``ANT``...).

Each source has its own system; :func:`to_iso3` knows them all::

    >>> to_iso3(842, "comtrade")        # Comtrade's USA is 842, not ISO 840
    'USA'
    >>> to_iso3("0003", "census")       # Census country group "European Union"
    'EUU'
    >>> to_iso3("143", "gacc")          # China customs' Taiwan
    'TWN'

The exception tables are CSV files under ``data/`` (their provenance is in each file's
``#`` header and in ``docs/codes.md``). They and pycountry's ISO tables are loaded on
first use and cached, so importing this module costs almost nothing.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import numbers
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from magwatch.codes.tables import read_table
from magwatch.errors import ParameterError, UnknownCodeError

__all__ = [
    "SYSTEMS",
    "is_aggregate",
    "is_known",
    "from_name",
    "former_until",
    "REPORTING_AGGREGATES",
    "suggest",
    "known_codes",
    "name",
    "to_iso3",
]

#: The code systems :func:`to_iso3` understands.
SYSTEMS: tuple[str, ...] = (
    "iso3",         # ISO 3166-1 alpha-3, or one of our extra codes (WLD, EUU, ...)
    "iso2",         # ISO 3166-1 alpha-2, plus EL, UK, XK, EU
    "iso_numeric",  # ISO 3166-1 numeric
    "m49",          # UN M49 (= ISO numeric for countries; 001 = World)
    "comtrade",     # UN Comtrade reporter/partner codes (M49-based, with exceptions: 842 USA...)
    "census",       # US Census Bureau Schedule C, 4 digits; "-" total; 00xx groups
    "gacc",         # China customs 3-digit trading-partner code (贸易伙伴编码)
    "comext",       # Eurostat Comext: ISO alpha-2 with EL = Greece, XI, and aggregates (WORLD, EU27_2020...)
    "gacc_name",    # China customs partner name in Chinese (贸易伙伴名称), exact match
)

#: UN M49 codes that are not countries. Only the world total is modelled; M49's
#: region codes (002 Africa, 150 Europe, ...) raise UnknownCodeError.
_M49_EXTRA = {1: "WLD"}


# --------------------------------------------------------------------------- loading

@dataclass(frozen=True)
class _Extra:
    code: str
    name: str
    is_aggregate: bool
    kind: str


@dataclass(frozen=True)
class _Iso:
    alpha3: frozenset[str]
    by_alpha2: dict[str, str]
    by_numeric: dict[int, str]
    names: dict[str, str]


@functools.cache
def _iso() -> _Iso:
    import pycountry  # ~50 ms to import and load; deferred to first use

    by_alpha2: dict[str, str] = {}
    by_numeric: dict[int, str] = {}
    names: dict[str, str] = {}
    for c in pycountry.countries:
        by_alpha2[c.alpha_2] = c.alpha_3
        by_numeric[int(c.numeric)] = c.alpha_3
        names[c.alpha_3] = getattr(c, "common_name", None) or c.name
    return _Iso(frozenset(names), by_alpha2, by_numeric, names)


@functools.cache
def _short_names() -> dict[str, str]:
    """country_converter's short English names (``South Korea``, ``Vietnam``, ``Taiwan``).

    Read straight from the package's ``country_data.tsv``: importing country_converter
    itself pulls in pandas (about 0.25 s), which this lookup does not need.
    """
    spec = importlib.util.find_spec("country_converter")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "country_data.tsv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["ISO3"]: r["name_short"] for r in csv.DictReader(fh, delimiter="\t")
                if r.get("ISO3") and r.get("name_short")}


@functools.cache
def _extras() -> dict[str, _Extra]:
    return {r["code"]: _Extra(r["code"], r["name"], r["is_aggregate"] == "true", r["kind"])
            for r in read_table("extra_codes.csv")}


@functools.cache
def _comtrade() -> dict[int, str]:
    """Comtrade code -> canonical code, or "" for codes deliberately left unmapped."""
    return {int(r["code"]): r["iso3"] for r in read_table("comtrade_exceptions.csv")}


@functools.cache
def _comtrade_labels() -> dict[int, str]:
    return {int(r["code"]): r["label"] for r in read_table("comtrade_exceptions.csv")}


@functools.cache
def _census() -> dict[str, str]:
    return {r["code"]: r["iso3"] for r in read_table("census_schedule_c.csv")}


@functools.cache
def _gacc() -> dict[int, str]:
    return {int(r["code"]): r["iso3"] for r in read_table("gacc_partners.csv")}


@functools.cache
def _gacc_names() -> dict[str, str]:
    return {_norm_name(r["name_zh"]): r["iso3"] for r in read_table("gacc_partners.csv")}


@functools.cache
def _alpha_exceptions(system: str) -> dict[str, str]:
    return {r["code"]: r["iso3"] for r in read_table("comext_exceptions.csv")
            if system in r["systems"].split()}


@functools.cache
def known_codes() -> frozenset[str]:
    """Every canonical code: ISO 3166-1 alpha-3 plus the extra codes of ``extra_codes.csv``."""
    return _iso().alpha3 | frozenset(_extras())


# --------------------------------------------------------------------------- normalising

def _as_int(code: Any) -> int | None:
    """A non-negative integer from an int, an integral float or a digit string, else None."""
    if isinstance(code, bool):
        return None
    if isinstance(code, numbers.Integral):
        value = int(code)
    elif isinstance(code, numbers.Real):
        f = float(code)
        if not f.is_integer():      # also rejects NaN and infinities
            return None
        value = int(f)
    elif isinstance(code, str):
        s = code.strip()
        if not (s.isascii() and s.isdigit()):
            return None
        value = int(s)
    else:
        return None
    return value if value >= 0 else None


def _as_text(code: Any) -> str | None:
    return code.strip().upper() if isinstance(code, str) else None


def _norm_name(text: str) -> str:
    # NFKC folds full-width forms, so 刚果（布） and 刚果(布) are the same name; nothing else
    # is loosened: 几内亚, 几内亚比绍 and 巴布亚新几内亚 stay three different names.
    return unicodedata.normalize("NFKC", text).strip()


def _census_key(code: Any) -> str | None:
    n = _as_int(code)
    if n is not None:
        return str(n).zfill(4)          # 3 and "3" -> "0003" (leading zeros lost in spreadsheets)
    return _as_text(code)               # "-" (total), or a group code with letters


# --------------------------------------------------------------------------- public API

def to_iso3(code: Any, system: str, *, file: str | None = None, row: int | None = None,
            field: str | None = None) -> str:
    """The canonical code for ``code`` in ``system`` (one of :data:`SYSTEMS`).

    Codes may be ints or strings, with surrounding whitespace and leading zeros
    (``" 0842 "``, ``842``, ``842.0`` are all Comtrade's USA). Alphabetic codes are
    case-insensitive. ``gacc_name`` matches exactly, after Unicode NFKC folding (so
    full-width and half-width brackets are the same).

    Raises :class:`~magwatch.errors.UnknownCodeError` naming ``file``, ``row`` and
    ``field`` when given, if no table knows the code; :class:`~magwatch.errors.ParameterError`
    if ``system`` is not one of :data:`SYSTEMS`.
    """
    result: str | None = None
    detail = ""
    if system == "iso3":
        t = _as_text(code)
        if t is not None and t in known_codes():
            result = t
    elif system == "iso2":
        t = _as_text(code)
        if t is not None:
            result = _iso().by_alpha2.get(t) or _alpha_exceptions("iso2").get(t)
    elif system == "iso_numeric":
        n = _as_int(code)
        if n is not None:
            result = _iso().by_numeric.get(n)
    elif system == "m49":
        n = _as_int(code)
        if n is not None:
            result = _M49_EXTRA.get(n) or _iso().by_numeric.get(n)
    elif system == "comtrade":
        n = _as_int(code)
        if n is not None:
            table = _comtrade()
            if n in table:
                result = table[n] or None
                if result is None:
                    detail = f" ({_comtrade_labels()[n]}: deliberately unmapped, see comtrade_exceptions.csv)"
            else:
                result = _iso().by_numeric.get(n)
    elif system == "census":
        k = _census_key(code)
        if k is not None:
            result = _census().get(k)
    elif system == "gacc":
        n = _as_int(code)
        if n is not None:
            result = _gacc().get(n)
    elif system == "comext":
        t = _as_text(code)
        if t is not None:
            result = _alpha_exceptions("comext").get(t) or _iso().by_alpha2.get(t)
    elif system == "gacc_name":
        if isinstance(code, str):
            result = _gacc_names().get(_norm_name(code))
    else:
        raise ParameterError("system", f"unknown country-code system {system!r}; "
                                       f"expected one of {', '.join(SYSTEMS)}")
    if result is None:
        raise UnknownCodeError(f"unknown {system} country code {code!r}{detail}",
                               file=file, row=row, field=field)
    return result


def _name_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@functools.cache
def names_to_codes() -> dict[str, str]:
    """Every country name and alias magwatch knows, as a lower-cased key -> canonical code.

    English official, common and short names (pycountry, country_converter), the names of
    the extra codes (``World``), China customs' Chinese names (``德国``) and the aliases in
    ``data/country_aliases.csv`` (``U.S.``, ``South Korea``, ``Hong Kong``). A name that two
    tables give to different codes is left out rather than guessed.
    """
    import pycountry

    found: dict[str, set[str]] = {}

    def add(text: str | None, code: str) -> None:
        if text and code:
            found.setdefault(_name_key(text), set()).add(code)

    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            add(getattr(c, attr, None), c.alpha_3)
    for code, short in _short_names().items():
        if code in known_codes():
            add(short, code)
    for extra in _extras().values():
        add(extra.name, extra.code)
    for zh, code in _gacc_names().items():
        add(zh, code)
    names = {k: next(iter(v)) for k, v in found.items() if len(v) == 1}
    names.update(aliases())                           # explicit aliases win over table clashes
    return names


@functools.cache
def aliases() -> dict[str, str]:
    """The aliases of ``data/country_aliases.csv`` (``u.s.``, ``uk``), keyed as in :func:`names_to_codes`."""
    return {_name_key(r["alias"]): r["iso3"] for r in read_table("country_aliases.csv")}


def from_name(text: Any) -> str | None:
    """The canonical code for a country name or alias (``"Germany"``, ``"U.S."``,
    ``"德国"``), case-insensitive (``CHINA``, ``GERMANY`` and ``U.S.`` too); None when the
    name is unknown."""
    if not isinstance(text, str):
        return None
    return names_to_codes().get(_name_key(text))


@functools.cache
def former_until() -> dict[str, int]:
    """Former entities (USSR, Yugoslavia, ...) and the last year each existed: a figure for a
    later month cannot name them (``data/extra_codes.csv``, column ``until_year``)."""
    return {r["code"]: int(r["until_year"]) for r in read_table("extra_codes.csv")
            if r.get("until_year")}


#: The one aggregate that reports trade as a whole (Comext publishes the EU's own figures);
#: the others (the world, bunkers, areas nes, free zones) are partners only.
REPORTING_AGGREGATES = frozenset({"EUU"})


def suggest(text: Any) -> str | None:
    """The code whose name or alias is closest to ``text`` (``Germny`` -> DEU), or None;
    for a refusal's "did you mean", never to accept a value."""
    if not isinstance(text, str) or not text.strip():
        return None
    import difflib

    names = names_to_codes()
    close = difflib.get_close_matches(_name_key(text), list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def is_known(code: Any) -> bool:
    """True if ``code`` is a canonical code, exactly as stored (``"USA"``, ``"WLD"``; not ``"usa"``)."""
    return isinstance(code, str) and code in known_codes()


def _require_known(code: Any) -> str:
    if not is_known(code):
        raise UnknownCodeError(f"unknown iso3 country code {code!r}")
    return code


def is_aggregate(code: str) -> bool:
    """True for aggregate codes (``WLD``, ``EUU``, ``XNS``, Census groups...), which must not
    be added to the countries they contain. Raises UnknownCodeError for a non-canonical code."""
    extra = _extras().get(_require_known(code))
    return extra is not None and extra.is_aggregate


def name(code: str) -> str:
    """English short name of a canonical code (``"South Korea"``, ``"World"``).

    Countries take country_converter's short name, falling back to pycountry's common
    or official name; extra codes take the name in ``extra_codes.csv``.
    """
    code = _require_known(code)
    extra = _extras().get(code)
    if extra is not None:
        return extra.name
    return _short_names().get(code) or _iso().names[code]


def in_sentence(name_text: str | None) -> str:
    """A name as it stands in a sentence: 'the United States', 'the Netherlands', 'Germany'."""
    if not name_text:
        return ""
    if re.match(r"(United|European|Netherlands|Philippines|Czech Republic|Republic)", name_text):
        return "the " + name_text
    return name_text

