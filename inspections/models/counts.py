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

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Q, Subquery, Sum

from units.models import Area, Department, User

from .hazards import clock_status_q, hazard_scope_q, overdue_beyond_clock_q, overdue_parts

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

    def grouped_and(self, fields: tuple[str, ...], *terms) -> tuple[list[tuple], int]:
        """The counts summed per `fields` ((*values, total) rows), and the sum of `terms`
        (uncorrelated scalar subqueries, which PostgreSQL runs once) in the same statement:
        a query less per page."""
        others = {f"other_{i}": term for i, term in enumerate(terms)}
        found = list(self.order_by().values_list(*fields).annotate(total=Sum("n"), **others))
        width = len(fields) + 1
        other = sum(found[0][width:]) if found else 0
        return [row[:width] for row in found if row[width - 1]], other

    def overdue_of(self, hazards, today, months=None, fields=("status",)):
        """Counts per `fields` and how many of `hazards` are overdue (`overdue_terms`)."""
        return self.grouped_and(fields, *overdue_terms(hazards, months, today))


class CountOf(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = models.BigIntegerField()


class SumOf(Subquery):
    template = "(SELECT COALESCE(SUM(n), 0) FROM (%(subquery)s) summed)"
    output_field = models.BigIntegerField()


def overdue_terms(hazards, months, today, *, count=CountOf, total=SumOf) -> list[Subquery]:
    """Scalar subqueries whose sum is how many of `hazards` are overdue on `today` (overdue_q).

    `months`: the same hazards' HazardMonthCount rows (the same scope and filters), or None.
    With them, the bulk of the backlog — 已交办/整改中 due before this month — is a sum of
    month rows (9,339 rows for 144,694 hazards at 1,000,000), and only this month's overdue
    and the few 处置中 hazards (`overdue_beyond_clock_q`) are counted from the hazards' indexes;
    without them, each branch of overdue_q is an index-only count of its index (145,554
    entries: the figure grew with the backlog). The terms are disjoint, so they add up."""
    if months is None:
        parts = overdue_parts(today)
    else:
        first = today.replace(day=1)
        parts = (
            clock_status_q() & Q(deadline__gte=first, deadline__lt=today),
            overdue_beyond_clock_q(today),
        )
    terms = [count(hazards.filter(part).order_by().values("status")) for part in parts]
    if months is not None:
        terms.append(
            total(months.filter(clock_status_q(), deadline_month__lt=first).order_by().values("n"))
        )
    return terms


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


class CountKeys(models.Model):
    """The columns a count row shares with the hazards it counts (KEY_COLUMNS), under the
    hazards' own names, so `hazard_scope_q` and the ledger's filters apply to it as they are."""

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

    class Meta:
        abstract = True


class HazardCount(CountKeys):
    def __str__(self) -> str:
        return f"{self.status}: {self.n}"


def counts_maintained(using: str = "default") -> bool:
    """Whether the triggers exist: PostgreSQL, where migrations 0038 and 0041 installed them."""
    return connections[using].vendor == "postgresql"


class CountTable:
    """The SQL that keeps one count table: `keys` maps each key column to its expression over
    a hazard row (the column itself, or the month of a date), `name` names the trigger
    functions and triggers."""

    def __init__(self, table: str, keys: dict[str, str], name: str):
        self.table, self.keys, self.name = table, keys, name
        self.columns = ", ".join(keys)

    def _rows(self, source: str, sign: str) -> str:
        values = ", ".join(f"{expression} AS {column}" for column, expression in self.keys.items())
        return f"SELECT {values}, {sign}1 AS d FROM {source}"

    def _apply(self, rows: str) -> str:
        key = self.columns
        return (
            f"INSERT INTO {self.table} ({key}, n)"
            f" SELECT {key}, SUM(d) FROM ({rows}) t GROUP BY {key} HAVING SUM(d) <> 0"
        )

    @property
    def install_sql(self) -> str:
        rows, name = self._rows, self.name
        both = rows("new_rows", "+") + " UNION ALL " + rows("old_rows", "-")
        triggers = "".join(
            f"""
CREATE TRIGGER {name}_{op.lower()} AFTER {op} ON inspections_hazard
  REFERENCING {tables}
  FOR EACH STATEMENT EXECUTE FUNCTION anjian_{name}_rows();"""
            for op, tables in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
            )
        )
        return f"""
CREATE OR REPLACE FUNCTION anjian_{name}_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {self._apply(rows("new_rows", "+"))};
  ELSIF TG_OP = 'DELETE' THEN
    {self._apply(rows("old_rows", "-"))};
  ELSE
    {self._apply(both)};
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION anjian_{name}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM {self.table};
  RETURN NULL;
END $$;
{triggers}
CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON inspections_hazard
  FOR EACH STATEMENT EXECUTE FUNCTION anjian_{name}_truncate();
"""

    @property
    def rebuild_sql(self) -> str:
        """Counts the hazards already there (and repairs the table, should anybody need to)."""
        values = ", ".join(self.keys.values())
        return f"""
DELETE FROM {self.table};
INSERT INTO {self.table} ({self.columns}, n)
SELECT {values}, COUNT(*) FROM inspections_hazard GROUP BY {values};
"""

    @property
    def drift_sql(self) -> str:
        """How many keys' sums differ from the hazards' own count (0: the table is exact).
        EXCEPT compares NULLs as equal, as the keys need."""
        values = ", ".join(self.keys.values())
        kept = (
            f"SELECT {self.columns}, SUM(n) FROM {self.table}"
            f" GROUP BY {self.columns} HAVING SUM(n) <> 0"
        )
        real = f"SELECT {values}, COUNT(*) FROM inspections_hazard GROUP BY {values}"
        return f"SELECT COUNT(*) FROM (({kept} EXCEPT {real}) UNION ALL ({real} EXCEPT {kept})) d"

    @property
    def uninstall_sql(self) -> str:
        triggers = "".join(
            f"DROP TRIGGER IF EXISTS {self.name}_{op} ON inspections_hazard;\n"
            for op in ("insert", "update", "delete", "truncate")
        )
        return (
            f"{triggers}DROP FUNCTION IF EXISTS anjian_{self.name}_rows();\n"
            f"DROP FUNCTION IF EXISTS anjian_{self.name}_truncate();\n"
        )

    @property
    def compact_sql(self) -> str:
        # The DELETE sees only committed rows, so a delta of a transaction still open is
        # neither lost nor counted twice; concurrent writers only append and never wait.
        key = self.columns
        return f"""
WITH gone AS (DELETE FROM {self.table} RETURNING {key}, n)
INSERT INTO {self.table} ({key}, n)
SELECT {key}, SUM(n) FROM gone GROUP BY {key} HAVING SUM(n) <> 0
"""


