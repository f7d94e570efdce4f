"""Daily reminders: which hazards are due soon, overdue or to be escalated, and who is told.

The database decides, not the broker. Each reminder is a row unique per (hazard, kind, day),
inserted set-based with ON CONFLICT DO NOTHING; each digest is a row unique per (user, day);
the day's ReminderRun row records how far the run got (scanned, digested). A digest's mail is
claimed under a row lock and the claim committed before the mail goes to SMTP; it is stamped
sent afterwards. A second run, two beats at once or a rerun after a killed worker therefore
neither doubles nor loses a reminder, and the sweeper (`sweep`, every SWEEP_SECONDS and
at the start of each daily run) finishes what a killed worker or a restarted broker left:
digests never built, mails never sent.

A reminder row counts as given (and so keeps the hazard out of the next days' reminders) only
once its day's digests were built: an undelivered row never hides a hazard.

Plain functions, tested without Celery; inspections.tasks.reminders wraps them.
"""

import datetime
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from units.models import Department, User

from . import workflow
from .models import Hazard, Notification, Reminder, ReminderRun
from .models.hazards import deadline_clock_q

logger = logging.getLogger(__name__)

K = Reminder.Kind
# Most urgent first: the order of a digest's sections.
KIND_ORDER = (K.ESCALATE, K.OVERDUE, K.DUE_TOMORROW, K.DUE_IN_3_DAYS)
# Besides the lead department's inspectors, escalations go to these roles (all see everything).
ESCALATION_ROLES = (User.Role.OFFICE, User.Role.SUPERVISOR, User.Role.LEADER)
# Only the integration tests set these (seconds): they hold a run at that point so the test can
# kill the worker there. AFTER_SCAN: the scan committed, no digest yet. IN_DIGEST: the digests
# written but not committed. IN_EMAIL: a mail claimed, not yet handed to SMTP.
TEST_PAUSE_ENV = "ANJIAN_TEST_PAUSE_AFTER_SCAN"
TEST_PAUSE_IN_DIGEST_ENV = "ANJIAN_TEST_PAUSE_IN_DIGEST"
TEST_PAUSE_IN_EMAIL_ENV = "ANJIAN_TEST_PAUSE_IN_EMAIL"

_ONE = datetime.timedelta(days=1)
ESCALATE_BATCH = 100


def _test_pause(env: str, point: str) -> None:
    seconds = float(os.environ.get(env) or 0)
    if seconds:
        logger.warning("test pause: %s for %s s", point, seconds)
        time.sleep(seconds)


def _lock_run(day: datetime.date) -> ReminderRun:
    """The day's run row, locked until the caller's transaction ends."""
    ReminderRun.objects.get_or_create(day=day)
    return ReminderRun.objects.select_for_update().get(day=day)


# --- scan ---------------------------------------------------------------------------------------


def _undelivered_days(before: datetime.date) -> list[datetime.date]:
    """Days before `before` whose reminder rows are not all in a digest yet: normally none, the
    sweeper builds them first."""
    return list(
        ReminderRun.objects.filter(
            digested_at__isnull=True, scanned_at__isnull=False, day__lt=before
        ).values_list("day", flat=True)
    )


def _given(kind: str, condition: Q, undelivered: list[datetime.date]) -> Exists:
    """A reminder of `kind` already given to the outer hazard on a day matching `condition`;
    a row of a day whose digests were never built was not given."""
    given = Reminder.objects.filter(condition, hazard=OuterRef("pk"), kind=kind)
    if undelivered:
        given = given.exclude(day__in=undelivered)
    return Exists(given)


