"""Commodity codes: the named magnet lines, validation, HS6 parents and the length guess."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from magwatch.codes import CLASSIFICATIONS, default_classification, describe, hs6, validate_code
from magwatch.codes.tables import DATA
from magwatch.errors import InputError, UnknownCodeError


def read_lines() -> list[dict[str, str]]:
    with (DATA / "commodities.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


# --------------------------------------------------------------------------- named lines

@pytest.mark.parametrize(("classification", "code", "words"), [
    ("HS", "8505", "permanent magnets"),
    ("HS", "850511", "of metal"),
    ("HS", "850519", "other than of metal"),
    ("CN-CHN", "85051110", "rare-earth"),
    ("CN-CHN", "8505111000", "rare-earth"),
    ("CN-CHN", "85051190", "other metals"),
    ("CN-EU", "85051100", "of metal"),
    ("CN-EU", "85051110", "neodymium"),
    ("HTS-US", "8505110070", "NdFeB"),
    ("HTS-US", "8505110050", "SmCo"),
])
def test_named_lines(classification, code, words):
    assert words in describe(classification, code)


def test_china_line_8_and_10_digit_forms_agree():
    assert describe("CN-CHN", "85051110") == describe("CN-CHN", "8505111000")
    assert "稀土永磁铁" in describe("CN-CHN", "85051110")


def test_same_digits_in_two_classifications_are_different_lines():
    assert describe("CN-CHN", "85051110") != describe("CN-EU", "85051110")


def test_describe_accepts_ints_and_separators():
    assert describe("HS", 850511) == describe("HS", " 8505.11 ")
    assert describe("HTS-US", "8505.11.0070") == describe("HTS-US", 8505110070)


@pytest.mark.parametrize(("classification", "code"), [
    ("HS", "850440"), ("CN-CHN", "85044014"), ("HTS-US", "8505110099"), ("HS-JPN", "850511000"),
])
def test_describe_unnamed_line_raises(classification, code):
    with pytest.raises(UnknownCodeError, match=f"unknown {classification} commodity code '{code}'"):
        describe(classification, code)


def test_describe_invalid_code_raises_input_error():
    with pytest.raises(InputError, match="has 7 digits"):
        describe("HS", "8505111")


def test_commodities_table_is_consistent():
    rows = read_lines()
    keys = [(r["classification"], r["code"]) for r in rows]
    assert len(set(keys)) == len(keys)
    for r in rows:
        assert validate_code(r["classification"], r["code"]) == r["code"]
        assert r["verified"] in ("true", "false")
        assert r["source"].strip()
        assert r["description"].strip()
        if len(r["code"]) >= 6:
            assert r["code"].startswith("8505") and hs6(r["classification"], r["code"]) in ("850511", "850519",
                                                                                          "850520", "850530",
                                                                                          "850590")


def test_classifications_match_the_record_schema():
    from magwatch import records

    assert set(CLASSIFICATIONS) == set(records.CLASSIFICATIONS)


# --------------------------------------------------------------------------- hs6

@pytest.mark.parametrize(("classification", "code"), [
    ("CN-CHN", "85051110"),
    ("CN-CHN", "8505111000"),
    ("CN-EU", "85051100"),
    ("HTS-US", "8505110070"),
    ("HTS-US", "8505.11.0050"),
    ("HS", "850511"),
    ("HS-JPN", "850511000"),
])
def test_hs6_parent(classification, code):
    assert hs6(classification, code) == "850511"


@pytest.mark.parametrize("code", ["8505", "85"])
def test_hs6_of_heading_or_chapter_raises(code):
    with pytest.raises(InputError, match="no HS6 parent"):
        hs6("HS", code)


# --------------------------------------------------------------------------- validate_code

@pytest.mark.parametrize(("classification", "code", "expected"), [
    ("HS", "850511", "850511"),
    ("HS", " 850511 ", "850511"),
    ("HS", 850511, "850511"),
    ("HS", "8505", "8505"),
    ("HS", "85", "85"),
    ("HS", 10121, "010121"),          # an int lost its leading zero
    ("HS", 101, "0101"),
    ("HS", "8505.11", "850511"),
    ("CN-CHN", "85051110", "85051110"),
    ("CN-CHN", "8505111000", "8505111000"),
    ("CN-CHN", 85051110, "85051110"),
    ("CN-CHN", 101210000, "0101210000"),
    ("CN-EU", "8505 11 00", "85051100"),
    ("HTS-US", "8505.11.0070", "8505110070"),
    ("HTS-US", 8505110070, "8505110070"),
    ("HS-JPN", "850511000", "850511000"),
])
def test_validate_code_normalises(classification, code, expected):
    assert validate_code(classification, code) == expected


@pytest.mark.parametrize(("classification", "code", "message"), [
    ("HS", "85051", "has 5 digits; expected 2 or 4 or 6"),
    ("HS", "8505111", "has 7 digits"),
    ("HS", "85051110", "has 8 digits"),
    ("CN-CHN", "850511100", "has 9 digits; expected 8 or 10"),
    ("CN-CHN", "850511", "has 6 digits"),
    ("CN-EU", "8505110000", "has 10 digits; expected 8"),
    ("HTS-US", "85051100", "has 8 digits; expected 10"),
    ("HS-JPN", "85051100", "has 8 digits; expected 9"),
    ("HS", "85O511", "is not a string of digits"),
    ("HS", "8505-11", "is not a string of digits"),
    ("HS", "", "is not a string of digits"),
    ("HS", None, "is not a string of digits"),
    ("HS", True, "is not a string of digits"),
    ("HS", -850511, "is not a string of digits"),
    ("HS", 850511.0, "is not a string of digits"),
    ("HS", "８５０５１１", "is not a string of digits"),   # full-width digits
])
def test_validate_code_rejects(classification, code, message):
    with pytest.raises(InputError, match=message):
        validate_code(classification, code)


def test_validate_code_names_file_row_and_field():
    with pytest.raises(InputError) as info:
        validate_code("CN-CHN", "8505111", file="gacc.csv", row=4, field="商品编码")
    err = info.value
    assert (err.file, err.row, err.field) == ("gacc.csv", 4, "商品编码")
    assert str(err).startswith("gacc.csv, row 4, field '商品编码': CN-CHN commodity code '8505111' has 7 digits")


def test_unknown_classification_raises():
    with pytest.raises(UnknownCodeError, match="unknown commodity classification 'HS6'"):
        validate_code("HS6", "850511")
    with pytest.raises(UnknownCodeError):
        describe("CN", "85051110")


# --------------------------------------------------------------------------- default_classification

@pytest.mark.parametrize(("code", "expected"), [
    ("850511", "HS"),
    ("8505", "HS"),
    ("85", "HS"),
    ("85051110", "CN-CHN"),
    ("8505110070", "HTS-US"),
    ("8505111000", "HTS-US"),   # only a guess: it is also China's 10-digit line
    ("850511000", "HS-JPN"),
    (85051110, "CN-CHN"),
    (" 8505.11 ", "HS"),
])
def test_default_classification(code, expected):
    assert default_classification(code) == expected


@pytest.mark.parametrize("code", ["85051", "8505111", "85051100001", "", "abc", None])
def test_default_classification_rejects(code):
    with pytest.raises(InputError, match="cannot guess the classification"):
        default_classification(code)


# --------------------------------------------------------------------------- properties

@given(st.sampled_from(sorted(CLASSIFICATIONS)), st.data())
def test_valid_digit_strings_round_trip(classification, data):
    length = data.draw(st.sampled_from(CLASSIFICATIONS[classification]))
    code = data.draw(st.text(alphabet="0123456789", min_size=length, max_size=length))
    assert validate_code(classification, code) == code
    assert validate_code(classification, f" {code} ") == code
    if length >= 6:
        assert hs6(classification, code) == code[:6]
    guessed = default_classification(code)
    assert validate_code(guessed, code) == code


@given(st.sampled_from(sorted(CLASSIFICATIONS)), st.text(max_size=14))
def test_any_text_validates_or_raises_input_error(classification, code):
    try:
        result = validate_code(classification, code)
    except InputError:
        pass
    else:
        assert result.isdigit() and len(result) in CLASSIFICATIONS[classification]
