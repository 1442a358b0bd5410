"""Delivering the outbox to Slack: each message at most once, and at least once across crashes.

Rows are claimed under a lease in one short transaction; Slack is called with no transaction
open; each outcome is recorded in its own short transaction. Every post carries its outbox key
in the message metadata, so when a row may already be in Slack (a sender died, or Slack failed
in a way that leaves it unknown whether the post went through) the channel's recent history is
searched for the key before posting again.
"""

import copy
import logging
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.rate_limits import ONE_PER_SECOND, TIER_3, RateLimiter
from storage.models import OutboxMessage
from storage.outbox import (
    claim_due,
    known_channel,
    mark_failed,
    mark_sent,
    mark_updated,
    message_blocks,
    remember_channel,
    renew_lease,
)

logger = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "tally_outbox"
# Slack's clock and ours disagree a little; look this far before a row was queued.
HISTORY_SKEW = timedelta(minutes=10)
HISTORY_PAGE = 200
HISTORY_PAGES = 5
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
# When a later run retries a message that failed this one.
RETRY_LATER_FIRST = timedelta(minutes=1)
RETRY_LATER_MAX = timedelta(hours=1)
RETRY_PERMANENT = timedelta(hours=6)


class _Transient(Exception):
    """Slack was unreachable, overloaded (5xx) or kept rate-limiting: worth retrying soon."""


class _Permanent(Exception):
    """Slack refused the call (`ok: false`): retrying at once would get the same answer."""


@dataclass
class DeliveryReport:
    """What one `deliver_due` run did, for logs and operator commands."""

    sent: int = 0  # posted this run (found already posted during recovery counts as sent)
    updated: int = 0  # chat.update of late-edited messages
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # one human line per failed message
    failed_keys: set[tuple[str, str]] = field(default_factory=set)  # (team_id, key)


@dataclass
class _Job:
    """A claimed row's data, copied out so no session outlives its transaction.

    The sender updates `channel_id`, `attempts` and `lease_until` as it goes.
    """

    id: int
    team_id: str
    key: str
    kind: str
    recipient: str
    period: str
    text: str
    blocks: list[dict[str, Any]]
    channel_id: str | None
    ts: str | None
    attempts: int
    created_at: datetime
    lease_until: datetime
    # A call of this run failed in a way that leaves it unknown whether Slack posted it.
    in_doubt: bool = False

    @classmethod
    def of(cls, message: OutboxMessage) -> "_Job":
        assert message.lease_until is not None
        return cls(
            id=message.id,
            team_id=message.team_id,
            key=message.key,
            kind=message.kind,
            recipient=message.recipient,
            period=message.period,
            text=message.text,
            blocks=message_blocks(message),
            channel_id=message.channel_id,
            ts=message.ts,
            attempts=message.attempts,
            created_at=message.created_at,
            lease_until=message.lease_until,
        )

    @property
    def to_user(self) -> bool:
        return self.recipient[:1] in ("U", "W")

    @property
    def metadata(self) -> dict[str, Any]:
        return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": self.key}}

    def describe(self) -> str:
        return f"{self.kind} for {self.recipient} ({self.period})"


class _LeaseLost(Exception):
    """Our lease ran out before a post: another sender may own the row now, so we stand back."""