def candidates(day: datetime.date) -> dict[str, QuerySet]:
    """Per kind, the hazards that should get a reminder on `day`.

    Every query filters `deadline_clock_q()` and a deadline range: the predicate and key of the
    partial index hazard_clock_deadline_idx, so only that index's range is read. That is
    `overdue_q` whole once `scan` has reopened the 风险管控 hazards whose review date came."""
    undelivered = _undelivered_days(day)

    def given(kind: str, condition: Q) -> Exists:
        return _given(kind, condition, undelivered)

    clock = Hazard.objects.deadline_clock().order_by()
    repeat = max(1, settings.OVERDUE_REMIND_EVERY_DAYS)
    general_cutoff = day - datetime.timedelta(days=settings.ESCALATE_AFTER_DAYS)
    major_cutoff = day - datetime.timedelta(days=settings.ESCALATE_MAJOR_AFTER_DAYS)
    return {
        # Sent 3 days ahead; a day the job did not run (broker down) is caught up the day after.
        K.DUE_IN_3_DAYS: clock.filter(
            deadline__gte=day + 2 * _ONE, deadline__lte=day + 3 * _ONE
        ).exclude(given(K.DUE_IN_3_DAYS, Q(day=day - _ONE))),
        K.DUE_TOMORROW: clock.filter(deadline=day + _ONE),
        # Repeats every `repeat` days, counted afresh after a new deadline; the same window
        # makes the next run catch up on days the job did not run.
        K.OVERDUE: clock.filter(deadline__lt=day).exclude(
            given(
                K.OVERDUE,
                Q(day__gt=day - repeat * _ONE, day__lt=day) & Q(day__gt=OuterRef("deadline")),
            )
        ),
        # Once per deadline, and never for a hazard someone already escalated by hand.
        K.ESCALATE: clock.filter(
            escalated_at__isnull=True, deadline__lt=max(general_cutoff, major_cutoff)
        )
        .filter(
            Q(deadline__lt=general_cutoff) | Q(level=Hazard.Level.MAJOR, deadline__lt=major_cutoff)
        )
        .exclude(given(K.ESCALATE, Q(day__gt=OuterRef("deadline")))),
    }


def insert_sql(kind: str, queryset: QuerySet, day: datetime.date, now: datetime.datetime):
    """INSERT … SELECT … ON CONFLICT DO NOTHING for one kind: (sql, params)."""
    select = queryset.annotate(
        r_kind=Value(kind, output_field=CharField()),
        r_day=Value(day, output_field=DateField()),
        r_at=Value(now, output_field=DateTimeField()),
    ).values_list("pk", "r_kind", "r_day", "r_at")
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(Reminder._meta.get_field(name).column) for name in ("hazard", "kind", "day")
    )
    table = quote(Reminder._meta.db_table)
    return (
        f"INSERT INTO {table} ({columns}, {quote('created_at')}) {sql} ON CONFLICT DO NOTHING",
        params,
    )


def escalate_pending() -> int:
    """Escalate every hazard with an escalation reminder that is not escalated yet.

    Reads the reminder rows, not the scan's result, so a run killed between the two steps is
    completed by the next run. Few rows: one workflow call each."""
    pending = (
        Reminder.objects.filter(
            kind=K.ESCALATE,
            hazard__escalated_at__isnull=True,
        )
        .filter(deadline_clock_q("hazard__"))
        .values_list("hazard_id", "day", "hazard__deadline")
        .order_by("hazard_id", "-day")
    )
    todo = []
    for hazard_id, rows in groupby(pending, key=lambda row: row[0]):
        _, day, deadline = next(rows)
        note = f"整改期限 {deadline:%Y-%m-%d} 已逾期 {(day - deadline).days} 天，系统自动督办"
        todo.append((hazard_id, note))
    escalated = 0
    # A commit per hazard costs a disk flush each; a batch shares one. A failed batch leaves
    # its reminders pending, and the next run escalates them.
    for start in range(0, len(todo), ESCALATE_BATCH):
        with transaction.atomic():
            for hazard_id, note in todo[start : start + ESCALATE_BATCH]:
                escalated += workflow.escalate(hazard_id=hazard_id, note=note, actor=None)
    return escalated


