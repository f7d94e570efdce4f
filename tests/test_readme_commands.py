"""The README's management commands, typed as printed, beside the `make run` demo.

A copy of the checkout gets its demo database the way `make run` makes it (`make demo-db`),
then every `.venv/bin/python manage.py …` line of the README runs in a fresh process with
nothing in the environment: what a user at the demo's terminal has.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
# What tests/testenv.py, CI or a developer's shell may have set; the user's shell has none.
_STRIP = re.compile(
    r"^(SECRET_KEY|DEBUG|PLAIN_STATIC|SECURE_.*|ALLOWED_HOSTS|EMAIL_.*|DATABASE_URL|REDIS_URL|CI"
    r"|DJANGO_.*|ANJIAN_ENV_FILE|SQLITE_PATH|MEDIA_ROOT)$"
)
_COMMAND = re.compile(r"^(\.venv/bin/python manage\.py .+?)(?:\s+#.*)?$")


def _user_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _STRIP.match(k)}
    env.update(extra)
    return env


def readme_commands() -> list[str]:
    """The commands in the README's code blocks that start with the venv's manage.py. (Those
    with variables in front, like the production `check --deploy`, are not demo commands.)"""
    commands = []
    in_block = False
    text = (BASE_DIR / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        match = _COMMAND.match(line.strip()) if in_block else None
        if match:
            commands.append(match.group(1).strip())
    return commands


@pytest.fixture(scope="module")
def demo_checkout(tmp_path_factory) -> Path:
    """The checkout's files (as git sees them, uncommitted ones included) with the demo made."""
    clone = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=BASE_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = BASE_DIR / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    # The venv this test runs in stands in for the one `make run` creates.
    (clone / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    made = subprocess.run(
        ["make", "demo-db"], cwd=clone, env=_user_env(), capture_output=True, text=True, timeout=600
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return clone


def _run(clone: Path, command: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        shlex.split(command),
        cwd=clone,
        env=_user_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_readme_prints_the_reminder_and_bulletin_commands():
    commands = readme_commands()
    assert any(" send_reminders" in c for c in commands), commands
    assert any(" build_bulletin " in c for c in commands), commands


def test_every_readme_command_works_beside_the_demo(demo_checkout):
    assert (demo_checkout / ".env.dev").is_file()
    assert (demo_checkout / "db.sqlite3").is_file()
    for command in readme_commands():
        result = _run(demo_checkout, command)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        if " send_reminders" in command:
            assert re.fullmatch(r"sent=\d+ skipped=\d+", last), (command, result.stdout)
        if " build_bulletin " in command:
            pdf = Path(last)
            assert pdf.suffix == ".pdf" and pdf.is_file(), (command, result.stdout)
            assert pdf.read_bytes().startswith(b"%PDF")


def test_without_the_demo_env_file_production_rules_hold(demo_checkout):
    command = next(c for c in readme_commands() if " send_reminders" in c)
    # The same checkout with the file switched off: DEBUG off, so a SECRET_KEY is required.
    result = _run(demo_checkout, command, ANJIAN_ENV_FILE="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    # An explicit DEBUG=0 beats the file, so the file cannot turn a production process to DEBUG.
    result = _run(demo_checkout, command, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_env_file_lines_must_be_name_equals_value(tmp_path):
    bad = tmp_path / "env"
    bad.write_text("DEBUG=1\nthis is not a setting\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", "import anjian.settings"],
        cwd=BASE_DIR,
        env=_user_env(ANJIAN_ENV_FILE=str(bad)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "expected NAME=value" in result.stderr
