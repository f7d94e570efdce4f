"""One request's photos together are capped by their headers before any of them is decoded."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from inspections import photos
from tests.inspections.test_inspection_form import (
    NEW,
    a_hazard,
    assert_nothing_saved,
    form_data,
    jpeg,
)
from tests.inspections.test_photos import png_claiming


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _big(n: int) -> SimpleUploadedFile:
    # Header only: 7000 × 7000 = 49 MP, under the single-photo cap of 50 MP.
    return SimpleUploadedFile(f"big{n}.png", png_claiming(7000, 7000), content_type="image/png")


def test_headers_are_summed_once_per_request(settings):
    settings.PHOTO_MAX_PIXELS_PER_REQUEST = 100_000_000
    files = MultiValueDict({"a-photos": [_big(1), _big(2)], "b-photos": [_big(3)]})

    with pytest.raises(photos.ValidationError) as caught:
        photos.check_request_pixels(files)

    assert caught.value.messages == [
        "本次提交的照片合计约 147 百万像素，超过每次 100 百万像素的上限，请分几次上传"
    ]
    assert all(upload.tell() == 0 for _key, uploads in files.lists() for upload in uploads)


def test_small_photos_pass_the_budget(settings):
    photos.check_request_pixels(MultiValueDict({"photos": [jpeg(), jpeg()]}))


@pytest.mark.django_db
def test_inspection_with_too_many_pixels_decodes_nothing_and_saves_nothing(
    login, inspector_a, unit_of_a, media_root, settings, monkeypatch
):
    settings.PHOTO_MAX_PIXELS_PER_REQUEST = 300_000_000
    decoded = []
    real = photos.validate_image
    monkeypatch.setattr(
        photos, "validate_image", lambda upload: decoded.append(upload) or real(upload)
    )
    hazards = [a_hazard(photos=[_big(n) for n in range(i * 4, i * 4 + 4)]) for i in range(2)]

    response = login(inspector_a).post(NEW, form_data(unit_of_a, hazards=hazards))

    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors["photos"]
    assert errors == [
        "本次提交的照片合计约 392 百万像素，超过每次 300 百万像素的上限，请分几次上传"
    ]
    assert decoded == []
    assert_nothing_saved(media_root)
