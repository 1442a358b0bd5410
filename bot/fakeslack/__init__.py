"""A loopback Slack for `tally demo` and the tests: a fake Web API and signed inbound requests."""

from bot.fakeslack.limits import RateLimits
from bot.fakeslack.signed_requests import Reply, SignedSlack
from bot.fakeslack.web_api import ApiCall, FakeSlack

__all__ = ["ApiCall", "FakeSlack", "RateLimits", "Reply", "SignedSlack"]
