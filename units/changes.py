"""Change sequence for incremental sync (the API's `cursor`): which rows changed after which.

A timestamp or an id cannot be the sync position: both are taken when a transaction starts
writing, not when it commits. A transaction that began first and commits last would put its
row *behind* rows a client has already read, and the client would never see it.

Every synced table has a `change_seq` column that a database trigger sets on each INSERT and
UPDATE (bulk updates and raw SQL included):
- PostgreSQL: the writing transaction's id (`pg_current_xact_id()`, 64-bit, never wraps).
  A reader only hands out rows whose id is below the *horizon*, the oldest transaction of this
  database still running: every transaction below it has finished, so no row can later
  appear below a position already handed out. Rows of a transaction still running wait, at
  most until it ends.
- SQLite (the demo): writers are serialised, so one more than the table's largest value is
  already in commit order; there is no horizon.
Rows of one transaction share a value; readers order by (change_seq, id).
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION anjian_stamp_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$
"""
DROP_PG_FUNCTION = "DROP FUNCTION IF EXISTS anjian_stamp_change()"


def stamp_trigger_sql(table: str, vendor: str) -> list[str]:
    """Statements that make `table.change_seq` follow every write to `table`."""
    if vendor == "postgresql":
        return [
            f"CREATE TRIGGER {table}_change BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION anjian_stamp_change()"
        ]
    # SQLite cannot change NEW in a BEFORE trigger; the AFTER trigger's own UPDATE does not
    # fire it again (recursive_triggers is off by default).
    stamp = (
        f"UPDATE {table} SET change_seq = "
        f"(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM {table}) WHERE id = NEW.id;"
    )
    return [
        f"CREATE TRIGGER {table}_change_ins AFTER INSERT ON {table} BEGIN {stamp} END",
        f"CREATE TRIGGER {table}_change_upd AFTER UPDATE ON {table} BEGIN {stamp} END",
    ]


def drop_trigger_sql(table: str, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_change ON {table}"]
    return [
        f"DROP TRIGGER IF EXISTS {table}_change_ins",
        f"DROP TRIGGER IF EXISTS {table}_change_upd",
    ]


@dataclass(frozen=True)
class Horizon:
    """`below`: every change_seq under it is final. `own`: the reading transaction's own id,
    when it has written (its rows are final for itself; tests read inside one transaction)."""

    below: int
    own: int | None = None

    def settled(self) -> Q:
        settled = Q(change_seq__lt=self.below)
        return settled | Q(change_seq=self.own) if self.own is not None else settled


# The oldest transaction *of this database* still running. Transaction ids are cluster-wide:
# with the plain pg_snapshot_xmin, an open transaction in another database on the same server
# (another system, another test run) would hold every feed back. Running ids come from the
# snapshot; which of them belong to this database, from pg_stat_activity (its backend_xid is
# the 32-bit form). A session of this database whose details this role may not read (another
# role's) could be writing here: then the cluster-wide xmin is the safe answer.
# No "%" in the text: the audit's context injection (pghistory) passes parameters with every
# statement inside a request, so a literal % would be read as a placeholder.
HORIZON_SQL = """
WITH snap AS (SELECT pg_current_snapshot() AS s),
here AS (
    SELECT backend_xid, query FROM pg_stat_activity WHERE datname = current_database()
)
SELECT
    pg_snapshot_xmin(snap.s)::text::bigint,
    pg_snapshot_xmax(snap.s)::text::bigint,
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(snap.s) AS x
      WHERE mod(x::text::bigint, 4294967296) IN (
          SELECT backend_xid::text::bigint FROM here WHERE backend_xid IS NOT NULL)),
    (SELECT count(*) FROM here WHERE query = '<insufficient privilege>'),
    pg_current_xact_id_if_assigned()::text::bigint
FROM snap
"""


def change_horizon() -> Horizon | None:
    """None where every committed row is final (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(HORIZON_SQL)
        xmin, xmax, oldest_here, unreadable, own = cursor.fetchone()
    if unreadable:
        return Horizon(below=xmin, own=own)
    return Horizon(below=xmax if oldest_here is None else oldest_here, own=own)
