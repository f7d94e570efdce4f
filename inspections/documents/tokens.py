"""The verification token: a random key (stored on the document) signed with the site's secret.

The key alone is unguessable (128 bits); the signature lets the verification page turn away a
made-up token without asking the database, so scanning for tokens costs the server nothing."""

import secrets

from django.core import signing

_SALT = "anjian.documents.verify"


def new_key() -> str:
    return secrets.token_urlsafe(16)


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT, algorithm="sha256", sep=".")


def sign(key: str) -> str:
    return _signer().sign(key)


def unsign(token: str) -> str | None:
    """The key inside a well-signed token, None for anything else."""
    try:
        return _signer().unsign(token)
    except signing.BadSignature:
        return None
