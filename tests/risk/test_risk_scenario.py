import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from magwatch.errors import InputError
from magwatch.risk.scenario import (
    Alternative, Model, draw, resolve, run, simulate, simulate_chunk, simulate_loop,
)


def small_model(cut=(0.5, 0.9), cover=(2.0, 4.0), duration=4.0, months=8) -> Model:
    return Model(importers=["AAA", "BBB"], sectors=["s1", "s2", "s3"], months=months,
                 baseline=np.array([100.0, 40.0]),
                 split=np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]),
                 cut_low=np.full(2, cut[0]), cut_high=np.full(2, cut[1]),
                 cover_low=np.full((2, 3), cover[0]), cover_high=np.full((2, 3), cover[1]),
                 delay_low=30, delay_mode=45, delay_high=90, restored_low=0.2, restored_high=0.6,
                 duration=duration, growth=0.03, subst_low=0.0, subst_high=0.05, subst_from=2,
                 alternatives=[Alternative(0, 5.0, 1.0, 2.0, 4.0, 0.0, 0.5)])


def test_vectorised_equals_pure_python_loop():
    model = small_model()
    d = draw(model, 40, seed=7)
    vec = simulate_chunk(model, d, slice(0, 40))
    loop = simulate_loop(model, d, range(40), range(2))
    for (p, i, s, t), value in loop["shortfall"].items():
        assert vec.shortfall[i, s, t, p] == pytest.approx(value, rel=1e-5, abs=1e-4)
    for (p, i, s), value in loop["tts"].items():
        assert vec.tts[p, i, s] == pytest.approx(value, abs=1e-5)
    for (p, i), value in loop["ttr"].items():
        assert vec.ttr[p, i] == value


def test_hand_computed_full_stop():
    # 100 t/month, cut 100% for 2 months, 2 weeks of cover: stock 100*2/(52/12) t
    model = Model(importers=["AAA"], sectors=["all"], months=4, baseline=np.array([100.0]),
                  split=np.array([[1.0]]), cut_low=np.array([1.0]), cut_high=np.array([1.0]),
                  cover_low=np.array([[2.0]]), cover_high=np.array([[2.0]]), duration=2.0)
    sim = simulate(model, 3, seed=0)
    stock = 100 * 2 / (52 / 12)
    assert sim.shortfall[0, 0, :, 0].tolist() == pytest.approx([100 - stock, 100, 0, 0], rel=1e-5)
    assert sim.tts[0, 0, 0] == pytest.approx(stock / 100, rel=1e-5)
    assert sim.ttr[0, 0] == 2.0


def test_same_seed_same_numbers_and_chunking_does_not_matter():
    model = small_model()
    a = simulate(model, 500, seed=3, chunk_paths=64)
    b = simulate(model, 500, seed=3, chunk_paths=500)
    c = simulate(model, 500, seed=4)
    assert np.array_equal(a.shortfall, b.shortfall) and np.array_equal(a.tts, b.tts)
    assert not np.array_equal(a.shortfall, c.shortfall)


@settings(max_examples=40, deadline=None)
@given(c1=st.floats(0, 1), c2=st.floats(0, 1), seed=st.integers(0, 2**16))
def test_larger_cut_never_gives_smaller_shortfall(c1, c2, seed):
    lo, hi = sorted((c1, c2))
    small, large = simulate(small_model(cut=(lo, lo)), 20, seed), simulate(small_model(cut=(hi, hi)), 20, seed)
    assert np.all(large.shortfall >= small.shortfall - 1e-4)
    assert large.shortfall.sum() >= small.shortfall.sum() - 1e-3


@settings(max_examples=40, deadline=None)
@given(w1=st.floats(0, 20), w2=st.floats(0, 20), seed=st.integers(0, 2**16))
def test_more_inventory_never_shortens_time_to_survive(w1, w2, seed):
    lo, hi = sorted((w1, w2))
    few, many = simulate(small_model(cover=(lo, lo)), 20, seed), simulate(small_model(cover=(hi, hi)), 20, seed)
    assert np.all(many.tts >= few.tts - 1e-9)
    assert np.all(many.shortfall <= few.shortfall + 1e-4)


def test_bad_scenario_field_is_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('start = "2026-13"\nmonths = 6\nimporters = ["USA"]\n')
    with pytest.raises(InputError, match=r"bad.toml.*'start'"):
        resolve(bad)
    bad.write_text('start = "2026-01"\nmonths = 6\nimporters = ["USA"]\n[baseline]\ntonnes = { USA = 10 }\n'
                   '[cut]\nlow = 0.9\nhigh = 0.2\n')
    with pytest.raises(InputError, match="'cut'"):
        resolve(bad)


@pytest.mark.parametrize("name", ["repeat-2025-04", "full-stop-6m", "partial-licence"])
def test_examples_run_and_repeat(mw, name):
    a = run(name, mw, paths=300, seed=11)
    b = mw.scenario(name, paths=300, seed=11)
    assert a.total == b.total and a.survival == b.survival
    assert any(r["shortfall_t_p50"] > 0 for r in a.total)
    baseline = {c.name: c for c in a.scenario.inputs}["baseline_USA"]
    assert baseline.value == pytest.approx((656 + 581.8 + 564) / 3, rel=1e-4)
    assert baseline.file == "china_magnet_exports_monthly.csv"
    for row in a.monthly:
        if row["unit"] and row["units_p50_low"] is not None:
            assert row["units_p50_low"] <= row["units_p50_high"]


def test_full_stop_recovers_after_six_months(mw):
    res = mw.scenario("full-stop-6m", paths=200, seed=1)
    assert all(r["ttr_months_p50"] == 6.0 for r in res.survival)
    assert all(r["prob_tts_lt_ttr"] == 1.0 for r in res.survival)
    assert math.isclose(res.total[-1]["shortfall_t_p90"], 0.0, abs_tol=1e-6)
