"""seed_demo never runs against a production database by accident."""

import pytest
from django.core.management import CommandError, call_command

from units.models import Unit, User


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG 已关闭（生产环境）.*--i-know-this-is-production"):
        call_command("seed_demo")

    assert not User.objects.exists()
    assert not Unit.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_seed_demo_passes_the_guard_only_when_told_or_in_debug(settings, debug):
    # A weak password stops the command right after the guard: proof it got past it, no seeding.
    settings.DEBUG = debug
    flags = [] if debug else ["--i-know-this-is-production"]

    with pytest.raises(CommandError, match="演示密码不符合密码规则：密码太短"):
        call_command("seed_demo", "--password", "abc", *flags)

    assert not User.objects.exists()