HAZARD_COUNTS = CountTable("inspections_hazardcount", {c: c for c in KEY_COLUMNS}, "hazard_count")
INSTALL_SQL = HAZARD_COUNTS.install_sql
REBUILD_SQL = HAZARD_COUNTS.rebuild_sql
UNINSTALL_SQL = HAZARD_COUNTS.uninstall_sql


def _local_month(column: str) -> str:
    # The ledger's closed_from / closed_to are local calendar days, so is the month.
    return f"date_trunc('month', {column} AT TIME ZONE '{settings.TIME_ZONE}')::date"


MONTH_COUNTS = CountTable(
    "inspections_hazardmonthcount",
    {
        **{c: c for c in (*KEY_COLUMNS, "source")},
        "found_month": "date_trunc('month', found_on)::date",
        "closed_month": _local_month("closed_at"),
        "deadline_month": "date_trunc('month', deadline)::date",
    },
    "hazard_month_count",
)

COMPACT_LOCK = 0x616E_6A69  # "anji": two sweepers never fold the same rows


COUNT_TABLES = {"HazardCount": HAZARD_COUNTS, "HazardMonthCount": MONTH_COUNTS}


def count_drift(using: str = "default") -> dict[str, int]:
    """Per count table, the number of keys whose sum is not the hazards' count."""
    with connections[using].cursor() as cursor:
        drift = {}
        for name, table in COUNT_TABLES.items():
            cursor.execute(table.drift_sql)
            drift[name] = cursor.fetchone()[0]
    return drift


def rebuild_counts(using: str = "default") -> None:
    """Counts every hazard again into both tables. The hazards are locked against writes
    (SHARE: reads go on) for those seconds, so no statement's delta falls between the
    recount and the new rows."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("LOCK TABLE inspections_hazard IN SHARE MODE")
        for table in COUNT_TABLES.values():
            cursor.execute(table.rebuild_sql)


def compact_counts(using: str = "default") -> bool:
    """One row per key again; False when another sweeper is at it (or on SQLite)."""
    if not counts_maintained(using):
        return False
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return False
        for table in COUNT_TABLES.values():
            cursor.execute(table.compact_sql)
    return True


class HazardMonthCount(CountKeys):
    """HazardCount's keys, the source and three months: found, closed (local) and due. The
    dashboard's figures of whole months (12-month charts, year to date, the league's period)
    are sums of these rows; the days of a month only partly in a period are counted from the
    hazards (inspections/dashboard/tally.py). Kept by the same kind of triggers (migration
    0041, MONTH_COUNTS), compacted by the same sweeper."""

    source = models.CharField(max_length=20)
    found_month = models.DateField()
    closed_month = models.DateField(null=True)
    deadline_month = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["found_month"], name="hazard_month_found_idx"),
            models.Index(
                fields=["closed_month"],
                name="hazard_month_closed_idx",
                condition=models.Q(closed_month__isnull=False),
            ),
            # overdue_terms: the 已交办/整改中 rows due before this month, a fifth of the table.
            models.Index(
                fields=["deadline_month"],
                name="hazard_month_clock_idx",
                condition=models.Q(status__in=["assigned", "rectifying"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.found_month:%Y-%m} {self.status}: {self.n}"
