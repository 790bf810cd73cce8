"""The citizen's own choices: STOP and MULAI (no status updates to an address, or again).

The one module that writes `opt_outs`. Complaints from an address that opted out are
still accepted and answered; only the updates the case store pushes are held back. An
address a channel finds gone for good (a Telegram chat that blocked the bot) is opted
out the same way (`address_gone`): no update is ever sent there again.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from gateway.journal.reply_journal import record_reply_failure
from gateway.journal.tables import opt_outs, replies
from gateway.model import utcnow


def opt_out(conn: Connection, channel: str, address: str) -> bool:
    """STOP: no more updates to `address` on `channel`; False if it had already stopped."""
    if opted_out(conn, channel, address):
        return False
    conn.execute(insert(opt_outs).values(channel=channel, address=address, since=utcnow()))
    return True


def opt_in(conn: Connection, channel: str, address: str) -> bool:
    """MULAI: updates again; False if the address had not stopped them."""
    return conn.execute(delete(opt_outs).where(opt_outs.c.channel == channel,
                                               opt_outs.c.address == address)).rowcount > 0


def opted_out(conn: Connection, channel: str, address: str) -> bool:
    return conn.execute(select(opt_outs.c.since).where(
        opt_outs.c.channel == channel, opt_outs.c.address == address)).first() is not None


def address_gone(conn: Connection, reply_id: int, reason: str) -> bool:
    """A channel found the reply's address gone for good (a Telegram chat that blocked the
    bot: 403): the reply fails, and the address gets no more updates, as if it had sent
    STOP — in one transaction. Whether the address was newly stopped."""
    row = conn.execute(select(replies.c.channel, replies.c.recipient).where(replies.c.id == reply_id)).first()
    record_reply_failure(conn, reply_id, reason, final=True)
    return row is not None and opt_out(conn, row.channel, row.recipient)
