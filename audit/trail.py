"""The change list of /audit/ read one page at a time, whatever the size of the event tables.

pghistory's aggregate Events query builds every event of every table (its data, the previous
event, the diff) before the page's ORDER BY and LIMIT: the whole trail per request. Here a page
is two steps:
1. its keys: per event table, the newest `size + 1` rows matching the filters, read backwards
   from the (pgh_created_at, pgh_id) index — or the (pgh_obj_id, …) one for one object — below
   the cursor of the previous page (keyset pagination: no OFFSET, no COUNT); the union of those
   small sets is sorted and cut to the page;
2. those rows only, in one query over the tables they come from, each with the object's
   previous event for the before/after values; then their contexts and users in bulk.

Many-to-many links (tracking.TRACKED_LINKS) have event tables of their own, keyed by the owner's
column: one object's history includes the links added to and removed from it."""

import datetime
import json
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection

from .models import EVENT_MODELS, LINK_EVENT_MODELS
from .tracking import TRACKED, TRACKED_LINKS, event_model_name, link_event_model_name


@dataclass(frozen=True)
class Table:
    source: str  # the event model's label, also the tie-break between tables in the order
    event_model: type
    owner: type  # the tracked model whose history the rows are
    owner_column: str  # the column that holds the owner's id
    link_field: str = ""  # the many-to-many field, for a link table
    target_column: str = ""  # the other end's column, for a link table

    @property
    def db_table(self) -> str:
        return self.event_model._meta.db_table

    @property
    def is_link(self) -> bool:
        return bool(self.link_field)


def _tables() -> list[Table]:
    tables = []
    for tracked in TRACKED:
        model = EVENT_MODELS[event_model_name(tracked)]
        tables.append(Table(model._meta.label, model, model.pgh_tracked_model, "pgh_obj_id"))
    for link in TRACKED_LINKS:
        model = LINK_EVENT_MODELS[link_event_model_name(link)]
        owner = apps.get_model(link.model)
        m2m = owner._meta.get_field(link.field)
        through = m2m.remote_field.through
        owner_fk = m2m.m2m_field_name()
        target_fk = m2m.m2m_reverse_field_name()
        tables.append(
            Table(
                model._meta.label,
                model,
                owner,
                through._meta.get_field(owner_fk).column,
                link.field,
                through._meta.get_field(target_fk).column,
            )
        )
    return sorted(tables, key=lambda t: t.source)


