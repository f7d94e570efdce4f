import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests import factories


def jpeg_upload(name: str = "after.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf_upload(name: str = "整改报告.pdf", body: bytes | None = None) -> SimpleUploadedFile:
    body = body if body is not None else b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def area(db):
    return factories.area("兴华街道")


@pytest.fixture
def own_unit(fire_dept, area):
    return factories.unit(name="兴华家具城", lead_department=fire_dept, area=area)


@pytest.fixture
def other_unit(fire_dept, area):
    return factories.unit(name="隔壁油漆店", lead_department=fire_dept, area=area)


@pytest.fixture
def unit_user(own_unit):
    return factories.user("jiaju", "unit", None, name="家具城安全员", unit=own_unit)


@pytest.fixture
def unit_client(client, unit_user):
    client.force_login(unit_user)
    return client


@pytest.fixture
def own_hazard(own_unit, inspector_a):
    return factories.hazard(
        own_unit,
        inspector_a,
        description="二楼安全出口被家具堵塞",
        status="rectifying",
        deadline=timezone.localdate() + datetime.timedelta(days=5),
    )


@pytest.fixture
def other_hazard(other_unit, inspector_a):
    return factories.hazard(other_unit, inspector_a, description="油漆仓库未设防爆灯具")
