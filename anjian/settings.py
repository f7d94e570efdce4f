"""One settings module for every environment; values come from environment variables.

Unset variables fall back to safe defaults for trying the app out: SQLite, tasks run inline,
mail to the console. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_postgres_url(name: str, unset: str) -> str:
    value = env_str(name, "")
    if value and not value.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(f"{name} must be a postgres:// URL (or unset {unset})")
    return value


def read_env_file(path: Path) -> None:
    """Fills variables the environment leaves unset from KEY=value lines.

    `make run` writes DEV_ENV_FILE so that the README's `.venv/bin/python manage.py …` commands
    see the same settings as the demo server beside them. The file is git-ignored and kept out
    of the Docker image: a deploy never has it, so DEBUG stays off and SECRET_KEY required
    there, and a variable set in the environment (DEBUG=0) always wins over the file."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ImproperlyConfigured(f"{path}:{number}: expected NAME=value, got {line!r}")
        os.environ.setdefault(name.strip(), value.strip())


# ANJIAN_ENV_FILE= (empty) ignores the file, e.g. to try production settings on a demo checkout.
DEV_ENV_FILE = os.environ.get("ANJIAN_ENV_FILE", str(BASE_DIR / ".env.dev"))
if DEV_ENV_FILE and Path(DEV_ENV_FILE).is_file():
    read_env_file(Path(DEV_ENV_FILE))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Only a DEBUG run may use a throwaway key; it changes nothing a production deploy uses.
    SECRET_KEY = "insecure-dev-only-" + "x" * 40
elif not DEBUG:
    # Sessions, CSRF tokens and password resets are only as secret as this key: refuse the
    # .env.example placeholder, Django's generated insecure keys and anything guessable.
    _PLACEHOLDERS = ("change-me", "changeme", "placeholder", "insecure")
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or any(word in SECRET_KEY.lower() for word in _PLACEHOLDERS)
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY is a placeholder or too short: with DEBUG off it needs at least 50 random "
            'characters, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(50))"'
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "units",
    "inspections",
    "api",
    "portal",
    # axes before accounts: accounts/admin.py replaces axes's log admins.
    "axes",
    "accounts",
    "csp",
    # Change history (audit/): triggers on PostgreSQL; audit after the apps whose models it tracks.
    "pgtrigger",
    "pghistory",
    "audit",
]

# Security headers and the request-size limit (anjian/middleware.py, django-csp); accounts
# (accounts/): idle and absolute session limits, the forced first password change, and
# django-axes last so it turns a locked-out login into its answer.
ACCOUNT_MIDDLEWARE = [
    "anjian.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.ForcePasswordChangeMiddleware",
    # A unit account reaches the portal and nothing else (portal/middleware.py).
    "portal.middleware.UnitBoundaryMiddleware",
    "axes.middleware.AxesMiddleware",
]

# The audit trail (audit/): who, from which address and path, for every change a request
# makes; every download and export a signed-in user takes away.
AUDIT_MIDDLEWARE = [
    "audit.context.AuditContextMiddleware",
    "audit.records.AccessLogMiddleware",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.middleware.ApiCallLogMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    *AUDIT_MIDDLEWARE,
    *ACCOUNT_MIDDLEWARE,
]

ROOT_URLCONF = "anjian.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inspections.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "anjian.wsgi.application"

DATABASE_URL = env_postgres_url("DATABASE_URL", "for SQLite")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, with out-of-range integers and racing writers answered
            # as on PostgreSQL (anjian/sqlite/base.py).
            "ENGINE": "anjian.sqlite",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
                "transaction_mode": "IMMEDIATE",
                # WAL: readers never wait for the writer, the writer never waits for readers.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# A streaming replica of default for the dashboard's and the bulletins' aggregates, which opt
# in with anjian.db_routers.replica_reads(); everything else reads and writes default
# (README, 部署). Unset: no alias and no router, every query on default.
DATABASE_REPLICA_URL = env_postgres_url("DATABASE_REPLICA_URL", "for no replica")
if DATABASE_REPLICA_URL:
    if not DATABASE_URL:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL is set but DATABASE_URL is not")
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    # The test runner cannot create a database on a read-only standby: tests read the
    # default test database through this alias instead.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["anjian.db_routers.ReplicaRouter"]

# The hazard counts index carries INCLUDE columns for PostgreSQL's index-only scans; the SQLite
# demo builds it on its key alone, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if not DATABASE_URL else []

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "units.User"


LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese whatever the browser asks for: no LocaleMiddleware (it let an English
# Accept-Language turn Django's own messages into "This field is required."), one language.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# django-filter's empty choice otherwise reads "---------" on every filter select.
FILTERS_EMPTY_CHOICE_LABEL = "全部"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploads are never served as static files: photos go through a view that checks scope.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Scale-out (several web containers, README 部署): uploads and generated files (photos,
# bulletins, documents) in S3-compatible object storage — MinIO on the intranet — when a
# bucket is named, so no web process keeps state on its own disk. Private objects, reached
# only through the views that check scope (signed URLs, never public ones).
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            # MinIO serves buckets by path (http://minio:9000/<bucket>/…), not by host name.
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "path"),
        },
    }
# Tests and `make run` use the plain storage so no collectstatic is needed before them.
if env_bool("PLAIN_STATIC", False):
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    WHITENOISE_USE_FINDERS = True

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 10 * 1024 * 1024)
# Photos with more pixels than this are refused before decoding (decompression bombs);
# 50 MP admits every phone camera's default mode.
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 50_000_000)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# A unit's rectification documents (PDF) in the portal: checked by their magic bytes and size.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# How long a unit's activation code works (units/activation.py): long enough to reach the
# safety contact through the printed 整改通知书, short enough that a lost sheet goes stale.
ACTIVATION_CODE_DAYS = env_int("ACTIVATION_CODE_DAYS", 14)
if ACTIVATION_CODE_DAYS < 1:
    raise ImproperlyConfigured("ACTIVATION_CODE_DAYS must be at least 1")
# Rows per unit-import file: a preview lists every bad row, so one upload stays reviewable.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20000)
# Hazard ledgers with more confirmed rows than this are imported by a worker (progress page).
IMPORT_INLINE_MAX_ROWS = env_int("IMPORT_INLINE_MAX_ROWS", 2000)

# Security: secure by default when DEBUG is off; a plain-HTTP intranet may turn HTTPS off explicitly.
SECURE_HTTPS = env_bool("SECURE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Trusting X-Forwarded-Proto is only safe behind a TLS proxy that sets it and strips the
# client's own; HTTPS deployments have one (nothing else terminates TLS here), others turn it off.
if env_bool("TRUST_X_FORWARDED_PROTO", SECURE_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Mail: console in development, SMTP when EMAIL_HOST is given.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "anjian@localhost")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
# Directory of the file backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend),
# e.g. to inspect the mails a worker sent.
if env_str("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")

# Celery: without REDIS_URL tasks run inline in the web process.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message a worker took but never acknowledged (the worker was killed) comes back after this
# many seconds. Longer than the longest task — a 100k-row export ~50 s, the 1M-hazard daily run
# 33 s, a month bulletin 30 s — so a task still running is not handed to a second worker, and
# short enough that a lost one returns within the quarter hour; the sweeper usually redoes the
# work before that (SWEEP_SECONDS).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900),
    # A broker that is down must not hold a page: the work is in the database already and the
    # sweeper sends it once the broker is back (anjian.celery.enqueue_on_commit).
    "socket_connect_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

REMINDER_HOUR = env_int("REMINDER_HOUR", 8)
# The sweeper (inspections.tasks.sweeper) runs this often: it finishes a daily run a killed
# worker or a restarted broker left half-done, mails digests whose mail was lost, and restarts
# bulletins and exports whose task never arrived or whose worker died.
SWEEP_SECONDS = env_int("SWEEP_SECONDS", 300)
# Work started this long ago without finishing — a daily run, a claimed digest mail, a bulletin
# being built, an export without progress — belongs to a dead worker: the sweeper takes it over.
# Above the longest real step (the 1M-hazard daily run 33 s, a month bulletin 30 s, an SMTP
# conversation of a few EMAIL_TIMEOUTs, one 1,000-row export chunk).
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 600)
# Unsent digest mails older than this many days are not sent any more (the in-app digest stays).
DIGEST_EMAIL_CATCH_UP_DAYS = env_int("DIGEST_EMAIL_CATCH_UP_DAYS", 7)

