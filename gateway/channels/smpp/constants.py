"""SMPP 3.4 numbers the channel needs by name: command ids, command_status values,
esm_class bits and message states.

smpplib has most of them under long names and lacks some (the esm_class value of an
SMSC delivery receipt); naming them here keeps the rest of the package readable.
"""
from __future__ import annotations

from smpplib import command_codes, consts

#: command name -> command_id, straight from smpplib's table
COMMAND_IDS: dict[str, int] = dict(command_codes.commands)
COMMAND_NAMES: dict[int, str] = {v: k for k, v in COMMAND_IDS.items()}
RESPONSE_BIT = 0x80000000

GENERIC_NACK = COMMAND_IDS["generic_nack"]
BIND_TRANSCEIVER = COMMAND_IDS["bind_transceiver"]
SUBMIT_SM = COMMAND_IDS["submit_sm"]
DELIVER_SM = COMMAND_IDS["deliver_sm"]
ENQUIRE_LINK = COMMAND_IDS["enquire_link"]
UNBIND = COMMAND_IDS["unbind"]

# command_status
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RINVMSGID = 0x0C
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64   # temporary application error: "deliver again later"
ESME_RX_P_APPN = 0x65   # permanent application error
ESME_RX_R_APPN = 0x66
ESME_RINVOPTPARSTREAM = 0xC0
ESME_RUNKNOWNERR = 0xFF

#: command_status -> its SMPP 3.4 name, from smpplib's table (SMPP_ESME_RINVPASWD -> ESME_RINVPASWD)
STATUS_NAMES: dict[int, str] = {value: name.removeprefix("SMPP_") for name, value in vars(consts).items()
                                if name.startswith("SMPP_ESME_")}

# esm_class: message type (bits 5..2) and GSM features (bits 7..6)
ESM_MESSAGE_TYPE_MASK = 0x3C
ESM_DEFAULT = 0x00
ESM_SMSC_DELIVERY_RECEIPT = 0x04      # smpplib has no name for this one
ESM_SME_DELIVERY_ACK = 0x08
ESM_SME_MANUAL_ACK = 0x10
ESM_CONVERSATION_ABORT = 0x18
ESM_INTERMEDIATE_NOTIFICATION = 0x20
ESM_UDHI = 0x40
ESM_REPLY_PATH = 0x80

# registered_delivery
REGISTERED_DELIVERY_NONE = 0x00
REGISTERED_DELIVERY_FINAL = 0x01
REGISTERED_DELIVERY_FAILURE = 0x02

# message_state TLV values (SMPP 3.4 §5.2.28) and the receipt-text word for each
MESSAGE_STATES: dict[int, str] = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
MESSAGE_STATE_NUMBERS: dict[str, int] = {v: k for k, v in MESSAGE_STATES.items()}

INTERFACE_VERSION_34 = 0x34

# data_coding values the channel understands
CODING_DEFAULT = 0x00   # SMSC default alphabet, GSM 03.38 in practice
CODING_IA5 = 0x01
CODING_BINARY = 0x02
CODING_LATIN1 = 0x03
CODING_BINARY2 = 0x04
CODING_UCS2 = 0x08


def command_name(command_id: int) -> str | None:
    return COMMAND_NAMES.get(command_id)


def status_text(status: int) -> str:
    """`ESME_RINVPASWD (0x0e)`: the name an SMSC's documentation and its support desk use,
    with the number the wire carries; `0x401 (vendor-specific)` for an SMSC's own."""
    name = STATUS_NAMES.get(status)
    if name:
        return f"{name} (0x{status:02x})"
    return f"0x{status:02x} ({'vendor-specific' if 0x400 <= status <= 0x4FF else 'no SMPP 3.4 name'})"


def is_response_id(command_id: int) -> bool:
    return bool(command_id & RESPONSE_BIT)
