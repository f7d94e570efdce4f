"""Hazard counts kept up to date by the database: the ledger's status chips and total and the
home card read a few hundred rows of `HazardCount` instead of counting a million hazards.

Rows per combination of what the ledger's scope and its cheapest filters look at (status,
level, type, 首办/承办 department and the `scope_*` copies), each holding a number of hazards.
Statement-level triggers on `inspections_hazard` (migration `0038_hazard_counts`, SQL below)
append, for every INSERT, UPDATE, DELETE or TRUNCATE, one signed delta row per key the
statement touched, in the statement's own transaction: no Python path can bypass them — a
workflow transition, a bulk `update()`, an import's `bulk_create`, raw SQL and a rollback all
keep the sums exact. The scope is applied with the same `hazard_scope_q` as
`Hazard.objects.visible_to`: the columns carry the hazard's names, so summing `n` over the rows
a scope selects is the exact count of the hazards it selects.

Deltas are appended, never updated in place: an upsert into one row per key made every
transaction writing hazards of the same key wait for the first to commit (a 20,000-row import
held the 已交办 rows of its department for its whole length, and a feed reader saw later rows
before an earlier one). `compact_counts()` (the sweeper, every few minutes) folds the deltas
back into one row per key so the sums stay a few hundred rows.

Overdue is not kept here: it changes at midnight without any write. It is counted through the
partial indexes of `overdue_q`. PostgreSQL only: SQLite (the demo) counts the hazards directly.
"""

from django.db import connections, models, transaction
from django.db.models import Subquery, Sum

from units.models import Area, Department, User

from .hazards import hazard_scope_q, overdue_parts

# The key columns: what a count row is a count of.
KEY_COLUMNS = (
    "status",
    "level",
    "hazard_type",
    "lead_department_id",
    "handling_department_id",
    "scope_owner_id",
    "scope_inspection_department_id",
    "scope_unit_department_id",
    "scope_unit_area_id",
)


class HazardCountQuerySet(models.QuerySet):
    def visible_to(self, user, *, drafts: bool = False) -> "HazardCountQuerySet":
        # A unit account's scope is its unit, which the counts do not break down by: its
        # handful of hazards are counted from the hazard table itself (portal/).
        if not user.is_authenticated or user.role == user.Role.UNIT:
            return self.none()
        return self.filter(hazard_scope_q(user, drafts=drafts))

    def by_status(self) -> dict[str, int]:
        rows = self.order_by().values_list("status").annotate(total=Sum("n"))
        return {status: total for status, total in rows if total}

    def grouped_and(self, fields: tuple[str, ...], *hazards) -> tuple[list[tuple], int]:
        """The counts summed per `fields` ((*values, total) rows), and the number of rows of
        the `hazards` querysets in the same statement: each an uncorrelated subquery that
        PostgreSQL runs once (a query less per page)."""
        counts = {
            f"other_{i}": CountOf(queryset.order_by().values("status"))
            for i, queryset in enumerate(hazards)
        }
        found = list(self.order_by().values_list(*fields).annotate(total=Sum("n"), **counts))
        width = len(fields) + 1
        other = sum(found[0][width:]) if found else 0
        return [row[:width] for row in found if row[width - 1]], other

    def overdue_of(self, hazards, today, fields=("status",)) -> tuple[list[tuple], int]:
        """Counts per `fields` and how many of `hazards` are overdue (its two branches apart)."""
        return self.grouped_and(fields, *(hazards.filter(part) for part in overdue_parts(today)))


class CountOf(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = models.BigIntegerField()


def _key(model, **kwargs):
    return models.ForeignKey(
        model,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # a count row is not a reference: deleting a department is
        related_name="+",  # the hazards' business (PROTECT), not this table's
        db_index=False,
        **kwargs,
    )


class HazardCount(models.Model):
    status = models.CharField(max_length=30)
    level = models.CharField(max_length=10)
    hazard_type = models.CharField(max_length=30)
    lead_department = _key(Department)
    handling_department = _key(Department)
    scope_owner = _key(User)
    scope_inspection_department = _key(Department)
    scope_unit_department = _key(Department)
    scope_unit_area = _key(Area)
    n = models.BigIntegerField(default=0)

    objects = HazardCountQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.status}: {self.n}"


