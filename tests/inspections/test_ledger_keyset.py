"""Ledger 上一页/下一页 by keyset (?after= / ?before=, inspections/views/ledger.py): paging on
from page 1 to the end and back again shows every hazard exactly once, in the ledger's order,
with found dates shared by many rows; the query count does not grow with the depth."""

import datetime
import re

import pytest

from inspections.models import Hazard
from tests import factories

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'rel="next" href="\?([^"]+)"')
PREV = re.compile(r'rel="prev" href="\?([^"]+)"')


@pytest.fixture
def ledger(inspector_a, office, fire_dept):
    unit = factories.unit(lead_department=fire_dept)
    start = datetime.date(2026, 3, 1)
    for i in range(23):
        # Five rows a day: the id breaks the ties of the found date.
        inspection = factories.inspection(
            unit, inspector_a, date=start + datetime.timedelta(i // 5)
        )
        factories.hazard(unit, inspector_a, inspection=inspection)
    return list(Hazard.objects.order_by("-found_on", "-id").values_list("pk", flat=True))


def ids(response) -> list[int]:
    return [hazard.pk for hazard in response.context["object_list"]]


@pytest.mark.parametrize("sort", ["", "&sort=found_on"])
def test_paging_forward_and_back_shows_each_row_once(
    client, office, ledger, sort, django_assert_max_num_queries
):
    expected = ledger if not sort else ledger[::-1]
    client.force_login(office)
    response = client.get(f"/hazards/?page_size=4{sort}")
    pages = [ids(response)]
    while match := NEXT.search(response.content.decode()):
        assert "after=" in match.group(1)
        with django_assert_max_num_queries(12):
            response = client.get("/hazards/?" + match.group(1).replace("&amp;", "&"))
        assert response.context["keyset"]
        pages.append(ids(response))
    seen = [pk for page in pages for pk in page]
    assert seen == expected
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3]
    assert response.context["paginator"].count == len(ledger)
    # And back from the last page to the first.
    back = [ids(response)]
    while match := PREV.search(response.content.decode()):
        response = client.get("/hazards/?" + match.group(1).replace("&amp;", "&"))
        back.append(ids(response))
    assert back[::-1] == pages


def test_page_numbers_still_jump_and_a_bad_cursor_is_page_one(client, office, ledger):
    client.force_login(office)
    response = client.get("/hazards/?page_size=4&page=3")
    assert ids(response) == ledger[8:12]
    assert "after=" in NEXT.search(response.content.decode()).group(1)
    response = client.get("/hazards/?page_size=4&after=不是日期")
    assert ids(response) == ledger[:4]
    # A sort the keyset does not cover pages by number.
    response = client.get("/hazards/?page_size=4&sort=deadline")
    assert "page=2" in NEXT.search(response.content.decode()).group(1)
