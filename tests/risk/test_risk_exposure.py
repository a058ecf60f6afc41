import pytest

from magwatch.errors import ParameterError
from magwatch.risk.exposure import default_split, exposure, intensities


def test_units_are_a_range_where_the_source_gives_one():
    ev = intensities()["ev_nev"]
    assert (ev.kg_low, ev.kg_high) == (1.0, 2.0)          # magnet_intensity.csv row 1
    assert ev.cite.rows == (1,)
    assert ev.units(1.0) == (500.0, 1000.0)               # 1 t at 2 kg and at 1 kg per vehicle


def test_sector_without_intensity_has_no_units():
    rows = {r["sector"]: r for r in exposure(100.0)}
    assert rows["hvac_appliances"]["units_low"] is None
    assert rows["wind"]["units_low"] == pytest.approx(100 * 0.10 * 1000 / 850)


def test_default_split_is_the_2018_breakdown_plus_remainder():
    split, cites = default_split()
    assert split["conventional_vehicles"] == pytest.approx(0.375)
    assert split["other"] == pytest.approx(0.033)
    assert cites[0].rows == (4, 5, 6, 7, 8, 9, 10)


def test_user_split_must_sum_to_one():
    with pytest.raises(ParameterError, match="sum to 1"):
        exposure(10.0, {"ev_nev": 0.5})
