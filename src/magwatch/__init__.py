"""magwatch: timely, verified intelligence on rare-earth magnet trade from official statistics.

Quickstart (the bundled real figures; ``make run`` loads them into the default store)::

    >>> import magwatch
    >>> mw = magwatch.open(DB)                  # or magwatch.open(): the store make run fills
    >>> _ = mw.load()                           # the bundled press-reported customs figures
    >>> mw.flows(partner="USA", period="2025-06").column("net_weight_t")
    [353.0]
    >>> june = mw.monitor("2025-06")            # a Frame: each destination's level, change, rank
    >>> june.to_polars()["partner"].to_list()[:3]
    ['DEU', 'USA', 'KOR']
    >>> june.world["net_weight_t"], june.world["mom_pct"]   # the extras are attributes
    (3188.0, 157.4)
    >>> text = "China exported 3,188 t of magnets in June, a 160% increase from May."
    >>> mw.check(text, as_of="2025-07-20").column("verdict")
    ['consistent', 'consistent']
    >>> mw.close()

Docs: docs/cli.md (CLI and Python API), docs/check.md (the claim checker).
"""

from magwatch.errors import (
    InputError, MagwatchError, NoDataError, ParameterError, SourceError, StoreError,
    UnknownCodeError,
)
from magwatch.frame import Answer, Frame
from magwatch.records import CLAIM_SCHEMA, OBSERVATION_SCHEMA
from magwatch.handle import Magwatch, open  # noqa: A004
from magwatch.store import Release, Store

__version__ = "0.1.0"

__all__ = [
    "Answer", "CLAIM_SCHEMA", "Frame", "InputError", "Magwatch", "MagwatchError", "NoDataError",
    "OBSERVATION_SCHEMA", "ParameterError", "Release", "SourceError", "Store", "StoreError",
    "UnknownCodeError", "open",
]
