"""Which senders an SMS reply must not be sent to (addresses.py)."""
import pytest

from gateway.channels.smpp.addresses import reply_address, reply_address_problem


def context(reply_to, ton=1, source_addr="1708"):
    return {"bind": "default", "reply_to": reply_to, "source_addr": source_addr,
            "dest_addr_ton": ton, "dest_addr_npi": 1}


@pytest.mark.parametrize("recipient, reply_context, problem", [
    ("+6281234567890", context("6281234567890"), None),
    ("+6281234567890", context("+6281234567890"), None),              # '+' kept as given
    ("1708", context("123", ton=6), None),                             # a short number
    ("+6281234567890", {}, None),                                      # no context: the recipient
    ("+" + "1" * 20, {}, None),                                        # 20 digits fit
    ("", context(""), "empty sender address"),
    (None, {}, "empty sender address"),
    ("BANK-XYZ", context("BANK-XYZ", ton=5), "alphanumeric"),
    ("62812", context("62812", ton=5), "alphanumeric"),                # TON 5 whatever it says
    ("Telkomsel", context("Telkomsel", ton=0), "not a number"),        # TON unknown, letters
    ("+62 812", context("62 812"), "not a number"),
    ("٦٢٨١٢", context("٦٢٨١٢"), "not a number"),                       # digits, not ASCII ones
    ("+" + "1" * 21, context("1" * 21), "longer than 20"),
    ("+" + "1" * 20, context("+" + "1" * 20), "longer than 20"),      # 21 octets on the wire
    ("1708", context("1708"), "own short code"),
    ("+6281234567890", context("6281234567890", source_addr="1" * 21), "our address"),
])
def test_reply_address_problem(recipient, reply_context, problem):
    found = reply_address_problem(recipient, reply_context)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_reply_address_is_what_the_submit_carries():
    assert reply_address("+6281234567890", context("6281234567890")) == "6281234567890"
    assert reply_address("+6281234567890", {}) == "6281234567890"


def test_a_source_addr_no_submit_sm_can_carry_is_a_config_problem():
    from gateway.channels.smpp.settings import SmppBindSettings

    assert SmppBindSettings(source_addr="1" * 20).problems() == []
    (problem,) = SmppBindSettings(source_addr="1" * 21).problems()
    assert problem.startswith("source_addr: at most 20 characters")
