"""An admin's browser adding Tally to a workspace: Tally's install page, Slack's consent page
(the fake's, approved at once), and back to Tally's redirect URL with the state cookie."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from html import unescape


@dataclass(frozen=True)
class Page:
    status: int
    headers: dict[str, str]  # names in lower case
    body: str


@dataclass(frozen=True)
class Install:
    add_to_slack: Page  # Tally's /slack/install
    authorize_url: str  # where its Add to Slack button goes
    consent: Page  # Slack's answer once the admin approves (a redirect)
    done: Page  # Tally's /slack/oauth_redirect


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def get(url: str, cookie: str | None = None) -> Page:
    """One GET, redirects not followed: a test reads each hop."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.build_opener(_NoRedirects).open(request, timeout=10) as answer:
            return Page(answer.status, _lower(answer.headers), answer.read().decode())
    except urllib.error.HTTPError as error:
        return Page(error.code, _lower(error.headers), error.read().decode())


def install(app_url: str, team_id: str, *, org_wide: bool = False) -> Install:
    """Click Add to Slack on `app_url`, approve for `team_id` (with `org_wide`, for every
    workspace of the Enterprise Grid org `team_id` then names), follow Slack back to Tally."""
    page = get(app_url + "/slack/install")
    cookie = page.headers.get("set-cookie", "").split(";")[0]
    links = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.body)
    if page.status != 200 or not links:
        raise AssertionError(f"no Add to Slack button on the install page ({page.status})")
    authorize = unescape(links[0])
    consent = get(f"{authorize}&{'enterprise' if org_wide else 'team'}={team_id}")
    # No redirect_uri in the URL: Slack sends the browser to the app's configured Redirect URL.
    done = get(app_url + "/slack/oauth_redirect" + consent.headers.get("location", ""), cookie)
    return Install(page, authorize, consent, done)


def _lower(headers: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
