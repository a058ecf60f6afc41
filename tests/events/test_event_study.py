"""Event studies: synthetic series with a planted effect, the pure computations, bundled figures."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest

import magwatch
from magwatch.errors import NoDataError, ParameterError
from magwatch.events.study import (
    own_level, parse_window, placebo_interval, pre_trend, year_earlier_scaled,
)
from magwatch.periods import Month
from magwatch.records import OBSERVATION_SCHEMA

EVENT = dt.date(2025, 4, 4)
MONTH0 = dt.date(2025, 4, 1)
PLANTED = -50.0


def _series(seed: int, *, effect_pct: float = 0.0, noise: float = 0.04) -> dict[dt.date, float]:
    """2016-01..2025-12, a seasonal level with multiplicative noise; months 0..+3 scaled by the effect."""
    rng = np.random.default_rng(seed)
    out = {}
    period = dt.date(2016, 1, 1)
    while period <= dt.date(2025, 12, 1):
        level = 1000 * (1 + 0.1 * math.sin(2 * math.pi * period.month / 12))
        value = level * math.exp(rng.normal(0, noise))
        if MONTH0 <= period <= (Month.of(MONTH0) + 3).first_day:
            value *= 1 + effect_pct / 100
        out[period] = round(value, 3)
        period = (Month.of(period) + 1).first_day
    return out


def _observations(partner: str, values: dict[dt.date, float]) -> list[dict]:
    return [{
        "source": "synthetic", "source_ref": f"synthetic-{partner}", "reporter": "CHN",
        "partner": partner, "flow": "X", "classification": "CN-CHN", "commodity": "85051110",
        "period": p, "period_months": 1, "net_weight_kg": v * 1000, "value": None,
        "currency": None, "value_usd": None, "quantity": None, "quantity_unit": None,
        "is_estimated": False, "is_confidential": False, "vintage": dt.date(2026, 1, 31),
        "vintage_precision": "day", "source_url": "https://example.org/synthetic",
        "source_file": f"synthetic_{partner}.csv", "source_row": i, "source_sha256": None,
        "note": "synthetic test series",
    } for i, (p, v) in enumerate(sorted(values.items()), start=1)]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A store with a planted -50% effect for USA and no effect for DEU, KOR, JPN (read only by
    the tests, so built once: its ingest computes the monitor answers a release keeps)."""
    tmp_path = tmp_path_factory.mktemp("synthetic")
    series = {"USA": _series(1, effect_pct=PLANTED), "DEU": _series(2), "KOR": _series(3),
              "JPN": _series(4)}
    rows = [r for partner, values in series.items() for r in _observations(partner, values)]
    with magwatch.open(tmp_path / "synthetic.duckdb") as mw:
        mw.store.ingest_records(pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA),
                                source="synthetic", file_name="synthetic.csv", sha256="0" * 64)
        mw.add_event(date=EVENT, actor="test", event_type="export_control",
                     summary="planted event touching USA only", partners="USA",
                     commodities="85051110", event_id="planted")
        yield mw, series


def test_planted_effect_is_recovered_within_its_interval(synthetic):
    mw, _ = synthetic
    study = mw.event_study("planted", partner="USA", window="-3:+3")
    iv = study.interval
    assert iv["reason"] is None and iv["n"] >= 2
    assert iv["low_pct"] <= PLANTED <= iv["high_pct"]
    assert iv["excludes_zero"]
    kinds = {r["kind"] for r in study.to_dict()["placebos"]["runs"]}
    assert kinds == {"calendar", "partner"}
    # the untouched partners are the partner placebos; the touched one is not among them
    labels = {r["label"] for r in study.to_dict()["placebos"]["runs"] if r["kind"] == "partner"}
    assert labels == {"DEU", "JPN", "KOR"}


def test_year_earlier_scaled_counterfactual_recovers_the_effect(synthetic):
    mw, _ = synthetic
    scaled = mw.event_study("planted", partner="USA").to_dict()["year_earlier_scaled"]
    assert scaled["reason"] is None and scaled["pairs"] == ["2025-01", "2025-02", "2025-03"]
    assert abs(scaled["effect_pct"] - PLANTED) < 8


def test_placebo_finds_no_effect_where_none_was_planted(synthetic):
    mw, _ = synthetic
    study = mw.event_study(EVENT.isoformat(), partner="DEU")
    iv = study.interval
    assert iv["reason"] is None
    assert iv["low_pct"] <= 0 <= iv["high_pct"]
    assert not iv["excludes_zero"]
    for run in study.to_dict()["placebos"]["runs"]:
        assert abs(run["effect_pct"]) < 15, run      # seasonality and noise only


