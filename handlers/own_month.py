"""`/tally month`: the rep's calendar month so far, read in three queries."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from scoring.catalog import CLOSED_WON
from scoring.month import MonthReport, days_worked, month_report
from scoring.rules import ScoringRules
from storage.activities import rep_deals_between, rep_rows_between
from storage.models import Member
from storage.time_off import days_off_between


def own_month(session: Session, rules: ScoringRules, member: Member, today: date) -> MonthReport:
    """From the 1st to `today`, both on the member's own calendar."""
    first = today.replace(day=1)
    team_id, user_id = member.team_id, member.user_id
    rows = rep_rows_between(session, team_id, user_id, first, today)
    deals = rep_deals_between(session, team_id, user_id, CLOSED_WON, first, today)
    away = days_off_between(session, team_id, first, today, [user_id]).get(user_id, set())
    worked = days_worked(first, today, away, rules.holidays, member.onboarding_start)
    return month_report(today, rows, deals, rules.catalog, worked)
