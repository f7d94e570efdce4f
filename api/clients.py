"""Issuing, scoping, rotating and revoking API clients (the admin calls these)."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from units.models import User

from .models import ApiClient

TOKEN_MARK = "aj"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    """(token, prefix). The prefix finds the row; 256 random bits make the token."""
    prefix = secrets.token_hex(6)
    return f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def prefix_of(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_MARK or not parts[1] or not parts[2]:
        return None
    return parts[1]


def find_client(token: str) -> ApiClient | None:
    """The client whose token this is (revoked or not), compared in constant time."""
    prefix = prefix_of(token)
    if prefix is None:
        return None
    client = ApiClient.objects.select_related("user").filter(token_prefix=prefix).first()
    if client is None or not hmac.compare_digest(client.token_hash, hash_token(token)):
        return None
    return client


def _sync_service_user(client: ApiClient, user: User) -> None:
    user.name = client.name[:30]
    user.role = User.Role.API
    user.department = client.department
    user.set_unusable_password()
    user.save()


@transaction.atomic
def create_client(*, client: ApiClient, created_by: User) -> str:
    """Saves a new `client` (fields filled by the admin form) with its service account.
    Returns the token: shown once, only its hash is kept."""
    user = User(username=f"api-{client.code}")
    _sync_service_user(client, user)
    token, prefix = _new_token()
    client.user = user
    client.created_by = created_by
    client.token_prefix = prefix
    client.token_hash = hash_token(token)
    client.token_issued_at = timezone.now()
    client.save()
    return token


@transaction.atomic
def update_client(*, client: ApiClient) -> None:
    """Saves edits; the scope lives on the service account, so it follows at once."""
    client.save()
    _sync_service_user(client, client.user)


@transaction.atomic
def rotate_token(*, client_id: int) -> str:
    """A new token; the old one stops working at once. Clears a revocation."""
    client = ApiClient.objects.select_for_update().get(pk=client_id)
    token, prefix = _new_token()
    client.token_prefix = prefix
    client.token_hash = hash_token(token)
    client.token_issued_at = timezone.now()
    client.revoked_at = None
    client.revoked_by = None
    client.save(
        update_fields=["token_prefix", "token_hash", "token_issued_at", "revoked_at", "revoked_by"]
    )
    return token


def revoke(*, client_id: int, by: User) -> bool:
    """Stops the client's token at once; False if it was already revoked."""
    return bool(
        ApiClient.objects.filter(pk=client_id, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_by=by
        )
    )
