"""`tally demo`, the README's main job: it must keep running and keep showing a real week."""

import os
import subprocess
import sys


def test_demo_plays_a_week_and_a_friday_through_the_real_server() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    shown = done.stdout
    assert "I asked @alex, @sam, @priya to join your team" in shown
    assert "@maya asked you to join their team" in shown and "[Accept] [Decline]" in shown
    assert "Alex Rivera clicks: Accept" in shown and "You joined @maya's team" in shown
    assert "Alex Rivera types: /log demo self-led" in shown and "+25 pts" in shown
    assert "This looks like a duplicate" in shown
    assert "Undone: *1 closed-won deal*" in shown
    assert "I don't know “demmo”" in shown
    assert "<!channel> ping attempt" in shown  # shown as text, never a ping
    assert "Only @alex's manager or a Tally admin" in shown
    assert "digests 20" in shown and "1 sent, 0 already sent, 0 failed" in shown
    assert "*Weekly digest*" in shown and "*Leaderboard*" in shown
    assert "[Mark reviewed] [Snooze 7 days]" in shown
