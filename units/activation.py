"""Unit accounts (单位账号) through activation codes: the office never types a unit's password.

issue → the plaintext code is shown once (printed for the unit, or on its 整改通知书) and only
its keyed hash is stored; activate → the unit's safety contact chooses a username and password
and becomes the unit's account; revoke → the code stops working. A code works once, until it
expires (settings.ACTIVATION_CODE_DAYS), and issuing a new one revokes the unit's open code.
"""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import ActivationCode, Unit, User

# No 0/O, 1/I/L: a code is read off paper and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS, GROUP_LENGTH = 3, 4  # 31^12 ≈ 7.9e17 codes; axes stops guessing long before
ISSUER_ROLES = (User.Role.INSPECTOR, User.Role.OFFICE, User.Role.ADMIN)


def normalise(code: str) -> str:
    """What the unit typed, without spaces, dashes or case: "abcd-efgh 2345" → "ABCDEFGH2345"."""
    return "".join(char for char in (code or "").upper() if char.isalnum())


def code_hash(code: str) -> str:
    return salted_hmac("units.ActivationCode", normalise(code), algorithm="sha256").hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def may_issue(user, unit: Unit) -> bool:
    """The office for any unit; an inspector (on site) for a unit in their scope."""
    if not user.is_authenticated or not (user.is_superuser or user.role in ISSUER_ROLES):
        return False
    return Unit.objects.visible_to(user).filter(pk=unit.pk).exists()


@transaction.atomic
def issue(*, unit: Unit, actor) -> tuple[ActivationCode, str]:
    """A new code for `unit` (the open one, if any, is revoked): the row and the plaintext,
    which is never stored and cannot be shown again."""
    if not may_issue(actor, unit):
        raise PermissionDenied("您无权为该单位签发激活码")
    now = timezone.now()
    # The row lock on the unit serialises two issuers; the partial unique constraint is the
    # last word if anything slips past it.
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    ActivationCode.objects.filter(unit=unit, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    plaintext = _new_code()
    code = ActivationCode.objects.create(
        unit=unit,
        code_hash=code_hash(plaintext),
        issued_by=actor,
        expires_at=now + datetime.timedelta(days=settings.ACTIVATION_CODE_DAYS),
    )
    return code, plaintext


@transaction.atomic
def revoke(*, code: ActivationCode, actor) -> bool:
    """False when the code was already used or revoked (nothing changes then)."""
    if not may_issue(actor, code.unit):
        raise PermissionDenied("您无权作废该单位的激活码")
    return bool(
        ActivationCode.objects.filter(
            pk=code.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now(), revoked_by=actor)
    )


class ActivationFailed(Exception):
    """The code does not open an account; str() is the one message the unit sees, whatever the
    reason (unknown, used, revoked, expired), so a guesser learns nothing from it."""

    def __init__(self):
        super().__init__("激活码无效或已过期，请向安委办或检查员重新索取")


def find_usable(code: str) -> ActivationCode | None:
    digest = code_hash(code)
    found = ActivationCode.objects.usable().select_related("unit").filter(code_hash=digest).first()
    # The lookup is by an index on the hash; the comparison is constant-time all the same, so
    # timing never tells how much of a guessed digest matched.
    if found is None or not constant_time_compare(found.code_hash, digest):
        return None
    return found


@transaction.atomic
def activate(*, code: str, username: str, password: str, name: str = "", phone: str = "") -> User:
    """Opens the unit's account: the code is used up under a row lock (two tabs posting the
    same code make one account), the unit's earlier accounts are deactivated (a new 安全负责人
    takes over), and the password passes Django's validators."""
    found = find_usable(code)
    if found is None:
        raise ActivationFailed()
    locked = ActivationCode.objects.usable().select_for_update().filter(pk=found.pk).first()
    if locked is None:
        raise ActivationFailed()
    user = User(username=username, name=name, phone=phone, role=User.Role.UNIT, unit=found.unit)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": "该用户名已被使用"}) from None
    User.objects.filter(unit=found.unit, is_active=True).exclude(pk=user.pk).update(is_active=False)
    locked.used_at = timezone.now()
    locked.account = user
    locked.save(update_fields=["used_at", "account"])
    return user