def counts_maintained(using: str = "default") -> bool:
    """Whether the triggers exist: PostgreSQL, where migration 0038 installed them."""
    return connections[using].vendor == "postgresql"


def _delta(source: str, sign: str) -> str:
    columns = ", ".join(KEY_COLUMNS)
    return f"SELECT {columns}, {sign}1 AS d FROM {source}"


_KEY = ", ".join(KEY_COLUMNS)
_APPLY = (
    f"INSERT INTO inspections_hazardcount ({_KEY}, n)"
    f" SELECT {_KEY}, SUM(d) FROM ({{rows}}) t GROUP BY {_KEY} HAVING SUM(d) <> 0"
)

INSTALL_SQL = f"""
CREATE OR REPLACE FUNCTION anjian_hazard_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_APPLY.format(rows=_delta("new_rows", "+"))};
  ELSIF TG_OP = 'DELETE' THEN
    {_APPLY.format(rows=_delta("old_rows", "-"))};
  ELSE
    {_APPLY.format(rows=_delta("new_rows", "+") + " UNION ALL " + _delta("old_rows", "-"))};
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION anjian_hazard_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM inspections_hazardcount;
  RETURN NULL;
END $$;

CREATE TRIGGER hazard_count_insert AFTER INSERT ON inspections_hazard
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anjian_hazard_count_rows();
CREATE TRIGGER hazard_count_update AFTER UPDATE ON inspections_hazard
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anjian_hazard_count_rows();
CREATE TRIGGER hazard_count_delete AFTER DELETE ON inspections_hazard
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anjian_hazard_count_rows();
CREATE TRIGGER hazard_count_truncate AFTER TRUNCATE ON inspections_hazard
  FOR EACH STATEMENT EXECUTE FUNCTION anjian_hazard_count_truncate();
"""

# Counts the hazards already there (and repairs the table, should anybody ever need to).
REBUILD_SQL = f"""
DELETE FROM inspections_hazardcount;
INSERT INTO inspections_hazardcount ({_KEY}, n)
SELECT {_KEY}, COUNT(*) FROM inspections_hazard GROUP BY {_KEY};
"""

UNINSTALL_SQL = """
DROP TRIGGER IF EXISTS hazard_count_insert ON inspections_hazard;
DROP TRIGGER IF EXISTS hazard_count_update ON inspections_hazard;
DROP TRIGGER IF EXISTS hazard_count_delete ON inspections_hazard;
DROP TRIGGER IF EXISTS hazard_count_truncate ON inspections_hazard;
DROP FUNCTION IF EXISTS anjian_hazard_count_rows();
DROP FUNCTION IF EXISTS anjian_hazard_count_truncate();
"""

# Folds the deltas into one row per key. The DELETE sees only committed rows, so a delta of a
# transaction still open is neither lost nor counted twice; concurrent writers only append and
# never wait for it. The advisory lock keeps two sweepers from folding the same rows.
COMPACT_LOCK = 0x616E_6A69  # "anji"
COMPACT_SQL = f"""
WITH gone AS (DELETE FROM inspections_hazardcount RETURNING {_KEY}, n)
INSERT INTO inspections_hazardcount ({_KEY}, n)
SELECT {_KEY}, SUM(n) FROM gone GROUP BY {_KEY} HAVING SUM(n) <> 0
"""


def compact_counts(using: str = "default") -> bool:
    """One row per key again; False when another sweeper is at it (or on SQLite)."""
    if not counts_maintained(using):
        return False
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(COMPACT_SQL)
    return True
