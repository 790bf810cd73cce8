"""Which receiving bind the bundled SMSC hands its next deliver_sm to: round-robin over
the bound receivers of its system_id ("spread"), or always the first.

Why spread is the default: real SMSCs spread the MOs and receipts of one system_id
over all of its receiving binds (transceiver or receiver), per PDU — the parts of one
long MO can arrive on different binds, and the receipt of a message submitted on one
bind on another. Several gateway instances over one database (issue 15) each hold
binds of the same system_id and must cope with exactly that, so the simulator shows it
to every gateway with more than one receiving bind. `spread=False` sends everything
to the first receiving bind, as an SMSC with a single bind would.
"""
from __future__ import annotations

from typing import Callable, Generic, Sequence, TypeVar

Receiver = TypeVar("Receiver")


class Rotation(Generic[Receiver]):
    """The dealer's turn over the receivers bound at the time of each deal."""

    def __init__(self, spread: bool = True):
        self.spread = spread
        self._turn = 0

    def pick(self, receivers: Sequence[Receiver],
             has_room: Callable[[Receiver], bool]) -> Receiver | None:
        """The receiver for the next deliver_sm, or None when none is bound.

        With spread: the next one in turn that has room in its window; when none has,
        the next in turn (the deliver_sm waits for room there, as on an SMSC whose
        per-bind queues are full). Dealing by room keeps a slow bind from holding work
        a faster one could take; with room everywhere it is a strict alternation.
        Without spread: the first, whatever its room."""
        if not receivers:
            return None
        if not self.spread:
            return receivers[0]
        count = len(receivers)
        start = self._turn % count
        chosen = next((index % count for index in range(start, start + count)
                       if has_room(receivers[index % count])), start)
        self._turn = chosen + 1
        return receivers[chosen]
