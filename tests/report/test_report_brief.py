"""The monthly brief: the June 2025 story with footnotes, charts, thin months, PDF, browser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import magwatch
from magwatch.report.words import change_verb, ordinal, ratio_words, record_phrase

ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artefacts"


@pytest.fixture(scope="module")
def june(bundled_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    with magwatch.open(bundled_db, read_only=True) as handle:
        brief = handle.brief("2025-06", out_dir=out, formats=("md", "html", "pdf"), paths=500)
    return brief, out


def test_june_2025_story(june):
    brief, _ = june
    md = brief.markdown
    head = md.splitlines()[0]
    assert head.startswith("# China's rare-earth magnet exports to the United States jumped 661% in June 2025")
    assert "3,188 t" in head
    lede = md.split("## Top destinations")[0]
    assert re.search(r"China exported 3,188 t\[\^\d+\] of rare-earth permanent magnets", lede)
    assert re.search(r"up 157\.4%\[\^\d+\] from the month before but down 38\.1%\[\^\d+\] from a year earlier", lede)
    assert re.search(r"Shipments to the United States jumped 660\.8%\[\^\d+\] from the month before to 353 t", lede)
    assert "still about half their level a year earlier" in lede
    dest = md.split("## Top destinations")[1].split("## Year on year")[0]
    assert re.search(r"Germany was the top destination, as sources also rank it, with 764 t.*"
                     r"followed by the United States with 353 t", dest)
    assert "Sources rank South Korea fourth, not third" in dest      # partial coverage, said so
    events = md.split("## The events it follows")[1].split("## Risk outlook")[0]
    assert "London talks" in events and "approved 'some' rare earth export applications" in events
    assert "## What is missing" in md and "mirror check is not possible" in md


def test_every_number_in_the_text_is_footnoted(june):
    brief, _ = june
    body = brief.markdown.split("## What is missing")[0]
    body = "\n".join(line for line in body.splitlines()
                     if not line.startswith(("#", "*magwatch", "![", "| ---", "| rank")))
    # a figure with a unit (t or %) is followed by its footnote mark
    for m in re.finditer(r"\d[\d,.]*(?: t|%)(?!\[\^)", body):
        tail = body[m.end():m.end() + 40]
        assert tail.startswith(("[^", ")[^", " of the total[^", ")")) or "P10-P90" in body[m.start() - 60:m.end()] \
            or "median" in body[max(0, m.start() - 120):m.start()], (m.group(0), body[m.start() - 80:m.end() + 40])
    notes = {int(n) for n in re.findall(r"^\[\^(\d+)\]:", brief.markdown, re.M)}
    used = {int(n) for n in re.findall(r"\[\^(\d+)\](?!:)", brief.markdown)}
    assert used <= notes
    first = re.search(r"^\[\^1\]: (.*)$", brief.markdown, re.M).group(1)
    assert "china_magnet_exports_monthly.csv row 33" in first and "vintage 2025-07-20" in first
    assert "observed" in first


def test_files_and_charts_written(june):
    brief, out = june
    names = sorted(p.name for p in out.rglob("*") if p.is_file())
    for kind in ("volume", "shares", "risk-fan"):
        assert f"brief-2025-06-{kind}.png" in names and f"brief-2025-06-{kind}.svg" in names
        png = out / "charts" / f"brief-2025-06-{kind}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
        assert "<svg" in (out / "charts" / f"brief-2025-06-{kind}.svg").read_text()[:500]
    html = (out / "brief-2025-06.html").read_text(encoding="utf-8")
    assert 'src="charts/brief-2025-06-volume.png"' in html and 'id="fn1"' in html


def test_pdf_first_page_renders(june):
    import pypdfium2 as pdfium

    _, out = june
    pdf = pdfium.PdfDocument(str(out / "brief-2025-06.pdf"))
    assert len(pdf) >= 2
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    assert "United States jumped 660.8%" in text.replace("\n", " ") or "660.8%" in text
    image = page.render(scale=1).to_pil()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTEFACTS / "brief-2025-06-pdf-page1.png")
    # not a blank page: some pixels are dark
    assert min(image.convert("L").getdata()) < 80


def test_thin_and_empty_months(bundled_db):
    with magwatch.open(bundled_db, read_only=True) as handle:
        thin = handle.brief("2019-06", scenario=None)
        empty = handle.brief("2023-03", scenario=None)
    # June 2019: only a US figure; no world total, so no shares or changes of the total
    assert "The store has no world total for June 2019" in thin.markdown
    assert "No world total for June 2019: changes and shares of the total cannot be given" in \
        thin.markdown.split("## What is missing")[1]
    assert "No figures for March 2023" in empty.markdown
    assert "## Top destinations" not in empty.markdown


def test_one_destination_is_not_ranked_first(bundled_db):
    """March 2026: a world total and one destination (the US) whose rank only a source gives."""
    with magwatch.open(bundled_db, read_only=True) as handle:
        md = handle.brief("2026-03", scenario=None).markdown
    table = md.split("| Rank |")[1].split("\n\n")[0]
    us = next(line for line in table.splitlines() if "United States" in line)
    assert us.startswith("| 4 (reported)")
    assert "no ranking among destinations can be computed" in md
    assert "fourth, not first" not in md
    assert md.count("the only destination with a figure") + md.count("The only destination with a figure") == 1


def test_wording_varies_with_the_facts():
    assert [change_verb(x) for x in (660.8, 15, 0.2, 0.7, -3, -38.1, -74)] == \
        ["jumped", "rose", "was flat", "edged up", "eased", "fell", "plunged"]
    assert ordinal(1) == "first" and ordinal(2) == "second"
    assert ratio_words(-52.0) == "about half" and ratio_words(-38.1) is None and ratio_words(101) == "about twice"
    assert record_phrase("highest since 2025-03 (2 months with data in between)") == \
        "the highest since March 2025 (2 months with a figure in between)"


def test_cli_brief_and_check(bundled_db, tmp_path):
    from typer.testing import CliRunner

    from magwatch.cli import _register, app

    _register()
    runner = CliRunner()
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    res = runner.invoke(app, ["--db", str(db), "brief", "--month", "2025-06", "--format", "md,html",
                              "--out", str(tmp_path / "out"), "--paths", "300"])
    assert res.exit_code == 0, res.output
    assert "660.8%" in res.stdout and (tmp_path / "out" / "brief-2025-06.html").exists()
    res = runner.invoke(app, ["--db", str(db), "brief", "--month", "2025-06", "--format", "html"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["--db", str(db), "brief", "--month", "2025-10", "--focus", "DEU", "--scenario", "none"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# China's rare-earth magnet exports to Germany fell 13% in October 2025")
    res = runner.invoke(app, ["--db", str(db), "brief", "--month", "2025-10", "--focus", "Atlantis"])
    assert res.exit_code != 0 and "focus" in (res.output + str(res.exception))
    text = tmp_path / "t.txt"
    text.write_text("China's magnet exports to the US rose to 335 t in June 2025.", encoding="utf-8")
    res = runner.invoke(app, ["--db", str(db), "check", str(text), "--format", "json", "--strict"])
    assert res.exit_code == 1
    import json

    rows = json.loads(res.stdout)
    assert rows[0]["verdict"] == "inconsistent" and rows[0]["computed"] == "353 t"
    assert {"claim", "verdict", "computed", "claimed", "sources"} <= set(rows[0])
    res = runner.invoke(app, ["--db", str(db), "alerts", "test", "--month", "2025-06"])
    assert res.exit_code == 0 and "ALERT [surge-top10] United States" in res.stdout


@pytest.mark.browser
def test_html_opens_in_chromium_with_charts(june, browser):
    _, out = june
    html = out / "brief-2025-06.html"
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all(
            "img.chart", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])")
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "brief-2025-06.png"), full_page=True)
        title = page.title()
    finally:
        context.close()
    assert errors == []
    assert title == "magwatch brief, June 2025"
    assert len(sizes) == 3 and all(done and w > 300 and h > 200 for done, w, h in sizes), sizes


@pytest.mark.browser
def test_html_fits_a_390_px_screen(june, tmp_path, browser):
    _, out = june
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto((out / "brief-2025-06.html").as_uri())
        page.wait_for_load_state("load")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        images = page.eval_on_selector_all("img", "els => els.map(e => e.getBoundingClientRect().right)")
        page.screenshot(path=str(tmp_path / "brief-2025-06-390.png"), full_page=True)
    finally:
        context.close()
    assert scroll <= 390
    assert images and max(images) <= 390