# Reminders (inspections/reminders.py). Overdue beyond these many days → 督办 (escalation);
# major hazards escalate sooner.
ESCALATE_AFTER_DAYS = env_int("ESCALATE_AFTER_DAYS", 7)
ESCALATE_MAJOR_AFTER_DAYS = env_int("ESCALATE_MAJOR_AFTER_DAYS", 3)
# An overdue hazard is listed again every N days (1 = daily), so a chronic backlog does not
# fill every digest every day.
OVERDUE_REMIND_EVERY_DAYS = env_int("OVERDUE_REMIND_EVERY_DAYS", 7)
# Hazards listed per kind in one digest; the counts are always complete, the ledger has the rest.
DIGEST_MAX_ITEMS = env_int("DIGEST_MAX_ITEMS", 100)
# Absolute links in mails (no request to build them from in a worker).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Beat times are Asia/Shanghai (CELERY_TIMEZONE). Risk-control reviews run first, so a hazard
# they reopen is in the morning's reminders.
CELERY_BEAT_SCHEDULE = {
    "review-risk-controls": {
        "task": "inspections.tasks.reminders.review_risk_controls",
        "schedule": crontab(hour=0, minute=30),
    },
    "daily-reminders": {
        "task": "inspections.tasks.reminders.daily_reminders",
        "schedule": crontab(hour=REMINDER_HOUR, minute=0),
    },
    "sweep": {
        "task": "inspections.tasks.sweeper.sweep",
        "schedule": float(SWEEP_SECONDS),
        # A sweep queued behind a dead worker is worth nothing once the next one is due.
        "options": {"expires": float(SWEEP_SECONDS)},
    },
}

# Ledger exports up to this many rows download at once; larger ones run as a Celery task
# and the user downloads the file from the export page when it is ready.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000)

# The leaders' dashboard keeps its figures this many seconds per filter set and scope (a
# district-scale page is a dozen aggregate queries); 0 turns the cache off.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 120)

# 通报 (bulletins). The district's name and its one-character abbreviation make the issuing
# body (铁西区安全生产委员会办公室) and the document number (铁安委办〔2026〕N号); either can be
# given in full instead. The same prefix numbers the demo's 挂牌督办 notices: one register.
DISTRICT_NAME = env_str("DISTRICT_NAME", "铁西区")
DISTRICT_ABBR = env_str("DISTRICT_ABBR", "铁")
BULLETIN_ISSUER = env_str("BULLETIN_ISSUER", f"{DISTRICT_NAME}安全生产委员会办公室")
BULLETIN_NUMBER_PREFIX = env_str("BULLETIN_NUMBER_PREFIX", f"{DISTRICT_ABBR}安委办")
if not BULLETIN_ISSUER.strip() or not BULLETIN_NUMBER_PREFIX.strip():
    raise ImproperlyConfigured("BULLETIN_ISSUER and BULLETIN_NUMBER_PREFIX must not be empty")
