"""The format of the checker's news corpus, tests/report/corpus/news.toml (no checker involved).

The corpus is the spec the claim checker must meet; test_check_corpus.py scores it. This file only
checks that the spec itself is well formed: unique ids, planted cases that name their true case and
carry exactly one inconsistent claim, known metrics and verdicts, enough cases, and every month
with a single-month figure in the bundled store covered by at least one claim.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import magwatch

CORPUS = Path(__file__).with_name("corpus")
NEWS = CORPUS / "news.toml"

METRICS = {"net_weight_t", "value_usd", "mom_pct", "yoy_pct", "change_pct", "share_pct", "rank",
           "ratio_mom", "ratio_yoy", "record_high", "record_low", "streak_fall", "streak_rise",
           "cumulative_t", "scope"}
VERDICTS = {"consistent", "inconsistent", "unverifiable", "not checked"}
ABOUT = {"scenario", "forecast", "price", "other commodity"}
CASE_KEYS = {"id", "as_of", "planted", "of", "wrong", "text", "claims"}
CLAIM_KEYS = {"metric", "partner", "period", "months", "about", "verdict"}
PARTNER = re.compile(r"^[A-Z]{3}$")
PERIOD = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")
DATE = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return tomllib.loads(NEWS.read_text(encoding="utf-8"))["case"]


def test_enough_cases(cases):
    assert len(cases) >= 70 + 35
    assert sum(1 for c in cases if not c.get("planted")) >= 70
    assert sum(1 for c in cases if c.get("planted")) >= 35


def test_ids_are_unique_here_and_across_the_corpus_directory(cases):
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", i) for i in ids), "ids are lower-case"
    # test_check_corpus.py reads every *.toml here as one corpus: ids must not collide across files
    everywhere = [c["id"] for path in sorted(CORPUS.glob("*.toml"))
                  for c in tomllib.loads(path.read_text(encoding="utf-8"))["case"]]
    assert len(everywhere) == len(set(everywhere))


def test_case_fields(cases):
    for c in cases:
        assert set(c) <= CASE_KEYS, (c["id"], set(c) - CASE_KEYS)
        assert isinstance(c["planted"], bool), c["id"]
        assert isinstance(c["text"], str) and c["text"].strip(), c["id"]
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", c["text"].strip()) if s]
        assert 1 <= len(sentences) <= 5, (c["id"], len(sentences))  # 1-4 sentences, plus a "Published ..." line
        if "as_of" in c:
            assert DATE.match(c["as_of"]), c["id"]
        assert c["claims"], c["id"]


def test_claims_use_known_metrics_partners_and_verdicts(cases):
    for c in cases:
        for claim in c["claims"]:
            assert set(claim) <= CLAIM_KEYS, (c["id"], claim)
            assert claim["metric"] in METRICS, (c["id"], claim)
            assert claim["verdict"] in VERDICTS, (c["id"], claim)
            if claim["metric"] == "scope":
                assert claim["verdict"] == "not checked" and claim.get("about") in ABOUT, (c["id"], claim)
                continue
            assert claim["verdict"] != "not checked", (c["id"], claim)
            assert PARTNER.match(claim["partner"]) and PERIOD.match(claim["period"]), (c["id"], claim)
            if claim["metric"] == "cumulative_t":
                assert isinstance(claim.get("months"), int) and 2 <= claim["months"] <= 12, (c["id"], claim)
            elif "months" in claim:
                assert isinstance(claim["months"], int) and 2 <= claim["months"] <= 12, (c["id"], claim)


def test_planted_cases_vary_a_true_case_with_one_error(cases):
    by_id = {c["id"]: c for c in cases}
    for c in cases:
        wrong = [x for x in c["claims"] if x["verdict"] == "inconsistent"]
        if not c.get("planted"):
            assert "of" not in c and wrong == [], c["id"]
            continue
        assert c.get("of") in by_id, c["id"]
        true = by_id[c["of"]]
        assert not true.get("planted"), c["id"]
        assert c["text"] != true["text"], c["id"]
        assert len(wrong) == 1, c["id"]


def test_every_month_with_a_single_month_figure_is_covered(bundled_db, cases):
    with magwatch.open(bundled_db, read_only=True) as handle:
        months = {row["period"] for row in handle.flows(months=1).to_pylist()}
    assert months, "the bundled store has monthly figures"
    covered = {x["period"] for c in cases if not c.get("planted") for x in c["claims"]
               if "period" in x and "months" not in x}
    assert sorted(months - covered) == []