TABLES = _tables()
BY_SOURCE = {t.source: t for t in TABLES}


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the last row shown (time, table, id)."""

    at: datetime.datetime
    source: str
    pgh_id: int

    def encode(self) -> str:
        return f"{self.at.isoformat()}|{self.source}|{self.pgh_id}"

    @classmethod
    def decode(cls, raw: str) -> "Cursor | None":
        try:
            at, source, pgh_id = raw.split("|")
            cursor = cls(datetime.datetime.fromisoformat(at), source, int(pgh_id))
        except (ValueError, TypeError):
            return None
        if cursor.source not in BY_SOURCE or not 0 < cursor.pgh_id < 2**31 or not cursor.at.tzinfo:
            return None
        return cursor


@dataclass
class Filters:
    owner: type | None = None  # only this tracked model's tables
    obj: int | None = None  # only this object (with owner), or this id in any table
    user_ids: list[int] | None = None  # changes made by these users (their request contexts)
    user_matched: bool = True  # False: a user was asked for and no such user exists
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None  # exclusive


@dataclass
class Event:
    """One row of the page, with the attributes the template reads."""

    source: str
    pgh_id: int
    pgh_created_at: datetime.datetime
    pgh_label: str
    pgh_obj_id: str
    pgh_obj_model: str
    data: dict = field(default_factory=dict)
    previous: dict | None = None
    context: dict = field(default_factory=dict)


def _conditions(table: Table, filters: Filters, cursor: Cursor | None) -> tuple[list, list]:
    where, params = [], []
    if filters.obj is not None:
        where.append(f'"{table.owner_column}" = %s')
        params.append(filters.obj)
    if filters.user_ids is not None:
        # The expression index audit_context_user_idx (audit migration 0007) finds the contexts.
        where.append(
            "pgh_context_id IN (SELECT id FROM pghistory_context WHERE metadata->>'user' = ANY(%s))"
        )
        params.append([str(pk) for pk in filters.user_ids])
    if filters.since is not None:
        where.append("pgh_created_at >= %s")
        params.append(filters.since)
    if filters.until is not None:
        where.append("pgh_created_at < %s")
        params.append(filters.until)
    if cursor is not None:
        # The page order is (pgh_created_at, source, pgh_id) descending; within one table the
        # source is constant, so the keyset condition is one of three index ranges.
        if table.source > cursor.source:
            where.append("pgh_created_at < %s")
            params.append(cursor.at)
        elif table.source == cursor.source:
            where.append("(pgh_created_at, pgh_id) < (%s, %s)")
            params += [cursor.at, cursor.pgh_id]
        else:
            where.append("pgh_created_at <= %s")
            params.append(cursor.at)
    return where, params


def _selected(filters: Filters) -> list[Table]:
    if filters.owner is None:
        return TABLES
    return [t for t in TABLES if t.owner is filters.owner]


def page_keys(filters: Filters, size: int, cursor: Cursor | None) -> list[tuple]:
    """The page's (pgh_created_at, source, pgh_id), newest first, up to size + 1 (the extra one
    says there is a next page). One query."""
    if not filters.user_matched:
        return []
    parts, params = [], []
    for table in _selected(filters):
        where, table_params = _conditions(table, filters, cursor)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        parts.append(
            f'(SELECT pgh_created_at, %s AS source, pgh_id FROM "{table.db_table}" {clause} '
            f"ORDER BY pgh_created_at DESC, pgh_id DESC LIMIT {int(size) + 1})"
        )
        params += [table.source, *table_params]
    sql = (
        f"SELECT * FROM ({' UNION ALL '.join(parts)}) page"
        f" ORDER BY pgh_created_at DESC, source DESC, pgh_id DESC LIMIT {int(size) + 1}"
    )
    with connection.cursor() as db:
        db.execute(sql, params)
        return db.fetchall()


def page_events(keys: list[tuple]) -> list[Event]:
    """The rows of `keys`, with the previous event of the same object (object tables), in one
    query; their contexts in a second."""
    if not keys:
        return []
    ids_by_source: dict[str, list[int]] = {}
    for _, source, pgh_id in keys:
        ids_by_source.setdefault(source, []).append(pgh_id)
    parts, params = [], []
    for source, ids in ids_by_source.items():
        table = BY_SOURCE[source]
        previous = "NULL::jsonb"
        if not table.is_link:
            previous = (
                f'(SELECT row_to_json(p)::jsonb FROM "{table.db_table}" p '
                "WHERE p.pgh_obj_id = e.pgh_obj_id AND p.pgh_id < e.pgh_id "
                "ORDER BY p.pgh_id DESC LIMIT 1)"
            )
        parts.append(
            f"SELECT %s, e.pgh_id, row_to_json(e)::jsonb, {previous} "
            f'FROM "{table.db_table}" e WHERE e.pgh_id = ANY(%s)'
        )
        params += [source, ids]
    with connection.cursor() as db:
        db.execute(" UNION ALL ".join(parts), params)
        # Django leaves jsonb undecoded in raw queries.
        found = {
            (source, pgh_id): (_json(data), _json(prev))
            for source, pgh_id, data, prev in db.fetchall()
        }
    events = []
    for at, source, pgh_id in keys:
        data, previous = found[(source, pgh_id)]
        table = BY_SOURCE[source]
        events.append(
            Event(
                source=source,
                pgh_id=pgh_id,
                pgh_created_at=at,
                pgh_label=data["pgh_label"],
                pgh_obj_id=str(data.get(table.owner_column)),
                pgh_obj_model=table.owner._meta.label,
                data={k: v for k, v in data.items() if not k.startswith("pgh_")},
                previous=previous,
                context={"id": data.get("pgh_context_id")},
            )
        )
    _attach_contexts(events)
    return events


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _attach_contexts(events: list[Event]) -> None:
    from pghistory.models import Context

    ids = {e.context["id"] for e in events if e.context.get("id")}
    metadata = dict(Context.objects.filter(pk__in=ids).values_list("pk", "metadata")) if ids else {}
    for event in events:
        context_id = event.context.get("id")
        event.context = metadata.get(_uuid(context_id), {}) if context_id else {}


def _uuid(value):
    import uuid

    return uuid.UUID(str(value))