def scan(day: datetime.date, *, escalate: bool = True) -> dict[str, int]:
    """Create the day's reminder rows (set-based) and escalate; counts of rows inserted now.

    New rows mark the day as not digested, in the same transaction, so a run killed before its
    digests leaves a trace the sweeper finds."""
    # A 风险管控 hazard whose review date came goes back to 整改中 with that date as its
    # deadline (normally done at 00:30 already); after this the deadline ladder below covers
    # every hazard Hazard.objects.overdue() counts.
    workflow.review_risk_controls(today=day)
    now = timezone.now()
    counts: dict[str, int] = {}
    with transaction.atomic():
        run = _lock_run(day)
        with connection.cursor() as cursor:
            for kind, queryset in candidates(day).items():
                cursor.execute(*insert_sql(kind, queryset, day, now))
                counts[kind] = max(cursor.rowcount, 0)
        run.scanned_at = now
        if any(counts.values()):
            run.digested_at = None
        run.save(update_fields=["scanned_at", "digested_at"])
    counts["escalated"] = escalate_pending() if escalate else 0
    return counts


# --- digests ------------------------------------------------------------------------------------


def hazard_path(hazard_id: int) -> str:
    try:
        return reverse("hazard_detail", args=[hazard_id])
    except NoReverseMatch:  # the hazard pages are wired in by another module
        return f"/hazards/{hazard_id}/"


def digest_rows(reminders: QuerySet, day: datetime.date) -> QuerySet:
    """One query: the first DIGEST_MAX_ITEMS reminders per kind by deadline (the ledger has
    the rest) with each kind's full count, as window functions. A hazard escalated today is
    listed under 督办 only, not also under 逾期."""
    escalated_today = Reminder.objects.filter(day=day, kind=K.ESCALATE).values("hazard_id")
    by_kind = [F("kind")]
    return (
        reminders.exclude(Q(kind=K.OVERDUE) & Q(hazard_id__in=escalated_today))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=by_kind, order_by=[F("hazard__deadline"), F("hazard_id")]
            ),
            total=Window(Count("id"), partition_by=by_kind),
        )
        .filter(rank__lte=settings.DIGEST_MAX_ITEMS)
        .order_by()
        .values_list(
            "kind",
            "total",
            "hazard_id",
            "hazard__number",
            "hazard__unit__name",
            "hazard__deadline",
            "hazard__level",
            "hazard__description",
        )
    )


def digest_payload(reminders: QuerySet, day: datetime.date) -> dict:
    """{kind: {"count": n, "items": [...]}} for the reminders one group of users may see."""
    rows = digest_rows(reminders, day)
    payload: dict[str, dict] = {}
    for kind, total, hazard_id, number, unit, deadline, level, description in sorted(
        rows, key=lambda row: (row[5], row[2])
    ):
        section = payload.setdefault(kind, {"count": total, "items": []})
        section["items"].append(
            {
                "id": hazard_id,
                "number": number,
                "unit": unit,
                "deadline": deadline.isoformat(),
                "overdue_days": max((day - deadline).days, 0),
                "days_left": max((deadline - day).days, 0),
                "major": level == Hazard.Level.MAJOR,
                "description": description[:60],
                "url": hazard_path(hazard_id),
            }
        )
    return {kind: payload[kind] for kind in KIND_ORDER if kind in payload}


# The payload key of the event notifications a digest's mail carries (inspections.notify).
EVENTS = "events"


def summary(payload: dict) -> str:
    labels = dict(K.choices)
    parts = [
        f"{labels[kind]} {payload[kind]['count']} 项" for kind in KIND_ORDER if kind in payload
    ]
    if EVENTS in payload:
        parts.append(f"动态 {payload[EVENTS]['count']} 条")
    return "，".join(parts)


def _unfolded_events(day: datetime.date) -> QuerySet:
    """Non-urgent event notifications no digest mail has carried yet, up to the end of `day`;
    those already folded into `day`'s (unsent) digest stay in it when it is rebuilt."""
    return Notification.objects.filter(
        Q(digest__isnull=True) | Q(digest__day=day, digest__emailed_at__isnull=True),
        hazard__isnull=False,
        urgent=False,
        day__lte=day,
        user__is_active=True,
    )


