"""The README's first command: the demo runs the gateway against the bundled SMSC
simulator and shows complaints with tracking numbers and delivered replies, then the
citizen's loop on each channel (a status query, a pushed update)."""
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
    assert_the_loop_on_each_channel(result.stdout, {t: c for t, c, _, _ in rows})


def assert_the_loop_on_each_channel(stdout: str, channel_of: dict[str, str]) -> None:
    """Issue 16: on SMS, X and Telegram a citizen asks for their own case's status and gets
    it, then hears (delivered) when the case moved."""
    loop = stdout.split("The citizen's loop", 1)[1]
    asked = re.findall(r"^  #(\d+) +(sms|x|telegram) +asks: +(.+)\n      answer: (.+)\n"
                       r"      update (\w+): (.+)$", loop, re.M)
    assert sorted(channel for _, channel, *_ in asked) == ["sms", "telegram", "x"]
    delivered = {"sms": "DELIVRD", "x": "POSTED", "telegram": "DELIVERED"}
    for tracking, channel, question, answer, status, update in asked:
        assert channel_of[tracking] == channel, "each asks about the case they filed there"
        assert tracking in question
        assert answer.startswith(f"LAPOR! Aduan #{tracking}: menunggu verifikasi ("), answer
        assert update.startswith(f"LAPOR! Aduan #{tracking} sudah diverifikasi"), update
        assert status == delivered[channel]
