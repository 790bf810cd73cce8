"""The database connection, the thread pool all database work runs in, and group commit.

Why a dedicated pool: SQLAlchemy is synchronous, and the reactor thread must never
wait on a disk. Why one writer: SQLite allows one writer at a time, and serialising
writes through `GroupCommitter` lets every write that arrives while a transaction is
committing share the next one — hundreds of messages per fsync under load, one
message per transaction when idle, no timer delay either way.
"""
from __future__ import annotations

from typing import Callable, TypeVar
from urllib.parse import quote

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from gateway.model import DatabaseUnavailable
from gateway.logging import get_logger

T = TypeVar("T")
log = get_logger(__name__)


def make_engine(url: str, sqlite_synchronous: str = "normal", *, must_exist: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL mode and the chosen fsync discipline.

    `must_exist` (the admin commands): a SQLite file is opened only if it is there — never
    created, not even by a race — and its journal mode is left as it is (switching an
    empty file to WAL would write to it; a gateway's database is WAL already)."""
    if url.startswith("sqlite"):
        engine = create_engine(_existing_sqlite_file(url) if must_exist else url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            if not must_exist:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous.upper()}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def _existing_sqlite_file(url: str) -> URL:
    """`url` as an SQLite URI that opens its file read-write, and fails if it is missing."""
    parsed = make_url(url)
    return parsed.set(database=f"file:{quote(parsed.database or '')}",
                      query={**parsed.query, "mode": "rw", "uri": "true"})


class Database:
    """Runs functions of a `Connection` inside a transaction, in the database thread pool."""

    def __init__(self, engine: Engine, reactor, threads: int = 1):
        self.engine = engine
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=1, maxthreads=threads, name="lapor-db")
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._pool.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self._pool.stop()
            self._started = False
        self.engine.dispose()

    def transact(self, fn: Callable[[Connection], T]) -> Deferred[T]:
        """Run `fn(conn)` in one transaction off the reactor thread; return plain data only."""
        return self.call(self._in_transaction, fn)

    def call(self, fn: Callable[..., T], *args) -> Deferred[T]:
        d = deferToThreadPool(self._reactor, self._pool, fn, *args)
        return d.addErrback(_as_store_unavailable)

    def _in_transaction(self, fn):
        with self.engine.begin() as conn:
            return fn(conn)


def _as_store_unavailable(failure: Failure):
    # Driver and connection errors mean "could not commit": the caller must not ack.
    if failure.check(*_STORE_ERRORS):
        raise DatabaseUnavailable(str(failure.value).splitlines()[0]) from failure.value
    return failure


class GroupCommitter:
    """Batches writes that arrive together into one transaction.

    `submit(fn)` returns a Deferred that fires with `fn(conn)`'s result once the
    transaction holding it has committed. If a batch fails, its writes are retried one
    transaction each, so one bad write cannot make the others fail.

    Intake writes (`first=True`: citizens' messages, which the upstream waits on for its
    acknowledgement) go ahead of everything else waiting, and their callers hear first;
    the other writes keep their order among themselves (a receipt must not overtake the
    send it is about).
    """

    def __init__(self, database: Database, max_batch: int = 500):
        self._db = database
        self._max_batch = max_batch
        # (bulk function, item, waiter): see `submit_bulk`; intake writes in `_first`
        self._first: list[tuple[Callable, object, Deferred]] = []
        self._pending: list[tuple[Callable, object, Deferred]] = []
        self._first_committing = 0
        self._busy = False
        self._idle_waiters: list[Deferred] = []
        self.batches = 0  # transactions committed, for benchmarks and metrics

    def submit(self, fn: Callable[[Connection], T]) -> Deferred[T]:
        """Run `fn(conn)` in the next transaction."""
        return self.submit_bulk(_each, fn)

    def submit_bulk(self, bulk_fn: Callable[[Connection, list], list], item, first: bool = False) -> Deferred:
        """Write `item` with `bulk_fn(conn, items) -> results`, which receives every
        consecutive write of its kind in the transaction at once (one result per item);
        `first`: an intake write, ahead of the others."""
        d: Deferred = Deferred()
        (self._first if first else self._pending).append((bulk_fn, item, d))
        self._next_batch()
        return d

    @property
    def intake_waiting(self) -> int:
        """Intake writes submitted and not yet committed (queued or in the transaction)."""
        return len(self._first) + self._first_committing

    def idle(self) -> Deferred[None]:
        """Fires once every submitted write has been committed or failed."""
        d: Deferred = Deferred()
        if not self._busy and not self._pending:
            d.callback(None)
        else:
            self._idle_waiters.append(d)
        return d

    def _next_batch(self) -> None:
        if self._busy:
            return
        if not self._pending and not self._first:
            waiters, self._idle_waiters = self._idle_waiters, []
            for w in waiters:
                w.callback(None)
            return
        self._busy = True
        batch = self._first[: self._max_batch]
        del self._first[: self._max_batch]
        self._first_committing = len(batch)
        rest = self._max_batch - len(batch)
        batch += self._pending[:rest]
        del self._pending[:rest]
        d = self._db.call(_commit_batch, self._db.engine, [(fn, item) for fn, item, _ in batch])
        d.addBoth(self._deliver, [w for _, _, w in batch])

    def _deliver(self, outcome, waiters: list[Deferred]) -> None:
        self._busy = False
        self._first_committing = 0
        self.batches += 1
        if isinstance(outcome, Failure):
            outcomes = [outcome] * len(waiters)
        else:
            outcomes = [_as_failure(o) for o in outcome]
        for waiter, result in zip(waiters, outcomes):
            waiter.callback(result) if not isinstance(result, Failure) else waiter.errback(result)
        self._next_batch()


class _Raised:
    """An exception from one write, carried back from the database thread."""

    def __init__(self, error: BaseException):
        self.error = error


_STORE_ERRORS = (DBAPIError, SQLAlchemyError, OSError)


def _as_failure(result):
    if not isinstance(result, _Raised):
        return result
    error = result.error
    if isinstance(error, _STORE_ERRORS):
        error = DatabaseUnavailable(str(error).splitlines()[0])
    return Failure(error)


def _each(conn: Connection, fns: list) -> list:
    """The bulk form of plain writes: each function in turn."""
    return [fn(conn) for fn in fns]


def _apply(conn: Connection, entries: list) -> list:
    """Run consecutive entries of one kind together, in order."""
    results: list = []
    start = 0
    while start < len(entries):
        bulk_fn = entries[start][0]
        end = start
        while end < len(entries) and entries[end][0] is bulk_fn:
            end += 1
        results.extend(bulk_fn(conn, [item for _, item in entries[start:end]]))
        start = end
    return results


def _commit_batch(engine: Engine, entries: list) -> list:
    """In the database thread: all entries in one transaction, or each alone if that fails."""
    try:
        with engine.begin() as conn:
            return _apply(conn, entries)
    except Exception as batch_error:  # noqa: BLE001 - retried one by one below
        if len(entries) == 1:
            return [_Raised(batch_error)]
    results = []
    for bulk_fn, item in entries:
        try:
            with engine.begin() as conn:
                results.append(bulk_fn(conn, [item])[0])
        except Exception as error:  # noqa: BLE001 - reported to that write's caller
            results.append(_Raised(error))
    return results