def event_sections(day: datetime.date) -> dict[int, dict]:
    """{user id: {"count": n, "items": [...]}}: each user's events for `day`'s digest."""
    rows = (
        _unfolded_events(day)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("user_id")], order_by=[F("id")]),
            total=Window(Count("id"), partition_by=[F("user_id")]),
        )
        .filter(rank__lte=settings.DIGEST_MAX_ITEMS)
        .order_by()
        .values_list("user_id", "total", "id", "kind", "title", "link", "created_at")
    )
    labels = dict(Notification.Kind.choices)
    sections: dict[int, dict] = {}
    for user_id, total, pk, kind, title, link, created_at in sorted(rows, key=lambda r: r[2]):
        section = sections.setdefault(user_id, {"count": total, "items": []})
        section["items"].append(
            {
                "id": pk,
                "kind": kind,
                "label": labels.get(kind, kind),
                "title": title,
                "url": link,
                "at": timezone.localtime(created_at).strftime("%m-%d %H:%M"),
            }
        )
    return sections


def recipient_groups(day: datetime.date) -> list[tuple[list[int], QuerySet]]:
    """(user ids, the day's reminders they may all see), one group per department or role.

    Visibility depends only on role, department and area (and on who created a draft, which
    never has a reminder), so one member per group stands for all of them in visible_to()."""
    todays = Reminder.objects.filter(day=day)
    groups: list[tuple[list[int], QuerySet]] = []
    departments = set(todays.values_list("hazard__lead_department_id", flat=True).distinct())
    # 首办负责制: the 承办 department of a transferred hazard is reminded too.
    departments |= set(
        todays.exclude(hazard__handling_department=None)
        .values_list("hazard__handling_department_id", flat=True)
        .distinct()
    )
    # A street office is told of every hazard in its area (属地管理), whoever leads it.
    areas = todays.values_list("hazard__unit__area_id", flat=True).distinct()
    streets = dict(
        Department.objects.filter(kind=Department.Kind.STREET, area_id__in=list(areas)).values_list(
            "pk", "area_id"
        )
    )
    inspectors = (
        User.objects.filter(
            is_active=True, role=User.Role.INSPECTOR, department_id__in=departments | set(streets)
        )
        .order_by("department_id", "id")
        .values_list("department_id", "id")
    )
    for department_id, members in groupby(inspectors, key=lambda row: row[0]):
        ids = [user_id for _, user_id in members]
        representative = User.objects.get(pk=ids[0])
        scope = Q(lead_department_id=department_id) | Q(handling_department_id=department_id)
        if department_id in streets:
            scope |= Q(unit__area_id=streets[department_id])
        # Narrowed to the department's hazards so visible_to()'s OR is evaluated on those only.
        visible = Hazard.objects.visible_to(representative).filter(scope).values("pk")
        groups.append((ids, todays.filter(hazard__in=visible)))
    if todays.filter(kind=K.ESCALATE).exists():
        overseers = (
            User.objects.filter(is_active=True, role__in=ESCALATION_ROLES)
            .order_by("role", "id")
            .values_list("role", "id")
        )
        for _role, members in groupby(overseers, key=lambda row: row[0]):
            ids = [user_id for _, user_id in members]
            representative = User.objects.get(pk=ids[0])
            visible = (
                Hazard.objects.visible_to(representative)
                .filter(pk__in=todays.filter(kind=K.ESCALATE).values("hazard_id"))
                .values("pk")
            )
            groups.append((ids, todays.filter(kind=K.ESCALATE, hazard__in=visible)))
    return groups


@dataclass(frozen=True)
class Digest:
    id: int
    user_id: int
    created: bool  # new in this run
    emailed: bool  # mail already sent before this run
    email: str


