"""Delivering the outbox to Slack: each message at most once, and at least once across crashes.

Rows are claimed in small batches under a lease in one short transaction, and the whole
batch's leases are renewed as the sender goes, so a slow message never lets the rest lapse;
Slack is called with no transaction open; each outcome is recorded in its own short
transaction. Every post carries its outbox key in the message metadata, so when a row may
already be in Slack (a sender died, or Slack failed in a way that leaves it unknown whether the
post went through) the channel's recent history is searched for the key before posting again.
A message the recipient's side refuses for good (an archived channel, a deleted user) is
abandoned after a few refusals instead of being retried forever.
"""

import copy
import logging
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.installations import TokenFor
from bot.rate_limits import ONE_PER_SECOND, TIER_3, RateLimiter
from handlers.digest_chart import KIND as CHART_KIND
from handlers.digest_chart import draw, filename_of
from storage.models import OutboxMessage
from storage.outbox import (
    Key,
    claim_due,
    known_channel,
    mark_abandoned,
    mark_failed,
    mark_sent,
    mark_updated,
    mark_withdrawn,
    message_blocks,
    remember_channel,
    renew_leases,
)

logger = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "tally_outbox"
WRITES = frozenset({"chat.postMessage", "chat.update", "chat.delete", "files.upload_v2"})
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
# Refusals of one message (since it last reached Slack) before it is abandoned.
GIVE_UP_AFTER = 3

# `ok: false` answers that are Slack's own trouble, worth retrying soon like a 5xx.
SLACK_TROUBLE = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# `ok: false` answers about Tally's token or app, not the message: fixing the setting delivers
# every message, so they never count towards abandoning one.
SETUP_ERRORS = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
        "team_access_not_granted",
        "ekm_access_denied",
        "org_login_required",
    }
)


class Outcome(StrEnum):
    """What became of one claimed message in a run."""

    SENT = "sent"
    UPDATED = "updated"
    FOUND = "found"  # an interrupted earlier attempt had posted it: recorded, not reposted
    WITHDRAWN = "withdrawn"  # its entry was undone: deleted from Slack, or never posted
    FAILED = "failed"
    ABANDONED = "abandoned"
    LEASE_LOST = "lease lost"


class _Transient(Exception):
    """Slack was unreachable, hung, overloaded or kept rate-limiting: worth retrying soon."""