BULLETIN_RECIPIENTS = env_str("BULLETIN_RECIPIENTS", "各街道办事处，区安委会各成员单位：")
# The first 联系人 line of the office's bulletin defaults (通报默认内容, kept in the database and
# edited there by the office), e.g. "联系人：王某某，电话：0000-00000000".
BULLETIN_CONTACT = env_str("BULLETIN_CONTACT", "")
# Rows of the overdue / open-major lists printed in the PDF; the rest are in the .xlsx annex.
BULLETIN_PDF_LIST_CAP = env_int("BULLETIN_PDF_LIST_CAP", 30)
# The .xlsx annex lists every overdue hazard of the bulletin's scope up to this many; a larger
# backlog is not readable as an annex (and took 15 s to write at 145,000 rows): the annex then
# lists the overdue hazards found in the period, with every department's overdue count, and
# the whole backlog is the ledger's 逾期 filter and its export.
BULLETIN_ANNEX_MAX_ROWS = env_int("BULLETIN_ANNEX_MAX_ROWS", 10000)
# Rules for 表扬 / 通报批评 / 一票否决 (inspections/bulletin_rules.py), printed in each bulletin.
# Praise: rectification rate ≥ MIN_RATE over at least MIN_HAZARDS hazards, no overdue major one.
BULLETIN_PRAISE_MIN_RATE = env_float("BULLETIN_PRAISE_MIN_RATE", 0.95)
BULLETIN_PRAISE_MIN_HAZARDS = env_int("BULLETIN_PRAISE_MIN_HAZARDS", 1)
# Criticise: overdue ÷ open above this rate …
BULLETIN_CRITICISE_OVERDUE_RATE = env_float("BULLETIN_CRITICISE_OVERDUE_RATE", 0.20)
# … or a hazard escalated (督办) this many days ago with nothing done since …
BULLETIN_CRITICISE_UNTOUCHED_DAYS = env_int("BULLETIN_CRITICISE_UNTOUCHED_DAYS", 5)
# … or at least MIN_INSPECTIONS inspections of key units in the period, ≥ RATE of them "无隐患".
BULLETIN_CRITICISE_ZERO_RATE = env_float("BULLETIN_CRITICISE_ZERO_RATE", 0.90)
BULLETIN_CRITICISE_ZERO_MIN_INSPECTIONS = env_int("BULLETIN_CRITICISE_ZERO_MIN_INSPECTIONS", 10)
# Praise also needs real work: at least this many inspections a month (scaled to the period's
# days) and this share of the key units in the department's remit inspected in the period.
BULLETIN_PRAISE_MIN_INSPECTIONS = env_int("BULLETIN_PRAISE_MIN_INSPECTIONS", 4)
BULLETIN_PRAISE_MIN_COVERAGE = env_float("BULLETIN_PRAISE_MIN_COVERAGE", 0.3)
# 组织不力、排查不到位: a regulator or street with units in its remit criticised for fewer
# inspections than this a month (scaled), or key-unit coverage below this share. 0.08 ≈ 1/12:
# a department below it in a monthly bulletin is not on course to visit every key unit in a year.
# Raise it for campaign bulletins, which aim at full coverage.
BULLETIN_CRITICISE_MIN_INSPECTIONS = env_int("BULLETIN_CRITICISE_MIN_INSPECTIONS", 2)
BULLETIN_CRITICISE_MIN_COVERAGE = env_float("BULLETIN_CRITICISE_MIN_COVERAGE", 0.08)
# Below this many open hazards no overdue rate is judged; the overdue ones are named instead.
BULLETIN_CRITICISE_OVERDUE_MIN_OPEN = env_int("BULLETIN_CRITICISE_OVERDUE_MIN_OPEN", 5)
# 一票否决: an accident with at least this many deaths in the remit, or a major hazard overdue
# more than this many days.
BULLETIN_VETO_FATAL_DEATHS = env_int("BULLETIN_VETO_FATAL_DEATHS", 1)
BULLETIN_VETO_MAJOR_OVERDUE_DAYS = env_int("BULLETIN_VETO_MAJOR_OVERDUE_DAYS", 30)
# Beat drafts last month's bulletin on the 1st at this hour (0-23), and checks daily at this
# hour for the 季报 of the quarter just ended; -1 turns both off.
BULLETIN_AUTO_DRAFT_HOUR = env_int("BULLETIN_AUTO_DRAFT_HOUR", 7)
if BULLETIN_AUTO_DRAFT_HOUR >= 0:
    CELERY_BEAT_SCHEDULE["monthly-bulletin-draft"] = {
        "task": "inspections.tasks.bulletins.auto_draft_bulletin_task",
        "schedule": crontab(day_of_month=1, hour=BULLETIN_AUTO_DRAFT_HOUR, minute=15),
    }
    # The 季报 of the quarter just ended: daily rather than on the 1st, so a beat that was down
    # that day still drafts it; the one-per-quarter constraint makes the other days no-ops.
    CELERY_BEAT_SCHEDULE["quarterly-report-draft"] = {
        "task": "inspections.tasks.bulletins.auto_draft_quarterly_task",
        "schedule": crontab(hour=BULLETIN_AUTO_DRAFT_HOUR, minute=20),
    }

# 现场文书 (inspections/documents): the place abbreviation that starts a department's default
# 文号 prefix (铁 → 铁消改〔2026〕1号; the office sets other prefixes per department in the
# admin), and how many verification pages one address may open per minute (QR scans, /v/…).
DOCUMENT_PLACE_ABBR = env_str("DOCUMENT_PLACE_ABBR", DISTRICT_ABBR)
DOCUMENT_VERIFY_PER_MINUTE = env_int("DOCUMENT_VERIFY_PER_MINUTE", 30)

# Cache: Redis when configured, so the API's per-client rate limit is one count for every
# gunicorn worker; otherwise per process (SQLite demo, one runserver process).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "anjian",
        }
    }

