"""The audit pages on a phone and a desktop: the office finds who changed a unit."""

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.helpers import login, shot
from units.models import Unit

pytestmark = pytest.mark.browser


def test_office_follows_a_unit_to_its_history_and_sees_the_access_log(
    page: Page, phone_page: Page, live_url, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    office = factories.user("m_office", "office", factories.department("安委办"), name="安委办王")
    unit = factories.unit(name="鸿兴机械厂")
    Unit.objects.filter(pk=unit.pk).update(address="兴华南街8号")
    for current, size in ((page, "desktop"), (phone_page, "phone")):
        login(current, live_url, office.username)
        current.goto(f"{live_url}/units/{unit.pk}/")
        current.get_by_test_id("history-link").click()
        table = current.get_by_test_id("audit-table")
        if connection.vendor == "postgresql":  # the trigger recorded the insert and the update
            expect(table).to_contain_text("兴华南街8号")
            expect(table).to_contain_text("修改")
        else:
            expect(current.get_by_test_id("no-tracking")).to_be_visible()
        shot(current, f"audit-changes-{size}")
        current.goto(f"{live_url}/audit/access/")
        expect(current.get_by_test_id("access-table")).to_contain_text("登录")
        shot(current, f"audit-access-{size}")
