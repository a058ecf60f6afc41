"""Alert rules: parsing, firing and not firing, JSON-lines and webhook delivery (127.0.0.1 only)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import magwatch
from magwatch.errors import InputError, SourceError
from magwatch.report.alerts import deliver_jsonl, deliver_webhook, evaluate, read_rules


@pytest.fixture(scope="module")
def ro(bundled_db):
    with magwatch.open(bundled_db, read_only=True) as handle:
        yield handle


def _rules(tmp_path, text):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return read_rules(path)


def test_example_rules_parse():
    names = [r.name for r in read_rules()]
    assert names == ["surge-top10", "world-yoy-slump", "world-12m-low", "hhi-2500", "revision-5pct"]


@pytest.mark.parametrize("body, field", [
    ('[[rule]]\nname = "a"\nkind = "threshold"\nmetric = "mom"\nop = ">"\nthreshold = 1\n', "metric"),
    ('[[rule]]\nname = "a"\nkind = "threshold"\nmetric = "mom_pct"\nop = "=>"\nthreshold = 1\n', "op"),
    ('[[rule]]\nname = "a"\nkind = "threshold"\nmetric = "mom_pct"\nop = ">"\nthreshold = "x"\n', "threshold"),
    ('[[rule]]\nname = "a"\nkind = "sometimes"\n', "kind"),
    ('[[rule]]\nname = "a"\nkind = "new_low"\nmonths = 1\n', "months"),
    ('[[rule]]\nname = "a"\nkind = "new_low"\ncolour = "red"\n', "colour"),
    ('[[rule]]\nname = "a"\nkind = "new_low"\n[[rule]]\nname = "a"\nkind = "new_low"\n', "name"),
    ('[[rule]]\nname = "a"\nkind = "new_low"\npartners = "top0"\n', "partners"),
    ('rule = 3\n', "rule"),
    ('[[rule]\n', "toml"),
])
def test_bad_rules_name_file_rule_field(tmp_path, body, field):
    with pytest.raises(InputError) as exc:
        _rules(tmp_path, body)
    message = str(exc.value)
    assert "rules.toml" in message and field in message and "\n" not in message


def test_threshold_rules_fire_and_stay_quiet(ro, tmp_path):
    rules = _rules(tmp_path, """
[[rule]]
name = "surge"
metric = "mom_pct"
op = ">"
threshold = 100
partners = "top10"

