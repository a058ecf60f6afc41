"""Explain a month: the events a figure follows, ranked; never 'caused'."""

from __future__ import annotations

import json

import pytest

from magwatch.errors import ParameterError


def test_june_2025_us_follows_london_framework_and_licence_approvals(mw):
    result = mw.explain("2025-06", partner="USA")
    d = result.to_dict()
    assert d["figure"]["net_weight_t"] == 353 and d["figure"]["source_row"] == 34
    assert d["figure"]["mom_computed_pct"] == pytest.approx(660.8)
    assert d["figure"]["yoy_reported_pct"] == -52
    top = [e["event_id"] for e in d["events"][:3]]
    assert "ev-2025-06-10" in top and "ev-2025-06-19" in top
    assert d["events"][0]["event_id"] == "ev-2025-06-10"
    assert d["events"][0]["study"]["jump"]["mom_pct"] == pytest.approx(660.8)
    # events that touch neither the partner nor the commodity rank below those that do
    scores = [e["relevance"] for e in d["events"]]
    assert scores == sorted(scores, reverse=True)
    text = "\n".join(result.lines())
    assert "follows" in text and "caus" not in text.lower()
    assert "London" in text and "approved 'some' rare earth export applications" in text


def test_explain_world_month_and_empty_window(mw):
    d = mw.explain("2025-05").to_dict()
    assert d["figure"]["net_weight_t"] == pytest.approx(1238.47)
    ids = [e["event_id"] for e in d["events"]]
    assert "ev-2025-04-04" in ids[:3]
    quiet = mw.explain("2022-05", lookback=1).to_dict()
    assert quiet["events"] == []
    assert "No registry event" in mw.explain("2022-05", lookback=1).lines()[-1]
    json.dumps(mw.explain("2025-06", partner="USA").events.to_pylist(), default=str)


@pytest.mark.parametrize("kwargs,param", [({"month": "2025/06"}, "month"),
                                          ({"month": "2025-06", "partner": "ZZZ"}, "partner"),
                                          ({"month": "2025-06", "lookback": 99}, "lookback")])
def test_explain_bad_parameters(mw, kwargs, param):
    with pytest.raises(ParameterError, match=f"'{param}'"):
        mw.explain(**kwargs)
