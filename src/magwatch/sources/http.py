"""HTTP for the connectors: one client per source, timeouts, a rate limit, careful retries.

- One :class:`httpx.Client` per source with explicit timeouts and a User-Agent.
- A token bucket (:class:`TokenBucket`) paces calls to the source's quota; every
  attempt, retries included, takes a token.
- Retries (stamina, exponential backoff with jitter) only for 408, 429, 5xx and
  transport errors (connect, read timeout, connection reset mid-body). A
  ``Retry-After`` header sets the wait; one longer than :data:`MAX_RETRY_AFTER`
  stops at once with a message saying when to retry. 4xx data errors are never
  retried: the source module turns them into a message.
- ``get(..., revalidate=True)`` keeps the body with its ``ETag``/``Last-Modified`` in a
  small cache directory and asks again with ``If-None-Match``/``If-Modified-Since``;
  a 304 answer reuses the body. Used for reference and availability lists only:
  the store itself is the cache for data.
- Keys never reach a recorded URL: :meth:`SourceClient.public_url` drops them.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import stamina

from magwatch.errors import SourceError

__all__ = ["Answer", "MAX_RETRY_AFTER", "SourceClient", "TokenBucket"]

USER_AGENT = "magwatch/0.1 (+https://github.com/magwatch; official trade statistics monitor)"

#: Longest Retry-After (seconds) worth waiting for inside one run; anything longer
#: means the quota is exhausted for now and the run stops with a message.
MAX_RETRY_AFTER = 120.0

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class TokenBucket:
    """At most ``burst`` calls at once, refilled at ``rate`` calls per second."""

    def __init__(self, rate: float, burst: int, *, clock=time.monotonic, sleep=time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is there; returns the seconds slept."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            wait = 0.0
            if self._tokens < 1.0:
                wait = (1.0 - self._tokens) / self.rate
                self._sleep(wait)
                self._last = self._clock()
                self._tokens = 1.0
            self._tokens -= 1.0
            return wait


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer: status, headers, the whole body, the URL without keys."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    retrieved: dt.datetime
    from_cache: bool = False


class _Retryable(Exception):
    """A 408/429/5xx answer worth asking again."""

    def __init__(self, answer: Answer, retry_after: float | None) -> None:
        self.answer = answer
        self.retry_after = retry_after
        super().__init__(f"HTTP {answer.status}")


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _backoff(exc: Exception) -> bool | float:
    """stamina's hook: whether (and how long) to wait before the next attempt."""
    if isinstance(exc, _Retryable):
        if exc.retry_after is None:
            return True
        if exc.retry_after > MAX_RETRY_AFTER:
            return False
        return exc.retry_after
    return isinstance(exc, httpx.TransportError)


def json_answer(source: str, answer, *, expected: str = "data"):
    """An answer's body parsed as JSON, or one-line SourceError for an HTML page or a cut body."""
    head = answer.body[:300].decode("utf-8", "replace")
    if head.lstrip().startswith("<"):
        raise SourceError(f"{source}: the answer from {answer.url} is an HTML page, not {expected} "
                          f"(starts {head.strip()[:60]!r}); nothing stored")
    try:
        return json.loads(answer.body)
    except ValueError:
        raise SourceError(f"{source}: the answer from {answer.url} is truncated or not JSON "
                          f"({len(answer.body)} bytes); nothing stored") from None


