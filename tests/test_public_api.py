"""The public API is what magwatch/__init__.py exports, and nothing drifts into it by accident.

The surface is ``magwatch.__all__`` and the public methods of the handle ``magwatch.Magwatch``.
Both are pinned here: ``__all__`` against the list below and against what the package really
holds (both ways), the handle's method signatures against tests/data/handle_signatures.txt.

The rule for submodules: ``magwatch.store``, ``magwatch.cli`` and every other module of the
package become attributes of ``magwatch`` once imported; they are the implementation, not the
API, and are never in ``__all__``. Any other public attribute of ``magwatch`` must be.
"""

import importlib
import inspect
import pkgutil
import sys
import types
from pathlib import Path

import magwatch

SIGNATURES = Path(__file__).parent / "data" / "handle_signatures.txt"


def test_all_is_pinned():
    assert sorted(magwatch.__all__) == sorted([
        "Answer", "CLAIM_SCHEMA", "Frame", "InputError", "Magwatch", "MagwatchError", "NoDataError",
        "OBSERVATION_SCHEMA", "ParameterError", "Release", "SourceError", "Store", "StoreError",
        "UnknownCodeError", "open",
    ])
    missing = [name for name in magwatch.__all__ if not hasattr(magwatch, name)]
    assert not missing, f"in magwatch.__all__ but not defined: {missing}"


def public_names(package: types.ModuleType) -> set[str]:
    """Public attributes of ``package`` that are not its own submodules."""
    own = package.__name__ + "."
    return {name for name, value in vars(package).items() if not name.startswith("_")
            and not (isinstance(value, types.ModuleType) and value.__name__.startswith(own))}


def test_nothing_is_public_that_is_not_in_all():
    for found in pkgutil.iter_modules(magwatch.__path__):   # every submodule, as after any use
        if found.name != "__main__":
            importlib.import_module(f"magwatch.{found.name}")
    extra = sorted(public_names(magwatch) - set(magwatch.__all__))
    assert not extra, (f"public on magwatch but not in __all__: {extra} (add them to __all__ and "
                       f"to the list above, or import them under a private name)")


def test_a_stray_name_would_be_caught():
    """The check above is not vacuous: a helper or a foreign module on the package shows up."""
    fake = types.ModuleType("magwatch")
    fake.__all__ = ["open"]
    fake.open, fake.helper, fake.os = object(), object(), sys.modules["os"]
    fake.store = types.ModuleType("magwatch.store")
    assert public_names(fake) - set(fake.__all__) == {"helper", "os"}


def handle_signatures() -> str:
    """One line per public method of the handle: ``name(parameters) -> return``."""
    lines = [f"{name}{inspect.signature(value)}" for name, value in vars(magwatch.Magwatch).items()
             if not name.startswith("_") and callable(value)]
    return "\n".join(sorted(lines)) + "\n"


def test_the_handle_methods_are_pinned():
    """Changing a method of the handle changes every interface and every user's script: it is
    done on purpose, by rewriting the snapshot (``.venv/bin/python tests/test_public_api.py``)
    and committing it with the change, where a reviewer sees the difference."""
    now, pinned = handle_signatures(), SIGNATURES.read_text(encoding="utf-8")
    if now != pinned:
        import difflib

        diff = "".join(difflib.unified_diff(pinned.splitlines(True), now.splitlines(True),
                                            str(SIGNATURES.name), "magwatch.Magwatch now"))
        raise AssertionError(
            "the public methods of magwatch.Magwatch changed:\n" + diff + "\nIf this is "
            "deliberate, rewrite the snapshot with `.venv/bin/python tests/test_public_api.py`, "
            "say so in docs/cli.md (Python API) and commit tests/data/handle_signatures.txt")
    assert len(now.splitlines()) >= 27


def test_flows_convert_to_polars_and_pandas(mw):
    frame = mw.flows(partner="USA", period="2025-06")
    assert frame.to_polars()["net_weight_t"].to_list() == [353.0]
    assert frame.to_pandas()["net_weight_t"].tolist() == [353.0]


def test_every_handle_method_that_answers_a_table_returns_a_frame(mw):
    """One Python shape: the monitor, mirror, risk report, explanation, event study, scenario
    and alerts are Frames (Polars, pandas, Arrow) whose other parts are attributes."""
    answers = {
        "monitor": (mw.monitor("2025-06"), "partner", ("world", "groups", "concentration", "lacks")),
        "mirror": (mw.mirror("USA"), "period", ("lag", "scope", "explanations", "notes")),
        "risk": (mw.risk("2025-06"), "importer", ("exports_by_partner", "indices")),
        "explain": (mw.explain("2025-06", partner="USA"), "event_id", ("reading",)),
        "event_study": (mw.event_study("2025-04-04"), "period", ("own_level", "reading")),
        "scenario": (mw.scenario("repeat-2025-04", paths=50), "importer", ("monthly", "inputs")),
        "alerts": (mw.alerts(month="2025-06"), "rule", ("month", "quiet")),
    }
    for name, (answer, column, parts) in answers.items():
        assert isinstance(answer, magwatch.Frame), name
        assert column in answer.columns and answer.num_rows > 0, (name, answer.columns)
        assert answer.to_polars().height == answer.to_pandas().shape[0] == answer.num_rows
        for part in parts:
            assert part in answer.extras and getattr(answer, part) == answer.to_dict()[part], (name, part)
        assert set(answer.to_dict()) >= set(parts)
    june = answers["monitor"][0]
    assert june.world["net_weight_t"] == 3188.0
    assert june.column("partner")[:2] == ["DEU", "USA"]
    assert answers["mirror"][0].from_ == answers["mirror"][0].to_dict()["from"]
    try:
        june.no_such_part
    except AttributeError as exc:
        assert "world" in str(exc)
    else:
        raise AssertionError("an unknown attribute answered")


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


if __name__ == "__main__":      # rewrite the snapshot of the handle's methods, on purpose
    SIGNATURES.parent.mkdir(exist_ok=True)
    SIGNATURES.write_text(handle_signatures(), encoding="utf-8")
    print(f"wrote {SIGNATURES}")
