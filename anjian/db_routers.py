"""Reads that may go to the read replica (DATABASE_REPLICA_URL), and only those.

A streaming replica lags the primary, so a page that read there could miss the record its user
saved a moment before. Nothing reads there unless the code asks for it with `replica_reads()`:
the leaders' dashboard and a bulletin's statistics and annex, aggregates over months of other
people's records that are seconds old anyway (the dashboard caches them for minutes). Lists,
detail pages, the workflow and every write stay on default.

Installed by the settings only when DATABASE_REPLICA_URL is set; without it `replica_reads()`
marks the block and nothing reads the mark.
"""

import contextlib
import contextvars
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# A context variable, not a thread-local: it follows the code through asgiref's sync/async
# hops, and a block that exits (or raises) restores what was there before.
_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "replica_reads", default=False
)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside this block (or a function decorated with it) may be answered by the
    replica. Only for read-only code whose figures may be a few seconds old."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def read_alias() -> str:
    """Where a read issued here goes."""
    if not _replica_reads.get() or REPLICA not in connections.settings:
        return DEFAULT_DB_ALIAS
    # Inside a transaction on default the reads belong to it: they may depend on its own
    # uncommitted writes or on the rows it locked, which the replica has not seen.
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


class ReplicaRouter:
    """Reads marked with `replica_reads()` → replica; everything else → default."""

    def db_for_read(self, model, **hints) -> str:
        return read_alias()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The same rows under two names: an instance read from the replica may be assigned
        # to one read from default and saved there.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        # The replica receives the schema by replication; it is read-only.
        return db == DEFAULT_DB_ALIAS
