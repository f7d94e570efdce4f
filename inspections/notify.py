"""Notifications for hazard events (交办, 待复查, 延期, 督办, 挂牌, 转办 …).

`hazard_event` is the one helper: inspections.workflow calls it inside the transition's own
transaction, so a rolled-back action notifies nobody, and every notification links to its hazard.
Who is told is decided here (the `recipients` helpers) and narrowed to those who may see the
hazard (`Hazard.objects.visible_to`) and have not muted the kind. Urgent kinds cannot be muted
and are mailed at once, after commit; the others reach the mailbox folded into the next
daily digest (inspections.reminders).
"""

import datetime
import logging
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from units.models import Department, User

from .duty import leaders_on_duty
from .models import Accident, Hazard, MutedKind, Notification
from .stats import chinese_date

K = Notification.Kind
logger = logging.getLogger(__name__)
SEND_TASK = "inspections.send_event_email"


def _people() -> QuerySet:
    return User.objects.filter(is_active=True, role__in=User.PEOPLE_ROLES)


# --- who --------------------------------------------------------------------------------------


def departments(*department_ids: int | None) -> QuerySet:
    """The inspectors of these departments."""
    ids = [pk for pk in department_ids if pk]
    return _people().filter(role=User.Role.INSPECTOR, department_id__in=ids)


def hazard_department(hazard: Hazard) -> QuerySet:
    """Whoever answers for the hazard: its 首办 department, and its 承办 department once
    transferred (首办负责制: both are told)."""
    return departments(hazard.lead_department_id, hazard.handling_department_id)


def street_of(hazard: Hazard) -> QuerySet:
    """The street office of the hazard's area (属地)."""
    streets = Department.objects.filter(
        kind=Department.Kind.STREET, area_id=hazard.unit.area_id
    ).values("pk")
    return _people().filter(role=User.Role.INSPECTOR, department_id__in=streets)


def roles(*names: str) -> QuerySet:
    return _people().filter(role__in=names)


def users(*pks: int | None) -> QuerySet:
    return _people().filter(pk__in=[pk for pk in pks if pk])


def on_duty(*department_ids: int | None, area_id: int | None = None) -> QuerySet:
    """Today's leaders on duty (值班表) for these departments, the street office of `area_id`
    and the office."""
    return leaders_on_duty(timezone.localdate(), department_ids, area_id=area_id)


def on_duty_for(hazard: Hazard) -> QuerySet:
    """Today's leaders on duty who answer for the hazard: its departments, its street, the office."""
    return on_duty(
        hazard.lead_department_id, hazard.handling_department_id, area_id=hazard.unit.area_id
    )


# --- the helper -------------------------------------------------------------------------------


def _may_see(hazard: Hazard, candidates: list[User]) -> list[User]:
    """visible_to for each candidate, asked once per (role, department): scope depends on
    nothing else for a hazard that is not a draft."""
    verdicts: dict[tuple, bool] = {}
    seen = []
    for user in candidates:
        key = (user.role, user.is_superuser, user.department_id)
        if user.department_id is None and not user.sees_everything:
            key = ("user", user.pk)
        if key not in verdicts:
            verdicts[key] = Hazard.objects.visible_to(user).filter(pk=hazard.pk).exists()
        if verdicts[key]:
            seen.append(user)
    return seen


def hazard_event(
    hazard: Hazard,
    *,
    kind: str,
    actor,
    recipients: Iterable[QuerySet],
    title: str,
    body: str = "",
) -> list[Notification]:
    """Tell `recipients` (querysets of users, merged) about an event of `hazard`; never the
    actor. Must run inside the transaction that records the event."""
    query = Q(pk__in=[])
    for queryset in recipients:
        query |= Q(pk__in=queryset.values("pk"))
    candidates = _people().filter(query).select_related("department")
    if actor is not None:
        candidates = candidates.exclude(pk=actor.pk)
    urgent = kind in Notification.URGENT_KINDS
    if not urgent:
        candidates = candidates.exclude(
            pk__in=MutedKind.objects.filter(kind=kind).values("user_id")
        )
    targets = _may_see(hazard, list(candidates.order_by("pk")))
    if not targets:
        return []
    link = reverse("hazard_detail", args=[hazard.pk])
    today = timezone.localdate()
    created = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=kind,
                day=today,
                hazard=hazard,
                urgent=urgent,
                title=f"{Notification.Kind(kind).label}：{hazard.number} {title}".strip()[:200],
                body=body,
                link=link,
            )
            for user in targets
        ]
    )
    mailed = [n.pk for n, user in zip(created, targets, strict=True) if urgent and user.email]
    if mailed:
        transaction.on_commit(lambda: _enqueue(mailed))
    return created


def fatal_accident(accident, *, actor) -> list[Notification]:
    """A fatal accident registered on a duty day reaches that day's leaders on duty (the
    office's, the street's and the unit's department's). Urgent: mailed at once."""
    if not accident.deaths:
        return []
    lead = accident.unit.lead_department_id if accident.unit_id else None
    candidates = on_duty(lead, area_id=accident.area_id)
    if actor is not None:
        candidates = candidates.exclude(pk=actor.pk)
    targets = [
        user
        for user in candidates.order_by("pk")
        if Accident.objects.visible_to(user).filter(pk=accident.pk).exists()
    ]
    if not targets:
        return []
    where = accident.unit.name if accident.unit_id else accident.area.name
    created = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=K.FATAL_ACCIDENT,
                day=timezone.localdate(),
                urgent=True,
                title=(
                    f"{K.FATAL_ACCIDENT.label}：{where} {accident.get_kind_display()} "
                    f"死亡{accident.deaths}人"
                )[:200],
                body=f"发生日期：{chinese_date(accident.occurred_on)}\n{accident.description}",
                link=reverse("accident_detail", args=[accident.pk]),
            )
            for user in targets
        ]
    )
    mailed = [n.pk for n, user in zip(created, targets, strict=True) if user.email]
    if mailed:
        transaction.on_commit(lambda: _enqueue(mailed))
    return created


def _enqueue(notification_ids: list[int]) -> None:
    # By name, so this plain-function module imports no task module; eager mode still runs it.
    # After commit nothing may fail the action: a broker down or, inline, an SMTP error leaves
    # the mail unsent, and the sweeper sends it.
    task = current_app.tasks[SEND_TASK]
    for pk in notification_ids:
        try:
            task.apply_async(args=[pk])
        except Exception:
            logger.warning("urgent notification %s: mail not sent now; the sweeper will", pk)


# --- mail for urgent kinds --------------------------------------------------------------------


def send_event_email(notification_id: int) -> bool:
    """Mail one urgent notification at most once: the digest's claim (row lock, lease)."""
    from .reminders import absolute, claim_digest_email

    notification = claim_digest_email(notification_id)
    if notification is None:
        return False
    message = EmailMessage(
        subject=f"【安检】{notification.title}",
        body=f"{notification.title}\n\n{notification.body}\n\n{absolute(notification.link)}\n",
        to=[notification.user.email],
    )
    try:
        message.send(fail_silently=False)
    except Exception:
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            email_claimed_at=None
        )
        raise
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return True


def unsent_urgent(now: datetime.datetime) -> list[int]:
    """Urgent mails a lost broker or a killed worker left unsent (the sweeper resends them)."""
    stale = now - datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)
    return list(
        Notification.objects.filter(
            urgent=True, emailed_at__isnull=True, created_at__lt=stale, user__is_active=True
        )
        .exclude(user__email="")
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale))
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