# The API for other systems (api/): token authentication only, JSON only, one rate per client.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.IsApiClient"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ChangeFeedPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "安检 数据接口",
    "DESCRIPTION": (
        "供省级平台、12345 热线等外部系统读取单位、检查记录、隐患（含流转记录）和已印发的通报，"
        "并报送隐患。\n\n"
        "认证：请求头 `Authorization: Bearer <令牌>`，令牌由管理员在管理后台“接口客户端”中签发；"
        "每个客户端只能读写其数据范围（全区，或某个部门/街道）内的数据，超出范围的记录返回 404。\n\n"
        "增量同步：列表按变更顺序返回，响应中的 `cursor` 原样作为 `?cursor=` 传回即可续取；"
        "`has_more` 为 false 时已取完，保存 cursor，几分钟后再取，不漏不重。"
    ),
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "HazardStatusEnum": "inspections.models.hazards.Hazard.Status",
        "UnitStatusEnum": "units.models.Unit.Status",
    },
}

# --- Accounts and sessions (accounts/) ------------------------------------------------------
# django-axes refuses logins after repeated failures: LOGIN_FAILURE_LIMIT per username, and
# LOGIN_IP_FAILURE_LIMIT per address (higher: a whole office often shares one NAT address).
# Every attempt is logged (AccessLog, AccessFailureLog); the office unlocks at /accounts/lockouts/.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 20)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
if min(LOGIN_FAILURE_LIMIT, LOGIN_IP_FAILURE_LIMIT, LOGIN_COOLOFF_MINUTES) < 1:
    raise ImproperlyConfigured("LOGIN_*_LIMIT and LOGIN_COOLOFF_MINUTES must be at least 1")
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
# Behind a proxy every login comes from the proxy's address; only a proxy that appends the
# client's address to X-Forwarded-For (and is the only way in) makes that header trustworthy.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
AXES_VERBOSE = False

# A session ends after SESSION_IDLE_SECONDS without a request, and SESSION_MAX_AGE_SECONDS after
# its login whatever the activity (accounts.middleware.SessionLimitsMiddleware).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 2 * 3600)
SESSION_MAX_AGE_SECONDS = env_int("SESSION_MAX_AGE_SECONDS", 12 * 3600)
if not 60 <= SESSION_IDLE_SECONDS <= SESSION_MAX_AGE_SECONDS:
    raise ImproperlyConfigured(
        "SESSION_IDLE_SECONDS must be at least 60 and at most SESSION_MAX_AGE_SECONDS"
    )
SESSION_COOKIE_AGE = SESSION_MAX_AGE_SECONDS
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- end of accounts and sessions -----------------------------------------------------------

# --- Browser security headers (django-csp, anjian/middleware.py) ------------------------------
# No inline script anywhere (templates load static/js/*.js; handlers are data- attributes), so
# an injected <script> or onclick= never runs. Inline styles stay allowed: htmx injects its
# indicator style and a few templates set widths. Bootstrap draws its icons as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Nothing here uses the camera, microphone, location or payment APIs; a page made to ask for
# them by injected markup gets a refusal, not a browser prompt.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=()"
)
# Whole request bodies above this are answered 413 before being read (gunicorn has no limit of
# its own). Room for the largest real request: an inspection whose hazards carry phone photos.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 100 * 1024 * 1024)
# Form fields alone, files excluded (Django answers 400 above it).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 15 * 1024 * 1024)
CSRF_FAILURE_VIEW = "anjian.views.csrf_failure"
# All photos of one request together (inspections/photos.py: headers summed before any is
# decoded): ~25 phone photos of 12 MP, seconds of decoding; more are refused, upload in parts.
PHOTO_MAX_PIXELS_PER_REQUEST = env_int("PHOTO_MAX_PIXELS_PER_REQUEST", 300_000_000)
# --- end of browser security headers -----------------------------------------------------------

# --- Audit trail (audit/) ------------------------------------------------------------------------
# Change history through django-pghistory's triggers (PostgreSQL only: SQLite records none).
# Event tables refuse UPDATE and DELETE (append_only on every event model in audit/models.py).
PGHISTORY_APPEND_ONLY = True
# pghistory's own admin of every event would offer its filters on all tables; /audit/ is the UI.
PGHISTORY_ADMIN_ALL_EVENTS = False
# Rows listed per page of /audit/.
AUDIT_PAGE_SIZE = env_int("AUDIT_PAGE_SIZE", 50)
# --- end of audit trail ---------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools log every layout and subsetting step at INFO: worker-log noise.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs every login step at INFO; lockouts and failures are WARNING.
        "axes": {"level": "WARNING"},
    },
}

SITE_NAME = env_str("SITE_NAME", "安检 · 安全隐患排查治理")
