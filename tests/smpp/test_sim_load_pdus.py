"""The load mode's bytes: pre-encoded MOs decode with smpplib (our codec) to the
fields intended, the hand-written encoder writes what smpplib writes, and the fast
submit_sm reader reads what smpplib wrote."""
import pytest

from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import CODING_DEFAULT, ESM_SMSC_DELIVERY_RECEIPT
from gateway.channels.smpp.text import decode_text, gsm_cost
from gateway.smsc_sim import fastpdu
from gateway.smsc_sim.load_pool import MoPool, mo_number, one_segment, sender
from gateway.smsc_sim.mo import REGIONS


@pytest.mark.parametrize("number, sequence", [(0, 1), (7, 0x7FFFFFFF), (12_345_678, 42),
                                              (99_999_999, 3)])
def test_a_pre_encoded_mo_decodes_to_the_fields_intended(number, sequence):
    pool = MoPool(16, seed=1)
    pdu = codec.decode(bytes(pool.pdu(number, sequence)))
    assert (pdu.command, pdu.sequence, pdu.status) == ("deliver_sm", sequence, 0)
    assert pdu.source_addr == sender(number) == f"62812{number:08d}"
    assert (pdu.source_addr_ton, pdu.source_addr_npi) == (1, 1)
    assert pdu.destination_addr == "1708"
    assert (pdu.data_coding, pdu.esm_class) == (CODING_DEFAULT, 0)
    assert decode_text(pdu.short_message, CODING_DEFAULT).text == pool.text(number)
    assert pdu.unknown_tlvs == ()


def test_the_pool_holds_realistic_single_segment_texts_of_varied_length():
    pool = MoPool(200, seed=1708)
    lengths = [len(t) for t in pool.texts]
    assert min(lengths) < 60 and max(lengths) > 140          # short and long complaints
    assert all(sum(gsm_cost(c) for c in t) <= 160 for t in pool.texts)
    assert all(t.split()[0] in REGIONS for t in pool.texts)
    assert len({t.split()[0] for t in pool.texts}) >= 10      # many regions
    assert MoPool(200, seed=1708).texts == pool.texts          # the same for a seed


def test_one_segment_cuts_at_a_word():
    text = "Semarang " + "jalan rusak " * 30
    cut = one_segment(text)
    assert len(cut) <= 160 and text.startswith(cut) and not cut.endswith(" ")
    assert one_segment("Malang Banjir 🙏") == "Malang Banjir "


def test_replies_are_matched_to_their_mo_by_destination():
    assert mo_number("6281200000042") == 42
    assert mo_number("+6281200000042") == 42
    assert mo_number("6281300000042") is None
    assert mo_number("62812000042") is None
    assert mo_number("62812abcdefgh") is None


def test_the_hand_encoder_writes_what_smpplib_writes():
    fields = dict(source_addr="6281200000001", destination_addr="1708", esm_class=ESM_SMSC_DELIVERY_RECEIPT,
                  short_message=b"id:001A2B3C01 sub:001 dlvrd:001 stat:DELIVRD err:000 text:LAPOR!",
                  message_state=2, receipted_message_id="001A2B3C01")
    assert fastpdu.deliver_sm(9, **fields) == codec.encode_with_smpplib("deliver_sm", 9, **fields)
    mo = dict(source_addr="6281200000001", destination_addr="1708", source_addr_ton=1,
              source_addr_npi=1, data_coding=0, short_message=b"Malang Jalan rusak")
    assert fastpdu.deliver_sm(5, **mo) == codec.encode_with_smpplib("deliver_sm", 5, **mo)
    assert fastpdu.with_message_id(fastpdu.SUBMIT_SM_RESP, 4, "00AB") == codec.encode_with_smpplib(
        "submit_sm_resp", 4, message_id="00AB")
    assert fastpdu.header_only(fastpdu.ENQUIRE_LINK_RESP, 8) == codec.encode_with_smpplib("enquire_link_resp", 8)


def test_the_fast_submit_reader_reads_what_smpplib_wrote():
    data = codec.encode_with_smpplib("submit_sm", 3, source_addr="1708", destination_addr="6281200000007",
                        dest_addr_ton=1, esm_class=0x40, registered_delivery=1, data_coding=8,
                        validity_period="000001000000000R", short_message=b"\x05\x00\x03\x01\x02\x01hi")
    assert fastpdu.parse_submit_sm(data, 16, len(data)) == (
        "1708", "6281200000007", 0x40, 1, 8, b"\x05\x00\x03\x01\x02\x01hi")
    with pytest.raises(ValueError):
        fastpdu.parse_submit_sm(data, 16, len(data) - 3)
    with pytest.raises(ValueError):
        fastpdu.parse_submit_sm(data, 16, 20)
