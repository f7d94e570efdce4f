"""Loaded by pytest before Django (`-p tests.testenv`): the test run's environment defaults.

CI exports DATABASE_URL and REDIS_URL; these defaults only fill what is unset."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_HTTPS", "0")
os.environ.setdefault("PLAIN_STATIC", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
if os.environ.get("CI") and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    # CI proves the PostgreSQL path; an unset URL must not quietly test SQLite instead.
    raise SystemExit(
        "CI=true but DATABASE_URL is not a postgres:// URL: refusing to test on SQLite"
    )