class _Refused(Exception):
    """The recipient's side refused it (`ok: false`: archived channel, deleted user…): the
    same answer would come at once; a few of these and the message is abandoned."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class _NotInstalled(Exception):
    """The workspace has no installation (OAuth mode): nothing can reach it until it has."""


NOT_INSTALLED = "Tally is not installed in this workspace (it was uninstalled, or never added)"


class _Misconfigured(Exception):
    """Slack refused Tally itself (token, scopes, API URL): every message would fail alike."""


@dataclass
class DeliveryReport:
    """What one `deliver_due` run did with each message it claimed, for logs and commands."""

    outcomes: dict[Key, Outcome] = field(default_factory=dict)
    # Why each failed or abandoned message didn't reach Slack, one human line each.
    causes: dict[Key, str] = field(default_factory=dict)

    def record(self, job: "_Job", outcome: Outcome, cause: str | None = None) -> None:
        self.outcomes[(job.team_id, job.key)] = outcome
        if cause is not None:
            self.causes[(job.team_id, job.key)] = cause

    def count(self, outcome: Outcome) -> int:
        return sum(1 for done in self.outcomes.values() if done == outcome)

    @property
    def sent(self) -> int:
        """Posted this run (a post this run made, found in history after a lost answer, too)."""
        return self.count(Outcome.SENT)

    @property
    def updated(self) -> int:
        """chat.update of late-edited messages."""
        return self.count(Outcome.UPDATED)

    @property
    def found(self) -> int:
        """Already in Slack from an interrupted earlier attempt: recorded, not posted again."""
        return self.count(Outcome.FOUND)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)

    @property
    def abandoned(self) -> int:
        return self.count(Outcome.ABANDONED)

    @property
    def lease_lost(self) -> int:
        """Left to another sender because our lease ran out first: not failures of ours."""
        return self.count(Outcome.LEASE_LOST)

    @property
    def errors(self) -> list[str]:
        """One line per failed message, naming its cause."""
        return self._lines(Outcome.FAILED)

    @property
    def abandoned_lines(self) -> list[str]:
        return self._lines(Outcome.ABANDONED)

    def _lines(self, outcome: Outcome) -> list[str]:
        return [self.causes[key] for key, done in self.outcomes.items() if done == outcome]


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
    refusals: int
    created_at: datetime
    lease_until: datetime
    retracted: bool = False  # to be deleted from Slack, not posted or edited
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
            refusals=message.refusals,
            created_at=message.created_at,
            lease_until=message.lease_until,
            retracted=message.retracted_at is not None,
        )

    @property
    def to_user(self) -> bool:
        return self.recipient[:1] in ("U", "W")

    @property
    def metadata(self) -> dict[str, Any]:
        return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": self.key}}

    def describe(self) -> str:
        what = "edit of " if self.ts is not None else ""
        return f"{what}{self.kind} for {self.recipient} ({self.period})"


class _LeaseLost(Exception):
    """Our lease ran out before a post: another sender may own the row now, so we stand back."""


class _Leases:
    """The leases of one claimed batch that this sender still holds, renewed together.

    Renewed before every post or edit (which must not go out on a lapsed lease) and whenever
    a third of a lease has passed, so a slow message never lets the rest of its batch lapse.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        lease: timedelta,
        jobs: list[_Job],
    ):
        self._sessions, self._clock, self._lease = sessions, clock, lease
        self._held = {job.id: job for job in jobs}
        self._renewed_at = clock()

    def holds(self, job: _Job) -> bool:
        return job.id in self._held

    def release(self, job: _Job) -> None:
        """`job`'s outcome is recorded: the row is no longer ours to renew."""
        self._held.pop(job.id, None)

    def keep(self, job: _Job, *, before_write: bool) -> None:
        now = self._clock()
        if before_write or now - self._renewed_at >= self._lease / 3:
            held = {held.id: held.lease_until for held in self._held.values()}
            with self._sessions.begin() as session:
                kept = renew_leases(session, held, now, self._lease)
            for message_id in list(self._held):
                if message_id in kept:
                    self._held[message_id].lease_until = kept[message_id]
                else:
                    del self._held[message_id]
            self._renewed_at = now
        if job.id not in self._held:
            raise _LeaseLost(job.key)


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
        batch: int = 10,
        give_up_after: int = GIVE_UP_AFTER,
        tokens: TokenFor | None = None,
    ):
        """`tokens` gives each workspace's bot token (OAuth mode); without it every message
        goes out with `client`'s."""
        self._sessions = sessions
        self._client = _without_retry_handlers(client)
        self._tokens = tokens
        self._clients: dict[str, WebClient] = {}
        self._clock = clock
        self._sleep = sleep
        self._lease = lease
        self._max_tries = max_tries
        # Small, so a sender killed mid-batch holds few rows until its lease runs out.
        self._batch = batch
        self._give_up_after = give_up_after
        paced = {"sleep": sleep, "monotonic": monotonic}
        self._per_channel = RateLimiter(ONE_PER_SECOND, **paced)
        # slack_sdk's typed methods encode each one as Slack accepts it (JSON or form).
        self._methods: dict[str, Callable[[WebClient], Callable[..., SlackResponse]]] = {
            "chat.postMessage": lambda c: c.chat_postMessage,
            "chat.update": lambda c: c.chat_update,
            "chat.delete": lambda c: c.chat_delete,
            "files.upload_v2": lambda c: c.files_upload_v2,
            "files.list": lambda c: c.files_list,
            "conversations.open": lambda c: c.conversations_open,
            "conversations.history": lambda c: c.conversations_history,
        }
        self._per_method = {
            method: RateLimiter(TIER_3, **paced)
            for method in (
                "conversations.open",
                "conversations.history",
                "chat.update",
                "chat.delete",
                "files.upload_v2",
                "files.list",
            )
        }

    @property
    def clock(self) -> Callable[[], datetime]:
        """The clock leases are taken by, so callers judge them by the same one."""
        return self._clock

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
            leases = _Leases(self._sessions, self._clock, self._lease, jobs)
            for job in jobs:
                try:
                    self._deliver(job, leases, report)
                finally:
                    leases.release(job)
        logger.info(
            "outbox run: %d sent, %d updated, %d found already posted, %d failed, "
            "%d abandoned, %d left to another sender in %.1f s",
            report.sent,
            report.updated,
            report.found,
            report.failed,
            report.abandoned,
            report.lease_lost,
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

    def _deliver(self, job: _Job, leases: _Leases, report: DeliveryReport) -> None:
        tries = 0
        while True:
            tries += 1
            try:
                if not leases.holds(job):
                    raise _LeaseLost(job.key)
                if job.retracted:
                    self._withdraw(job, leases)
                    report.record(job, Outcome.WITHDRAWN)
                elif job.kind == CHART_KIND:
                    report.record(job, self._upload(job, leases))
                elif job.ts is not None:
                    self._update(job, leases)
                    report.record(job, Outcome.UPDATED)
                else:
                    report.record(job, self._send(job, leases))
                return
            except _LeaseLost:
                logger.warning("outbox %s: lease lost, leaving it to its new sender", job.key)
                report.record(job, Outcome.LEASE_LOST)
                return
            except _Refused as error:
                self._refused(job, report, error.code)
                return
            except _Misconfigured as error:
                self._fail(job, report, f"Slack refused Tally: {error}", RETRY_PERMANENT)
                return
            except _NotInstalled:
                self._abandon(job, report, NOT_INSTALLED)
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

    def _send(self, job: _Job, leases: _Leases) -> Outcome:
        """Post `job` (SENT), or record the post an interrupted attempt left in Slack (FOUND)."""
        # Only a row tried before, past conversations.open, can already be in Slack.
        tried = job.attempts > 0 or job.in_doubt
        may_be_posted = tried and (job.channel_id is not None or not job.to_user)
        channel = self._channel(job, leases)
        if may_be_posted:
            found = self._find_posted(channel, job, leases)
            if found is not None:
                logger.info("outbox %s: already in Slack as %s, not reposting", job.key, found)
                self._record_sent(job, channel, found)
                # A post of this run whose answer was lost is this run's; else an earlier one's.
                return Outcome.SENT if job.in_doubt else Outcome.FOUND
        self._per_channel.wait(channel)
        answer = self._call(
            job,
            leases,
            "chat.postMessage",
            channel=channel,
            text=job.text,
            blocks=job.blocks or None,
            metadata=job.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        if self._record_sent(job, answer.get("channel") or channel, answer["ts"]):
            return Outcome.SENT
        # Its entry was undone while the post was in flight: take it down at once.
        job.channel_id, job.ts = answer.get("channel") or channel, answer["ts"]
        job.retracted = True  # a retry after a failed delete deletes, never edits
        self._withdraw(job, leases)
        return Outcome.WITHDRAWN

    def _channel(self, job: _Job, leases: _Leases) -> str:
        """Where the job goes: a channel, or the recipient's DM (opened once, remembered)."""
        if job.channel_id is None and job.to_user:
            with self._sessions.begin() as session:
                channel = known_channel(session, job.team_id, job.recipient)
            channel = channel or self._open_dm(job, leases)
            with self._sessions.begin() as session:
                remember_channel(session, job.id, channel)
            job.channel_id = channel
        return job.channel_id or job.recipient

    def _upload(self, job: _Job, leases: _Leases) -> Outcome:
        """Draw the chart the row describes and share it in the DM, once: an attempt that may
        have got through is looked for among the channel's files by its name first."""
        tried = job.attempts > 0 or job.in_doubt
        channel = self._channel(job, leases)
        filename = filename_of(job.recipient, job.period)
        if tried and (found := self._find_file(channel, filename, job, leases)) is not None:
            self._record_sent(job, channel, found)
            return Outcome.SENT if job.in_doubt else Outcome.FOUND
        upload = draw(job.recipient, job.period, job.blocks)
        if upload is None:
            with self._sessions.begin() as session:
                mark_withdrawn(session, job.id)
            return Outcome.WITHDRAWN
        self._per_method["files.upload_v2"].wait()
        answer = self._call(
            job,
            leases,
            "files.upload_v2",
            channel=channel,
            file=upload.content,
            filename=upload.filename,
            title=upload.title,
            alt_txt=upload.alt_text,
        )
        shared = answer.get("file") or (answer.get("files") or [{}])[0]
        self._record_sent(job, channel, str(shared.get("id") or filename))
        return Outcome.SENT

    def _find_file(self, channel: str, filename: str, job: _Job, leases: _Leases) -> str | None:
        self._per_method["files.list"].wait()
        page = self._call(job, leases, "files.list", channel=channel, types="images", count=100)
        return next((f["id"] for f in page.get("files", []) if f.get("name") == filename), None)

    def _update(self, job: _Job, leases: _Leases) -> None:
        assert job.channel_id is not None and job.ts is not None
        self._per_method["chat.update"].wait()
        self._call(
            job,
            leases,
            "chat.update",
            channel=job.channel_id,
            ts=job.ts,
            text=job.text,
            blocks=job.blocks,
            metadata=job.metadata,
        )
        with self._sessions.begin() as session:
            mark_updated(session, job.id, self._clock(), sent_text=job.text, sent_blocks=job.blocks)

    def _withdraw(self, job: _Job, leases: _Leases) -> None:
        """Delete the post; a sender that died mid-post may have left it in Slack unrecorded."""
        ts, channel = job.ts, job.channel_id or job.recipient
        if ts is None and (job.attempts > 0 or job.in_doubt) and not job.to_user:
            ts = self._find_posted(channel, job, leases)
        if ts is not None:
            self._per_method["chat.delete"].wait()
            try:
                self._call(job, leases, "chat.delete", channel=channel, ts=ts)
            except _Refused as error:
                if error.code != "message_not_found":  # someone deleted it already
                    raise
        with self._sessions.begin() as session:
            mark_withdrawn(session, job.id)

    def _open_dm(self, job: _Job, leases: _Leases) -> str:
        self._per_method["conversations.open"].wait()
        return self._call(job, leases, "conversations.open", users=job.recipient)["channel"]["id"]

    def _find_posted(self, channel: str, job: _Job, leases: _Leases) -> str | None:
        """The ts of a message in `channel` carrying this job's key, searching recent history."""
        oldest = (job.created_at - HISTORY_SKEW).timestamp()
        cursor = None
        for _ in range(HISTORY_PAGES):
            self._per_method["conversations.history"].wait()
            page = self._call(
                job,
                leases,
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

    def _record_sent(self, job: _Job, channel: str, ts: str) -> bool:
        """False: the message was taken back meanwhile, and is now due for deletion."""
        with self._sessions.begin() as session:
            return mark_sent(
                session,
                job.id,
                channel,
                ts,
                self._clock(),
                sent_text=job.text,
                sent_blocks=job.blocks,
            )

    def _fail(
        self,
        job: _Job,
        report: DeliveryReport,
        error: str,
        retry_in: timedelta,
        *,
        refused: bool = False,
    ) -> None:
        now = self._clock()
        retry_at = now + retry_in
        with self._sessions.begin() as session:
            mark_failed(session, job.id, error, retry_at, now, refused=refused)
        line = f"{job.describe()}: {error}; will retry after {retry_at:%Y-%m-%d %H:%M} UTC"
        logger.warning("outbox %s: %s", job.key, line)
        report.record(job, Outcome.FAILED, line)

    def _refused(self, job: _Job, report: DeliveryReport, code: str) -> None:
        refusals = job.refusals + 1  # no other sender touches the row while we hold it
        if refusals < self._give_up_after:
            error = (
                f"Slack refused it: {code} ({refusals} of {self._give_up_after} refusals "
                "before it is abandoned)"
            )
            self._fail(job, report, error, RETRY_PERMANENT, refused=True)
            return
        self._abandon(job, report, f"Slack refused it {refusals} times: {code}")

    def _abandon(self, job: _Job, report: DeliveryReport, error: str) -> None:
        with self._sessions.begin() as session:
            mark_abandoned(session, job.id, error)
        line = f"{job.describe()}: {error}"
        logger.warning("outbox %s: abandoned: %s", job.key, line)
        report.record(job, Outcome.ABANDONED, line)

    # --- Slack calls ----------------------------------------------------------------------

    def _call(self, job: _Job, leases: _Leases, method: str, **args: Any) -> dict[str, Any]:
        """One Web API call for `job`, on a lease still ours; a 429 waits out Retry-After and
        repeats (Slack did nothing)."""
        send = self._methods[method](self._client_for(job.team_id))
        for _ in range(self._max_tries):
            leases.keep(job, before_write=method in WRITES)
            try:
                answer = send(**_without_none(args))
                return dict(answer.data) if isinstance(answer.data, dict) else {}
            except SlackApiError as error:
                status = error.response.status_code
                if status == 429:
                    wait = _retry_after(error)
                    logger.info("%s rate-limited, waiting %s s as Slack asks", method, wait)
                    self._sleep(wait)
                    continue
                raise _classified(method, status, error.response.get("error")) from error
            except OSError as error:
                # Timeouts, resets, refused connections: the call may or may not have reached
                # Slack, so the next try looks in history before posting again.
                raise _Transient(self._network_failure(method, error)) from error
        raise _Transient(f"{method} still rate-limited after {self._max_tries} waits")

    def _client_for(self, team_id: str) -> WebClient:
        """The client carrying `team_id`'s own token, asked for on every call: a token
        rotated or revoked since the last one is never used."""
        if self._tokens is None:
            return self._client
        token = self._tokens(team_id)
        if token is None:
            raise _NotInstalled(team_id)
        if token not in self._clients:
            if len(self._clients) > 1000:
                self._clients.clear()  # rotated tokens pile up; a copy costs microseconds
            private = copy.copy(self._client)
            private.token = token
            self._clients[token] = private
        return self._clients[token]

    def _network_failure(self, method: str, error: OSError) -> str:
        reason = error.reason if isinstance(error, URLError) else error
        if isinstance(reason, TimeoutError):
            return f"{method} got no answer within {self._client.timeout:g} s"
        if isinstance(error, URLError):
            return f"{method} could not reach Slack: {reason}"
        return f"{method} failed: {error}"


def _classified(method: str, status: int, code: object) -> Exception:
    """What a non-429 error answer means for the message."""
    if status >= 500:
        return _Transient(f"{method} answered HTTP {status}" + (f" ({code})" if code else ""))
    if code in SLACK_TROUBLE:
        return _Transient(f"{method}: Slack's own error {code}")
    if not isinstance(code, str) or not code:
        return _Misconfigured(f"{method} answered HTTP {status} (is SLACK_API_URL right?)")
    if code in SETUP_ERRORS:
        return _Misconfigured(f"{code} (check SLACK_BOT_TOKEN and the app's scopes)")
    return _Refused(code)


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
