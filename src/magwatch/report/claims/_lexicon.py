"""Words of trade copy: month names, number words, rise and fall verbs, partner aliases, subject patterns."""

from __future__ import annotations

import re

from magwatch.codes import MAGNET_LINE

MAGNET_CODE = MAGNET_LINE


MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
                "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20,
                "twenty-four": 24, "thirty-six": 36}


ORDINALS = {"first": 1, "top": 1, "largest": 1, "biggest": 1, "leading": 1, "1st": 1,
            "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
            "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
            "ninth": 9, "9th": 9, "tenth": 10, "10th": 10}


RISE = ("rose", "rise", "rising", "risen", "up", "jumped", "jump", "jumping", "surged", "surge",
        "surging", "soared", "soar", "climbed", "climb", "gained", "gain", "increased",
        "increase", "increasing", "grew", "growth", "rebounded", "rebound", "higher", "leapt",
        "leaped", "skyrocketed", "spiked", "advanced", "expanded", "climbing", "soaring", "jumping",
        "rallied", "recovered", "edged up", "leaping", "growing", "advancing", "expanding", "rises",
        "jumps", "climbs", "gains", "surges", "soars", "increases", "grows", "higher", "more")


FALL = ("fell", "fall", "falling", "fallen", "down", "dropped", "drop", "dropping", "declined",
        "decline", "declining", "slumped", "slump", "plunged", "plunge", "plummeted", "decreased",
        "decrease", "slid", "slide", "tumbled", "sank", "lower", "shrank", "contracted",
        "collapsed", "dipped", "dip", "eased", "retreated", "lost", "slipped", "slip", "slipping",
        "plunging", "plummeting", "slumping", "tumbling", "sliding", "sinking", "shed", "contracting",
        "shrinking", "falls", "drops", "declines", "slips", "plunges", "tumbles", "decreases", "less",
        "cratered", "nosedived", "fewer")


# Partner names as they appear in copy, beyond the official short names.
PARTNER_ALIASES = {
    "us": "USA", "u.s.": "USA", "usa": "USA", "united states": "USA", "america": "USA",
    "american": "USA", "american buyers": "USA", "the states": "USA",
    "germany": "DEU", "german": "DEU", "south korea": "KOR", "korea": "KOR", "korean": "KOR",
    "republic of korea": "KOR", "japan": "JPN", "japanese": "JPN", "vietnam": "VNM",
    "viet nam": "VNM", "vietnamese": "VNM", "india": "IND", "indian": "IND",
    "thailand": "THA", "thai": "THA", "mexico": "MEX", "mexican": "MEX", "italy": "ITA",
    "italian": "ITA", "netherlands": "NLD", "the netherlands": "NLD", "dutch": "NLD",
    "poland": "POL", "france": "FRA", "french": "FRA", "spain": "ESP", "taiwan": "TWN",
    "hong kong": "HKG", "philippines": "PHL", "malaysia": "MYS", "indonesia": "IDN",
    "united kingdom": "GBR", "uk": "GBR", "britain": "GBR", "british": "GBR", "canada": "CAN",
    "brazil": "BRA", "turkey": "TUR", "russia": "RUS", "australia": "AUS", "singapore": "SGP",
    "czech republic": "CZE", "czechia": "CZE", "hungary": "HUN", "austria": "AUT",
    "european union": "EUU", "eu": "EUU", "eu-27": "EUU", "the eu": "EUU", "bloc": "EUU",
}


# Words that make a clause about the world total when no partner is named.
WORLD_WORDS = re.compile(
    r"\b(total|totall?ed|totall?ing|overall|world|worldwide|global|globally|all destinations|in all|altogether|"
    r"china'?s (?:rare[- ]earth )?(?:permanent )?magnet exports|china'?s exports|exports of rare[- ]earth"
    r"(?: permanent)? magnets|rare[- ]earth (?:permanent )?magnet exports|shipments abroad|"
    r"china exported|china shipped|outbound shipments)\b", re.I)


MAGNET_WORDS = re.compile(r"\b(magnets?|ndfeb|neodymium[- ]iron[- ]boron|8505\.?11(?:\.?10)?)\b", re.I)


RARE_EARTH_WORDS = re.compile(r"\brare[- ]earths?\b", re.I)


PRONOUN_START = re.compile(r"^(they|it|this|that|those|these|such shipments|the figure|the volume|"
                           r"its|their)\b", re.I)


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"


_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))


_TRADE_WORDS = re.compile(r"\b(export|exports|exported|shipment|shipments|shipped|import|imports|imported|"
                          r"buyer|buyers|destination|destinations|sales|sold|purchases|bought|volume|"
                          r"volumes|tonnes|tons|customs|took|trade|magnets?)\b", re.I)


#: Words right after a percentage that give its direction ("38% lower", "a 160% increase").
AFTER_RISE = ("higher", "above", "up", "increase", "rise", "jump", "gain", "surge", "growth", "rebound",
              "more", "larger", "bigger", "greater", "climb", "leap", "advance")


AFTER_FALL = ("lower", "below", "down", "decrease", "decline", "drop", "fall", "plunge", "slump",
              "contraction", "less", "fewer", "smaller", "slide", "dip", "cut", "reduction", "lose", "loss")


#: qualifier of a record over the months with a figure, counted from a month on (inclusive)
OF_MONTHS = "of the months with a figure"


#: qualifier of "highest since X (N months with a figure in between)": only months with a figure count
BETWEEN_FIGURES = "months with a figure in between"


#: qualifier of a rank stated among the destinations with a figure only
AMONG_WITH_FIGURE = "among the destinations with a figure"
