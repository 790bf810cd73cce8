"""What the bodies of the hot PDU kinds look like, for the fast codec (fast_pdus.py).

The hot kinds are the ones every citizen's SMS costs: deliver_sm and its response (the
MO, and the receipt of our reply), submit_sm and its response (the reply), and
enquire_link and its response (keep-alive). Their layouts are read once, at import,
from smpplib's command tables — the same field names, order and types the smpplib
codec uses, so a `Pdu` is the same whichever codec made it — and corrected where
smpplib disagrees with SMPP 3.4 (v3.4 Issue 1.2):

- source_addr_subunit is a 1-octet integer (§5.3.2.2); smpplib writes 2 octets;
- source_subaddress and dest_subaddress are octet strings (§5.3.2.15, §5.3.2.16):
  written without a NUL (smpplib appends one). Read as smpplib reads them (text up
  to the first NUL), so a decoded `Pdu` does not change;
- alert_on_message_delivery is a TLV of length 0 (§5.3.2.41); smpplib never writes it;
- a submit_sm_resp whose command_status is not 0 has no body (§4.4.2); smpplib
  writes an empty message_id.

Mandatory fields are `Step`s in wire order; adjacent integers of a request form one
step read with one `struct` (responses keep one step per field: an error response may
stop after any of them).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from smpplib import command as smpp_command
from smpplib import consts as smpp_consts
from smpplib.ptypes import flag, ostr

from gateway.channels.smpp.constants import COMMAND_IDS, RESPONSE_BIT

#: command name -> smpplib's class for it (whose tables the layouts are read from)
HOT_COMMANDS: dict[str, type] = {
    "deliver_sm": smpp_command.DeliverSM,
    "deliver_sm_resp": smpp_command.DeliverSMResp,
    "submit_sm": smpp_command.SubmitSM,
    "submit_sm_resp": smpp_command.SubmitSMResp,
    "enquire_link": smpp_command.EnquireLink,
    "enquire_link_resp": smpp_command.EnquireLinkResp,
}

# Kinds of mandatory step
INTS = "ints"          # one or more adjacent big-endian unsigned integers
CSTRING = "cstring"    # NUL-terminated, at most `limit` octets with the NUL
OCTETS = "octets"      # sized by an earlier integer field (short_message by sm_length)

# Kinds of TLV value
TLV_INT = "int"
TLV_CSTRING = "cstring"
TLV_OCTETS = "octets"
TLV_FLAG = "flag"              # present or absent, length 0
TLV_SUBADDRESS = "subaddress"  # octet string written, read as smpplib's C-string

_INT_FORMATS = {1: "B", 2: "H", 4: "L"}
#: SMPP 3.4 sizes where smpplib's table says otherwise
_SPEC_INT_SIZES = {"source_addr_subunit": 1}
_SUBADDRESSES = {"source_subaddress", "dest_subaddress"}
#: responses whose body is left out when command_status is not 0 (SMPP 3.4 §4.4.2)
_BODILESS_ON_ERROR = {"submit_sm_resp"}


@dataclass(frozen=True)
class Step:
    """One mandatory field, or a run of adjacent integer fields."""

    kind: str
    names: tuple[str, ...]
    packer: struct.Struct | None = None   # INTS
    limit: int = 0                        # CSTRING: octets with the NUL; OCTETS: octets
    length_field: str | None = None       # OCTETS: the field that gives its length


@dataclass(frozen=True)
class Tlv:
    """One optional parameter a command defines."""

    name: str
    tag: int
    kind: str
    order: int          # its place among the TLVs written (smpplib's order)
    limit: int = 0      # TLV_CSTRING: octets with the NUL
    packer: struct.Struct | None = None   # TLV_INT: tag, length and value


@dataclass(frozen=True)
class Layout:
    """The body of one hot command."""

    command: str
    command_id: int
    steps: tuple[Step, ...]
    tlvs_by_tag: dict[int, Tlv]
    tlvs_by_name: dict[str, Tlv]
    empty_fields: dict[str, None] = field(repr=False)   # every field, in smpplib's order
    sized: Step | None = None        # the OCTETS step (short_message), if any
    bodiless_on_error: bool = False

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)


def _is_optional(cls: type, name: str) -> bool:
    return name in smpp_consts.OPTIONAL_PARAMS and name not in getattr(cls, "mandatory_fields", ())


def _mandatory_steps(cls: type, merge_ints: bool) -> tuple[Step, ...]:
    steps: list[Step] = []
    for name in cls.params_order:
        if _is_optional(cls, name):
            break   # smpplib's rule: the mandatory part ends at the first optional field
        param = cls.params[name]
        if param.type is int:
            fmt = _INT_FORMATS[param.size]
            last = steps[-1] if steps else None
            if merge_ints and last is not None and last.kind == INTS:
                names, fmt = last.names + (name,), last.packer.format[1:] + fmt
                steps[-1] = Step(INTS, names, struct.Struct(">" + fmt))
            else:
                steps.append(Step(INTS, (name,), struct.Struct(">" + fmt)))
        elif param.type is str:
            steps.append(Step(CSTRING, (name,), limit=param.max))
        elif param.type is ostr:
            steps.append(Step(OCTETS, (name,), limit=param.max, length_field=param.len_field))
        else:
            raise TypeError(f"{cls.__name__}.{name}: no fast layout for {param.type}")
    return tuple(steps)


def _tlv(name: str, param, order: int) -> Tlv:
    tag = smpp_consts.OPTIONAL_PARAMS[name]
    if name in _SUBADDRESSES:
        return Tlv(name, tag, TLV_SUBADDRESS, order)
    if param.type is int:
        size = _SPEC_INT_SIZES.get(name, param.size)
        return Tlv(name, tag, TLV_INT, order, packer=struct.Struct(">HH" + _INT_FORMATS[size]))
    if param.type is str:
        return Tlv(name, tag, TLV_CSTRING, order, limit=param.max)
    if param.type is flag:
        return Tlv(name, tag, TLV_FLAG, order)
    return Tlv(name, tag, TLV_OCTETS, order)


def layout_of(command: str) -> Layout:
    cls = HOT_COMMANDS[command]
    command_id = COMMAND_IDS[command]
    optional = [n for n in cls.params_order if _is_optional(cls, n)]
    tlvs = [_tlv(name, cls.params[name], order) for order, name in enumerate(optional)]
    steps = _mandatory_steps(cls, merge_ints=not command_id & RESPONSE_BIT)
    return Layout(
        command=command,
        command_id=command_id,
        steps=steps,
        tlvs_by_tag={t.tag: t for t in tlvs},
        tlvs_by_name={t.name: t for t in tlvs},
        empty_fields=dict.fromkeys(cls.params_order),
        sized=next((step for step in steps if step.kind == OCTETS), None),
        bodiless_on_error=command in _BODILESS_ON_ERROR,
    )


#: command_id -> Layout, and command name -> Layout, for every hot command
LAYOUTS: dict[int, Layout] = {}
LAYOUTS_BY_NAME: dict[str, Layout] = {}
for _name in HOT_COMMANDS:
    LAYOUTS_BY_NAME[_name] = LAYOUTS[COMMAND_IDS[_name]] = layout_of(_name)
