"""magwatch.config.Settings: every MAGWATCH_* variable, read from the environment when asked."""

import pytest

from magwatch.config import Settings, settings
from magwatch.errors import ParameterError


def test_unset_and_empty_variables_give_the_defaults():
    found = Settings.from_environ({"MAGWATCH_TOKEN": "", "MAGWATCH_DB": "  ", "HOME": "/x"})
    assert found == Settings()
    assert (found.token, found.db, found.http_timeout, found.http_attempts) == (None, None, 60.0, 5)


def test_values_are_typed_and_per_source_variables_are_gathered():
    found = Settings.from_environ({
        "MAGWATCH_MAX_UPLOAD_BYTES": "1024", "MAGWATCH_HTTP_TIMEOUT": "2.5",
        "MAGWATCH_SPARK_SHUFFLE_PARTITIONS": "4", "MAGWATCH_COMTRADE_BASE_URL": "http://mirror",
        "MAGWATCH_CENSUS_CALLS_PER_MINUTE": "6", "MAGWATCH_MEMORY_LIMIT": "3GB"})
    assert (found.max_upload_bytes, found.http_timeout, found.spark_shuffle_partitions) == (1024, 2.5, 4)
    assert found.memory_limit == "3GB"
    assert found.base_url("comtrade") == "http://mirror" and found.base_url("census") is None
    assert found.pace("CENSUS", 30.0) == 6.0 and found.pace("comtrade", 10.0) == 10.0


@pytest.mark.parametrize("name, raw", [("MAGWATCH_HTTP_ATTEMPTS", "x"),
                                       ("MAGWATCH_MAX_UPLOAD_BYTES", "50MB"),
                                       ("MAGWATCH_HTTP_TIMEOUT", "-1"),
                                       ("MAGWATCH_GACC_CALLS_PER_MINUTE", "fast")])
def test_a_bad_value_is_refused_naming_the_variable(name, raw):
    with pytest.raises(ParameterError, match=name):
        Settings.from_environ({name: raw})


def test_settings_are_read_when_asked(monkeypatch):
    monkeypatch.setenv("MAGWATCH_TOKEN", "first")
    assert settings().token == "first"
    monkeypatch.setenv("MAGWATCH_TOKEN", "second")
    assert settings().token == "second"
    with pytest.raises(AttributeError):
        settings().token = "third"          # frozen
