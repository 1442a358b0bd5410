"""What every listener needs from the composition root, handed over through Bolt's context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from scoring.rules import ScoringRules


@dataclass(frozen=True)
class Deps:
    """A session *factory*, never a live session: lazy listeners run on other threads."""

    sessions: sessionmaker[Session]
    rules: ScoringRules
    admins: frozenset[str]
    clock: Callable[[], datetime]