def build_digests(day: datetime.date) -> list[Digest]:
    """Upsert one digest per recipient for `day`; the unique constraint decides.

    An existing digest gets the current payload (a run may find reminders a killed run did not
    reach); it is marked unread again only when its content changed. Under the day's run lock,
    and the run is marked digested in the same transaction: every row of the day is in them."""
    with transaction.atomic():
        run = _lock_run(day)
        digests = _upsert_digests(day)
        _test_pause(TEST_PAUSE_IN_DIGEST_ENV, "digests written, not committed")
        run.digested_at = timezone.now()
        run.save(update_fields=["digested_at"])
    return digests


def _upsert_digests(day: datetime.date) -> list[Digest]:
    wanted: dict[int, dict] = {}
    for user_ids, reminders in recipient_groups(day):
        payload = digest_payload(reminders, day)
        if payload:
            for user_id in user_ids:
                wanted[user_id] = payload
    # A digest already mailed carries no more events: they wait for the next day's.
    mailed = set(
        Notification.objects.filter(
            kind=Notification.Kind.DIGEST, day=day, emailed_at__isnull=False
        ).values_list("user_id", flat=True)
    )
    events = {u: e for u, e in event_sections(day).items() if u not in mailed}
    for user_id, section in events.items():
        wanted[user_id] = {**wanted.get(user_id, {}), EVENTS: section}
    if not wanted:
        return []
    title = f"{day:%Y-%m-%d} 隐患整改提醒"
    digests = Notification.objects.filter(kind=Notification.Kind.DIGEST, day=day)
    with transaction.atomic():
        existing = {n.user_id: n for n in digests.filter(user_id__in=list(wanted))}
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=user_id,
                    kind=Notification.Kind.DIGEST,
                    day=day,
                    title=title,
                    body=summary(payload),
                    payload=payload,
                )
                for user_id, payload in wanted.items()
                if user_id not in existing
            ],
            ignore_conflicts=True,
        )
        changed = []
        for user_id, notification in existing.items():
            if notification.payload != wanted[user_id]:
                notification.payload = wanted[user_id]
                notification.body = summary(wanted[user_id])
                notification.read_at = None
                changed.append(notification)
        Notification.objects.bulk_update(changed, ["payload", "body", "read_at"])
        if events:
            digest_of = dict(digests.filter(user_id__in=list(events)).values_list("user_id", "pk"))
            for user_id, section in events.items():
                _unfolded_events(day).filter(
                    user_id=user_id, pk__in=[item["id"] for item in section["items"]]
                ).update(digest_id=digest_of[user_id])
    rows = digests.filter(user_id__in=list(wanted)).values_list(
        "id", "user_id", "emailed_at", "user__email"
    )
    return [
        Digest(
            id=pk,
            user_id=user_id,
            created=user_id not in existing,
            emailed=emailed_at is not None,
            email=email or "",
        )
        for pk, user_id, emailed_at, email in rows.order_by("user_id")
    ]


# --- mail ---------------------------------------------------------------------------------------


def digest_sections(payload: dict) -> list[dict]:
    """The payload in ladder order with labels, for the detail page and the mail."""
    labels = dict(K.choices)
    return [
        {"kind": kind, "label": labels[kind], **payload[kind]}
        for kind in KIND_ORDER
        if kind in payload
    ]


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)


