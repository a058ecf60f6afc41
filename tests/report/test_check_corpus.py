"""The claim checker on the corpus of wire-style paragraphs in tests/report/corpus/*.toml.

Each case lists every claim its text makes with the verdict it must get (true claims
consistent; a planted variant has exactly one inconsistent claim). Scored over all cases:
at least 97% of the listed claims get their verdict, every planted error is caught, and no
claim outside the list is called inconsistent (a false alarm).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import magwatch
from magwatch.report.check import INCONSISTENT, NOT_CHECKED, Checker, check_text

CORPUS = Path(__file__).with_name("corpus")


@pytest.fixture(scope="module")
def cases():
    found = [case for path in sorted(CORPUS.glob("*.toml"))
             for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]]
    ids = [c["id"] for c in found]
    assert len(ids) == len(set(ids)), "case ids are unique"
    known = set(ids)
    assert all(c["of"] in known for c in found if c.get("planted")), "a planted case names its true case"
    return found


@pytest.fixture(scope="module")
def scored(bundled_db, cases):
    with magwatch.open(bundled_db, read_only=True) as handle:
        checker = Checker(handle)
        return [(case, score(case, check_text(handle, case["text"], as_of=case.get("as_of"), checker=checker)))
                for case in cases]


def _key(claim) -> tuple:
    if claim.get("metric") == "scope":
        return ("scope", claim.get("about"))
    return (claim["metric"], claim["partner"], claim["period"], int(claim.get("months", 1)))


def _got_key(v) -> tuple:
    if v.verdict == NOT_CHECKED:
        return ("scope", v.claim.scope)
    return (v.claim.metric, v.claim.partner, v.claim.period, v.claim.months)


def score(case: dict, verdicts) -> dict:
    """Each expected claim matched to the first unused verdict with the same key."""
    pool = list(verdicts)
    out = {"right": [], "wrong": [], "false_alarms": []}
    for want in case["claims"]:
        key = _key(want)
        hit = next((v for v in pool if _got_key(v) == key), None)
        if hit is not None:
            pool.remove(hit)
        verdict = hit.verdict if hit is not None else "(not read)"
        (out["right"] if verdict == want["verdict"] else out["wrong"]).append((key, want["verdict"], verdict,
                                                                                 hit.reason if hit else ""))
    out["false_alarms"] = [(_got_key(v), v.claimed, v.computed, v.reason) for v in pool if v.verdict == INCONSISTENT]
    return out


def test_the_corpus_is_large_and_varied(cases):
    assert len(cases) >= 60
    assert sum(1 for c in cases if c.get("planted")) >= 30


def test_at_least_97_percent_right_verdicts(scored):
    right = sum(len(s["right"]) for _, s in scored)
    total = right + sum(len(s["wrong"]) for _, s in scored)
    misses = [(c["id"], w) for c, s in scored for w in s["wrong"]]
    assert right / total >= 0.97, (f"{right}/{total} right", misses)


def test_every_planted_error_is_caught(scored):
    missed = [(c["id"], s["wrong"]) for c, s in scored if c.get("planted")
              and not any(want == INCONSISTENT == got for _, want, got, _ in s["right"])]
    assert missed == []


def test_no_false_alarms(scored):
    alarms = [(c["id"], s["false_alarms"]) for c, s in scored if s["false_alarms"]]
    assert alarms == []


def test_every_month_with_data_is_in_the_corpus(bundled_db, cases):
    with magwatch.open(bundled_db, read_only=True) as handle:
        months = set(Checker(handle).known_months())
    covered = {c["period"] for case in cases for c in case["claims"] if "period" in c}
    assert months - covered == set()
