"""The README's first command: the demo runs the gateway against the bundled SMSC
simulator and shows complaints with tracking numbers and delivered replies."""
import re

from tests.support import cli


def test_demo_shows_complaints_with_tracking_numbers_and_delivered_replies(tmp_path):
    result = cli("demo", "--state-directory", tmp_path / "demo", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = re.findall(r"^  #(\d{7,}) +(routed|ambiguous|unrouted) .* reply (\w+)$", result.stdout, re.M)
    assert len(rows) == 5
    assert {status for _, _, status in rows} == {"DELIVRD"}
    assert {routing for _, routing, _ in rows} == {"routed", "ambiguous", "unrouted"}
    assert "1 repeated SMS recognised as the same complaint" in result.stdout
    for tracking, _, _ in rows:
        assert f"nomor #{tracking}" in result.stdout
