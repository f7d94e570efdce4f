"""Hazard photos: only real JPEG/PNG/HEIC images are stored, always re-encoded without metadata,
and served only to users who may see the hazard."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from inspections import photos
from inspections.models import HazardPhoto
from tests import factories


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg_bytes(size=(64, 48), color="red", exif: Image.Exif | None = None, **save) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        save["exif"] = exif
    image.save(buffer, format="JPEG", **save)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: what a decompression bomb looks like."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = 6  # taken rotated: the stored photo must be upright
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (41.0, 48.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (123.0, 25.0, 0.0)
    return exif


def refusal(data: bytes, name: str = "photo.jpg") -> str:
    with pytest.raises(ValidationError) as caught:
        photos.validate_image(upload(data, name))
    return caught.value.messages[0]


# --- refusals ---------------------------------------------------------------------------------


def test_text_file_renamed_jpg_is_refused():
    assert refusal(b"<html><script>alert(1)</script></html>", "evil.jpg") == photos.FORMAT_MESSAGE
    assert photos.FORMAT_MESSAGE.startswith("只能上传 JPG/PNG")


def test_image_of_another_format_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, format="GIF")
    assert refusal(buffer.getvalue(), "anim.jpg") == photos.FORMAT_MESSAGE


def test_truncated_jpeg_is_refused_as_damaged():
    data = jpeg_bytes((400, 300))
    assert refusal(data[: len(data) // 2]) == "图片已损坏，无法读取"


def test_truncated_jpeg_is_refused_even_after_weasyprint_loosened_pillow(monkeypatch):
    import weasyprint  # noqa: F401 - importing it sets LOAD_TRUNCATED_IMAGES process-wide
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = jpeg_bytes((400, 300))
    assert refusal(data[: len(data) // 2]) == "图片已损坏，无法读取"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_oversize_upload_is_refused_before_decoding(settings):
    settings.PHOTO_MAX_BYTES = 10 * 1024 * 1024
    data = jpeg_bytes((64, 48)) + b"\x00" * (10 * 1024 * 1024)
    assert refusal(data) == "照片不能超过10MB"


def test_decompression_bomb_beyond_pillow_limit_is_refused(settings):
    # 100000 × 100000 pixels in a file of a few dozen bytes.
    settings.PHOTO_MAX_PIXELS = 10**12  # let Pillow's own guard be the one that trips
    assert refusal(png_claiming(100_000, 100_000), "bomb.png") == "图片尺寸过大"


def test_pillow_bomb_warning_is_treated_as_refusal(settings):
    # Between Pillow's limit and twice it Pillow only warns; that must not get through.
    settings.PHOTO_MAX_PIXELS = 10**12
    side = int((Image.MAX_IMAGE_PIXELS * 1.5) ** 0.5)
    assert refusal(png_claiming(side, side), "bomb.png") == "图片尺寸过大"


def test_own_pixel_cap_is_stricter_than_pillows(settings):
    settings.PHOTO_MAX_PIXELS = 100 * 100
    assert settings.PHOTO_MAX_PIXELS < Image.MAX_IMAGE_PIXELS
    assert refusal(jpeg_bytes((101, 100))) == "图片尺寸过大"
    photos.validate_image(upload(jpeg_bytes((100, 100))))  # at the cap: accepted


# --- accepted images are re-encoded -----------------------------------------------------------


def test_jpeg_is_reencoded_upright_without_exif_or_gps():
    original = jpeg_bytes((80, 40), exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    prepared = photos.prepare_photo(upload(original))

    stored = Image.open(io.BytesIO(prepared.photo))
    assert stored.format == "JPEG"
    assert stored.size == (40, 80)  # orientation 6 applied: the landscape shot stands upright
    assert len(stored.getexif()) == 0
    assert b"Exif" not in prepared.photo
    assert b"TestPhone" not in prepared.photo
    thumb = Image.open(io.BytesIO(prepared.thumbnail))
    assert thumb.format == "JPEG" and len(thumb.getexif()) == 0


def test_png_with_transparency_becomes_jpeg():
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 30), (0, 128, 0, 0)).save(buffer, format="PNG")
    prepared = photos.prepare_photo(upload(buffer.getvalue(), "screen.png", "image/png"))
    stored = Image.open(io.BytesIO(prepared.photo))
    assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (50, 30))
    # Transparent pixels are composited on white, not black.
    assert stored.getpixel((25, 15)) > (240, 240, 240)


def test_heic_is_accepted_when_pillow_heif_is_installed():
    if not photos.HEIF_SUPPORTED:
        pytest.skip("pillow-heif not installed")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, format="HEIF")
    prepared = photos.prepare_photo(upload(buffer.getvalue(), "IMG_0001.HEIC", "image/heic"))
    assert Image.open(io.BytesIO(prepared.photo)).format == "JPEG"


def test_polyglot_tail_does_not_survive():
    data = jpeg_bytes((32, 32)) + b"<script>alert('x')</script>PK\x03\x04"
    prepared = photos.prepare_photo(upload(data))
    assert b"<script>" not in prepared.photo and b"PK\x03\x04" not in prepared.photo


def test_large_photo_is_scaled_down_and_thumbnail_is_small():
    prepared = photos.prepare_photo(upload(jpeg_bytes((4000, 3000))))
    assert max(Image.open(io.BytesIO(prepared.photo)).size) == photos.STORED_EDGE
    assert max(Image.open(io.BytesIO(prepared.thumbnail)).size) == photos.THUMB_EDGE


# --- storing and serving ----------------------------------------------------------------------


@pytest.fixture
def hazard_of_a(unit_of_a, inspector_a):
    return factories.hazard(unit_of_a, inspector_a)


def test_save_photo_stores_random_names_not_the_uploaders(hazard_of_a, inspector_a, media_root):
    photo = photos.save_photo(
        hazard=hazard_of_a,
        upload=upload(jpeg_bytes(), "../../etc/passwd.jpg"),
        kind="before",
        user=inspector_a,
    )
    assert photo.token in photo.image.name and photo.image.name.endswith(".jpg")
    assert "passwd" not in photo.image.name
    assert (media_root / photo.image.name).exists()
    assert (media_root / photo.thumbnail.name).exists()


def test_save_photo_of_a_refused_file_stores_nothing(hazard_of_a, inspector_a, media_root):
    with pytest.raises(ValidationError):
        photos.save_photo(
            hazard=hazard_of_a, upload=upload(b"not an image"), kind="after", user=inspector_a
        )
    assert not HazardPhoto.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


@pytest.fixture
def photo_of_a(hazard_of_a, inspector_a):
    return photos.save_photo(
        hazard=hazard_of_a, upload=upload(jpeg_bytes()), kind="before", user=inspector_a
    )


@pytest.mark.parametrize("url_name", ["hazard_photo", "hazard_photo_thumb"])
def test_photo_is_served_as_private_jpeg_to_who_may_see_the_hazard(
    login, inspector_a2, photo_of_a, url_name
):
    from django.urls import reverse

    response = login(inspector_a2).get(reverse(url_name, args=[photo_of_a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).format == "JPEG"


@pytest.mark.parametrize("url_name", ["hazard_photo", "hazard_photo_thumb"])
def test_inspector_of_other_department_gets_404_for_photo(login, inspector_b, photo_of_a, url_name):
    from django.urls import reverse

    assert login(inspector_b).get(reverse(url_name, args=[photo_of_a.pk])).status_code == 404


def test_photo_requires_login(client, photo_of_a):
    response = client.get(f"/inspections/photos/{photo_of_a.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_photo_of_someone_elses_draft_is_hidden_even_from_the_office(
    login, office, unit_of_a, inspector_a
):
    from inspections.models import Inspection

    draft = factories.inspection(
        unit_of_a, inspector_a, status=Inspection.Status.DRAFT, submitted_at=None
    )
    hazard = factories.hazard(unit_of_a, inspector_a, inspection=draft, number=None, status="draft")
    photo = photos.save_photo(
        hazard=hazard, upload=upload(jpeg_bytes()), kind="before", user=inspector_a
    )
    assert login(office).get(f"/inspections/photos/{photo.pk}/").status_code == 404
