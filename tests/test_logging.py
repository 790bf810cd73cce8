"""Logging: JSON lines, Twisted and stdlib bridged in, personal data only pseudonymised,
message text only at DEBUG."""
import io
import json
import logging

from twisted.logger import Logger

from gateway import logging as gwlog


def capture(level="info"):
    stream = io.StringIO()
    gwlog.configure(level, "json", stream)
    gwlog.set_pseudonym_key(b"test-key")
    return stream


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_personal_data_is_pseudonymised_stably_and_text_hidden_at_info():
    stream = capture("info")
    log = gwlog.get_logger("test")
    log.info("message accepted", sender="+6281234567890", text="PekalonganKota Jalan rusak")
    log.info("message accepted", sender="+6281234567890", chat_id=987654321)
    first, second = lines(stream)
    assert "+6281234567890" not in stream.getvalue()
    assert "Jalan rusak" not in stream.getvalue()
    assert first["sender"] == second["sender"] == gwlog.pseudonym("+6281234567890")
    assert first["sender"].startswith("p:") and second["chat_id"].startswith("p:")
    assert first["text"] == "<26 chars>"


def test_text_is_logged_at_debug_but_numbers_still_masked():
    stream = capture("debug")
    gwlog.get_logger("test").debug("parsed", text="Jalan rusak", sender="081234567890")
    (entry,) = lines(stream)
    assert entry["text"] == "Jalan rusak" and entry["sender"].startswith("p:")


def test_phone_numbers_in_free_text_are_masked():
    stream = capture()
    logging.getLogger("somelib").warning("cannot reach +62 812-3456-7890 now")
    gwlog.get_logger("test").error("failed for 6281234567890")
    assert "7890" not in stream.getvalue()
    assert [e["level"] for e in lines(stream)] == ["warning", "error"]


def test_twisted_and_stdlib_logs_arrive_as_json():
    stream = capture()
    Logger(namespace="twisted.test").info("twisted says {what}", what="hello")
    logging.getLogger("sqlalchemy.x").warning("stdlib says hi")
    entries = lines(stream)
    assert {"twisted says hello", "stdlib says hi"} <= {e["event"] for e in entries}
    assert all("timestamp" in e and "level" in e for e in entries)
