"""One channel's queue of replies: oldest first, one send per conversation at a time.

Why per conversation: a reply's outcome is committed before the next reply to the same
chat (or number) goes out, so a crash or a dropped link leaves at most one call per
conversation in doubt, and a chat's answers arrive in order. Why a heap of
conversations: with thousands of replies queued, picking the oldest sendable one must
not scan them all.
"""
from __future__ import annotations

import heapq
from collections import deque

from gateway.model import Reply


class ReplyLane:
    def __init__(self, name: str):
        self.name = name
        self._waiting: dict[str, deque[Reply]] = {}
        self._ready: list[tuple[int, str]] = []   # (oldest reply id, conversation), not busy
        self._in_ready: set[str] = set()
        self.busy: set[str] = set()                # conversations with a send under way
        self.in_flight = 0

    def __len__(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    def add(self, conversation: str, reply: Reply, front: bool = False) -> None:
        """Queue `reply` (`front`: it was taken and must go first again)."""
        queue = self._waiting.setdefault(conversation, deque())
        queue.appendleft(reply) if front else queue.append(reply)
        self._offer(conversation)

    def waiting_ids(self) -> set[int]:
        """The replies queued here, not yet taken."""
        return {reply.id for queue in self._waiting.values() for reply in queue}

    def take(self) -> tuple[str, Reply] | None:
        """The oldest reply whose conversation is free; its conversation becomes busy."""
        while self._ready:
            _, conversation = heapq.heappop(self._ready)
            self._in_ready.discard(conversation)
            queue = self._waiting.get(conversation)
            if not queue or conversation in self.busy:
                continue
            reply = queue.popleft()
            if not queue:
                del self._waiting[conversation]
            self.busy.add(conversation)
            self.in_flight += 1
            return conversation, reply
        return None

    def release(self, conversation: str) -> None:
        """The send in `conversation` is recorded: its next reply may go."""
        self.busy.discard(conversation)
        self.in_flight -= 1
        self._offer(conversation)

    def _offer(self, conversation: str) -> None:
        queue = self._waiting.get(conversation)
        if queue and conversation not in self.busy and conversation not in self._in_ready:
            heapq.heappush(self._ready, (queue[0].id, conversation))
            self._in_ready.add(conversation)
