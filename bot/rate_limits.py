"""Client-side pacing for Slack Web API calls, so Tally rarely meets a 429 at all.

Slack limits most methods per app per workspace in tiers (tier 3: 50+ calls a minute, bursts
welcome; tier 4: 100+), and chat.postMessage to about one message per second per channel.
Each limiter hands out time slots: a caller takes the next free slot for its key and sleeps
until then, so waiting never polls a clock (a frozen test clock can't stall it).
"""

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

TIER_3_PER_MINUTE = 50
TIER_4_PER_MINUTE = 100


@dataclass(frozen=True)
class Pace:
    """`per_second` calls a second on average, up to `burst` back to back after a quiet spell."""

    per_second: float
    burst: int = 1


ONE_PER_SECOND = Pace(1.0, burst=1)
TIER_3 = Pace(TIER_3_PER_MINUTE / 60, burst=10)
TIER_4 = Pace(TIER_4_PER_MINUTE / 60, burst=20)
API_PACE = Pace(10.0, burst=50)  # what one activity API key may send us (TALLY_API_RATE)


class RateLimiter:
    """A token bucket per key, drained by `wait(key)`; safe to share between threads."""

    def __init__(
        self,
        pace: Pace,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._interval = 1.0 / pace.per_second
        self._burst_span = self._interval * (pace.burst - 1)
        self._sleep, self._monotonic = sleep, monotonic
        self._lock = threading.Lock()
        # The time at which each key's bucket would be full again.
        self._full_at: dict[Hashable, float] = {}

    def wait(self, key: Hashable = None) -> float:
        """Block until a call for `key` may go out; returns how long it waited."""
        with self._lock:
            now = self._monotonic()
            full_at = max(self._full_at.get(key, now), now)
            slot = max(now, full_at - self._burst_span)
            self._full_at[key] = full_at + self._interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)

    def try_take(self, key: Hashable = None) -> float:
        """Take `key`'s next slot if it is free now and return 0; else return how many seconds
        until it is, taking nothing: for callers who refuse (a 429) rather than wait."""
        with self._lock:
            now = self._monotonic()
            full_at = max(self._full_at.get(key, now), now)
            slot = full_at - self._burst_span
            if slot > now:
                return slot - now
            self._full_at[key] = full_at + self._interval
            return 0.0

    def hold_off(self, key: Hashable, seconds: float) -> None:
        """Push `key`'s next slot at least `seconds` away, as a 429's Retry-After asks."""
        with self._lock:
            now = self._monotonic()
            self._full_at[key] = max(self._full_at.get(key, now), now + seconds + self._burst_span)
