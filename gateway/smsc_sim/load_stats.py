"""What the load mode counts, and the one summary line it prints at the end.

Per MO it keeps a few flags in a bytearray (acknowledged, a reply submitted) and the
number of that reply's receipts still unacknowledged, so that a full cycle — the MO
acknowledged, its reply's submit_sm received, the receipts asked for so far all
acknowledged — is counted once, when its last step happens, whatever order the steps
come in (a reply in several parts counts when the receipts of the parts submitted by
then are in; the load mode's replies are one part). A long MO (`parts`) is acknowledged
when its last part is; each part's accepted delivery is one acknowledgement latency.
Times are `time.perf_counter()` seconds; rates run from the first MO written to the
last event of their kind.
"""
from __future__ import annotations

from array import array

ACKED = 1
REPLIED = 2
RECEIPTED = 4      # a receipt of its reply was acknowledged
CYCLED = 8


def percentile_ms(values, q: float) -> float | None:
    """The q-quantile (nearest rank) of `values` seconds, in milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


def _rate(n: int, start: float | None, end: float | None) -> float | None:
    if not n or start is None or end is None or end <= start:
        return None
    return round(n / (end - start), 1)


class LoadStats:
    """Counters of one load run over MOs numbered 0..count-1."""

    def __init__(self, count: int, parts: bytearray | None = None):
        self.count = count
        self.flags = bytearray(count)
        #: parts per MO (load_pool.part_counts), None when every MO is one deliver_sm
        self.parts = parts
        self.parts_acked = bytearray(count) if parts is not None else None   # bit per part
        self.receipts_pending = bytearray(count)   # receipts of the MO's reply not yet acked
        self.first_sent_at = array("d", bytes(8 * count))   # first write of each MO
        # arrays, not lists: 8 bytes a figure, for runs of millions of MOs
        self.ack_latencies = array("d")     # deliver_sm written -> its resp read
        self.cycle_latencies = array("d")   # MO first written -> cycle complete
        self.mo_sent = self.mo_acked = 0
        self.submits = self.submits_unmatched = 0
        self.receipts_sent = self.receipts_acked = 0
        self.cycles = 0
        self.nacks = self.timeouts = self.redeliveries = self.errors = 0
        self.binds = 0
        self.first_mo_at: float | None = None
        self.last_mo_ack_at: float | None = None
        self.last_cycle_at: float | None = None

    # -- events (the hot ones are kept short) ----------------------------------------------

    def mo_acknowledged(self, number: int, sent_at: float, now: float, part: int = 0) -> None:
        flags = self.flags[number]
        if flags & ACKED:
            return   # a late answer to a redelivered MO
        parts = self.parts
        if parts is not None and parts[number] > 1:
            acked = self.parts_acked[number]
            if acked & (1 << part):
                return
            acked |= 1 << part
            self.parts_acked[number] = acked
            self.ack_latencies.append(now - sent_at)
            if acked != (1 << parts[number]) - 1:
                return
        else:
            self.ack_latencies.append(now - sent_at)
        self.flags[number] = flags | ACKED
        self.mo_acked += 1
        self.last_mo_ack_at = now
        if flags & RECEIPTED and not self.receipts_pending[number]:
            self._cycle(number, now)

    def part_acknowledged(self, number: int, part: int) -> bool:
        """Whether part `part` of MO `number` (0 for a one-part MO) was acknowledged."""
        if self.flags[number] & ACKED:
            return True
        return self.parts_acked is not None and bool(self.parts_acked[number] & (1 << part))

    def reply_submitted(self, number: int, wants_receipt: bool) -> None:
        self.flags[number] |= REPLIED
        if wants_receipt and self.receipts_pending[number] < 255:
            self.receipts_pending[number] += 1

    def receipt_acknowledged(self, number: int, now: float) -> None:
        self.receipts_acked += 1
        if number < 0:
            return   # the receipt of a reply to no load-mode MO
        pending = self.receipts_pending[number]
        if pending:
            self.receipts_pending[number] = pending - 1
        flags = self.flags[number] | RECEIPTED
        self.flags[number] = flags
        if pending <= 1 and flags & ACKED:
            self._cycle(number, now)

    def _cycle(self, number: int, now: float) -> None:
        flags = self.flags[number]
        if flags & CYCLED:
            return
        self.flags[number] = flags | CYCLED
        self.cycles += 1
        self.last_cycle_at = now
        self.cycle_latencies.append(now - self.first_sent_at[number])

    # -- the end -----------------------------------------------------------------------------

    def complete(self, wait_cycles: bool) -> bool:
        return self.mo_acked >= self.count and (not wait_cycles or self.cycles >= self.count)

    def summary(self, *, window: int, seconds: float, complete: bool) -> dict:
        return {
            "event": "smsc-sim summary", "complete": complete, "count": self.count,
            "window": window, "seconds": round(seconds, 3), "binds": self.binds,
            "mo_sent": self.mo_sent, "mo_acked": self.mo_acked,
            "long_mos": 0 if self.parts is None else sum(1 for n in self.parts if n > 1),
            "mo_per_s": _rate(self.mo_acked, self.first_mo_at, self.last_mo_ack_at),
            "ack_p50_ms": percentile_ms(self.ack_latencies, 0.50),
            "ack_p99_ms": percentile_ms(self.ack_latencies, 0.99),
            "ack_max_ms": percentile_ms(self.ack_latencies, 1.0),
            "submits": self.submits, "submits_unmatched": self.submits_unmatched,
            "receipts_sent": self.receipts_sent, "receipts_acked": self.receipts_acked,
            "cycles": self.cycles,
            "cycles_per_s": _rate(self.cycles, self.first_mo_at, self.last_cycle_at),
            "cycle_p50_ms": percentile_ms(self.cycle_latencies, 0.50),
            "cycle_p99_ms": percentile_ms(self.cycle_latencies, 0.99),
            "nacks": self.nacks, "timeouts": self.timeouts,
            "redeliveries": self.redeliveries, "errors": self.errors,
        }
