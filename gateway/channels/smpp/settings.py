"""The `[channels.smpp]` config section: the SMPP channel and each bind to an SMSC.

Config (TOML):

    [channels.smpp]
    enabled = true
    [[channels.smpp.binds]]
    name = "telkomsel"
    host = "smsc.example"
    port = 2775
    system_id = "lapor"
    # the password is the secret named by password_secret (default smpp_password)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway.channels.smpp.addresses import MAX_ADDRESS_LENGTH
from gateway.config_schema import not_positive

#: the secret a bind's password is read from: this, or this + "_" + a name
PASSWORD_SECRET = "smpp_password"


@dataclass(frozen=True)
class SmppBindSettings:
    name: str = "default"                # names the bind in logs and metrics
    host: str = "127.0.0.1"
    port: int = 2775
    tls: bool = False
    tls_verify: bool = True              # check the SMSC's certificate (false only for tests)
    system_id: str = "lapor"             # the account: parts of a long SMS join across its binds
    password_secret: str = "smpp_password"
    system_type: str = ""
    address_range: str = ""
    interface_version: int = 0x34
    # "transceiver" (one connection both ways), or "pair" (a receiver and a transmitter),
    # or only "receiver" / "transmitter"
    mode: Literal["transceiver", "pair", "receiver", "transmitter"] = "transceiver"
    source_addr: str = "1708"            # our short code, the sender of replies
    window: int = 10                     # requests awaiting a response at once
    submit_per_second: float = 50.0      # the operator's agreed rate
    enquire_link_s: float = 30.0
    response_timeout_s: float = 10.0
    inactivity_s: float = 120.0          # nothing heard for this long: reconnect
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 60.0
    # what data_coding 0 means on this SMSC: the GSM default alphabet, or (some SMSCs)
    # Latin-1 / ASCII
    default_alphabet: Literal["gsm", "latin-1", "ascii"] = "gsm"

    def problems(self) -> list[str]:
        secret = self.password_secret
        found = []
        if secret != PASSWORD_SECRET and not (secret.startswith(PASSWORD_SECRET + "_")
                                              and secret[len(PASSWORD_SECRET) + 1:].isidentifier()):
            found.append(f"password_secret: must be {PASSWORD_SECRET} or {PASSWORD_SECRET}_<name>,"
                         f" got {secret!r}")
        if len(self.source_addr) > MAX_ADDRESS_LENGTH:
            # a submit_sm's source_addr: a C-string of 21 octets with its NUL
            found.append(f"source_addr: at most {MAX_ADDRESS_LENGTH} characters,"
                         f" got {self.source_addr!r}")
        return found + not_positive(self, "window", "submit_per_second", "enquire_link_s",
                                    "response_timeout_s", "inactivity_s", "reconnect_initial_s",
                                    "reconnect_max_s")


@dataclass(frozen=True)
class SmppSettings:
    enabled: bool = False
    binds: tuple[SmppBindSettings, ...] = (SmppBindSettings(),)
    # seconds to wait for the missing parts of a long SMS before forwarding what came
    concat_timeout_s: float = 300.0
    # an identical SMS (same sender and text) within this window is one complaint: the
    # SMSC delivering again after a lost response is not a new complaint
    dedup_window_s: float = 21600.0
    # how long a receipt that names no known reply yet is kept for a late match
    receipt_park_s: float = 600.0
    # a reply whose submit was in doubt (crash or dropped link) and that no delivery
    # receipt names within this many seconds of the attempt is taken as not sent and
    # sent again, once; longer is safer against a double, shorter answers sooner
    receipt_window_s: float = 600.0

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        names = [b.name for b in self.binds]
        found = [] if names else ["binds: [channels.smpp] is enabled but has no [[channels.smpp.binds]]"]
        if len(set(names)) != len(names):
            found.append(f"binds: the names of [[channels.smpp.binds]] must differ: {names}")
        for i, bind in enumerate(self.binds):
            found += [f"binds[{i}].{problem}" for problem in bind.problems()]
        return found + not_positive(self, "concat_timeout_s", "dedup_window_s", "receipt_park_s",
                                    "receipt_window_s")
