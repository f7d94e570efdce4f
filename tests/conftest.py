"""Personas shared by every test: inspectors of two departments, office, supervisor, leader, admin."""

import tempfile
from pathlib import Path

import pytest

from tests import factories


def pytest_configure(config):
    from django.conf import settings

    # PBKDF2 costs ~0.8 s a user on these machines; tests hash many personas, not real secrets.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Many tests move the clock days ahead between two requests of one signed-in client; the
    # session limits would sign it out. tests/accounts sets the limits it tests.
    year = 365 * 24 * 3600
    settings.SESSION_IDLE_SECONDS = settings.SESSION_MAX_AGE_SECONDS = 10 * year
    settings.SESSION_COOKIE_AGE = 10 * year
    # Imports keep a copy of their file (audit.ImportRecord): never into the checkout's media/.
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="anjian-test-media-"))


@pytest.fixture
def fire_dept(db):
    return factories.department("消防")


@pytest.fixture
def safety_dept(db):
    return factories.department("应急管理局")


@pytest.fixture
def office_dept(db):
    return factories.department("安委办")


@pytest.fixture
def inspector_a(fire_dept):
    """Inspector of 消防 (department A)."""
    return factories.user("insp_a", "inspector", fire_dept, name="消防检查员甲")


@pytest.fixture
def inspector_a2(fire_dept):
    """A second inspector of 消防, e.g. the verifier who is not the reporter."""
    return factories.user("insp_a2", "inspector", fire_dept, name="消防检查员乙")


@pytest.fixture
def inspector_b(safety_dept):
    """Inspector of 应急管理局 (department B)."""
    return factories.user("insp_b", "inspector", safety_dept, name="应急检查员丙")


@pytest.fixture
def office(office_dept):
    return factories.user("office_u", "office", office_dept, name="安委办")


@pytest.fixture
def supervisor(db):
    return factories.user("super_u", "supervisor", factories.department("督查室"), name="督查室")


@pytest.fixture
def leader(office_dept):
    return factories.user("leader_u", "leader", office_dept, name="领导")


@pytest.fixture
def admin_user(office_dept):
    return factories.user(
        "admin_u", "admin", office_dept, name="管理员", is_staff=True, is_superuser=True
    )


@pytest.fixture
def unit_of_a(fire_dept):
    """A unit whose lead department is 消防."""
    return factories.unit(
        category=factories.category("furniture-market"), lead_department=fire_dept
    )


@pytest.fixture
def unit_of_b(safety_dept):
    """A unit whose lead department is 应急管理局."""
    return factories.unit(category=factories.category("chemical"), lead_department=safety_dept)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
