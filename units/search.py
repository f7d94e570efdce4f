"""Text search that PostgreSQL can answer from an index: 2-character substrings ("bigrams").

Most Chinese search words are two characters ('火灾', '消防', '机械'); pg_trgm makes no trigram
of them, so a plain `contains` is a sequential scan (PERFORMANCE-NOTES.md). The SQL function
`anjian_bigrams(text) RETURNS text[]` (migration units/0004_bigram_search) cuts a text at
whitespace and punctuation and returns the distinct 2-character substrings of each run; GIN
expression indexes over it (units_unit, inspections_hazard) answer
`anjian_bigrams(<document>) @> anjian_bigrams(<term>)`: every bigram of the term occurs in the
document. That holds for every document containing the term — a superset — so the callers keep
the exact `contains` next to it, and the results stay exactly today's `contains` results.

Why text[] and `@>` rather than a tsvector and a tsquery: the term's bigrams are computed by the
same SQL function as the document's, in the database, from a bound parameter. Nothing is built
in Python (no tsquery syntax to escape, no Python-vs-PostgreSQL difference in splitting), so the
superset property holds by construction; the GIN index works the same for both.

SQLite has neither the function nor the index: callers use this only when `is_postgresql()`.
"""

import re
from collections.abc import Sequence

from django.db import connections
from django.db.models import BooleanField, F, Func, QuerySet, Subquery, Value

# The same separators as the SQL function (kept in sync by hand). A difference could only make
# the filter skip the index or use it for nothing: correctness rests on the SQL function alone,
# which cuts the document and the term alike.
_SEPARATORS = re.compile(r"[\s!-/:-@\[-`{-~\u3000，。、；：？！“”‘’（）《》〈〉【】「」『』…—·～]+")


def is_postgresql(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def has_bigram(term: str) -> bool:
    """Whether the term has a run of 2+ characters between separators — a bigram to look up.
    A term without one (one character, "a b") would match every document through the index."""
    return any(len(run) >= 2 for run in _SEPARATORS.split(term))


class BigramMatch(Func):
    """`anjian_bigrams(COALESCE(f1, '') || ' ' || COALESCE(f2, '') …) @> anjian_bigrams(%s)`.

    The document part is written exactly like the index expression in the migrations, field
    for field in the same order, so the planner recognises it. The term is a bound parameter.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, fields: Sequence[str], term: str) -> None:
        super().__init__(*(F(name) for name in fields), Value(term))

    def as_sql(self, compiler, connection, **extra_context):
        *fields, term = self.get_source_expressions()
        parts, params = [], []
        for field in fields:
            sql, field_params = compiler.compile(field)
            parts.append(f"COALESCE({sql}, '')")
            params.extend(field_params)
        term_sql, term_params = compiler.compile(term)
        document = " || ' ' || ".join(parts)
        return (
            f"anjian_bigrams({document}) @> anjian_bigrams({term_sql})",
            [*params, *term_params],
        )


class InArray(Func):
    """`<field> = ANY(ARRAY(<subquery>))`: unlike `IN (<subquery>)` an index condition, so an
    OR of it and a BigramMatch becomes a BitmapOr of two index scans on the same table."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, queryset: QuerySet) -> None:
        super().__init__(F(field), Subquery(queryset))

    def as_sql(self, compiler, connection, **extra_context):
        field, subquery = self.get_source_expressions()
        field_sql, field_params = compiler.compile(field)
        subquery_sql, subquery_params = compiler.compile(subquery)  # "(SELECT …)"
        return f"{field_sql} = ANY(ARRAY{subquery_sql})", [*field_params, *subquery_params]

    def as_sqlite(self, compiler, connection, **extra_context):
        field, subquery = self.get_source_expressions()
        field_sql, field_params = compiler.compile(field)
        subquery_sql, subquery_params = compiler.compile(subquery)
        return f"{field_sql} IN {subquery_sql}", [*field_params, *subquery_params]


# The documents the indexes cover, in index order (see the migrations).
UNIT_DOCUMENT = ("name", "address", "credit_code")
HAZARD_DOCUMENT = ("number", "description")