def test_pre_trend_is_flagged_when_the_series_was_already_moving():
    values = {(Month.of(MONTH0) + k).first_day: 100.0 + 10 * (k + 3) for k in range(-3, 4)}
    own = own_level(values, MONTH0, 3, 3)
    trend = pre_trend(values, MONTH0, 3, 3, own["effect_pct"])
    assert trend["slope_pct_per_month"] == pytest.approx(9.1, abs=0.1)
    assert "with care" in trend["verdict"]
    flat = {(Month.of(MONTH0) + k).first_day: (100.0 if k < 0 else 50.0) for k in range(-3, 4)}
    flat_trend = pre_trend(flat, MONTH0, 3, 3, own_level(flat, MONTH0, 3, 3)["effect_pct"])
    assert "flat" in flat_trend["verdict"]


def test_sparse_data_give_reasons_not_numbers():
    values = {(Month.of(MONTH0) - 1).first_day: 100.0, MONTH0: 50.0}
    own = own_level(values, MONTH0, 3, 3)
    assert own["effect_pct"] is None and "too sparse" in own["reason"]
    scaled = year_earlier_scaled(values, MONTH0, 3, 3)
    assert scaled["effect_pct"] is None and scaled["reason"].startswith("not computable")
    assert pre_trend(values, MONTH0, 3, 3, None)["reason"].startswith("too sparse")
    iv = placebo_interval(-40.0, [3.0])
    assert iv["low_pct"] is None and "too sparse" in iv["reason"]


def test_interval_arithmetic():
    iv = placebo_interval(-50.0, [-10.0, 10.0])
    assert iv["low_pct"] == pytest.approx(-54.5, abs=0.1)   # 0.5 / 1.1 - 1
    assert iv["high_pct"] == pytest.approx(-44.4, abs=0.1)  # 0.5 / 0.9 - 1


@pytest.mark.parametrize("text,expected", [("-3:+3", (3, 3)), ("-6:+2", (6, 2)), ("3:0", (3, 0))])
def test_window_parsing(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["", "3", "-0:+3", "-3:+30", "a:b"])
def test_bad_window_names_the_parameter(text):
    with pytest.raises(ParameterError, match="window"):
        parse_window(text)


# -- the bundled data ----------------------------------------------------------------------


def test_april_2025_controls_world_collapse_and_recovery(mw):
    d = mw.event_study("2025-04-04", partner="WLD").to_dict()
    assert [e["event_id"] for e in d["events"]] == ["ev-2025-04-04"]
    months = {m["period"]: m for m in d["months"]}
    assert months["2025-04"]["net_weight_t"] == 2627 and months["2025-04"]["source_row"] == 26
    assert months["2025-05"]["net_weight_t"] == pytest.approx(1238.47)
    assert months["2025-05"]["source_row"] == 28
    assert months["2025-02"]["status"] == "no data"
    own = d["own_level"]
    assert own["pre_level_t"] == pytest.approx(5840.5)        # (6357 + 5324) / 2, rows 25 and 87
    assert own["changes_pct"]["2025-04"] == pytest.approx(-55.0)
    assert own["changes_pct"]["2025-05"] == pytest.approx(-78.8)
    # 2024-04 and 2024-05 are gaps: the y/y basis is the sources' own statement, labelled
    yoy = {y["period"]: y for y in d["year_on_year"]}
    assert yoy["2025-04"]["basis"] == "as reported" and yoy["2025-04"]["yoy_pct"] == -45
    assert yoy["2025-05"]["basis"] == "as reported" and yoy["2025-05"]["yoy_pct"] == -74.26
    assert yoy["2025-07"]["basis"] == "computed" and yoy["2025-07"]["yoy_pct"] == pytest.approx(5.7)
    assert d["year_earlier_scaled"]["effect_pct"] is None
    assert "2024-01" in d["year_earlier_scaled"]["reason"]
    # the recovery: June follows the London framework, in the window
    assert months["2025-06"]["mom_computed_pct"] == pytest.approx(157.4)
    assert "ev-2025-06-10" in {e["event_id"] for e in d["other_events_in_window"]}
    assert d["placebos"]["interval"]["reason"].startswith("too sparse")


def test_london_framework_us_june_jump(mw):
    d = mw.event_study("ev-2025-06-10", partner="USA").to_dict()
    jump = d["jump"]
    assert (jump["from_t"], jump["to_t"]) == (46.4, 353.0)
    assert jump["rows"] == [29, 34]
    assert jump["mom_pct"] == pytest.approx(660.8)
    assert jump["reported_mom_pct"] == 660
    # 2025-05 USA has a value-only row besides the weight row: shown, never averaged
    may = next(m for m in d["months"] if m["period"] == "2025-05")
    assert may["net_weight_t"] == 46.4 and "value only" in may["alternatives"]
    assert "runs against" in d["pre_trend"]["verdict"]


def test_unknown_event_and_empty_series(mw):
    with pytest.raises(ParameterError, match="event"):
        mw.event_study("no-such-event")
    with pytest.raises(NoDataError):
        mw.event_study("2025-04-04", partner="BRA")
    with pytest.raises(ParameterError, match="partner"):
        mw.event_study("2025-04-04", partner="QQQ")
