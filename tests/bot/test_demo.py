"""`tally demo`, the README's main job: it must keep running and keep showing a real week."""

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image


def test_demo_plays_a_week_and_a_friday_through_the_real_server(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--out", str(tmp_path)],
        env=clean,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    shown = done.stdout
    assert "clicks Add to Slack, approves:" in shown and "answers HTTP 200 “Thank you!”" in shown
    assert "I asked @alex, @sam, @priya to join your team" in shown
    assert "@maya asked you to join their team" in shown and "[Accept] [Decline]" in shown
    assert "Alex Rivera clicks: Accept" in shown and "You joined @maya's team" in shown
    assert "Alex Rivera types: /log demo self-led" in shown and "+25 pts" in shown
    assert "This looks like a duplicate" in shown
    assert "Undone: *1 closed-won deal*" in shown
    assert "I don't know “demmo”" in shown
    assert "<!channel> ping attempt" in shown  # shown as text, never a ping
    assert "Only @alex's manager or a Tally admin" in shown
    assert "HTTP 201: 1 × Meeting booked, +10" in shown
    assert "Logged *1 meeting booked* — *+10 pts*\n   │ _Logged for you by Salesforce._" in shown
    assert "digests 20" in shown and "1 sent, 0 already sent, 0 failed" in shown
    assert "*Weekly digest*" in shown and "*Leaderboard*" in shown
    assert "[Mark reviewed] [Snooze 7 days]" in shown
    assert "Alex Rivera opens Tally's App Home" in shown and "[Edit] [Undo]" in shown
    assert "Maya Chen opens Tally's App Home" in shown and "Your team this week" in shown
    wins = shown[shown.index("── #wins") : shown.index("══ Friday 15:00")]
    cheers = [line.strip(" │") for line in wins.splitlines() if ":tada:" in line]
    assert cheers == [
        ":tada: @sam closed Acme Corp — $12,500",  # the duplicate's cheer went with its undo
        ":tada: @sam closed Initech — $8,000",
    ]
    assert "*Closed-won:* $20,500 in 2 deals · average deal $10,250" in shown
    assert "📎 tally-team-" in shown  # the digest's team chart
    for name in ("rep-weeks.png", "team-week.png"):
        assert f"saved the PNG Tally uploaded to {tmp_path / name}" in shown
        with Image.open(tmp_path / name) as chart:
            assert chart.format == "PNG" and chart.width >= 800
