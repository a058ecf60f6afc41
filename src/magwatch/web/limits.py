"""Every limit the web application holds a request to, in one place.

Each is enforced before work starts, and a refusal names the limit (a 4xx problem+json on
the API, the error page on the dashboard). The month range of query parameters is the
project's one rule, :func:`magwatch.params.query_months` (1988-01 to December of the year
:data:`magwatch.params.QUERY_YEARS_AHEAD` after the current one).
"""

from __future__ import annotations

from magwatch.params import FIRST_QUERY_MONTH, QUERY_YEARS_AHEAD, query_months

#: Default upload limit of ``POST /api/v1/import`` (``MAGWATCH_MAX_UPLOAD_BYTES`` sets another).
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: What multipart framing may add to a declared upload before it is refused by its length.
MULTIPART_ALLOWANCE_BYTES = 65_536
#: The longest query string (bytes, as sent) any route reads.
MAX_QUERY_BYTES = 8_192
#: The most ``name=value`` pairs a query string may hold (repeats counted).
MAX_QUERY_PARAMETERS = 32
#: Rows per page of a table result (``limit``), its default, and the largest ``offset``.
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000
MAX_OFFSET = 1_000_000_000
#: Simulated paths of a scenario run, months of a posted scenario spec, and its seed.
MAX_SCENARIO_PATHS = 20_000
MAX_SCENARIO_MONTHS = 120
MAX_SEED = 2**32 - 1
#: The longest text ``POST /api/v1/check`` accepts (characters): a long article is about 10,000.
MAX_CHECK_CHARS = 100_000
#: Months before the month ``explain`` looks back over, and the shipping lag ``mirror`` tries.
MAX_LOOKBACK = 24
MAX_LAG = 3
#: The largest release id ``revisions`` takes.
MAX_RELEASE_ID = 2**62

__all__ = ["DEFAULT_LIMIT", "DEFAULT_MAX_UPLOAD_BYTES", "FIRST_QUERY_MONTH", "MAX_CHECK_CHARS",
           "MAX_LAG", "MAX_LIMIT", "MAX_LOOKBACK", "MAX_OFFSET", "MAX_QUERY_BYTES",
           "MAX_QUERY_PARAMETERS", "MAX_RELEASE_ID", "MAX_SCENARIO_MONTHS", "MAX_SCENARIO_PATHS",
           "MAX_SEED", "MULTIPART_ALLOWANCE_BYTES", "QUERY_YEARS_AHEAD", "query_months"]
