"""A loopback HTTP stand-in for the Slack Web API and for response_urls.

Real HTTP, so the app's own `WebClient` (and its retry handlers) run unchanged against it; every
call is recorded with its decoded arguments so tests can assert on what a user would read.
"""

import contextlib
import copy
import dataclasses
import json
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.fakeslack.block_kit import block_kit_problem
from bot.fakeslack.limits import Enforcer, RateLimits
from bot.fakeslack.oauth import Installs
from bot.fakeslack.workspace import APP_ID, SlackError, Workspace, wall_clock

# Fields Slack accepts as JSON-encoded strings in form bodies; decoded so tests see objects.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "files")


@dataclass(frozen=True)
class ApiCall:
    """One Web API call as the fake received it, and the HTTP status it answered."""

    method: str
    args: dict[str, Any]
    status: int
    token: str | None = None
    team_id: str | None = None  # the workspace that served it; None if refused before that


@dataclass
class SharedFile:
    """A file the app uploaded and shared, with the bytes the recipient would download."""

    id: str
    name: str
    title: str
    channel: str
    initial_comment: str
    content: bytes


@dataclass
class _Upload:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class Stall:
    """Calls Slack receives but never answers, as a hung Slack or network looks to a sender.

    Only the client's own timeout ends such a call. `after_serving` carries the call out
    first (the post went through, its answer was lost). `on_stall` runs as each stall
    begins: tests move their simulated clock there by what the hang costs a real sender.
    Leaving the `with` block (or stopping the fake) lets the held connections close.
    """

    method: str
    remaining: int
    after_serving: bool
    on_stall: Callable[[], None]
    stalled: threading.Event = dataclasses.field(default_factory=threading.Event)
    released: threading.Event = dataclasses.field(default_factory=threading.Event)

    def __enter__(self) -> "Stall":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.released.set()


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int | None
    error: str | None = None
    after_serving: bool = False


