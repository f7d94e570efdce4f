"""Login lockout (django-axes): who is locked out, and unlocking them.

Axes counts failed logins per username and per client address (AXES_LOCKOUT_PARAMETERS) against
one limit. An office behind one NAT address would lock everyone out after a few typos, so the
address count is scaled: it reaches AXES_FAILURE_LIMIT exactly when the address has
LOGIN_IP_FAILURE_LIMIT failures.
"""

from dataclasses import dataclass
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_username, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        scaled = by_address * settings.LOGIN_FAILURE_LIMIT // settings.LOGIN_IP_FAILURE_LIMIT
        return max(by_username, scaled)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # Axes would forget every failure from the address too: then anyone with an account who
        # signs in from the same address would lift another username's lockout. Only the
        # failures of the username that just signed in are forgotten.
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted


def client_ip(request) -> str | None:
    """The address a login came from: the proxy's last X-Forwarded-For hop when it is trusted."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR")


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "ip_address"
    value: str
    failures: int
    last_attempt: datetime

    @property
    def label(self) -> str:
        return "账号" if self.kind == "username" else "IP 地址"

    @property
    def until(self) -> datetime:
        return self.last_attempt + settings.AXES_COOLOFF_TIME


def current_lockouts() -> list[Lockout]:
    """Usernames and addresses locked out now (failures within the cool-off reach the limit)."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=threshold)
    limits = {
        "username": settings.LOGIN_FAILURE_LIMIT,
        "ip_address": settings.LOGIN_IP_FAILURE_LIMIT,
    }
    found = []
    for kind, limit in limits.items():
        rows = (
            recent.exclude(**{f"{kind}__isnull": True})
            .values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
            .order_by("-last")
        )
        found += [Lockout(kind, row[kind], row["failures"], row["last"]) for row in rows]
    return sorted(found, key=lambda lockout: lockout.last_attempt, reverse=True)


def unlock(*, kind: str, value: str) -> int:
    """Forget the failed attempts of one username or address; the number of rows removed."""
    if kind not in ("username", "ip_address"):
        raise ValueError(kind)
    deleted, _ = AccessAttempt.objects.filter(**{kind: value}).delete()
    return deleted


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets (AXES_LOCKOUT_CALLABLE), in Chinese, inside the layout."""
    context = {
        "username": get_client_username(request, credentials) or "",
        "cooloff_minutes": settings.LOGIN_COOLOFF_MINUTES,
    }
    return render(request, "accounts/locked_out.html", context, status=429)


def limits() -> dict:
    return {
        "username": settings.LOGIN_FAILURE_LIMIT,
        "ip_address": settings.LOGIN_IP_FAILURE_LIMIT,
        "minutes": settings.LOGIN_COOLOFF_MINUTES,
    }