[[rule]]
name = "slump"
metric = "yoy_pct"
op = "<"
threshold = -30
partners = "WLD"
""")
    june = evaluate(ro, rules, "2025-06")
    fired = {(a.rule, a.partner) for a in june.alerts}
    assert ("surge", "USA") in fired and ("surge", "DEU") in fired and ("surge", "KOR") in fired
    assert ("surge", "IND") not in fired                      # +14.7% m/m
    assert ("slump", "WLD") in fired                          # -38.1% y/y, reported
    us = next(a for a in june.alerts if a.partner == "USA")
    assert us.value == pytest.approx(660.8) and us.basis == "computed"
    assert any(s["file"] == "china_magnet_exports_monthly.csv" and s["row"] == 34 for s in us.sources)
    slump = next(a for a in june.alerts if a.rule == "slump")
    assert slump.basis == "reported"
    # July 2025: world y/y +5.7% does not fire; the quiet list says why
    july = evaluate(ro, rules, "2025-07")
    assert "slump" not in {a.rule for a in july.alerts}
    assert any(q["rule"] == "slump" and "none < -30" in q["why"] for q in july.quiet)


def test_new_low_fires_in_may_2025_not_june(ro, tmp_path):
    rules = _rules(tmp_path, '[[rule]]\nname = "low"\nkind = "new_low"\nmonths = 12\n')
    may = evaluate(ro, rules, "2025-05")
    assert [(a.rule, a.partner) for a in may.alerts] == [("low", "WLD")]
    assert may.alerts[0].value == pytest.approx(1238.47)
    assert may.alerts[0].threshold == pytest.approx(2627)      # April 2025, the previous low
    june = evaluate(ro, rules, "2025-06")
    assert june.alerts == [] and "not a 12-month low" in june.quiet[0]["why"]
    strict = _rules(tmp_path, '[[rule]]\nname = "low"\nkind = "new_low"\nmonths = 12\nmin_coverage = 0.9\n')
    thin = evaluate(ro, strict, "2025-05")
    assert thin.alerts == [] and "months have a figure" in thin.quiet[0]["why"]


def test_hhi_cross(ro, tmp_path):
    # bounds: 2025-06 803-3,382; 2025-05 825-2,754 (partner figures cover part of the total)
    rules = _rules(tmp_path, '[[rule]]\nname = "hhi"\nkind = "hhi_cross"\nthreshold = 2500\n')
    ev = evaluate(ro, rules, "2025-06")
    assert ev.alerts == [] and "no certain crossing" in ev.quiet[0]["why"]
    mon_now, mon_before = ro.monitor("2025-06").to_dict()["concentration"], ro.monitor("2025-05").to_dict()["concentration"]
    # a threshold between last month's upper bound and this month's upper bound is not certain either;
    # a threshold below both lower bounds is not a crossing
    low = _rules(tmp_path, f'[[rule]]\nname = "hhi"\nkind = "hhi_cross"\nthreshold = '
                           f'{min(mon_now["hhi_min"], mon_before["hhi_min"]) - 1}\n')
    assert evaluate(ro, low, "2025-06").alerts == []


def test_revision_rule(mw, tmp_path):
    rules = _rules(tmp_path, '[[rule]]\nname = "rev"\nkind = "revision"\nop = ">"\nthreshold = 5\n'
                             'partners = "any"\n')
    assert evaluate(mw, rules, "2025-06").alerts == []
    # a later vintage revises June 2025 US from 353 t to 380 t (+7.6%) and Germany by +0.1%
    ref = {p: mw.flows(partner=p, period="2025-06").to_pylist()[0]["source_ref"] for p in ("USA", "DEU")}
    csv = tmp_path / "revised.csv"
    csv.write_text("reporter,partner,flow,commodity,period,net_weight_t,source_ref\n"
                   f"CHN,USA,X,85051110,2025-06,380,{ref['USA']}\n"
                   f"CHN,DEU,X,85051110,2025-06,764.8,{ref['DEU']}\n", encoding="utf-8")
    mw.import_file(csv, source="press", vintage="2025-08-20")
    ev = evaluate(mw, rules, "2025-06")
    assert [(a.partner, a.month) for a in ev.alerts] == [("USA", "2025-06")]
    assert ev.alerts[0].value == pytest.approx(7.65, abs=0.01)


def test_jsonl_delivery(ro, tmp_path):
    ev = evaluate(ro, read_rules(), "2025-06")
    path = tmp_path / "alerts" / "out.jsonl"
    assert deliver_jsonl(ev.alerts, path) == len(ev.alerts) > 0
    deliver_jsonl(ev.alerts, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 * len(ev.alerts)
    first = json.loads(lines[0])
    assert {"rule", "month", "partner", "message", "value", "basis", "sources"} <= set(first)


class _Receiver(BaseHTTPRequestHandler):
    fail_first = 2
    calls: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append(json.loads(body))
        if len(type(self).calls) <= type(self).fail_first:
            self.send_response(503)
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    handler = type("Receiver", (_Receiver,), {"calls": [], "fail_first": 2})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_survives_two_failures(ro, receiver):
    handler, url = receiver
    ev = evaluate(ro, read_rules(), "2025-06")
    alert = ev.alerts[:1]
    sent = deliver_webhook(alert, url, attempts=4, backoff=0.01)
    assert sent == [{"rule": alert[0].rule, "partner": alert[0].partner, "status": 200, "attempts": 3}]
    assert len(handler.calls) == 3
    assert handler.calls[-1]["message"] == alert[0].message


def test_webhook_gives_up(ro, receiver):
    handler, url = receiver
    handler.fail_first = 99
    ev = evaluate(ro, read_rules(), "2025-06")
    with pytest.raises(SourceError, match="gave up after 2 attempts"):
        deliver_webhook(ev.alerts[:1], url, attempts=2, backoff=0.01)
    assert len(handler.calls) == 2
