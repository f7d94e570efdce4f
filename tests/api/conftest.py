"""API clients as personas: a district-wide platform, a 消防-limited system, a street's system."""

import pytest

from api import clients
from api.models import ApiClient


@pytest.fixture
def make_api_client(db, admin_user):
    """make_api_client(code, department=None, may_create_hazards=False, rate_per_minute=600)
    → (ApiClient, token), issued the way the admin issues it."""

    def _make(code: str, department=None, **fields):
        client = ApiClient(
            name=fields.pop("name", f"系统{code}"),
            code=code,
            department=department,
            rate_per_minute=fields.pop("rate_per_minute", 600),
            **fields,
        )
        token = clients.create_client(client=client, created_by=admin_user)
        return client, token

    return _make


@pytest.fixture
def district_api(make_api_client):
    """The provincial platform: reads the whole district."""
    return make_api_client("province")


@pytest.fixture
def fire_api(make_api_client, fire_dept):
    """A system limited to 消防's scope (what 消防's inspectors see)."""
    return make_api_client("fire-system", department=fire_dept)


@pytest.fixture
def hotline_api(make_api_client):
    """The 12345 hotline: district-wide, may report hazards."""
    return make_api_client("12345", name="12345热线", may_create_hazards=True)


@pytest.fixture
def api(client):
    """api(token).get(path, **params) / .post(path, json) through the real stack."""

    class Caller:
        def __init__(self, token):
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

        def get(self, path, **params):
            return client.get(path, params, **self.headers)

        def post(self, path, data):
            return client.post(path, data, content_type="application/json", **self.headers)

    return Caller
