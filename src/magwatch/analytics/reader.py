"""What ``risk/`` and ``report/`` read through: the :class:`Reader` protocol.

They are handed the ``magwatch.open()`` handle (:class:`magwatch.handle.Magwatch`) and call
back into it for figures, reference tables and the answers of the layers beside them. They
must not import the handle (it sits above them: .importlinter), so they name this protocol
instead. It lists exactly the members they use; the handle satisfies it
(tests/test_architecture.py compares the signatures). ``events/`` takes the
:class:`~magwatch.store.Store` itself.

Answers of layers above the analytics (events, risk) come back as ``Any`` here, so that this
module names none of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from magwatch.codes import MAGNET_LINE
from magwatch.frame import Answer, Frame
from magwatch.store import Store


class Reader(Protocol):
    """One store's figures and answers, as the handle gives them."""

    store: Store

    def flows(self, *, reporter: str | None = None, partner: str | None = None,
              commodity: str | None = None, flow: str | None = None, period: str | None = None,
              start: str | None = None, end: str | None = None, as_of: str | dt.date | None = None,
              source: str | None = None, months: int = 1) -> Frame: ...

    def revisions(self, *, source: str | None = None, since: str | dt.date | None = None,
                  release: int | None = None) -> Frame: ...

    def reference(self, name: str) -> Frame: ...

    def info(self) -> dict[str, object]: ...

    def monitor(self, month: str | None = None, reporter: str = "CHN", commodity: str = MAGNET_LINE,
                flow: str = "X") -> Answer: ...

    def events(self, *, start: str | dt.date | None = None, end: str | dt.date | None = None,
               event_type: str | None = None, partner: str | None = None,
               commodity: str | None = None) -> Frame: ...

    def explain(self, month: str, *, partner: str = "WLD", commodity: str = MAGNET_LINE,
                lookback: int = 3) -> Any: ...

    def risk(self, month: str | None = None) -> Answer: ...

    def scenario(self, path_or_dict, *, paths: int = 10_000, seed: int = 0,
                 chunk_paths: int | None = None) -> Any: ...
