"""Downstream exposure: magnet tonnes -> units of vehicles, MW of wind, robots, drives...

Intensities come from ``magnet_intensity.csv`` with their low/high range; where the
source gives a range the answer is a range (units_low from the high intensity,
units_high from the low one) and never a midpoint. A sector without an intensity
in the bundled data has no unit figure ("no data"), not an estimate.

The sector split of an importer's magnet use is user-editable; the default is the
only sector breakdown with numbers in the bundled data (magnet_demand_by_sector.csv,
2018 global high-performance NdFeB), applied to every importer because no
regional split was found (data/SOURCES.md, "Gaps after the third pass").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from magwatch.analytics.reader import Reader
from magwatch.errors import ParameterError
from magwatch.risk.citations import Cited, ReferenceRows, number, reference_rows

#: Sector -> (magnet_intensity.csv application, unit label). None = no intensity in the data.
SECTOR_INTENSITY: dict[str, tuple[str, str] | None] = {
    "ev_nev": ("battery_electric_vehicle", "battery-electric vehicles"),
    "conventional_vehicles": ("car_electric_power_steering_motor", "EPS motors"),
    "industrial_motors": ("industrial_robot_arm", "industrial robot arms"),
    "wind": ("wind_low_speed_PM_generator", "MW of PM wind generators"),
    "consumer_electronics": ("hard_disk_drive", "hard-disk drives"),
    "hvac_appliances": None,
    "elevators": None,
    "other": None,
}

#: The default split: magnet_demand_by_sector.csv, year 2018, region WLD.
DEFAULT_SPLIT_YEAR = "2018"


@dataclass(frozen=True)
class Intensity:
    """kg NdFeB per unit as a range; low == high where the source gives a point value."""

    sector: str
    application: str
    unit: str
    kg_low: float
    kg_high: float
    cite: Cited

    def units(self, tonnes: float) -> tuple[float, float]:
        """(fewest, most) units a tonnage corresponds to."""
        return tonnes * 1000.0 / self.kg_high, tonnes * 1000.0 / self.kg_low


def intensities(handle: Reader | None = None) -> dict[str, Intensity | None]:
    ref = reference_rows("magnet_intensity", handle)
    out: dict[str, Intensity | None] = {}
    for sector, spec in SECTOR_INTENSITY.items():
        out[sector] = None if spec is None else _intensity(ref, sector, *spec)
    return out


def _intensity(ref: ReferenceRows, sector: str, application: str, unit: str) -> Intensity:
    found = ref.find(application=application)
    if not found:
        raise ParameterError("sector", f"{application!r} not in {ref.file}")
    row_no, row = found[0]
    point, low, high = number(row["kg_ndfeb_per_unit"]), number(row["low"]), number(row["high"])
    if low is None or high is None:
        low = high = point
    cite = Cited(f"intensity_{sector}", (low, high) if low != high else low,
                 f"kg NdFeB per {row['unit']}", "reported", ref.file, (row_no,),
                 row["source_url"], row["note"])
    return Intensity(sector, application, unit, low, high, cite)


def default_split(handle: Reader | None = None) -> tuple[dict[str, float], list[Cited]]:
    """Sector shares (fractions) from magnet_demand_by_sector.csv 2018 plus an 'other' remainder."""
    ref = reference_rows("magnet_demand_by_sector", handle)
    shares: dict[str, float] = {}
    rows: list[int] = []
    url = None
    for n, r in ref.numbered():
        if r["year"] == DEFAULT_SPLIT_YEAR and r["region"] == "WLD" and r["share_pct"]:
            shares[r["sector"]] = float(r["share_pct"]) / 100.0
            rows.append(n)
            url = r["source_url"]
    if not shares:
        raise ParameterError("sectors", f"no {DEFAULT_SPLIT_YEAR} sector shares in {ref.file}")
    rest = round(1.0 - sum(shares.values()), 6)
    cites = [Cited("sector_split", dict(shares), "share of NdFeB demand", "reported", ref.file,
                   tuple(rows), url, "2018 global high-performance NdFeB (vendor page quoting a "
                   "broker breakdown; moderate confidence); applied to every importer because no "
                   "regional split with numbers is in the bundled data")]
    if rest > 0:
        shares["other"] = rest
        cites.append(Cited("sector_other", rest, "share", "computed", ref.file, tuple(rows), None,
                           "1 - sum of the named 2018 shares: use the source does not attribute to a sector"))
    return shares, cites


def check_split(split: Mapping[str, float], where: str = "sectors") -> dict[str, float]:
    total = 0.0
    for sector, share in split.items():
        if not isinstance(share, (int, float)) or share < 0:
            raise ParameterError(where, f"share of {sector!r} must be a number >= 0, got {share!r}")
        total += share
    if abs(total - 1.0) > 1e-3:
        raise ParameterError(where, f"sector shares must sum to 1, got {total:.4f}")
    return {k: float(v) for k, v in split.items()}


def exposure(tonnes: float, split: Mapping[str, float] | None = None,
             handle: Reader | None = None) -> list[dict]:
    """Split a magnet tonnage over sectors and convert each part to units (low/high)."""
    if split is None:
        split, _ = default_split(handle)
    split = check_split(split)
    table = intensities(handle)
    rows = []
    for sector, share in split.items():
        t = tonnes * share
        inten = table.get(sector)
        low, high = inten.units(t) if inten else (None, None)
        rows.append({"sector": sector, "share": share, "tonnes": t,
                     "unit": inten.unit if inten else None, "units_low": low, "units_high": high,
                     "kg_per_unit_low": inten.kg_low if inten else None,
                     "kg_per_unit_high": inten.kg_high if inten else None,
                     "intensity_source": inten.cite.where() if inten else "no data: no intensity "
                     "for this sector in magnet_intensity.csv"})
    return rows


__all__ = ["Intensity", "SECTOR_INTENSITY", "check_split", "default_split", "exposure",
           "intensities"]