class FakeSlack:
    """The Slack Web API on 127.0.0.1, for `tally demo` and the tests.

    Binds in the constructor so `url` is known before `start()`; port 0 picks a free port so
    test runs can proceed in parallel. `rate_limits` (True for Slack's own limits, or a
    `RateLimits`) makes it answer 429 over Slack's limits and fail some calls at random; off
    by default.
    """

    def __init__(
        self,
        team_id: str = "T0TALLY",
        bot_user_id: str = "UTALLYBOT",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limits: RateLimits | bool = False,
        client_id: str = "1111.2222",
        client_secret: str = "fake-client-secret",
    ):
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._workspace = Workspace(team_id, bot_user_id)
        self._workspaces: dict[str, Workspace] = {team_id: self._workspace}
        self._names: dict[str, str] = {}
        self._orgs: dict[str, list[str]] = {}  # Enterprise Grid org -> its workspaces
        self._installs = Installs(client_id, client_secret)
        self.client_id, self.client_secret = client_id, client_secret
        self._calls: list[ApiCall] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._stalls: list[Stall] = []
        self._responses: dict[str, list[dict[str, Any]]] = {}
        self._uploads: dict[str, _Upload] = {}  # by upload URL
        self._files: list[SharedFile] = []
        if rate_limits is True:
            rate_limits = RateLimits()
        self.enforcer = Enforcer(rate_limits) if rate_limits else None
        self._server = _Server((host, port), _Handler, fake=self)
        self._thread: threading.Thread | None = None
        self.team_id, self.bot_user_id = team_id, bot_user_id
        self.bot_id, self.app_id = self._workspace.bot_id, APP_ID

    @property
    def base_url(self) -> str:
        """Where this server listens, e.g. http://127.0.0.1:54321."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The Web API root: the value for SLACK_API_URL or `WebClient(base_url=...)`."""
        return f"{self.base_url}/api/"

    def start(self) -> "FakeSlack":
        # A short poll keeps stop() quick: shutdown() waits out the current poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            for stall in self._stalls:
                stall.released.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def reset(self) -> None:
        """Forget every member, message, view, call, response URL, file, scripted failure and
        stall, as a new fake knows none, keeping the port: so one fake (and the servers pointed
        at it) can serve test after test. Held stalls are let go."""
        with self._lock:
            for stall in self._stalls:
                stall.released.set()
            self._workspace = Workspace(self.team_id, self.bot_user_id)
            self._workspaces = {self.team_id: self._workspace}
            self._names = {}
            self._installs = Installs(self.client_id, self.client_secret)
            self._calls = []
            self._failures = {}
            self._stalls = []
            self._responses = {}
            self._uploads = {}
            self._files = []
            if self.enforcer is not None:
                self.enforcer = Enforcer(self.enforcer.limits)
        self._notify()

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- more workspaces, installed by OAuth ----------------------------------------------

    def add_workspace(
        self,
        team_id: str,
        *,
        name: str | None = None,
        bot_user_id: str | None = None,
        enterprise_id: str | None = None,
    ) -> None:
        """A further workspace (the constructor's stays the default): its users, messages and
        views are its own, and only tokens an install minted for it (or, org-wide, for its
        Enterprise Grid org `enterprise_id`) act on it."""
        with self._lock:
            bot = bot_user_id or f"UBOT{team_id.removeprefix('T')}"
            if enterprise_id is not None:  # one bot user across the org, as on Grid
                bot = next(
                    (self._workspaces[t].bot_user_id for t in self._orgs.get(enterprise_id, [])),
                    bot,
                )
                self._orgs.setdefault(enterprise_id, []).append(team_id)
            self._workspaces[team_id] = Workspace(team_id, bot)
            self._names[team_id] = name or team_id

    @property
    def rotation_enabled(self) -> bool:
        """Token rotation, as the app's setting: installs then mint expiring tokens."""
        return self._installs.rotation_enabled

    @rotation_enabled.setter
    def rotation_enabled(self, on: bool) -> None:
        self._installs.rotation_enabled = on

    @property
    def token_lifetime_s(self) -> int:
        return self._installs.token_lifetime_s

    @token_lifetime_s.setter
    def token_lifetime_s(self, seconds: int) -> None:
        self._installs.token_lifetime_s = seconds

    def authorize_url_approved(
        self,
        url: str,
        team_id: str | None = None,
        user_id: str | None = None,
        enterprise_id: str | None = None,
    ) -> str:
        """Where Slack's consent page sends the installer once `user_id` (default: the
        workspace's first admin) approves `url` for `team_id` (default: the default one), or
        for all of its org `enterprise_id` (then the first of the org's workspaces)."""
        with self._lock:
            if enterprise_id is not None:
                team_id = self._orgs[enterprise_id][0]
            workspace = self._workspaces[team_id or self.team_id]
            approver = user_id or workspace.first_admin() or "U0INSTALLER"
            query = urlsplit(url).query
            return self._installs.approve(query, workspace.team_id, approver, enterprise_id)

    def uninstall(self, owner: str) -> None:
        """The workspace (or the org, E…) removes the app: every token minted for it answers
        token_revoked."""
        with self._lock:
            self._installs.uninstall(owner)

    def workspace_of_token(self, token: str) -> str | None:
        """The workspace an install minted `token` for, the org's id for an org-wide install
        (None: not minted by an install)."""
        with self._lock:
            grant = self._installs.grant_of(token)
            return None if grant is None else grant.team_id or grant.enterprise_id

    def org_of(self, team_id: str) -> str | None:
        """The Enterprise Grid org `team_id` belongs to."""
        with self._lock:
            return next((org for org, teams in self._orgs.items() if team_id in teams), None)

    # --- setting the scene ----------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "America/New_York",
        is_admin: bool = False,
        is_owner: bool = False,
        real_name: str | None = None,
        *,
        deleted: bool = False,
        is_bot: bool = False,
        email: str | None = None,
        team_id: str | None = None,
    ) -> None:
        """Register (or, with the same id, change) a member; `deleted` is a deactivated account,
        `email` what users.lookupByEmail finds them by."""
        user = {
            "id": user_id,
            "name": name,
            "tz": tz,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "real_name": real_name or name,
            "deleted": deleted,
            "is_bot": is_bot,
            "email": email,
        }
        with self._lock:
            self._workspaces[team_id or self.team_id].add_user(user)

    def user_name(self, user_id: str) -> str | None:
        """A registered member's handle, or None."""
        with self._lock:
            return self._home_of(user_id).user_name(user_id)

    def fail(
        self,
        method: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        *,
        error: str | None = None,
        after_serving: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` instead of serving them.

        A 429 carries Retry-After (`retry_after`, default 1 s, as Slack always sends one).
        `error` sets the answer's error code (status 200 gives Slack's `ok: false` refusals,
        e.g. "channel_not_found"). `after_serving` carries the call out first and fails only
        the answer, as when Slack accepts a post but the response is lost.
        """
        failure = _Failure(status, times, retry_after, error, after_serving)
        with self._lock:
            self._failures.setdefault(method, deque()).append(failure)

    def stall(
        self,
        method: str,
        times: int = 1,
        *,
        after_serving: bool = False,
        on_stall: Callable[[], None] = lambda: None,
    ) -> Stall:
        """Leave the next `times` calls of `method` unanswered (see `Stall`)."""
        stall = Stall(method, times, after_serving, on_stall)
        with self._lock:
            self._stalls.append(stall)
        return stall

    def new_trigger_id(self, user_id: str) -> str:
        """A trigger_id that views.open/views.push accept, opening views for `user_id`."""
        with self._lock:
            return self._home_of(user_id).new_trigger_id(user_id)

    def new_ts(self) -> str:
        """A fresh message timestamp in Slack's format, for payloads about other users' messages."""
        with self._lock:
            return self._workspace.new_ts()

    def new_response_url(self) -> str:
        """A response_url on this server; what the app POSTs to it is kept for `responses`."""
        url = f"{self.base_url}/response/{secrets.token_hex(8)}"
        with self._lock:
            self._responses[url] = []
        return url

    # --- what happened --------------------------------------------------------------------

    def wait_until(self, condition: Callable[[], object], timeout: float = 5.0) -> None:
        """Block until `condition()` is truthy, re-checking after each call or response.

        Bolt acks before a listener's slow work, so the app's Web API calls arrive after the
        reply. Waits on a condition variable, not a clock loop, so freezegun cannot stall it.
        """
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise TimeoutError(f"fake Slack saw no such call within {timeout} s")

    @property
    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def responses(self, url: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._responses[url])

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages the bot left in the default workspace's channels (channel, ts, text,
        blocks, metadata, thread_ts)."""
        return self.messages_of(self.team_id)

    def messages_of(self, team_id: str) -> list[dict[str, Any]]:
        """Messages the bot left in that workspace's channels."""
        with self._lock:
            return copy.deepcopy(self._workspaces[team_id].messages)

    def messages_in(self, channel: str, team_id: str | None = None) -> list[dict[str, Any]]:
        found = self.messages_of(team_id or self.team_id)
        return [message for message in found if message["channel"] == channel]

    @property
    def files(self) -> list[SharedFile]:
        """Files shared through files.completeUploadExternal, oldest first."""
        with self._lock:
            return list(self._files)

    def files_in(self, channel: str) -> list[SharedFile]:
        return [shared for shared in self.files if shared.channel == channel]

    def views(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Views opened, pushed, updated or published, oldest first, optionally for one user."""
        with self._lock:
            records = copy.deepcopy(
                self._home_of(user_id).views if user_id else self._workspace.views
            )
        return [r for r in records if user_id is None or r["user_id"] == user_id]

    # --- serving (called from the server's threads) ---------------------------------------

    def _answer_api(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            workspace, refusal = self._workspace_for(token, args)
            failure = self._take_failure(method)
            if failure is not None:
                if failure.after_serving and workspace is not None:
                    self._serve(method, args, workspace)
                status, headers, body = _failure_answer(failure)
            elif workspace is None:
                status, headers, body = 200, {}, {"ok": False, "error": refusal}
            elif self.enforcer is not None:
                status, headers, body = self._answer_limited(method, args, workspace)
            else:
                status, headers, body = 200, {}, self._serve(method, args, workspace)
            grant = self._installs.grant_of(token or "")
            if method == "auth.test" and body.get("ok") and grant and grant.enterprise_id:
                body = body | {"enterprise_id": grant.enterprise_id, "is_enterprise_install": True}
            served = workspace.team_id if workspace is not None else None
            self._calls.append(ApiCall(method, args, status, token, served))
        self._notify()
        return status, headers, body

    def _answer_oauth(
        self, args: dict[str, Any], authorization: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """`oauth.v2.access`, answered by the app's credentials rather than a token."""
        with self._lock:
            try:
                team_id, org, body = self._installs.access(args, authorization)
                body = {"ok": True} | body
                workspace = self._workspaces[self._orgs[org][0] if org else team_id]
                body["bot_user_id"] = workspace.bot_user_id
                if isinstance(body.get("team"), dict):
                    body["team"]["name"] = self._names.get(team_id, "Tally Demo")
                if isinstance(body.get("enterprise"), dict):
                    body["enterprise"]["name"] = self._names.get(org or "", org)
            except SlackError as error:
                team_id, body = None, {"ok": False, "error": str(error)}
            self._calls.append(ApiCall("oauth.v2.access", args, 200, None, team_id))
        self._notify()
        return 200, {}, body

    def _workspace_for(
        self, token: str | None, args: dict[str, Any]
    ) -> tuple[Workspace | None, str]:
        """The workspace a call with `token` acts on, or None and Slack's error code. An
        org-wide token acts on the org's workspace the call names: by `team_id`, or the one
        whose member the user or DM channel is."""
        if not token:
            return None, "not_authed"
        grant = self._installs.grant_of(token)
        if grant is not None:
            if grant.revoked:
                return None, "token_revoked"
            if grant.expires_at is not None and grant.expires_at < wall_clock():
                return None, "token_expired"
            if grant.team_id is None:
                return self._org_workspace(self._orgs[grant.enterprise_id or ""], args), ""
            return self._workspaces[grant.team_id], ""
        if not token.startswith("xoxb-"):
            return None, "invalid_auth"
        return self._workspace, ""  # any other bot token: the default workspace, as ever

    def _org_workspace(self, teams: list[str], args: dict[str, Any]) -> Workspace:
        if args.get("team_id") in teams:
            return self._workspaces[args["team_id"]]
        channel = str(args.get("channel") or "")
        person = args.get("user") or str(args.get("users") or "").split(",")[0]
        person = person or (channel[1:] if channel.startswith("D") else "")
        for team_id in teams:
            if person and self._workspaces[team_id].user_name(person) is not None:
                return self._workspaces[team_id]
        return self._workspaces[teams[0]]

    def _home_of(self, user_id: str) -> Workspace:
        """The workspace that has `user_id` as a member (the default one if none has)."""
        for workspace in self._workspaces.values():
            if workspace.user_name(user_id) is not None:
                return workspace
        return self._workspace

    def _answer_limited(
        self, method: str, args: dict[str, Any], workspace: Workspace
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        assert self.enforcer is not None
        verdict, spend = self.enforcer.judge(method, args)
        if verdict.status == 200 or verdict.after_serving:
            spend()
            body = self._serve(method, args, workspace)
            if verdict.status == 200:
                return 200, {}, body
        failure = _Failure(verdict.status, 1, verdict.retry_after)
        return _failure_answer(failure)

    def _serve(self, method: str, args: dict[str, Any], workspace: Workspace) -> dict[str, Any]:
        """Answer one call (under the lock): the upload methods here, the rest by the workspace."""
        upload_methods = {
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.list": self._files_list,
        }
        answer = upload_methods.get(method)
        if answer is None:
            return workspace.call(method, args)
        try:
            return {"ok": True} | answer(args)
        except SlackError as error:
            return {"ok": False, "error": str(error)}

    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        """Step 1 of files_upload_v2: a one-time URL on this server for the file's bytes."""
        filename = args.get("filename")
        length = str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) < 1:
            raise SlackError("invalid_arguments")
        file_id = "F" + secrets.token_hex(5).upper()
        url = f"{self.base_url}/upload/v1/{secrets.token_urlsafe(12)}"
        self._uploads[url] = _Upload(file_id, str(filename), int(length))
        return {"upload_url": url, "file_id": file_id}

    def _receive_upload(self, url: str, body: bytes) -> bool:
        """Step 2: the bytes POSTed to the upload URL (raw, as slack_sdk sends them)."""
        with self._lock:
            upload = self._uploads.get(url)
            if upload is None or upload.content is not None:
                return False
            upload.content = body
        self._notify()
        return True

    def _files_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """The files shared in `channel`, newest first (one page: tests share few)."""
        channel = args.get("channel") or ""
        shared = [f for f in reversed(self._files) if not channel or f.channel == channel]
        count = int(args.get("count") or 100)
        listed = [{"id": f.id, "name": f.name, "title": f.title} for f in shared[:count]]
        return {"files": listed, "paging": {"count": count, "total": len(shared), "page": 1}}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Step 3: share the uploaded files in `channel_id` (a DM from conversations.open)."""
        wanted = args.get("files")
        if not isinstance(wanted, list) or not wanted:
            raise SlackError("invalid_arguments")
        channel = args.get("channel_id") or ""
        if channel and channel[:1] not in ("C", "D", "G"):
            raise SlackError("channel_not_found")
        by_id = {u.file_id: u for u in self._uploads.values() if u.content is not None}
        shared = []
        for item in wanted:
            upload = by_id.get(item.get("id", "")) if isinstance(item, dict) else None
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            if len(upload.content) != upload.length:
                raise SlackError("file_upload_size_mismatch")
            shared.append((upload, item.get("title") or upload.filename))
        done = {upload.file_id for upload, _ in shared}  # each upload URL shares once
        self._uploads = {u: up for u, up in self._uploads.items() if up.file_id not in done}
        answers = []
        for upload, title in shared:
            self._files.append(
                SharedFile(
                    id=upload.file_id,
                    name=upload.filename,
                    title=title,
                    channel=channel,
                    initial_comment=args.get("initial_comment") or "",
                    content=upload.content,
                )
            )
            answers.append(
                {
                    "id": upload.file_id,
                    "name": upload.filename,
                    "title": title,
                    "size": upload.length,
                    "channels": [channel] if channel.startswith("C") else [],
                    "ims": [channel] if channel.startswith("D") else [],
                }
            )
        return {"files": answers}

    def _take_stall(self, method: str) -> Stall | None:
        with self._lock:
            for stall in self._stalls:
                if stall.method == method and stall.remaining > 0 and not stall.released.is_set():
                    stall.remaining -= 1
                    return stall
        return None

    def _take_failure(self, method: str) -> _Failure | None:
        pending = self._failures.get(method)
        if not pending:
            return None
        failure = pending[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            pending.popleft()
        return failure

    def _record_response(self, url: str, body: dict[str, Any]) -> bool:
        with self._lock:
            if url not in self._responses:
                return False
            self._responses[url].append(body)
        self._notify()
        return True

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()


def _failure_answer(failure: _Failure) -> tuple[int, dict[str, str], dict[str, Any]]:
    if failure.status == 429:
        retry_after = 1 if failure.retry_after is None else failure.retry_after
        error = failure.error or "ratelimited"
        return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": error}
    return failure.status, {}, {"ok": False, "error": failure.error or "internal_error"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeSlack
    ):
        self.fake = fake
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = urlsplit(self.path)
        if path.path == "/oauth/v2/authorize":
            self._consent(path.query)
            return
        self._dispatch(b"")

    def _consent(self, query: str) -> None:
        """Slack's consent page, approved at once: `team` picks the workspace and `user` the
        approver (the test's say), then the browser is sent back to the app."""
        asked = dict(parse_qsl(query))
        fake = self.server.fake
        team_id, org = asked.get("team") or fake.team_id, asked.get("enterprise")
        if (org not in fake._orgs) if org else (team_id not in fake._workspaces):
            self._reply(404, "no such workspace", "text/plain")
            return
        location = fake.authorize_url_approved(self.path, team_id, asked.get("user"), org)
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length))

    def _dispatch(self, body: bytes) -> None:
        path = urlsplit(self.path)
        if path.path.startswith("/api/"):
            args = _decode_args(path.query, body, self.headers.get("Content-Type", ""))
            form_token = args.pop("token", None)
            token = _bearer(self.headers.get("Authorization")) or form_token
            method = path.path.removeprefix("/api/")
            if method == "oauth.v2.access":
                status, headers, answer = self.server.fake._answer_oauth(
                    args | ({"token": form_token} if form_token else {}),
                    self.headers.get("Authorization"),
                )
                self._reply(status, json.dumps(answer), "application/json; charset=utf-8", headers)
                return
            stall = self.server.fake._take_stall(method)
            if stall is not None:
                self._hang(stall, method, args, token)
                return
            status, headers, answer = self.server.fake._answer_api(method, args, token)
            self._reply(status, json.dumps(answer), "application/json; charset=utf-8", headers)
        elif path.path.startswith("/upload/v1/"):
            url = self.server.fake.base_url + path.path
            if self.server.fake._receive_upload(url, body):
                self._reply(200, f"OK - {len(body)}", "text/plain")
            else:
                self._reply(404, "not found", "text/plain")
        elif path.path.startswith("/response/"):
            url = self.server.fake.base_url + path.path
            payload = json.loads(body or b"{}")
            if block_kit_problem(payload) is not None:
                self._reply(400, "invalid_blocks", "text/plain")
            elif self.server.fake._record_response(url, payload):
                self._reply(200, "ok", "text/plain")
            else:
                self._reply(404, "no_active_hooks", "text/plain")
        else:
            self._reply(404, "not found", "text/plain")

    def _hang(self, stall: Stall, method: str, args: dict[str, Any], token: str | None) -> None:
        if stall.after_serving:
            self.server.fake._answer_api(method, args, token)
        stall.on_stall()
        stall.stalled.set()
        stall.released.wait(60)  # the client gave up long before
        self.close_connection = True

    def _reply(
        self, status: int, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        encoded = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(encoded)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test and demo output clean; `calls` is the log."""


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ").strip()
    return None


def _decode_args(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Arguments from the query string and a form or JSON body, JSON-string fields decoded."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/json") and body:
        args.update(json.loads(body))
    elif body:
        args.update(parse_qsl(body.decode(), keep_blank_values=True))
    for field in _JSON_FIELDS:
        if isinstance(args.get(field), str) and args[field]:
            # A malformed field stays as sent, for the method to reject as Slack would.
            with contextlib.suppress(json.JSONDecodeError):
                args[field] = json.loads(args[field])
    return args
