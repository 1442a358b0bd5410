"""`GET /slack/install` (the "Add to Slack" page) and `GET /slack/oauth_redirect` (where Slack
sends the installer back), served by Bolt's OAuth flow in OAuth mode.

Bolt's own WSGI adapter would also do this, but Tally's HTTP app is its own (the edge, health,
charts), so the two pages are routed here. A failure Bolt does not turn into a page itself (Slack
unreachable, the database down) becomes a page that says to try again, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

HTML = {"content-type": ["text/html; charset=utf-8"]}
TRY_AGAIN = (
    "<html><body><h1>Tally could not finish installing</h1>"
    "<p>{why} Nothing was installed. <a href='{start}'>Start again</a>.</p></body></html>"
)


def install_pages(flow: OAuthFlow) -> Callable[[dict[str, Any]], WsgiHttpResponse | None]:
    """The page for a GET of either path, or None for any other path."""
    pages = {
        flow.install_path: flow.handle_installation,
        flow.redirect_uri_path: flow.handle_callback,
    }

    def page(environ: dict[str, Any]) -> WsgiHttpResponse | None:
        handle = pages.get(environ.get("PATH_INFO") or "")
        if handle is None:
            return None
        request = WsgiHttpRequest(environ)
        bolt = BoltRequest(body="", query=request.query_string, headers=request.get_headers())
        try:
            answer = handle(bolt)
        except (OSError, SQLAlchemyError) as error:
            log.warning("OAuth page %s failed: %s", environ.get("PATH_INFO"), error)
            answer = _try_again(flow, 503, "Slack or Tally's database did not answer in time.")
        except Exception:
            log.exception("OAuth page %s failed", environ.get("PATH_INFO"))
            answer = _try_again(flow, 400, "This link did not work.")
        return WsgiHttpResponse(answer.status, answer.headers, answer.body)

    return page


def _try_again(flow: OAuthFlow, status: int, why: str) -> BoltResponse:
    body = TRY_AGAIN.format(why=why, start=flow.install_path)
    return BoltResponse(status=status, body=body, headers=HTML)
