"""The forwarder's waiting room: complaints waiting for a submission slot, oldest first,
at most `HOLD_LIMIT` of them in memory; and how a failure reads in the journal and log."""
from __future__ import annotations

import heapq
import itertools

from twisted.internet.defer import TimeoutError as DeferredTimeout

from gateway.model import Complaint

#: complaints held in memory at most (a few KB each); the rest wait in the journal
HOLD_LIMIT = 2000


class Backlog:
    """Complaints waiting for a submission slot, oldest (by receipt time) first."""

    def __init__(self):
        self._heap: list = []
        self._order = itertools.count()

    def push(self, complaint: Complaint) -> None:
        heapq.heappush(self._heap, (complaint.message.received_at, next(self._order), complaint))

    def pop(self) -> Complaint:
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)


def failure_text(error: Exception, timeout_s: float) -> str:
    """A failure as the journal and the log show it. Only the first line: a database
    error's next lines quote the SQL parameters, which may hold personal data."""
    if isinstance(error, DeferredTimeout):
        return f"no answer within {timeout_s:g} s"
    first_line = (str(error).splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line}"[:300]
