"""/healthz, settings read from the environment, the CI guard, CSRF on the login form.

Several tests start a fresh Python process: settings are read once at import, and the point is
what a real process does with a given environment.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.test import Client

from anjian.settings import env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
CLOSED_PORT = 1  # nothing listens on port 1; connections are refused at once
# Variables tests/testenv.py or CI may have set; a subprocess starts without them.
_RUN_ENV = {
    "SECRET_KEY",
    "DEBUG",
    "SECURE_HTTPS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "PLAIN_STATIC",
    "ALLOWED_HOSTS",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CI",
    "DJANGO_SETTINGS_MODULE",
    # Set by the browser tests' conftest; `check --deploy` rightly warns about it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in _RUN_ENV}
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "anjian.example.gov.cn",
        **extra,
    }


def _redis_url() -> str:
    """The real Redis of this run: CI's REDIS_URL, else the local server (db 2)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/2"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"CI=true but Redis at {url} is unreachable")
        pytest.skip(f"no Redis at {url}")
    return url


# --- /healthz -------------------------------------------------------------------------------


def test_healthz_reports_database_up_without_login(client, settings, db):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": True, "broker": None}


def test_healthz_reports_broker_reachable(client, settings, db):
    settings.REDIS_URL = _redis_url()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] is True


def test_healthz_reports_broker_down_but_stays_200(client, settings, db):
    # A broker outage delays reminders but the web app still serves: not a reason to restart it.
    settings.REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": False}


def test_healthz_answers_503_when_database_is_unreachable():
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz')\n"
        "print(r.status_code, r.content.decode())\n"
    )
    result = run(
        ["-c", script],
        DJANGO_SETTINGS_MODULE="anjian.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_HTTPS="0",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{CLOSED_PORT}/anjian",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '503 {"status": "error", "database": false, "broker": null}'
    ), result.stdout


def test_healthz_is_served_over_plain_http_when_https_is_enforced(client, settings, db):
    # Docker's healthcheck calls http://localhost:8000/healthz inside the container.
    settings.SECURE_SSL_REDIRECT = True
    settings.REDIS_URL = ""
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


# --- settings from the environment ----------------------------------------------------------


def test_check_deploy_passes_with_production_like_environment():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_when_https_is_switched_off():
    # The same check the test above relies on does catch insecure settings.
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **production_env(SECURE_HTTPS="0"),
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT off


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"SECURE_HTTPS": "oui"}, "SECURE_HTTPS must be a boolean"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT must be an integer"),
        ({"REMINDER_HOUR": "8am"}, "REMINDER_HOUR must be an integer"),
        ({"BULLETIN_PRAISE_MIN_RATE": "高"}, "BULLETIN_PRAISE_MIN_RATE must be a number"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
        # .env.example's placeholder, a short key, Django's generated development key, one letter
        ({"SECRET_KEY": "change-me-to-a-long-random-string"}, "SECRET_KEY is a placeholder"),
        ({"SECRET_KEY": secrets.token_urlsafe(30)}, "SECRET_KEY is a placeholder or too short"),
        (
            {"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)},
            "SECRET_KEY is a placeholder",
        ),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY is a placeholder or too short"),
        ({"DATABASE_URL": "mysql://db/anjian"}, "DATABASE_URL must be a postgres:// URL"),
    ],
)
def test_bad_environment_stops_the_process_with_improperly_configured(env, message):
    result = run(["-c", "import anjian.settings"], **{**production_env(), **env})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_missing_secret_key_is_allowed_only_in_debug():
    env = production_env()
    del env["SECRET_KEY"]
    assert run(["-c", "import anjian.settings"], **env).returncode != 0
    debug = run(
        ["-c", "import anjian.settings as s; print(s.SECRET_KEY.startswith('insecure-dev-only'))"],
        **{**env, "DEBUG": "1"},
    )
    assert debug.returncode == 0, debug.stderr
    assert debug.stdout.strip() == "True"


def test_a_short_secret_key_is_allowed_in_debug():
    env = production_env(DEBUG="1", SECRET_KEY="dev")
    result = run(["-c", "import anjian.settings as s; print(s.SECRET_KEY)"], **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "dev"


def test_env_helpers_parse_and_default(monkeypatch):
    monkeypatch.setenv("X_BOOL", " Yes ")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_EMPTY_INT", "")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    monkeypatch.delenv("X_UNSET", raising=False)
    assert env_bool("X_BOOL") is True
    assert env_bool("X_UNSET", True) is True
    assert env_int("X_INT", 1) == 42
    assert env_int("X_EMPTY_INT", 7) == 7
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    assert env_list("X_UNSET", ["d"]) == ["d"]


# --- CI guard -------------------------------------------------------------------------------


@pytest.fixture
def trivial_test_file(tmp_path) -> Path:
    path = tmp_path / "test_trivial.py"
    path.write_text("def test_trivial():\n    assert 1 + 1 == 2\n")
    return path


def _pytest(path: Path, **env: str) -> subprocess.CompletedProcess:
    args = ["-m", "pytest", str(path), "-q", "-p", "no:cacheprovider"]
    args += ["-c", str(BASE_DIR / "pyproject.toml"), "--rootdir", str(BASE_DIR)]
    return run(args, **env)


def test_ci_refuses_to_test_on_sqlite(trivial_test_file):
    result = _pytest(trivial_test_file, CI="true")
    assert result.returncode != 0
    assert "refusing to test on SQLite" in result.stdout + result.stderr


def test_trivial_file_passes_outside_ci(trivial_test_file):
    # The refusal above comes from the CI guard, not from a broken invocation.
    result = _pytest(trivial_test_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


# --- CSRF -----------------------------------------------------------------------------------


def test_login_post_without_csrf_token_is_refused(office):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": office.username, "password": "pw-for-tests-1"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_post_with_csrf_token_logs_in(office):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": office.username, "password": "pw-for-tests-1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(office.pk)


# --- media storage: the local disk, or S3-compatible object storage when a bucket is named ----

_STORAGE_PROBE = (
    "import django; django.setup();"
    "from django.core.files.storage import storages; s = storages['default'];"
    "print(type(s).__module__ + '.' + type(s).__name__);"
    "print(getattr(s, 'bucket_name', ''), getattr(s, 'endpoint_url', ''),"
    " getattr(s, 'addressing_style', ''), getattr(s, 'default_acl', ''))"
)


def test_media_goes_to_the_local_disk_without_a_bucket():
    result = run(
        ["-c", _STORAGE_PROBE], DJANGO_SETTINGS_MODULE="anjian.settings", **production_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "django.core.files.storage.filesystem.FileSystemStorage"


def test_media_goes_to_s3_compatible_storage_when_a_bucket_is_configured():
    # Only the switch is tested: no S3/MinIO server runs on the test machines, so no object is
    # written (building the storage opens no connection).
    result = run(
        ["-c", _STORAGE_PROBE],
        DJANGO_SETTINGS_MODULE="anjian.settings",
        **production_env(
            AWS_STORAGE_BUCKET_NAME="anjian-media",
            AWS_S3_ENDPOINT_URL="http://minio.intranet:9000",
            AWS_ACCESS_KEY_ID="anjian",
            AWS_SECRET_ACCESS_KEY="not-a-real-secret",
        ),
    )
    assert result.returncode == 0, result.stderr
    backend, options = result.stdout.splitlines()
    assert backend == "storages.backends.s3.S3Storage"
    assert options == "anjian-media http://minio.intranet:9000 path private"