class Deliverer:
    """Sends what the outbox holds; safe to run in several processes against one database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        clock: Callable[[], datetime],
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        lease: timedelta = timedelta(minutes=5),
        max_tries: int = 5,
        batch: int = 100,
    ):
        self._sessions = sessions
        self._client = _without_retry_handlers(client)
        self._clock = clock
        self._sleep = sleep
        self._lease = lease
        self._max_tries = max_tries
        self._batch = batch
        paced = {"sleep": sleep, "monotonic": monotonic}
        self._per_channel = RateLimiter(ONE_PER_SECOND, **paced)
        # slack_sdk's typed methods encode each one as Slack accepts it (JSON or form).
        self._methods: dict[str, Callable[..., SlackResponse]] = {
            "chat.postMessage": self._client.chat_postMessage,
            "chat.update": self._client.chat_update,
            "conversations.open": self._client.conversations_open,
            "conversations.history": self._client.conversations_history,
        }
        self._per_method = {
            method: RateLimiter(TIER_3, **paced)
            for method in ("conversations.open", "conversations.history", "chat.update")
        }

    def deliver_due(
        self, keys: Collection[tuple[str, str]] | None = None, *, retry_failed: bool = False
    ) -> DeliveryReport:
        """Send everything due (only `keys`, (team_id, key) pairs, when given) and report.

        `retry_failed` also retries failed messages whose retry time hasn't come (an operator
        re-running a command). Loops until nothing is due; each message is handled at most
        once per run, so a run always ends.
        """
        report = DeliveryReport()
        started = time.monotonic()
        for jobs in self._claimed_batches(keys, retry_failed):
            for job in jobs:
                self._deliver(job, report)
        logger.info(
            "outbox run: %d sent, %d updated, %d failed in %.1f s",
            report.sent,
            report.updated,
            report.failed,
            time.monotonic() - started,
        )
        return report

    def _claimed_batches(
        self, keys: Collection[tuple[str, str]] | None, retry_failed: bool
    ) -> Iterator[list[_Job]]:
        handled: set[int] = set()
        while True:
            with self._sessions.begin() as session:
                claimed = claim_due(
                    session,
                    self._clock(),
                    self._lease,
                    self._batch,
                    keys,
                    retry_failed=retry_failed,
                    skip_ids=handled,
                )
                jobs = [_Job.of(message) for message in claimed]
            if not jobs:
                return
            handled.update(job.id for job in jobs)
            yield jobs

    # --- one message ----------------------------------------------------------------------

    def _deliver(self, job: _Job, report: DeliveryReport) -> None:
        tries = 0
        while True:
            tries += 1
            try:
                if job.ts is not None:
                    self._update(job)
                    report.updated += 1
                else:
                    self._send(job)
                    report.sent += 1
                return
            except _LeaseLost:
                logger.warning("outbox %s: lease lost, leaving it to its new sender", job.key)
                return
            except _Permanent as error:
                self._fail(job, report, f"Slack refused it: {error}", RETRY_PERMANENT)
                return
            except _Transient as error:
                if tries >= self._max_tries:
                    retry_in = min(RETRY_LATER_FIRST * 2 ** min(job.attempts, 10), RETRY_LATER_MAX)
                    self._fail(
                        job, report, f"Slack unavailable after {tries} tries: {error}", retry_in
                    )
                    return
                self._sleep(min(BACKOFF_FIRST_S * 2 ** (tries - 1), BACKOFF_MAX_S))
                # The failed call may have been a post Slack accepted: check before reposting.
                job.in_doubt = True

    def _send(self, job: _Job) -> None:
        # Only a row tried before, past conversations.open, can already be in Slack.
        tried = job.attempts > 0 or job.in_doubt
        may_be_posted = tried and (job.channel_id is not None or not job.to_user)
        if job.channel_id is None and job.to_user:
            with self._sessions.begin() as session:
                channel = known_channel(session, job.team_id, job.recipient)
            channel = channel or self._open_dm(job.recipient)
            with self._sessions.begin() as session:
                remember_channel(session, job.id, channel)
            job.channel_id = channel
        channel = job.channel_id or job.recipient
        if may_be_posted:
            found = self._find_posted(channel, job)
            if found is not None:
                logger.info("outbox %s: already in Slack as %s, not reposting", job.key, found)
                self._record_sent(job, channel, found)
                return
        self._renew_lease(job)
        self._per_channel.wait(channel)
        answer = self._call(
            "chat.postMessage",
            channel=channel,
            text=job.text,
            blocks=job.blocks or None,
            metadata=job.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        self._record_sent(job, answer.get("channel") or channel, answer["ts"])

    def _update(self, job: _Job) -> None:
        assert job.channel_id is not None and job.ts is not None
        self._renew_lease(job)
        self._per_method["chat.update"].wait()
        self._call(
            "chat.update",
            channel=job.channel_id,
            ts=job.ts,
            text=job.text,
            blocks=job.blocks,
            metadata=job.metadata,
        )
        with self._sessions.begin() as session:
            mark_updated(session, job.id, self._clock(), sent_text=job.text, sent_blocks=job.blocks)

    def _open_dm(self, user_id: str) -> str:
        self._per_method["conversations.open"].wait()
        return self._call("conversations.open", users=user_id)["channel"]["id"]

    def _find_posted(self, channel: str, job: _Job) -> str | None:
        """The ts of a message in `channel` carrying this job's key, searching recent history."""
        oldest = (job.created_at - HISTORY_SKEW).timestamp()
        cursor = None
        for _ in range(HISTORY_PAGES):
            self._per_method["conversations.history"].wait()
            page = self._call(
                "conversations.history",
                channel=channel,
                oldest=f"{oldest:.6f}",
                limit=HISTORY_PAGE,
                include_all_metadata=True,
                **({"cursor": cursor} if cursor else {}),
            )
            for message in page.get("messages", []):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("key") == (
                    job.key
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None
        logger.warning("outbox %s: searched %d pages of history", job.key, HISTORY_PAGES)
        return None

    def _renew_lease(self, job: _Job) -> None:
        with self._sessions.begin() as session:
            held = renew_lease(session, job.id, job.lease_until, self._clock(), self._lease)
        if held is None:
            raise _LeaseLost(job.key)
        job.lease_until = held

    def _record_sent(self, job: _Job, channel: str, ts: str) -> None:
        with self._sessions.begin() as session:
            mark_sent(
                session,
                job.id,
                channel,
                ts,
                self._clock(),
                sent_text=job.text,
                sent_blocks=job.blocks,
            )

    def _fail(self, job: _Job, report: DeliveryReport, error: str, retry_in: timedelta) -> None:
        now = self._clock()
        retry_at = now + retry_in
        with self._sessions.begin() as session:
            mark_failed(session, job.id, error, retry_at, now)
        what = "edit of " if job.ts is not None else ""
        line = f"{what}{job.describe()}: {error}; will retry after {retry_at:%Y-%m-%d %H:%M} UTC"
        logger.warning("outbox %s: %s", job.key, line)
        report.failed += 1
        report.errors.append(line)
        report.failed_keys.add((job.team_id, job.key))

    # --- Slack calls ----------------------------------------------------------------------

    def _call(self, method: str, **args: Any) -> dict[str, Any]:
        """One Web API call; a 429 waits out Retry-After and repeats (Slack did nothing)."""
        for _ in range(self._max_tries):
            try:
                answer = self._methods[method](**_without_none(args))
                return dict(answer.data) if isinstance(answer.data, dict) else {}
            except SlackApiError as error:
                status = error.response.status_code
                if status == 429:
                    wait = _retry_after(error)
                    logger.info("%s rate-limited, waiting %s s as Slack asks", method, wait)
                    self._sleep(wait)
                    continue
                if status >= 500:
                    raise _Transient(f"{method} answered HTTP {status}") from error
                raise _Permanent(str(error.response.get("error") or status)) from error
            except OSError as error:
                # URLError, timeouts, resets: the call may or may not have reached Slack.
                raise _Transient(f"{method} failed: {error}") from error
        raise _Transient(f"{method} still rate-limited after {self._max_tries} waits")


def _without_retry_handlers(client: WebClient) -> WebClient:
    """A copy of `client` that never repeats a request by itself.

    slack_sdk's default ConnectionErrorRetryHandler would resend a chat.postMessage whose
    connection broke after Slack accepted it; our loop searches history first instead.
    """
    private = copy.copy(client)
    private.retry_handlers = []
    return private


def _retry_after(error: SlackApiError) -> float:
    headers = error.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(float(raw), 0.0)
            except ValueError:
                break
    return 1.0


def _without_none(args: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in args.items() if value is not None}
