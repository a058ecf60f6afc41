"""Concordances: source country codes to canonical codes, and commodity codes.

Countries (:mod:`magwatch.codes.countries`): :func:`to_iso3` maps a code from any
source system (Comtrade, Census Schedule C, China customs, Comext, ISO, M49) to the
canonical ISO 3166-1 alpha-3 code or one of a few explicit aggregate codes (``WLD``,
``EUU``, ``XNS``...). Commodities (:mod:`magwatch.codes.commodities`): the named magnet
lines per classification and code validation. See ``docs/codes.md``.
"""

from magwatch.codes.commodities import (
    CLASSIFICATIONS,
    MAGNET_LINE,
    NEXT_HS_EDITION,
    crossings,
    default_classification,
    describe,
    hs6,
    related,
    validate_code,
    validity,
)
from magwatch.codes.countries import (
    SYSTEMS,
    is_aggregate,
    is_known,
    known_codes,
    in_sentence,
    name,
    to_iso3,
)

__all__ = [
    "CLASSIFICATIONS",
    "MAGNET_LINE",
    "NEXT_HS_EDITION",
    "SYSTEMS",
    "crossings",
    "default_classification",
    "describe",
    "hs6",
    "is_aggregate",
    "is_known",
    "known_codes",
    "in_sentence",
    "name",
    "related",
    "to_iso3",
    "validate_code",
    "validity",
]
