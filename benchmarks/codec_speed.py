"""PDU codec speed: the fast fixed-layout codec against smpplib's, one core, printed as
plain `name value` lines.

    .venv/bin/python benchmarks/codec_speed.py [--seconds 0.5]

For deliver_sm and submit_sm, PDUs encoded and decoded per second by each codec
(`codec.encode`/`codec.decode`, which take the fast path for these kinds, and
`codec.encode_with_smpplib`/`codec.decode_with_smpplib`), over a mix of what the gateway
sees: a citizen's short GSM message, a part of a long one (UDH), a UCS-2 message, a
delivery receipt (receipted_message_id, message_state), and replies with a receipt
requested. Each figure is the best of 5 runs; `*_speedup` is fast over smpplib.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gateway.channels.smpp import codec  # noqa: E402

MO = dict(source_addr="6281234567890", destination_addr="1708", source_addr_ton=1,
          source_addr_npi=1)
DELIVER_SM = [
    dict(MO, short_message=b"Jateng jalan rusak di Jl. Merdeka, mohon segera diperbaiki"),
    dict(MO, esm_class=0x40, short_message=bytes([5, 0, 3, 7, 2, 1]) + b"x" * 134),
    dict(MO, data_coding=8, short_message="Banjir lagi \U0001F622".encode("utf-16-be")),
    dict(source_addr="1708", destination_addr="6281234567890", esm_class=0x04,
         short_message=b"id:1A2B3C01 sub:001 dlvrd:001 submit date:2501011200 done date:"
                       b"2501011201 stat:DELIVRD err:000 text:Terima kasih",
         receipted_message_id="1A2B3C01", message_state=2),
]
SUBMIT_SM = [
    dict(source_addr="1708", destination_addr="6281234567890", dest_addr_ton=1,
         dest_addr_npi=1, registered_delivery=1,
         short_message=b"Terima kasih, laporan Anda diterima dengan nomor 1708-000123."),
    dict(source_addr="1708", destination_addr="6281234567890", esm_class=0x40,
         data_coding=8, registered_delivery=1,
         short_message=bytes([6, 8, 4, 0, 9, 2, 1]) + "Laporan diterima ".encode("utf-16-be") * 3),
]


def rate(call, items, seconds: float) -> float:
    """Calls per second of `call` over `items`, the best of 5 runs of about `seconds`."""
    best, rounds = 0.0, 1
    while True:   # size a run to about `seconds`
        start = time.perf_counter()
        for _ in range(rounds):
            for item in items:
                call(item)
        took = time.perf_counter() - start
        if took >= seconds / 4:
            break
        rounds *= 4
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            for item in items:
                call(item)
        best = max(best, rounds * len(items) / (time.perf_counter() - start))
    return best


def figures(kind: str, samples: list[dict], seconds: float) -> dict[str, float]:
    encoded = [codec.encode_with_smpplib(kind, 7, **fields) for fields in samples]
    assert encoded == [codec.encode(kind, 7, **fields) for fields in samples]
    out = {
        f"{kind}_decode_fast_per_s": rate(codec.decode, encoded, seconds),
        f"{kind}_decode_smpplib_per_s": rate(codec.decode_with_smpplib, encoded, seconds),
        f"{kind}_encode_fast_per_s": rate(lambda f: codec.encode(kind, 7, **f), samples, seconds),
        f"{kind}_encode_smpplib_per_s": rate(lambda f: codec.encode_with_smpplib(kind, 7, **f),
                                             samples, seconds),
    }
    for way in ("decode", "encode"):
        out[f"{kind}_{way}_speedup"] = out[f"{kind}_{way}_fast_per_s"] / out[f"{kind}_{way}_smpplib_per_s"]
    return out


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=0.5, help="length of one run")
    args = options.parse_args()
    for kind, samples in (("deliver_sm", DELIVER_SM), ("submit_sm", SUBMIT_SM)):
        for name, value in figures(kind, samples, args.seconds).items():
            print(f"{name} {value:.1f}" if name.endswith("speedup") else f"{name} {value:.0f}")


if __name__ == "__main__":
    main()
