"""A line a message writes after an optional part (`{% if %}…{% endif %}` at the end of a line)
starts a line of its own: Jinja's trim_blocks would otherwise eat the line break, and Slack
shows the two run together ("`▰▰▱ 40%`You'd be on pace…")."""

from datetime import UTC, datetime
from types import SimpleNamespace

from handlers.render import say


def _report(pending: int = 0) -> SimpleNamespace:
    pace = SimpleNamespace(goal=500, suggestion="You'd be on pace with 4 calls today.")
    return SimpleNamespace(
        tally=SimpleNamespace(total=200), pace=pace, bar="▰▰▰▰▱▱▱▱▱▱ 40%", pending=pending
    )


def test_a_receipts_suggestion_is_on_its_own_line_below_the_bar() -> None:
    for pending in (0, 15):
        lines = say("week_line", report=_report(pending)).splitlines()
        assert lines[0].startswith("*This week:* 200 / 500 pts") and lines[0].endswith(
            "`▰▰▰▰▱▱▱▱▱▱ 40%`" if not pending else "_+15 pending_"
        )
        assert lines[1] == "You'd be on pace with 4 calls today."


def test_each_rep_to_coach_in_a_digest_is_a_bullet_of_their_own() -> None:
    team = SimpleNamespace(total=300, goal=None, deal_lines=lambda: [])
    coach = [
        SimpleNamespace(user_id="U0RAVI", points=40, usual=140, dropped="Meeting booked"),
        SimpleNamespace(user_id="U0RITA", points=10, usual=90, dropped=None),
    ]
    text = say("digest_team", team=team, top=[], coach=coach, overdue=[])
    bullets = [line for line in text.splitlines() if line.startswith("•")]
    assert bullets == [
        "• <@U0RAVI> — 40 pts vs usually 140; Meeting booked dropped most",
        "• <@U0RITA> — 10 pts vs usually 90",
    ]


def test_each_api_key_in_the_list_is_a_bullet_of_its_own() -> None:
    made = datetime(2026, 12, 1, tzinfo=UTC)
    keys = [
        SimpleNamespace(
            name="Salesforce",
            prefix="tally_Ab",
            created_by="U0ADA",
            created_at=made,
            receipts=False,
        ),
        SimpleNamespace(
            name="Dialer", prefix="tally_Cd", created_by="U0ADA", created_at=made, receipts=True
        ),
    ]
    text = say("api_keys", mode="list", keys=keys)
    bullets = [line for line in text.splitlines() if line.startswith("•")]
    assert len(bullets) == 2, text
    assert bullets[0].endswith(", no receipts") and bullets[1].startswith("• *Dialer*")
