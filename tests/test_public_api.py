"""The public API is what magwatch/__init__.py exports, and nothing drifts into it by accident."""

import magwatch


def test_all_is_pinned():
    assert sorted(magwatch.__all__) == sorted([
        "CLAIM_SCHEMA", "Frame", "InputError", "Magwatch", "MagwatchError", "NoDataError",
        "OBSERVATION_SCHEMA", "ParameterError", "Release", "SourceError", "Store", "StoreError",
        "UnknownCodeError", "open",
    ])
    for name in magwatch.__all__:
        assert hasattr(magwatch, name)


def test_flows_convert_to_polars_and_pandas(mw):
    frame = mw.flows(partner="USA", period="2025-06")
    assert frame.to_polars()["net_weight_t"].to_list() == [353.0]
    assert frame.to_pandas()["net_weight_t"].tolist() == [353.0]


def test_the_quickstart_in_help_runs(tmp_path):
    """help(magwatch) opens with a quickstart; every line of it runs and prints what it shows."""
    import doctest

    parser = doctest.DocTestParser()
    test = parser.get_doctest(magwatch.__doc__, {"DB": tmp_path / "quick.duckdb"}, "magwatch", None, 0)
    assert len(test.examples) >= 8
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=lambda text: None)
    assert (runner.failures, runner.tries) == (0, len(test.examples))


def test_a_no_data_error_names_the_store_and_the_fix(tmp_path):
    path = tmp_path / "empty.duckdb"
    with magwatch.open(path) as mw:
        try:
            mw.monitor("2025-06")
        except magwatch.NoDataError as exc:
            message = str(exc)
        else:
            raise AssertionError("an empty store answered the monitor")
    assert str(path) in message and "magwatch load" in message
    assert "--db" in message and "MAGWATCH_DB" in message
    assert message.count(str(path)) == 1
