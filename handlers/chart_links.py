"""The signed address of a rep's Home chart, which `tally serve` answers (handlers.home_chart);
apart from the drawing so the Home can link it without loading the export's code."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

PATH = "/charts/home/"


@dataclass(frozen=True)
class HomeCharts:
    base_url: str  # where Slack reaches `tally serve`, e.g. https://tally.example.com
    secret: str

    def url(self, team_id: str, user_id: str, week: str, points: Sequence[int]) -> str:
        version = hashlib.sha256(",".join(map(str, points)).encode()).hexdigest()[:12]
        where = f"{quote(team_id)}/{quote(user_id)}/{quote(week)}.png"
        sig = signature(self.secret, team_id, user_id, week)
        return f"{self.base_url.rstrip('/')}{PATH}{where}?v={version}&s={sig}"


def signature(secret: str, team_id: str, user_id: str, week: str) -> str:
    message = f"home-chart:{team_id}:{user_id}:{week}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]
