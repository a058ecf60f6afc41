"""magwatch: timely, verified intelligence on rare-earth magnet trade from official statistics."""

from magwatch.errors import (
    InputError, MagwatchError, NoDataError, ParameterError, SourceError, StoreError,
    UnknownCodeError,
)
from magwatch.frame import Frame
from magwatch.records import CLAIM_SCHEMA, OBSERVATION_SCHEMA
from magwatch.session import Magwatch, open  # noqa: A004
from magwatch.store import Release, Store

__version__ = "0.1.0"

__all__ = [
    "CLAIM_SCHEMA", "Frame", "InputError", "Magwatch", "MagwatchError", "NoDataError",
    "OBSERVATION_SCHEMA", "ParameterError", "Release", "SourceError", "Store", "StoreError",
    "UnknownCodeError", "open",
]
