"""Benchmark 3: Friday's digest DMs through the outbox, against a fake Slack that enforces limits.

Real drafts (`handlers.digest.digests_for_week` on a seeded database) are queued with
`storage.outbox.enqueue` and sent by `bot.delivery.Deliverer` with its real pacing and sleeps.
The fake Slack enforces Slack's documented limits (conversations.open tier 3, 50/min with bursts
of 10; chat.postMessage about 1/s per channel and a workspace cap) and fails 10% of calls at
random (429 with Retry-After, or 500; half the 500s on chat.postMessage after posting).

At real speed 1,000 conversations.open calls at 50/min take 20 minutes, so Slack's clock runs
`time_scale` times faster: the fake and the Deliverer (its `sleep` and `monotonic`) read the same
scaled clock, and every figure below is in Slack's (scaled) seconds. Work the app does between
calls (database transactions, HTTP) is real time, so it counts `time_scale` times heavier than
it would at real speed: the ratio to the bound is, if anything, pessimistic.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import func, select

from bench import Section, scratch_database, table, verdict
from bench.friday import NOW, WEEK_MONDAY, Size, seed
from bot.app import utc_now
from bot.delivery import METADATA_EVENT_TYPE, Deliverer
from bot.fakeslack import FakeSlack, RateLimits
from bot.fakeslack.limits import SLACK_METHOD_LIMITS
from bot.settings import load_settings
from handlers.digest import digests_for_week
from scoring.weeks import iso_week_label
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import OutboxMessage
from storage.outbox import enqueue

BOT_TOKEN = "xoxb-bench"
TARGET_RATIO = 1.1


@dataclass(frozen=True)
class Mode:
    messages: int
    time_scale: float
    chaos: float = 0.10
    seed: int = 4


FULL = Mode(messages=1_000, time_scale=20)
QUICK = Mode(messages=200, time_scale=20)
SMOKE = Mode(messages=15, time_scale=50)


class ScaledClock:
    """Slack's seconds passing `scale` times faster than real ones."""

    def __init__(self, scale: float):
        self.scale = scale
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.scale)


def bound_seconds(calls: dict[str, int]) -> tuple[float, str]:
    """The least time Slack's limits allow for `calls` (method → successful calls needed).

    Each method's bucket starts full (`burst` calls at once), then refills at its rate; the
    slowest method binds. Per-channel limits don't bind: every DM is its own channel.
    """
    worst, binding = 0.0, ""
    for method, count in calls.items():
        limit = SLACK_METHOD_LIMITS[method]
        needed = max(0, count - limit.burst) / limit.per_second
        if needed > worst:
            worst, binding = needed, method
    return worst, binding


def run(mode: Mode, log: Callable[[str], None] = print) -> Section:
    clock = ScaledClock(mode.time_scale)
    limits = RateLimits(chaos=mode.chaos, seed=mode.seed, clock=clock.monotonic)
    week = iso_week_label(WEEK_MONDAY)
    with (
        scratch_database("sqlite", "fanout") as url,
        FakeSlack(team_id="T0BENCH", rate_limits=limits) as slack,
    ):
        engine = make_engine(url)
        upgrade(engine)
        seed(engine, Size(reps=mode.messages * 10, weeks=2))
        sessions = make_session_factory(engine)
        rules = load_settings({}, slack=False).rules
        with sessions.begin() as session:
            drafts = list(digests_for_week(session, rules, week, NOW))[: mode.messages]
            for draft in drafts:
                enqueue(session, draft, utc_now())
        log(f"  queued {len(drafts)} digests; delivering at time scale ×{mode.time_scale:g}")
        client = WebClient(token=BOT_TOKEN, base_url=slack.url)
        deliverer = Deliverer(
            sessions,
            client,
            utc_now,
            sleep=clock.sleep,
            monotonic=clock.monotonic,
        )
        started = clock.monotonic()
        first = deliverer.deliver_due()
        rounds = 1
        while first.failed and rounds < 4:
            # What the next clock tick does for a message that failed this one.
            deliverer.deliver_due(retry_failed=True)
            rounds += 1
        elapsed = clock.monotonic() - started
        with sessions() as session:
            statuses = dict(
                session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()
            )
            keys = set(session.scalars(select(OutboxMessage.key)))
        engine.dispose()
        posted = Counter(
            (m.get("metadata") or {}).get("event_payload", {}).get("key")
            for m in slack.messages
            if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT_TYPE
        )
        calls = Counter(call.method for call in slack.calls)
        statuses_by_call = Counter((call.method, call.status) for call in slack.calls)
        enforcer = slack.enforcer
        assert enforcer is not None
    lost = sum(1 for key in keys if posted[key] == 0)
    duplicated = sum(1 for key in keys if posted[key] > 1)
    bound, binding = bound_seconds({"conversations.open": len(keys), "chat.postMessage": len(keys)})
    ratio = elapsed / bound if bound else float("inf")
    met = ratio <= TARGET_RATIO and lost == 0 and duplicated == 0
    log(
        f"  done in {elapsed:.0f} s (Slack time; bound {bound:.0f} s, ×{ratio:.2f}); "
        f"lost {lost}, duplicated {duplicated}; first pass failed {first.failed}"
    )
    call_rows = [
        [
            method,
            count,
            statuses_by_call[(method, 200)],
            statuses_by_call[(method, 429)],
            statuses_by_call[(method, 500)],
        ]
        for method, count in sorted(calls.items())
    ]
    body = "\n".join(
        [
            f"{len(keys):,} digest DMs (real drafts, one per manager) queued with "
            "`storage.outbox.enqueue` and sent by one `bot.delivery.Deliverer.deliver_due()` "
            f"(with follow-up runs for rows it marked failed: {rounds - 1} needed) on SQLite. "
            "The fake Slack enforces conversations.open and conversations.history at tier 3 "
            "(50/min, bursts of 10), chat.postMessage at about 1/s per channel and 300/min "
            f"(bursts of 30) per workspace, and fails {mode.chaos:.0%} of calls at random "
            f"(seed {mode.seed}): half 429 with Retry-After 1, half 500 (on chat.postMessage half "
            "of those after posting, as when Slack's answer is lost).",
            "",
            f"**Time scale ×{mode.time_scale:g}**: Slack's clock (the fake's limits, Retry-After, "
            "and the Deliverer's pacing and sleeps) runs that much faster than real time, so "
            f"{bound / 60:.1f} minutes of Slack time take {bound / mode.time_scale:.0f} s. "
            "Times below are Slack time; the app's own work between calls counts "
            f"×{mode.time_scale:g} heavier than at real speed.",
            "",
            f"Bound: {binding} needs {len(keys):,} successful calls; at 50/min after a burst of "
            f"10 that is {bound:.0f} s. Targets: ≤ {TARGET_RATIO}× the bound, zero lost, zero "
            "duplicated.",
            "",
            table(
                ["DMs", "completion s", "bound s", "× bound", "lost", "duplicated", "target"],
                [
                    [
                        len(keys),
                        f"{elapsed:.0f}",
                        f"{bound:.0f}",
                        f"{ratio:.2f}",
                        lost,
                        duplicated,
                        verdict(met),
                    ]
                ],
            ),
            "",
            f"Outbox at the end: {dict(sorted(statuses.items()))}. First pass: {first.sent} sent, "
            f"{first.failed} marked failed. 429s for exceeding a limit: {enforcer.refused}; "
            f"random failures injected: {enforcer.chaos_failures}.",
            "",
            table(["method", "calls", "200", "429", "500"], call_rows),
        ]
    )
    return Section("fanout", "3. Fan-out under Slack's limits (outbox → DMs)", body, met)
