"""What a sentence is about when not an observed magnet figure (scenario, forecast, price, ...)."""

from __future__ import annotations

import re

from magwatch.report.claims._lexicon import MAGNET_WORDS


#: What a sentence is about when it is not an observed magnet figure: (scope, pattern), first match wins.
SCOPES = (
    ("importer-side figure", re.compile(r"\breports? imports from China\b", re.I)),
    ("scenario", re.compile(r"\b(?:scenarios?|P10|P50|P90|modell?ed|simulat\w*|paths|time-to-survive|"
                            r"shortfall|stress test)\b", re.I)),
    ("forecast", re.compile(r"\b(?:expect(?:s|ed|ing)? (?:to|that|exports|shipments|a|an|the)|forecasts?\b|"
                            r"expect(?:s|ed|ing)?\s+(?:[\w-]+\s+){1,3}to\s+(?:top|reach|rise|fall|exceed|hit|"
                            r"recover|climb|drop|return|ease|remain|stay|double)\b|"
                            r"forecaster|projected|projects? (?:that|exports)|predict\w*|outlook|"
                            r"(?:will|could|would|may|might) (?:likely )?(?:reach|rise|fall|recover|climb|"
                            r"drop|top|exceed|hit|be|return)|is set to|are set to|on track to|estimates? (?:that|for "
                            r"next))", re.I)),
    ("price", re.compile(r"\b(?:prices?|priced|quotes?|per (?:kilogram|kg|tonne|ton)|/kg|oxide|"
                         r"price index)\b", re.I)),
    ("other commodity", re.compile(
        r"\b(?:rare[- ]earths?(?! (?:permanent )?magnets?)(?: elements?| metals?| ores?| oxides?)?|"
        r"17 (?:rare[- ]earth )?elements|ndpr|graphite|gallium|germanium|antimony|tungsten|lithium|cobalt)\b",
        re.I)),
)


def _scope_of(sentence: str) -> str | None:
    """What the sentence is about when not magnet trade as observed (see :data:`SCOPES`)."""
    for scope, pattern in SCOPES:
        if pattern.search(sentence) and not (scope == "forecast" and re.search(
                r"\b(?:than|as) expected\b", sentence, re.I)):
            if scope == "other commodity" and MAGNET_WORDS.search(sentence):
                continue
            if scope == "price" and not re.search(r"\bprice|/kg|per (?:kilogram|kg|tonne|ton)|oxide", sentence, re.I):
                continue
            if scope == "price" and re.search(r"\bunit values?\b", sentence, re.I) and not re.search(
                    r"\b(?:prices?|priced|quotes?|oxide)\b", sentence, re.I):
                continue         # a unit value of the trade itself (value over net weight)
            return scope
    return None
