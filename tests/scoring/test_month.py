"""The month so far, pure: weeks cut at the month's edges, days worked, KPIs and deal sizes."""

from datetime import date
from decimal import Decimal

from scoring.catalog import DEFAULT_CATALOG, ActivityType, Catalog
from scoring.month import days_worked, month_report

DEC_9 = date(2026, 12, 9)  # a Wednesday; 1 December 2026 is a Tuesday


def test_weeks_are_cut_at_the_first_of_the_month_and_today() -> None:
    rows = [("2026-W49", "call", 30, 30), ("2026-W50", "demo_self_led", 2, 50)]

    report = month_report(DEC_9, rows, [], DEFAULT_CATALOG, worked=7)

    assert [(w.week, w.span, w.points) for w in report.weeks] == [
        ("2026-W49", "Tue 1 – Sun 6 Dec", 30),
        ("2026-W50", "Mon 7 – Wed 9 Dec", 50),
    ]
    assert report.total == 80 and report.title == "December 2026"


def test_days_worked_leave_out_weekends_days_off_holidays_and_days_before_onboarding() -> None:
    first = date(2026, 12, 1)

    assert days_worked(first, DEC_9, set(), set()) == 7
    assert days_worked(first, DEC_9, {date(2026, 12, 2)}, {date(2026, 12, 8)}) == 5
    assert days_worked(first, DEC_9, set(), set(), start=date(2026, 12, 7)) == 3
    assert days_worked(first, DEC_9, set(), set(), start=date(2027, 1, 4)) == 0


def test_kpis_per_day_worked_and_the_average_deal_per_currency() -> None:
    rows = [
        ("2026-W49", "call", 45, 45),
        ("2026-W50", "email", 10, 10),
        ("2026-W50", "demo_mentor_led", 1, 20),
        ("2026-W50", "closed_won", 4, 100),
    ]
    deals = [
        ("USD", Decimal("10000"), 1),
        (None, Decimal("5000.50"), 1),
        ("EUR", Decimal("9000"), 1),
    ]

    report = month_report(DEC_9, rows, deals, DEFAULT_CATALOG, worked=4)
    idle = month_report(DEC_9, [], [], DEFAULT_CATALOG, worked=0)

    assert [(k.label, k.count, k.per_day) for k in report.kpis] == [
        ("Calls", 45, "11.3"),
        ("Emails", 10, "2.5"),
        ("Meetings booked", 0, None),
        ("Demos done", 1, None),
        ("Demos shadowed", 0, None),
    ]
    assert report.deals is not None
    assert (report.deals.count, report.deals.with_amount) == (4, 3)
    assert report.deals.averages == ("$7,500.25", "€9,000")
    assert all(k.per_day is None for k in idle.kpis)


def test_kpis_of_activities_the_catalog_lacks_are_left_out() -> None:
    catalog = Catalog((ActivityType("call", "Call", 1),))

    report = month_report(DEC_9, [], [], catalog, worked=3)

    assert [k.label for k in report.kpis] == ["Calls"] and report.deals is None
