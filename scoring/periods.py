"""The periods people name after `/tally` and `/tally board`: a week, or this month so far."""

from datetime import date, timedelta

from scoring.weeks import iso_week_label, parse_iso_week

THIS_MONTH = "month"  # never an ISO week label, so one string can name either


class PeriodError(ValueError):
    """A period nobody could mean; the message says what would work."""


def parse_period(text: str, today: date, *, ahead: bool = False) -> str:
    """The ISO week label, or THIS_MONTH, that `text` names: '' or 'this week', 'last week',
    a week like '2026-W47', or 'month'. A week that hasn't begun on `today` is refused unless
    `ahead`: a board's readers may be in zones where it already has."""
    wanted = " ".join(text.lower().split())
    if wanted in ("", "week", "this week"):
        return iso_week_label(today)
    if wanted == "last week":
        return iso_week_label(today - timedelta(days=7))
    if wanted in ("month", "this month"):
        return THIS_MONTH
    works = f"I can show `this week`, `last week`, `month` or a week like `{iso_week_label(today)}`"
    try:
        monday = parse_iso_week(text.strip())
    except ValueError:
        raise PeriodError(f"{works}; “{text.strip()}” isn't one of those.") from None
    if monday > today and not ahead:
        raise PeriodError(f"{iso_week_label(monday)} hasn't started yet. {works}.")
    return iso_week_label(monday)
