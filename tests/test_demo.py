"""The README's first command: the demo runs the gateway against the bundled SMSC
simulator and shows complaints with tracking numbers and delivered replies."""
import re

from tests.support import cli


def test_demo_shows_complaints_with_tracking_numbers_and_delivered_replies(tmp_path):
    result = cli("demo", "--state-directory", tmp_path / "demo", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = re.findall(r"^  #(\d{7,}) +(sms|x|telegram) +(routed|ambiguous|unrouted) .* reply (\w+)$",
                      result.stdout, re.M)
    channels = [channel for _, channel, _, _ in rows]
    assert channels[:5] == ["sms"] * 5 and sorted(channels[5:]) == ["telegram", "x"]
    assert {status for _, channel, _, status in rows if channel == "sms"} == {"DELIVRD"}
    assert {routing for _, _, routing, _ in rows} == {"routed", "ambiguous", "unrouted"}
    assert "1 repeated message recognised as the same complaint" in result.stdout
    assert len({tracking for tracking, _, _, _ in rows}) == 7
    for tracking, _, _, _ in rows:
        assert f"#{tracking}" in result.stdout.split("reply:", 1)[1]
    assert "The bot's answer to /bantuan" in result.stdout
