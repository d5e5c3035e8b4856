"""Rate limits in the chassis: failed authentications per client address, writes per principal.

Token buckets, in memory, per service instance: a bucket holds `burst` tokens and refills at
`per_minute / 60` a second; an empty bucket answers 429 with `Retry-After` (whole seconds until
a token is back). A limit of 0 turns the bucket off.
- Failed authentication (no token, or a token that does not verify) spends from the client
  address's bucket; while it is empty every request from that address is 429 before any token
  is checked, so guessing tokens gains nothing. Behind a proxy, run the service so that the
  client address is the real one (uvicorn `--proxy-headers --forwarded-allow-ips`).
- Every write (POST, PUT, PATCH, DELETE) spends from the principal's bucket: role, urn or
  provider, and subject.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .problems import ProblemError


@dataclass
class TokenBucket:
    per_minute: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enabled(self) -> bool:
        """Whether this limit applies (0 per minute or 0 burst turns it off)."""
        return self.per_minute > 0 and self.burst > 0

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._state.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.per_minute / 60)

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may act again, or None when it may act now (nothing is spent)."""
        if not self.enabled:
            return None
        with self._lock:
            level = self._level(key, self.clock())
        return None if level >= 1 else max(1, math.ceil((1 - level) * 60 / self.per_minute))

    def spend(self, key: str) -> int | None:
        """Take one token for `key`; None when taken, else the seconds to wait (nothing taken)."""
        if not self.enabled:
            return None
        with self._lock:
            now = self.clock()
            level = self._level(key, now)
            if level < 1:
                return max(1, math.ceil((1 - level) * 60 / self.per_minute))
            self._state[key] = (level - 1, now)
            if len(self._state) > 100_000:  # forget the oldest: memory stays bounded
                for stale in sorted(self._state, key=lambda k: self._state[k][1])[:10_000]:
                    del self._state[stale]
            return None


def too_many(retry_after: int, what: str) -> ProblemError:
    """The 429 problem naming what was limited, with Retry-After in seconds."""
    return ProblemError(
        429, "Too many requests", f"too many {what}; retry after {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )  # fmt: skip


@dataclass
class RateLimits:
    auth_failures: TokenBucket
    writes: TokenBucket

    @classmethod
    def from_settings(cls, settings: object) -> "RateLimits":
        """The two limits from the service's settings, with their defaults."""
        return cls(
            auth_failures=TokenBucket(
                getattr(settings, "rate_limit_auth_failures_per_minute", 30),
                getattr(settings, "rate_limit_auth_failures_burst", 30),
            ),
            writes=TokenBucket(
                getattr(settings, "rate_limit_writes_per_minute", 6000),
                getattr(settings, "rate_limit_writes_burst", 1000),
            ),
        )


def limits_of(app: object) -> RateLimits:
    """The app's rate limits, made once from its settings and kept on its state."""
    state = app.state  # type: ignore[attr-defined]
    limits: RateLimits | None = getattr(state, "rate_limits", None)
    if limits is None:
        limits = RateLimits.from_settings(state.settings)
        state.rate_limits = limits
    return limits
