"""Opt-in enforcement of Slack's rate limits for the fake Web API, plus seeded random failures.

Slack limits each Web API method per app per workspace in tiers, chat.postMessage to about one
message a second per channel (and several hundred a minute per workspace), and answers a call
over the limit with HTTP 429 and a Retry-After in whole seconds. Off by default: only the
benchmarks turn it on. Limits are token buckets in the time of `clock`, so a benchmark can run
Slack's minutes in seconds by handing the fake and the app the same scaled clock.
"""

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limit:
    """`per_minute` calls a minute on average, up to `burst` back to back after a quiet spell."""

    per_minute: float
    burst: int = 1

    @property
    def per_second(self) -> float:
        return self.per_minute / 60


TIER_1 = Limit(1, burst=1)
TIER_2 = Limit(20, burst=5)
TIER_3 = Limit(50, burst=10)
TIER_4 = Limit(100, burst=20)

# What Tally calls, at the tiers Slack documents for them.
SLACK_METHOD_LIMITS: dict[str, Limit] = {
    "auth.test": Limit(600, burst=100),  # special: "thousands per hour"
    "users.info": TIER_4,
    "users.list": TIER_2,
    "conversations.open": TIER_3,
    "conversations.history": TIER_3,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "views.open": TIER_4,
    "views.update": TIER_4,
    "views.push": TIER_4,
    "views.publish": TIER_4,
    # "Special": per channel below; the workspace cap is "several hundred messages a minute".
    "chat.postMessage": Limit(300, burst=30),
}
PER_CHANNEL_POST = Limit(60, burst=1)  # about one message a second per channel


@dataclass(frozen=True)
class RateLimits:
    """How the fake limits calls, and how often it fails one anyway (`chaos`, 0 to 1).

    A chaos failure is a 429 (Retry-After 1) or a 500, half each; half of the 500s on
    chat.postMessage come after the message was posted, as when Slack's answer is lost.
    Calls refused with 429 or failed before serving use no quota. `clock` gives seconds
    (monotonic); `seed` makes the chaos repeatable.
    """

    methods: dict[str, Limit] = field(default_factory=lambda: dict(SLACK_METHOD_LIMITS))
    per_channel_post: Limit | None = PER_CHANNEL_POST
    chaos: float = 0.0
    seed: int = 0
    clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class Verdict:
    """What the limiter decided for one call: serve it, or answer `status` instead."""

    status: int = 200
    retry_after: int | None = None
    after_serving: bool = False
    reason: str = ""  # "rate_limited" | "chaos" | ""


SERVE = Verdict()


class _Bucket:
    def __init__(self, limit: Limit, now: float):
        self.rate, self.capacity = limit.per_second, float(limit.burst)
        self.tokens, self.stamp = self.capacity, now

    def wait_needed(self, now: float) -> float:
        """Seconds until a token is free (0 when one is free now), after refilling."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class Enforcer:
    """Decides each call's fate; the caller (FakeSlack) serialises calls with its lock."""

    def __init__(self, limits: RateLimits):
        self.limits = limits
        self._random = random.Random(limits.seed)
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.refused = 0  # 429s for going over a limit
        self.refused_by_method: dict[str, int] = {}
        self.chaos_failures = 0

    def judge(self, method: str, args: dict[str, object]) -> tuple[Verdict, Callable[[], None]]:
        """The verdict, and a function that spends the call's quota once it is served."""
        limits, now = self.limits, self.limits.clock()
        buckets = []
        if method in limits.methods:
            buckets.append(self._bucket(("method", method), limits.methods[method], now))
        channel = args.get("channel")
        if method == "chat.postMessage" and limits.per_channel_post and channel:
            buckets.append(self._bucket(("channel", str(channel)), limits.per_channel_post, now))
        wait = max((b.wait_needed(now) for b in buckets), default=0.0)
        if wait > 0:
            self.refused += 1
            self.refused_by_method[method] = self.refused_by_method.get(method, 0) + 1
            return Verdict(429, max(1, math.ceil(wait)), reason="rate_limited"), _nothing

        def spend() -> None:
            for bucket in buckets:
                bucket.take()

        if limits.chaos and self._random.random() < limits.chaos:
            self.chaos_failures += 1
            if self._random.random() < 0.5:
                return Verdict(429, 1, reason="chaos"), _nothing
            served = method == "chat.postMessage" and self._random.random() < 0.5
            return Verdict(500, after_serving=served, reason="chaos"), spend
        return SERVE, spend

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limit, now)
        return bucket


def _nothing() -> None:
    return None
