"""Events and explanations: a dated policy-event registry, event studies, "what a move follows".

* :mod:`magwatch.events.registry` — events, their scope (``data/event_scope.csv`` for the
  bundled timeline), validation, CSV import, chart hooks;
* :mod:`magwatch.events.series` — the monthly net-weight series an event study reads;
* :mod:`magwatch.events.study` — event studies with counterfactuals, pre-trend check, placebos;
* :mod:`magwatch.events.explain` — events a month's figure follows, ranked.

See ``docs/events.md``.
"""

from magwatch.events.registry import (
    EVENT_DDL, EVENT_TYPES, add_event, chart_events, import_events, list_events,
)
from magwatch.events.study import EventStudy, event_study
from magwatch.events.explain import Explanation, explain

__all__ = [
    "EVENT_DDL", "EVENT_TYPES", "EventStudy", "Explanation", "add_event", "chart_events",
    "event_study", "explain", "import_events", "list_events",
]
