"""Display wording shared by the brief, the dashboard and the command line (report/words.py)."""

from __future__ import annotations

import pytest

from magwatch.report import words


@pytest.mark.parametrize("reporter, commodity, flow, text", [
    ("CHN", "85051110", "X", "China's rare-earth magnet exports (CN 85051110)"),
    ("USA", "850511", "M", "United States' permanent magnet imports (CN 850511)"),
    ("NLD", "85051110", "M", "Netherlands' rare-earth magnet imports (CN 85051110)"),
])
def test_a_series_is_named_in_words_with_its_code(reporter, commodity, flow, text):
    assert words.subject(reporter, commodity, flow) == text


def test_countries_and_months_in_words():
    assert words.country_words("DEU") == "Germany" and words.country_words("WLD") == "the world"
    assert words.country_phrase("USA") == "the United States"
    assert words.country_possessive("CHN") == "China's"
    assert words.month_words("2025-06") == "June 2025" and words.month_words("2025") == "2025"
    assert words.country_words("QQQ") == "QQQ"          # an unknown code stays as given
