"""The interval a figure as written allows: its significant figures and its hedge (one table)."""

from __future__ import annotations

import re



def _to_float(s: str) -> float:
    return float(s.replace(",", ""))


def _unit_of(s: str, approx: bool = False) -> float:
    """Half the rounding unit of a number as written, at its significant figures.

    "353" -> 0.5, "157.5" -> 0.05, "3,200" -> 50, "160" -> 5: trailing zeros of a whole
    number are read as rounding (news rounds 157.4% to "160%"). ``approx`` is kept for
    callers; the unit does not depend on it.
    """
    s = s.replace(",", "")
    if "." in s:
        return 0.5 * 10 ** -len(s.split(".")[1])
    digits = s.lstrip("0") or "0"
    zeros = len(digits) - len(digits.rstrip("0")) if digits != "0" else 0
    return 0.5 * 10 ** zeros


def _exact_unit(s: str) -> float:
    """Half the unit of the last digit written, reading trailing zeros as exact ("160" -> 0.5)."""
    s = s.replace(",", "")
    return 0.5 * 10 ** -len(s.split(".")[1]) if "." in s else 0.5


#: Hedges and how each shapes the interval a figure allows: (side, widen).
#: side "both" = value +/- width; "below" = up to the value (nearly 1,250 t: at most 1,250 t
#: plus its rounding); "above" = from the value up; "min"/"max" = one-sided bounds.
#: widen True = the width is the larger of the rounding and 5% of the value.
HEDGES: dict[str, tuple[str, bool]] = {
    "about": ("both", True), "around": ("both", True), "roughly": ("both", True),
    "approximately": ("both", True), "some": ("both", True), "an estimated": ("both", True),
    "circa": ("both", True), "close to": ("both", True),
    "almost": ("below", True), "nearly": ("below", True), "just under": ("below", True),
    "just over": ("above", True), "just above": ("above", True),
    "more than": ("min", False), "over": ("min", False), "above": ("min", False),
    "exceeding": ("min", False),
    "less than": ("max", False), "under": ("max", False), "below": ("max", False),
    "at least": ("min_rounded", False), "up to": ("max_rounded", False), "at most": ("max_rounded", False),
}


#: How much wider than its rounding a hedged figure may be, as a share of the value.
HEDGE_WIDTH = 0.05


def interval(value: float, number_text: str, qualifier: str | None, *,
             exact: bool = False) -> tuple[float | None, float | None]:
    """The interval a claimed figure allows, from its own rounding and its hedge (:data:`HEDGES`).

    With ``exact`` the number is read at its last written digit ("160" is 159.5-160.5);
    otherwise at its significant figures ("160" is 155-165), as news copy rounds.
    """
    side, widen = HEDGES.get((qualifier or "").lower(), ("both", False))
    half = _exact_unit(number_text) if exact else _unit_of(number_text)
    wide = max(half, HEDGE_WIDTH * abs(value)) if widen else half
    if side == "min":
        return value, None
    if side == "max":
        return None, value
    if side == "min_rounded":
        return value - half, None
    if side == "max_rounded":
        return None, value + half
    if side == "below":
        return value - wide, value + half
    if side == "above":
        return value - half, value + wide
    return value - wide, value + wide


_HEDGE_RE = "|".join(re.escape(a) for a in sorted(HEDGES, key=len, reverse=True))


def _qualifier_before(text: str, pos: int) -> str | None:
    m = re.search(rf"\b({_HEDGE_RE})\s+(?:\$|US\$|USD\s*)?(?:a\s+|an\s+)?$", text[max(0, pos - 25):pos], re.I)
    return m.group(1).lower() if m else None


def _bounds(value: float, num: str, q: str | None, scale: float = 1.0, negate: bool = False):
    """(low, high, exact_low, exact_high) of a figure as written, scaled and signed."""
    out = []
    for exact in (False, True):
        lo, hi = interval(value, num, q, exact=exact)
        lo = None if lo is None else lo * scale
        hi = None if hi is None else hi * scale
        if negate:
            lo, hi = (None if hi is None else -hi), (None if lo is None else -lo)
        out += [lo, hi]
    return tuple(out)


def _ratio_interval(r: float, q: str | None, word: bool) -> tuple[float | None, float | None]:
    """Fractions and multiples in words are approximate by nature: +/-15% (+/-20% with 'about')."""
    if q in ("more than", "just over"):
        return r, (r * 1.2 if q == "just over" else None)
    if q in ("less than", "just under", "only") and q != "only":
        return (r * 0.8 if q == "just under" else None), r
    if q in ("nearly", "almost"):
        return r * 0.85, r
    tol = 0.20 if q in ("about", "around", "roughly", "some") else 0.15
    if not word:
        tol = 0.05 if q is None else 0.10
    return r * (1 - tol), r * (1 + tol)
