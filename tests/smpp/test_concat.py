"""Long-message reassembly: every way of signalling parts, any order, two senders."""
from gateway.channels.smpp.concat import GAP_MARKER, Reassembler, segment_of
from gateway.smsc_sim.mo import MoSpec, deliver_sm_fields

LONG = ("PekalonganKota Jalan rusak di Jl. Merdeka. Mohon segera ditindaklanjuti karena "
        "sudah berbulan-bulan tidak ada perbaikan dan membahayakan pengendara motor "
        "terutama pada malam hari. Warga sudah melapor ke kelurahan {tanpa} tanggapan. "
        "Lubangnya makin lebar setiap hujan turun; tolong diperbaiki sebelum ada korban.")


def segments(spec, ref, bind="smsc-a"):
    return [segment_of(f, bind) for f in deliver_sm_fields(spec, ref)]


def test_udh8_parts():
    segs = segments(MoSpec("+6281", LONG, concat="udh8"), 0xAB)
    assert len(segs) == 3 and {s.ref for s in segs} == {0xAB}
    assert [s.seqnum for s in segs] == [1, 2, 3] and segs[0].total == 3
    assert segs[0].key == ("smsc-a", "+6281", "1708", 0xAB, 3)


def test_udh16_and_sar_and_payload():
    for concat, ref in (("udh16", 0xBEEF), ("sar", 0x1234)):
        segs = segments(MoSpec("+6281", LONG, concat=concat), ref)
        assert {s.ref for s in segs} == {ref} and len(segs) == 3
    (whole,) = segments(MoSpec("+6281", LONG, concat="payload"), 1)
    assert whole.single and Reassembler().add(whole).text == LONG


def test_out_of_order_and_interleaved_senders_with_same_reference():
    r = Reassembler()
    a = segments(MoSpec("+62811", LONG), 7)
    b = segments(MoSpec("+62822", LONG.replace("Jalan", "JALAN")), 7)
    order = [a[2], b[1], b[2], a[0], b[0], a[1]]
    done = [m for m in (r.add(s, now=1.0) for s in order) if m]
    assert [(m.sender, m.text) for m in done] == [
        ("+62822", LONG.replace("Jalan", "JALAN")), ("+62811", LONG)]
    assert not any(m.partial for m in done) and len(r) == 0


def test_duplicate_part_ignored_and_recognised_after_completion():
    r = Reassembler()
    a = segments(MoSpec("+62811", LONG), 9)
    assert r.add(a[0], now=1.0) is None
    assert r.is_duplicate(a[0], now=1.0) and r.add(a[0], now=1.0) is None
    r.add(a[1], now=2.0)
    assert r.add(a[2], now=3.0).text == LONG
    assert r.is_duplicate(a[1], now=4.0)          # SMSC delivers a part again
    assert r.add(a[1], now=4.0) is None and len(r) == 0


def test_undo_reopens_a_message_whose_commit_failed():
    r = Reassembler()
    a = segments(MoSpec("+62811", LONG), 9)
    r.add(a[0], now=1.0), r.add(a[1], now=1.0)
    assert r.add(a[2], now=1.0) is not None
    r.undo(a[2])
    assert not r.is_duplicate(a[2], now=2.0)
    assert r.add(a[2], now=2.0).text == LONG


def test_expiry_yields_partial_text_with_gap():
    r = Reassembler()
    a = segments(MoSpec("+62811", LONG), 3)
    r.add(a[0], now=10.0)
    r.add(a[2], now=11.0)
    assert r.expired(now=50.0, timeout=60.0) == []
    (msg,) = r.expired(now=70.0, timeout=60.0)
    assert msg.partial and msg.missing == (2,) and msg.seqnums == (1, 3)
    assert GAP_MARKER in msg.text and msg.text.startswith("PekalonganKota")
    assert len(r) == 0


def test_ucs2_surrogate_pair_split_across_parts_is_joined():
    raw = "Banjir 😡 lagi".encode("utf-16-be")
    cut = raw.index("😡".encode("utf-16-be")) + 2          # between the surrogates
    parts = [raw[:cut], raw[cut:]]
    fields = [{"source_addr": "+6281", "destination_addr": "1708", "esm_class": 0x40,
               "data_coding": 8, "short_message": bytes([5, 0, 3, 4, 2, n]) + p}
              for n, p in enumerate(parts, 1)]
    r = Reassembler()
    r.add(segment_of(fields[1], "b"), now=0)
    assert r.add(segment_of(fields[0], "b"), now=0).text == "Banjir 😡 lagi"


def test_gsm_escape_split_across_parts_is_joined():
    fields = [{"source_addr": "+6281", "destination_addr": "1708", "esm_class": 0x40,
               "data_coding": 0, "short_message": bytes([5, 0, 3, 4, 2, n]) + p}
              for n, p in enumerate([b"harga 10\x1b", b"e naik"], 1)]
    r = Reassembler()
    r.add(segment_of(fields[0], "b"), now=0)
    assert r.add(segment_of(fields[1], "b"), now=0).text == "harga 10€ naik"


def test_restore_reloads_parts_and_returns_complete_ones():
    a = segments(MoSpec("+62811", LONG), 5)
    b = segments(MoSpec("+62822", LONG), 5)
    r = Reassembler()
    done = r.restore([(s, 1.0) for s in a] + [(b[0], 2.0)])
    assert [m.text for m in done] == [LONG] and len(r) == 1
    r.add(b[1], now=3.0)
    assert r.add(b[2], now=3.0).first_seen == 2.0


def test_bad_udh_keeps_whole_message():
    seg = segment_of({"source_addr": "x", "destination_addr": "1708", "esm_class": 0x40,
                      "short_message": b"\x09\x00\x03"}, "b")
    assert seg.single and seg.payload == b"\x09\x00\x03"


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["udh8", "udh16", "sar"]), st.sampled_from(["gsm", "ucs2"]),
       st.randoms(use_true_random=False), st.integers(0, 3))
def test_any_order_with_duplicates_completes_once(concat, coding, rnd, dupes):
    text = LONG + (" 🙏" if coding == "ucs2" else "")
    segs = segments(MoSpec("+62811", text, coding=coding, concat=concat), 0x42)
    arrivals = segs + [rnd.choice(segs) for _ in range(dupes)]
    rnd.shuffle(arrivals)
    r = Reassembler()
    done = [m for m in (r.add(s, now=0) for s in arrivals) if m]
    assert [m.text for m in done] == [text] and len(r) == 0