class SourceClient:
    """The one HTTP client of one source."""

    def __init__(self, source: str, base_url: str, *, calls_per_minute: float, burst: int = 1,
                 timeout: float = 60.0, attempts: int = 5, headers: dict[str, str] | None = None,
                 key_params: dict[str, str] | None = None, cache_dir: Path | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.timeout = timeout
        self.key_params = dict(key_params or {})
        self.bucket = TokenBucket(calls_per_minute / 60.0, burst)
        self.cache_dir = cache_dir
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=True, transport=transport)
        self.calls = 0

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "SourceClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def public_url(self, path: str, params: list[tuple[str, str]] | None = None) -> str:
        """The URL as recorded in provenance: the request without any key."""
        url = httpx.URL(self.base_url + path, params=[(k, v) for k, v in (params or [])])
        return str(url)

    # -- cache ---------------------------------------------------------------------------

    def _cache_paths(self, url: str) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        name = hashlib.sha256(url.encode()).hexdigest()[:32]
        folder = self.cache_dir / self.source
        return folder / f"{name}.json", folder / f"{name}.body"

    def _cached(self, url: str) -> tuple[dict[str, str], bytes] | None:
        paths = self._cache_paths(url)
        if paths is None or not paths[0].exists() or not paths[1].exists():
            return None
        try:
            return json.loads(paths[0].read_text()), paths[1].read_bytes()
        except (OSError, ValueError):
            return None

    def _store_cache(self, url: str, answer: Answer) -> None:
        paths = self._cache_paths(url)
        validators = {k: answer.headers[k] for k in ("etag", "last-modified") if k in answer.headers}
        if paths is None or not validators:
            return
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        tmp = paths[1].with_suffix(".part")
        tmp.write_bytes(answer.body)
        os.replace(tmp, paths[1])
        paths[0].write_text(json.dumps(validators))

    # -- requests ------------------------------------------------------------------------

    def get(self, path: str, params: list[tuple[str, str]] | None = None, *,
            revalidate: bool = False) -> Answer:
        """GET ``path`` with retries; returns any final answer that is not 408/429/5xx.

        Raises :class:`SourceError` when retries run out, the quota is exhausted for
        longer than :data:`MAX_RETRY_AFTER`, or the source cannot be reached.
        """
        params = list(params or [])
        public = self.public_url(path, params)
        send = params + list(self.key_params.items())
        headers: dict[str, str] = {}
        cached = self._cached(public) if revalidate else None
        if cached is not None:
            validators, _ = cached
            if "etag" in validators:
                headers["If-None-Match"] = validators["etag"]
            if "last-modified" in validators:
                headers["If-Modified-Since"] = validators["last-modified"]
        try:
            for attempt in stamina.retry_context(on=_backoff, attempts=self.attempts,
                                                 timeout=None, wait_max=30.0):
                with attempt:
                    answer = self._once(path, send, headers, public)
        except _Retryable as exc:
            raise self._give_up(exc) from None
        except httpx.TimeoutException:
            raise SourceError(f"{self.source}: no answer from {self.base_url} within {self.timeout:g} s "
                              f"after {self.attempts} attempts; retry later or raise "
                              f"MAGWATCH_HTTP_TIMEOUT") from None
        except httpx.TransportError as exc:
            raise SourceError(f"{self.source}: connection to {self.base_url} failed after "
                              f"{self.attempts} attempts ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None
        if answer.status == 304 and cached is not None:
            return Answer(200, answer.headers, cached[1], public, answer.retrieved, from_cache=True)
        if revalidate and answer.status == 200:
            self._store_cache(public, answer)
        return answer

    def _once(self, path: str, params: list[tuple[str, str]], headers: dict[str, str],
              public: str) -> Answer:
        self.bucket.acquire()
        self.calls += 1
        response = self.client.get(self.base_url + path, params=params, headers=headers)
        # httpx has read the whole body here; a reset mid-body raised a TransportError.
        answer = Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                        response.content, public, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        if answer.status in RETRY_STATUSES:
            raise _Retryable(answer, parse_retry_after(answer.headers.get("retry-after")))
        return answer

    def _give_up(self, exc: _Retryable) -> SourceError:
        status = exc.answer.status
        if status == 429:
            if exc.retry_after is not None:
                when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=exc.retry_after)
                hint = (f"retry after {exc.retry_after:.0f} s "
                        f"({when:%Y-%m-%d %H:%M} UTC)")
            else:
                hint = "the source gave no Retry-After; retry later (quotas are daily for Comtrade and Census)"
            return SourceError(f"{self.source}: quota exhausted (HTTP 429); {hint}")
        return SourceError(f"{self.source}: the server kept failing (HTTP {status}) after "
                           f"{self.attempts} attempts; retry later")
