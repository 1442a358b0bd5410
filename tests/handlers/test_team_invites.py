"""Who is on whose team: a manager asks, the rep answers, and everyone affected hears of it."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot.fakeslack.signed_requests import SignedSlack
from handlers.ids import Action
from storage.db import make_session_factory
from storage.models import Member
from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally
from tests.fixtures.slack import SIGNING_SECRET
from tests.fixtures.teams import (
    answer,
    button_value,
    dms_to,
    join_team,
    latest_invite,
    team_command,
)

GHOST = "U0GHOST"  # Slack has never heard of them
GONE = "U0GONE"  # deactivated
ROBOT = "U0ROBOT"  # a bot user


def _team(tally: RunningTally, manager_id: str = MANAGER) -> str:
    return tally.read(tally.command(manager_id, "/tally", "team").json()).replace("*", "")


def _member(tally: RunningTally, user_id: str) -> Member | None:
    with make_session_factory(tally.engine)() as session:
        return session.scalars(select(Member).where(Member.user_id == user_id)).one_or_none()


def _read_dms(tally: RunningTally, user_id: str, count: int) -> list[str]:
    """Wait for `count` DMs to the user (some are sent after the reply) and read them."""
    tally.slack.wait_until(lambda: len(dms_to(tally, user_id)) >= count, timeout=10)
    return [tally.read(m) for m in dms_to(tally, user_id)]


def test_a_manager_asks_and_the_rep_joins_only_on_accept(tally: RunningTally) -> None:
    asked = team_command(tally, MANAGER, f"team add <@{REP}|rita> start 2026-10-05")

    assert "asked @rita to join" in asked and "they'll get a DM" in asked
    assert "Added" not in asked
    assert "@rita" not in _team(tally)
    peek = tally.read(tally.later(MANAGER, "/tally", f"<@{REP}>"))
    assert "Only @rita's manager or a Tally admin" in peek
    invite = tally.read(latest_invite(tally, REP))
    assert "@mona" in invite and "[Accept] [Decline]" in invite

    accepted = answer(tally, REP)

    assert accepted["replace_original"] is True
    assert "You joined @mona's team" in tally.read(accepted)
    assert "[Accept]" not in tally.read(accepted)
    assert any("@rita accepted" in dm for dm in _read_dms(tally, MANAGER, 1))
    assert "@rita — 0 pts" in _team(tally)
    rep = _member(tally, REP)
    assert rep is not None and rep.onboarding_start == date(2026, 10, 5)


def test_decline_keeps_the_rep_off_the_team_and_tells_the_manager(tally: RunningTally) -> None:
    team_command(tally, MANAGER, f"team add <@{REP}>")

    declined = answer(tally, REP, Action.TEAM_INVITE_DECLINE)

    assert "declined" in tally.read(declined) and "[Accept]" not in tally.read(declined)
    assert any("@rita declined" in dm for dm in _read_dms(tally, MANAGER, 1))
    assert "@rita" not in _team(tally)


def test_only_the_invited_rep_can_answer(tally: RunningTally) -> None:
    team_command(tally, MANAGER, f"team add <@{REP}>")
    invite = latest_invite(tally, REP)

    refused = answer(tally, REP, invite=invite, clicker=OTHER_REP)
    value = button_value(invite, Action.TEAM_INVITE_ACCEPT)
    assert value is not None
    elsewhere = SignedSlack(
        tally.signed.endpoint, SIGNING_SECRET, team_id="T0OTHER", slack=tally.slack
    )
    click = elsewhere.block_action(REP, Action.TEAM_INVITE_ACCEPT, value, message=invite)
    replies = [refused]
    if click.status != 403:  # a workspace Tally doesn't serve may be turned away at the door
        assert click.status == 200
        url = elsewhere.last_response_url
        assert url is not None
        tally.slack.wait_until(lambda: tally.slack.responses(url), timeout=10)
        replies.append(tally.slack.responses(url)[-1])

    for reply in replies:
        assert "isn't yours to answer" in tally.read(reply)
        assert reply.get("replace_original") is False
    assert "@rita" not in _team(tally)
    assert "@mona" not in tally.read(refused)


def test_an_answered_invitation_says_so_and_changes_nothing(tally: RunningTally) -> None:
    team_command(tally, MANAGER, f"team add <@{REP}>")
    invite = latest_invite(tally, REP)
    answer(tally, REP, invite=invite)

    again = answer(tally, REP, Action.TEAM_INVITE_DECLINE, invite=invite)

    assert "already accepted" in tally.read(again) and again["replace_original"] is True
    assert "@rita" in _team(tally)


def test_re_adding_says_already_on_the_team_or_still_pending(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])
    team_command(tally, MANAGER, f"team add <@{OTHER_REP}>")

    again = team_command(tally, MANAGER, f"team add <@{REP}> <@{OTHER_REP}>")

    assert "@rita is already on your team" in again
    assert "already asked @ravi" in again and "waiting for their answer" in again
    assert "Added" not in again and len(dms_to(tally, OTHER_REP)) == 1


def test_an_admin_adds_directly_and_the_rep_is_told(tally: RunningTally) -> None:
    added = team_command(tally, ADMIN, f"team add <@{REP}>")

    assert "Added @rita to your team" in added
    assert "@rita" in _team(tally, ADMIN)
    assert any("@ada added you to their team" in dm for dm in _read_dms(tally, REP, 1))


def test_a_moved_rep_and_their_old_manager_are_told(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])

    asked = team_command(tally, OTHER_REP, f"team add <@{REP}>")
    assert "asked @rita to join" in asked and "@mona's team" in asked
    assert "moves you from @mona's team" in tally.read(latest_invite(tally, REP))
    answer(tally, REP)

    assert "@rita" not in _team(tally) and "@rita" in _team(tally, OTHER_REP)
    mona_dms = _read_dms(tally, MANAGER, 2)
    assert any("@rita moved to @ravi's team" in dm for dm in mona_dms)

    team_command(tally, ADMIN, f"team add <@{REP}>")
    rita_dms = _read_dms(tally, REP, 3)
    assert any("moved you from @ravi's team to @ada's team" in dm for dm in rita_dms)
    assert any("@rita moved to @ada's team" in dm for dm in _read_dms(tally, OTHER_REP, 2))


def test_a_manager_up_the_chain_cannot_become_a_rep(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])  # mona manages rita
    join_team(tally, REP, [OTHER_REP])  # rita manages ravi

    for boss in (MANAGER, REP):
        refused = team_command(tally, OTHER_REP, f"team add <@{boss}>")
        assert "manages you" in refused and "asked" not in refused
    assert "@mona" not in _team(tally, OTHER_REP)
    assert "moves you" not in " ".join(tally.read(m) for m in dms_to(tally, MANAGER))


def test_a_cycle_formed_while_the_invitation_waited_is_refused_on_accept(
    tally: RunningTally,
) -> None:
    team_command(tally, OTHER_REP, f"team add <@{MANAGER}>")  # ravi asks mona, pending
    join_team(tally, MANAGER, [REP])  # meanwhile mona manages rita
    join_team(tally, REP, [OTHER_REP])  # and rita manages ravi

    refused = answer(tally, MANAGER)

    assert "manages you" in tally.read(refused) or "can't join" in tally.read(refused)
    assert "@mona" not in _team(tally, OTHER_REP)


def test_remove_withdraws_a_pending_invitation(tally: RunningTally) -> None:
    team_command(tally, MANAGER, f"team add <@{REP}>")

    removed = team_command(tally, MANAGER, f"team remove <@{REP}>")
    late = answer(tally, REP)

    assert "Withdrew your invitation to @rita" in removed
    assert "withdrawn" in tally.read(late) and late["replace_original"] is True
    assert "@rita" not in _team(tally)


def test_unknown_deactivated_and_bot_users_never_join_a_team(tally: RunningTally) -> None:
    tally.slack.add_user(GONE, "gone", deleted=True)
    tally.slack.add_user(ROBOT, "robot", is_bot=True)

    for manager in (ADMIN, MANAGER):
        seen = team_command(tally, manager, f"team add <@{GHOST}> <@{GONE}> <@{ROBOT}>")
        assert "isn't anyone in this workspace" in seen
        assert "deactivated" in seen and "is a bot" in seen
        assert "Added" not in seen and "asked" not in seen
        assert "U0GHOST" not in _team(tally, manager).replace("`U0GHOST`", "")
    assert _member(tally, GHOST) is None
    assert dms_to(tally, GONE) == [] and dms_to(tally, ROBOT) == []


def test_unknown_people_are_refused_by_tally_rep_and_plan_for(tally: RunningTally) -> None:
    week = tally.read(tally.later(ADMIN, "/tally", f"<@{GHOST}>"))
    tally.command(ADMIN, "/tally", f"plan add Acme Corp for <@{GHOST}>")
    plan = tally.read(tally.later_reply())

    assert "isn't anyone in this workspace" in week and "pts" not in week
    assert "isn't anyone in this workspace" in plan and "Added" not in plan
    assert _member(tally, GHOST) is None


def test_slack_failing_to_answer_about_a_rep_adds_no_one(tally: RunningTally) -> None:
    tally.command(MANAGER, "/tally")  # the manager's own profile is cached
    tally.slack.fail("users.info", 500, times=3)

    seen = team_command(tally, MANAGER, f"team add <@{REP}>")

    assert "couldn't check @rita with Slack" in seen.replace(f"<@{REP}>", "@rita")
    assert dms_to(tally, REP) == []


def test_a_bad_start_date_is_echoed_without_pinging_anyone(tally: RunningTally) -> None:
    ack = tally.command(MANAGER, "/tally", f"team add <@{REP}> start <!channel>")
    assert ack.status == 200
    reply = tally.later_reply()

    assert "is not a date" in tally.read(reply)
    assert "<!channel>" not in str(reply)
    assert dms_to(tally, REP) == []


def test_admin_rights_are_checked_again_once_the_profile_is_ten_minutes_old(
    tally: RunningTally,
) -> None:
    join_team(tally, MANAGER, [REP])
    assert "pts" in tally.read(tally.later(ADMIN, "/tally", f"<@{REP}>"))
    tally.slack.add_user(ADMIN, "ada", tz="Europe/London", is_admin=False)  # demoted in Slack
    with make_session_factory(tally.engine).begin() as session:
        eleven_minutes_ago = datetime.now(UTC) - timedelta(minutes=11)
        session.execute(
            update(Member).where(Member.user_id == ADMIN).values(tz_checked_at=eleven_minutes_ago)
        )

    seen = tally.read(tally.later(ADMIN, "/tally", f"<@{REP}>"))

    assert "Only @rita's manager or a Tally admin" in seen and "pts" not in seen