def claim_digest_email(notification_id: int) -> Notification | None:
    """Claim one digest's mail, or None when there is nothing to send.

    Under the row lock: unsent, deliverable, and not claimed by a live sender. The claim is
    committed before anything is sent, so a second sender (a redelivered task, the sweeper, a
    second beat's run) finds it and leaves. A claim older than TASK_LEASE_SECONDS belongs to a
    sender that died mid-send and is taken over: the one case where a mail can go out twice —
    if the SMTP server had accepted it in the instant before the worker died — and it is logged."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=notification_id)
        )
        user = notification.user
        if notification.emailed_at is not None or not user.email or not user.is_active:
            return None
        claimed = notification.email_claimed_at
        if claimed is not None and claimed > now - _lease():
            return None
        if claimed is not None:
            logger.warning(
                "digest %s: its mail was claimed at %s and never confirmed (the sender died); "
                "sending it again, same Message-ID",
                notification_id,
                claimed.isoformat(),
            )
        notification.email_claimed_at = now
        notification.email_attempts += 1
        notification.save(update_fields=["email_claimed_at", "email_attempts"])
    return notification


def digest_message(notification: Notification) -> EmailMultiAlternatives:
    user = notification.user
    sections = digest_sections(notification.payload)
    for section in sections:
        section["items"] = [
            {**item, "absolute_url": absolute(item["url"])} for item in section["items"]
        ]
    events = notification.payload.get(EVENTS)
    if events:
        events = {
            **events,
            "items": [{**item, "absolute_url": absolute(item["url"])} for item in events["items"]],
        }
    context = {
        "notification": notification,
        "user": user,
        "sections": sections,
        "events": events,
        "detail_url": absolute(reverse("notification_detail", args=[notification.pk])),
        "site_url": settings.SITE_URL,
    }
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=f"【安检】隐患整改提醒 {notification.day:%Y-%m-%d}",
        body=render_to_string("notifications/email/digest.txt", context),
        to=[user.email],
        # Stable per digest: a mail sent again after a dead sender is recognisably the same one.
        headers={"Message-ID": f"<digest-{notification.pk}.{notification.day:%Y%m%d}@{host}>"},
    )
    message.attach_alternative(
        render_to_string("notifications/email/digest.html", context), "text/html"
    )
    return message


def send_digest_email(notification_id: int) -> bool:
    """Mail one digest at most once (see claim_digest_email). A send that fails with an error
    releases the claim for the task's retry; a sent one is stamped. False: nothing to send."""
    notification = claim_digest_email(notification_id)
    if notification is None:
        return False
    message = digest_message(notification)
    _test_pause(TEST_PAUSE_IN_EMAIL_ENV, "mail claimed, not sent")
    try:
        message.send(fail_silently=False)
    except Exception:
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            email_claimed_at=None
        )
        raise
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return True


def _send_inline(notification_id: int) -> bool:
    try:
        return send_digest_email(notification_id)
    except OSError:  # smtplib errors included; the digest stays unsent for the next run
        logger.exception("digest %s: mail failed", notification_id)
        return False


# --- the sweeper --------------------------------------------------------------------------------


def unsent_digests(first: datetime.date, last: datetime.date, now: datetime.datetime) -> list[int]:
    """Digests of days first..last whose mail is due and neither sent nor claimed by a live
    sender, nor so new that the run that built them is still handing them out."""
    stale = now - _lease()
    return list(
        Notification.objects.filter(
            kind=Notification.Kind.DIGEST,
            emailed_at__isnull=True,
            day__gte=first,
            day__lte=last,
            user__is_active=True,
            created_at__lt=stale,
        )
        .exclude(user__email="")
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale))
        .order_by("day", "id")
        .values_list("id", flat=True)
    )


def catch_up(before: datetime.date, *, send: Callable[[int], bool]) -> dict[str, int]:
    """Finish the days before `before`: build the digests of days scanned but never digested
    (a worker killed between the two, a broker that lost the task), then mail their unsent
    digests of the last DIGEST_EMAIL_CATCH_UP_DAYS days."""
    first = before - datetime.timedelta(days=settings.DIGEST_EMAIL_CATCH_UP_DAYS)
    days = _undelivered_days(before)
    pending: list[int] = []
    for day in days:
        built = build_digests(day)
        logger.warning("reminders %s: digests built by the sweeper", day)
        if day >= first:
            pending += [d.id for d in built if d.email and not d.emailed]
    pending += unsent_digests(first, before - _ONE, timezone.now())
    mailed = sum(1 for notification_id in dict.fromkeys(pending) if send(notification_id))
    return {"days_digested": len(days), "mails": mailed}


