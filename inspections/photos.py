"""Hazard photos: accepted only as real images, and stored only as our own re-encoded JPEG.

An upload is never stored as sent. It is opened by Pillow restricted to the formats we accept,
checked for size and pixel count before decoding (decompression bombs), verified, decoded,
turned upright by its EXIF orientation and written out again as a fresh JPEG without any
metadata. That strips GPS and camera data and defeats polyglots (a file that is both a JPEG and
an HTML/ZIP/script): nothing of the original bytes survives. The name is a random token.

HEIC/HEIF (what many phones shoot) is decoded through pillow-heif when it is installed.
"""

import contextlib
import io
import secrets
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .models import HazardEvent, HazardPhoto

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - the pinned requirements install it
    HEIF_SUPPORTED = False

ACCEPTED_FORMATS = ("JPEG", "PNG", "HEIF") if HEIF_SUPPORTED else ("JPEG", "PNG")
FORMAT_MESSAGE = "只能上传 JPG/PNG/HEIC 图片" if HEIF_SUPPORTED else "只能上传 JPG/PNG 图片"
# Long edge of the stored photo: enough to read a fire-extinguisher label, a fraction of a
# 50-megapixel original's size.
STORED_EDGE = 2560
THUMB_EDGE = 320
JPEG_QUALITY = 85
THUMB_QUALITY = 80

# Two guards against decompression bombs, both checked on the header before any pixel is
# decoded: Pillow's own (Image.MAX_IMAGE_PIXELS, ~89 MP: a warning, which we turn into an error,
# then DecompressionBombError at twice that) and our stricter settings.PHOTO_MAX_PIXELS.


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}MB"


def _open(upload: IO[bytes]) -> Image.Image:
    upload.seek(0)
    return Image.open(upload, formats=ACCEPTED_FORMATS)


@contextlib.contextmanager
def _strict_decoding():
    """Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would let a
    truncated upload through; a check must decode strictly whoever imported what before."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def validate_image(upload) -> Image.Image:
    """The decoded image of `upload`, or a ValidationError in Chinese for the form field.

    `upload` is a Django UploadedFile (or any file object with `size`)."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            f"照片不能超过{_megabytes(settings.PHOTO_MAX_BYTES)}", code="photo_too_large"
        )
    if size == 0:
        raise ValidationError("照片文件是空的", code="photo_empty")
    with warnings.catch_warnings(), _strict_decoding():
        # A bomb between MAX_IMAGE_PIXELS and twice that is only a warning to Pillow.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open(upload)
            _check_pixels(image)
            image.verify()
            # verify() leaves the image unusable; the pixels come from a second, fresh open.
            image = _open(upload)
            _check_pixels(image)
            if image.format == "JPEG":
                # Decode at a reduced scale right away: a 50 MP photo never fills memory.
                image.draft("RGB", (STORED_EDGE, STORED_EDGE))
            image.load()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError("图片尺寸过大", code="photo_bomb") from None
        except UnidentifiedImageError:
            raise ValidationError(FORMAT_MESSAGE, code="photo_format") from None
        except Exception:  # noqa: BLE001 - any decoder failure means a broken or hostile file
            raise ValidationError("图片已损坏，无法读取", code="photo_corrupt") from None
    return image


def check_request_pixels(files) -> None:
    """Refuse a request whose photos add up to more than PHOTO_MAX_PIXELS_PER_REQUEST.

    Each photo is capped by its header (PHOTO_MAX_PIXELS), but a request can carry many: the
    headers of all of them are read (no pixel decoded) and summed before any is decoded, so one
    request never holds a web worker for long. `files` is the request's FILES, shared by every
    form of a formset; the sum is computed once per request and kept on it.
    """
    if not files:
        return
    total = getattr(files, "_anjian_pixels", None)
    if total is None:
        total = 0
        for _name, uploads in files.lists():
            for upload in uploads:
                with contextlib.suppress(Exception), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    width, height = _open(upload).size
                    total += width * height
                upload.seek(0)
        files._anjian_pixels = total
    limit = settings.PHOTO_MAX_PIXELS_PER_REQUEST
    if total > limit:
        raise ValidationError(
            f"本次提交的照片合计约 {total // 1_000_000} 百万像素，超过每次 {limit // 1_000_000} "
            "百万像素的上限，请分几次上传",
            code="photos_too_many_pixels",
        )


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise ValidationError("图片已损坏，无法读取", code="photo_corrupt")
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise ValidationError("图片尺寸过大", code="photo_bomb")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with transparency composited on white (a PNG screenshot keeps its look)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, edge: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # No exif=, icc_profile= or comment: the new file carries pixels only.
    copy.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def reencode(image: Image.Image) -> tuple[bytes, bytes]:
    """(photo, thumbnail) as metadata-free JPEG bytes, upright per the EXIF orientation."""
    upright = _flatten(ImageOps.exif_transpose(image))
    return _jpeg(upright, STORED_EDGE, JPEG_QUALITY), _jpeg(upright, THUMB_EDGE, THUMB_QUALITY)


@dataclass(frozen=True)
class PreparedPhoto:
    """A validated upload, already re-encoded: only these bytes are ever stored."""

    photo: bytes
    thumbnail: bytes


def prepare_photo(upload) -> PreparedPhoto:
    """Validate and re-encode `upload` (ValidationError in Chinese if it is refused).

    Forms call it in clean() so the error shows next to the field and only the small
    re-encoded bytes, not decoded pixels, are held until the row is saved."""
    return PreparedPhoto(*reencode(validate_image(upload)))


def save_photo(
    *,
    hazard,
    upload,
    kind: str,
    user,
    event: HazardEvent | None = None,
    prepared: PreparedPhoto | None = None,
    client_uuid=None,
) -> HazardPhoto:
    """Validate, re-encode and store one photo of `hazard`. Raises ValidationError (Chinese).

    Call it inside the transaction that stores what the photo belongs to. The files are
    written at once; if that transaction fails the caller removes them with `discard_files`.
    `prepared` skips a second decode when the form has already run `prepare_photo(upload)`."""
    if kind not in HazardPhoto.Kind.values:
        raise ValueError(f"unknown photo kind {kind!r}")
    prepared = prepared or prepare_photo(upload)
    photo = HazardPhoto(
        hazard=hazard,
        kind=kind,
        token=secrets.token_hex(16),
        uploaded_by=user,
        event=event,
        client_uuid=client_uuid,
    )
    # upload_to builds the names from the token; the uploader's file name is never used.
    photo.image.save("photo.jpg", ContentFile(prepared.photo), save=False)
    try:
        photo.thumbnail.save("thumb.jpg", ContentFile(prepared.thumbnail), save=False)
        photo.save()
    except Exception:
        discard_files([photo])
        raise
    return photo


def discard_files(photos) -> None:
    """Remove stored files of photos whose database rows were rolled back."""
    for photo in photos:
        for field in (photo.image, photo.thumbnail):
            if field.name:
                field.storage.delete(field.name)
