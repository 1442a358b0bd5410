"""`/tally team add` and `/tally team remove`: who is on whose team.

Admins add reps directly; anyone else asks, and the rep joins only by accepting the DM. Every
rep put on a team, moved, or asked hears of it; nobody can become their own boss's manager.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.people import (
    NotAPerson,
    SlackSilent,
    confirmed_admin,
    member_with_profile,
    mentioned_people,
    named_person,
    parse_mentions,
    why_not_counted,
)
from handlers.render import message, say
from handlers.slack_text import to_plain
from handlers.team_invites import invitation, send_dm
from storage.invites import ask_to_join, withdraw
from storage.members import get_member, managers_above, remove_from_team, set_manager
from storage.models import Member

_START = re.compile(r"\bstart\s+(\S+)", re.IGNORECASE)


@dataclass
class _Outcomes:
    """What happened to each rep named, grouped the way the reply words it."""

    added: list[str]
    asked: list[str]
    lines: list[str]  # one rendered line per rep that needs its own words

    def reply(self, start: date | None) -> str:
        when = f"{start:%-d %b %Y}" if start else None
        head = say("team_added", added=self.added, asked=self.asked, start=when)
        return "\n".join(line for line in (head, *self.lines) if line)


def add_reps(deps: Deps, client: WebClient, team_id: str, manager_id: str, rest: str) -> str:
    """The manager's reply to `/tally team add <rest>`."""
    ids, problem = _reps_in(client, rest)
    if problem:
        return problem
    start: date | None = None
    if match := _START.search(rest):
        try:
            start = date.fromisoformat(match.group(1))
        except ValueError:
            return say("team_bad_start", typed=to_plain(match.group(1)))
    if manager_id in ids:
        return say("team_self")
    manager = member_with_profile(deps, client, team_id, manager_id)
    direct = confirmed_admin(deps, client, manager)
    outcomes = _Outcomes([], [], [])
    for rep_id in ids:
        _add_one(deps, client, manager, rep_id, start, direct, outcomes)
    return outcomes.reply(start)


def _add_one(
    deps: Deps,
    client: WebClient,
    manager: Member,
    rep_id: str,
    start: date | None,
    direct: bool,
    outcomes: _Outcomes,
) -> None:
    team_id, manager_id, now = manager.team_id, manager.user_id, deps.clock()
    try:
        named_person(deps, client, team_id, rep_id, fresh=True)
    except (NotAPerson, SlackSilent) as error:
        outcomes.lines.append(why_not_counted(error))
        return
    with deps.sessions.begin() as session:
        if rep_id in managers_above(session, team_id, manager_id):
            outcomes.lines.append(say("team_cycle", rep_id=rep_id))
            return
        rep = get_member(session, team_id, rep_id)
        current = rep.manager_id if rep is not None else None
        if current == manager_id:
            set_manager(session, team_id, rep_id, manager_id, start, now)
            outcomes.lines.append(say("team_already", rep_id=rep_id))
            return
        if direct:
            set_manager(session, team_id, rep_id, manager_id, start, now)
        else:
            invite, opened = ask_to_join(session, team_id, rep_id, manager_id, start, now)
            if not opened:
                outcomes.lines.append(say("team_pending", rep_id=rep_id))
                return
            invite_id = invite.id
    if direct:
        _tell_direct_add(client, rep_id, manager_id, current)
        outcomes.added.append(rep_id)
    elif send_dm(client, rep_id, invitation(invite_id, manager_id, start, current)):
        outcomes.asked.append(rep_id)
        if current:
            outcomes.lines.append(say("team_asked_moves", rep_id=rep_id, current=current))
    else:
        with deps.sessions.begin() as session:
            withdraw(session, team_id, rep_id, manager_id, deps.clock())
        outcomes.lines.append(say("team_dm_failed", rep_id=rep_id))


def _tell_direct_add(client: WebClient, rep_id: str, manager_id: str, left: str | None) -> None:
    """An admin's add needs no consent, but the rep (and a manager they left) is told."""
    send_dm(client, rep_id, message(say("team_added_you", manager_id=manager_id, left=left)))
    if left:
        send_dm(client, left, message(say("team_rep_moved", rep_id=rep_id, manager_id=manager_id)))


def remove_reps(deps: Deps, client: WebClient, team_id: str, manager_id: str, rest: str) -> str:
    """The reply to `/tally team remove <rest>`; a pending invitation is withdrawn instead."""
    ids, problem = _reps_in(client, rest)
    if problem:
        return problem
    manager = member_with_profile(deps, client, team_id, manager_id)
    admin = confirmed_admin(deps, client, manager)
    removed, withdrawn, kept = [], [], []
    with deps.sessions.begin() as session:
        for rep_id in ids:
            rep = get_member(session, team_id, rep_id)
            owner = rep.manager_id if admin and rep is not None and rep.manager_id else manager_id
            invited = withdraw(session, team_id, rep_id, manager_id, deps.clock())
            if rep is not None and remove_from_team(session, team_id, rep_id, owner):
                removed.append(rep_id)
            elif invited:
                withdrawn.append(rep_id)
            else:
                kept.append(rep_id)
    return say("team_removed", removed=removed, withdrawn=withdrawn, kept=kept)


def _reps_in(client: WebClient, rest: str) -> tuple[list[str], str | None]:
    ids, problem = mentioned_people(client, parse_mentions(_START.sub(" ", rest)))
    if problem:
        return [], problem
    if not ids:
        return [], say("team_mention_reps")
    return ids, None