def daily_run_due(today: datetime.date, now: datetime.datetime) -> bool:
    """Whether today's run should be (re)started: past REMINDER_HOUR and not finished, and not
    started within the lease (then it is still running somewhere)."""
    run = ReminderRun.objects.filter(day=today).first()
    if run is not None and run.digested_at is not None and run.scanned_at is not None:
        return False
    if run is not None and run.started_at is not None and run.started_at > now - _lease():
        return False
    return timezone.localtime(now).hour >= settings.REMINDER_HOUR or (
        run is not None and run.scanned_at is not None
    )


def sweep(*, send: Callable[[int], bool], now: datetime.datetime | None = None) -> dict[str, int]:
    """The sweeper's reminder part: earlier days finished, today's run finished (or run, when
    the beat's message was lost), today's unsent mails sent again. Safe to run at any time, any
    number of times at once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = catch_up(today, send=send)
    result["daily_run"] = 0
    if daily_run_due(today, now):
        logger.warning("reminders %s: the daily run is missing or unfinished, running it", today)
        run_daily(today, send=send)
        result["daily_run"] = 1
    else:
        result["mails"] += sum(1 for pk in unsent_digests(today, today, now) if send(pk))
    return result


# --- the daily job ------------------------------------------------------------------------------


def _describe(digest: Digest, users: dict[int, User], payload: dict) -> str:
    user = users[digest.user_id]
    where = f"（{user.department}）" if user.department_id else ""
    channel = digest.email or "仅站内"
    parts = []
    for section in digest_sections(payload):
        numbers = "、".join(item["number"] or f"#{item['id']}" for item in section["items"][:10])
        more = " 等" if section["count"] > 10 else ""
        parts.append(f"{section['label']} {section['count']} 项：{numbers}{more}")
    state = (
        "已发送过" if (digest.emailed or (not digest.email and not digest.created)) else "待发送"
    )
    return f"{user}{where} <{channel}> [{state}] " + "；".join(parts)


def _run(
    day: datetime.date,
    *,
    dry_run: bool,
    send: Callable[[int], bool],
    report: Callable[[str], None] | None,
) -> tuple[int, int]:
    counts = scan(day, escalate=not dry_run)
    logger.info("reminders %s: %s", day, counts)
    if not dry_run:
        _test_pause(TEST_PAUSE_ENV, "scan committed, no digest yet")
    digests = build_digests(day)
    if report is not None and digests:
        users = User.objects.select_related("department").in_bulk([d.user_id for d in digests])
        payloads = dict(
            Notification.objects.filter(pk__in=[d.id for d in digests]).values_list("id", "payload")
        )
        for digest in digests:
            report(_describe(digest, users, payloads[digest.id]))
    sent = skipped = 0
    for digest in digests:
        already = digest.emailed if digest.email else not digest.created
        if already:
            skipped += 1
        elif dry_run or not digest.email or send(digest.id):
            sent += 1
    return sent, skipped


def run_daily(
    day: datetime.date,
    dry_run: bool = False,
    *,
    send: Callable[[int], bool] | None = None,
    report: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """The daily job: finish earlier days (catch_up), scan, escalate, build digests, mail them.
    Returns (sent, skipped): digests delivered by this run (mailed, or in-app only for users
    without an email address) and digests already delivered for that day before it.

    `send` mails one digest by id (the Celery task enqueues instead; default: inline).
    A dry run does everything inside a transaction it rolls back and sends nothing, so it
    reports exactly what a real run would do and writes nothing."""
    send = send or _send_inline
    if not dry_run:
        ReminderRun.objects.get_or_create(day=day)
        ReminderRun.objects.filter(day=day).update(started_at=timezone.now())
        catch_up(day, send=send)
        return _run(day, dry_run=False, send=send, report=report)
    with transaction.atomic():
        result = _run(day, dry_run=True, send=send, report=report)
        transaction.set_rollback(True)
    return result
