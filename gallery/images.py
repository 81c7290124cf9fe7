"""Image validation and processing: decode an upload safely, read EXIF, make upright renditions.

Everything that touches Pillow lives here, so views and services see only two outcomes:
a `ProcessedImage`, or an `InvalidImage` whose message can be shown to the person uploading.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import IO, TYPE_CHECKING

import pillow_heif
from django.conf import settings
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from PIL import Image, UnidentifiedImageError

from recognition.ml.images import to_rgb, upright

if TYPE_CHECKING:
    from gallery.models import Photo

# HEIC/HEIF through pillow-heif. Registering an opener is a cheap, idempotent table update.
pillow_heif.register_heif_opener()

# Pillow format name -> (stored file extension, MIME type)
SUPPORTED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
    "BMP": ("bmp", "image/bmp"),
    "TIFF": ("tiff", "image/tiff"),
    "HEIF": ("heic", "image/heic"),
}
SUPPORTED_NAMES = gettext_lazy("JPEG, PNG, WebP, GIF, BMP, TIFF or HEIC")
RENDITION_FORMAT = "JPEG"
RENDITION_EXTENSION = "jpg"

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306


class InvalidImage(Exception):  # noqa: N818 (name is part of the gallery contract)
    """The upload is not an image we accept; the message is meant for the person uploading it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DuplicatePhoto(InvalidImage):
    """The owner already has a photo with exactly the same bytes."""

    def __init__(self, message: str, *, existing_id: int, in_trash: bool = False) -> None:
        super().__init__(message)
        self.existing_id = existing_id
        self.in_trash = in_trash


class StorageQuotaExceeded(InvalidImage):
    """Storing the upload would take the owner over their storage quota (STORAGE_QUOTA_MB)."""


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    content_hash: str
    format: str
    extension: str
    mime_type: str
    width: int
    height: int
    taken_at: datetime | None
    thumbnail: bytes
    display: bytes


def size_over_limit_message(size: int | None, limit: int) -> str:
    """Why a file is refused for its size, exactly: when the sizes round alike, in bytes."""
    if size is None:
        return _("The file is too large: it is over the limit of %(limit)s.") % {
            "limit": filesizeformat(limit)
        }
    shown, allowed = filesizeformat(size), filesizeformat(limit)
    if shown == allowed:
        shown = _in_bytes(size)
        allowed = f"{_in_bytes(limit)} ({allowed})"
    return _("The file is too large: %(size)s is over the limit of %(limit)s.") % {
        "size": shown,
        "limit": allowed,
    }


def _in_bytes(n: int) -> str:
    return ngettext("%(count)s byte", "%(count)s bytes", n) % {"count": number_format(n, force_grouping=True)}


def read_upload(upload: File[bytes] | IO[bytes]) -> bytes:
    """Read at most MAX_UPLOAD_BYTES (+1 to detect overflow) from an upload."""
    limit = settings.MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise InvalidImage(size_over_limit_message(size, limit))
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if not isinstance(data, bytes):
        raise InvalidImage(_("The upload could not be read."))
    if len(data) > limit:
        raise InvalidImage(size_over_limit_message(None, limit))
    if not data:
        raise InvalidImage(_("The file is empty."))
    return data


# Decoding costs memory and time in proportion to the pixels an image claims, however small the
# file. Up to DECODE_FREE_PIXELS (what a phone photo costs) any file is decoded; above that the
# file must carry at least MIN_BYTES_PER_PIXEL, or it is refused before anything is decoded.
# Measured (bench/bombs.py, and the photos of MEMORY_STUDIO_FACES_DIR): real JPEG photos carry
# 0.05-1.2 bytes per pixel, PNG photos 0.46-1.2, an 8K screenshot-like PNG 0.03 and its lossless
# WebP 0.015; a 9990 x 9990 PNG of zeros carries 0.001 and the 68-byte PNG claiming 1 x 10^8
# pixels 0.000001. Deflate (PNG, TIFF), LZW (GIF, TIFF), RLE (BMP), lossless WebP and HEIC can all
# reach such ratios, so one floor serves every format.
DECODE_FREE_PIXELS = 16_000_000
MIN_BYTES_PER_PIXEL = 0.01


def _too_many_pixels(width: int, height: int) -> InvalidImage:
    return InvalidImage(
        _(
            "The image has too many pixels (%(width)s x %(height)s; the limit is %(limit)s pixels); "
            "it may be a decompression bomb or simply too large."
        )
        % {
            "width": number_format(width, force_grouping=True),
            "height": number_format(height, force_grouping=True),
            "limit": number_format(settings.MAX_IMAGE_PIXELS, force_grouping=True),
        }
    )


def check_decoding_cost(*, width: int, height: int, size: int) -> None:
    """Refuse, from the header alone, an image whose decoding would cost too much.

    Too many pixels, or too few bytes for its pixels (a decompression bomb): InvalidImage.
    """
    pixels = width * height
    if pixels > settings.MAX_IMAGE_PIXELS:
        raise _too_many_pixels(width, height)
    if pixels > DECODE_FREE_PIXELS and size < pixels * MIN_BYTES_PER_PIXEL:
        raise InvalidImage(
            _(
                "The image claims %(width)s x %(height)s pixels but the file is only %(size)s: "
                "it is refused as a likely decompression bomb."
            )
            % {
                "width": number_format(width, force_grouping=True),
                "height": number_format(height, force_grouping=True),
                "size": filesizeformat(size),
            }
        )


def _open_header(data: bytes) -> Image.Image:
    """Read the header only (Pillow decodes nothing until load())."""
    # Pillow has a bomb check of its own (a warning above the module global Image.MAX_IMAGE_PIXELS,
    # an error above twice that). Ours comes from the header right after open(), so Pillow's only
    # needs to stay out of the way: its threshold is raised to ours if lower, never lowered (other
    # Pillow users in the process keep theirs), and no warnings filter is touched (not thread-safe).
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit is not None and pillow_limit < settings.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise InvalidImage(
            _("The image has too many pixels (the limit is %(limit)s pixels).")
            % {"limit": number_format(settings.MAX_IMAGE_PIXELS, force_grouping=True)}
        ) from None


# JPEG's DCT can decode at 1/2, 1/4 or 1/8 scale for a fraction of the full decode's time.
_JPEG_DRAFT_SCALES = (8, 4, 2)


def _draft(image: Image.Image, min_side: int) -> None:
    """Ask a JPEG to decode at the smallest DCT scale whose longest side stays >= `min_side`
    (other formats, and JPEGs already small enough, decode at full size)."""
    if image.format != "JPEG":
        return
    width, height = image.size
    for scale in _JPEG_DRAFT_SCALES:
        if max(width, height) // scale >= min_side:
            # Pillow picks the largest scale that keeps both sides >= the size asked for.
            image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))
            return


def decode(data: bytes, *, draft_min_side: int | None = None) -> Image.Image:
    """Open and fully decode image bytes, or raise InvalidImage with a readable reason.

    `draft_min_side`: a JPEG may be decoded at a reduced scale whose longest side is at least
    this (a search query, which is detected at RECOGNITION_DETECT_MAX_SIDE anyway)."""
    try:
        image = _open_header(data)
    except UnidentifiedImageError:
        raise InvalidImage(
            _("This file is not an image we can read. Upload a %(formats)s image.")
            % {"formats": SUPPORTED_NAMES}
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise InvalidImage(_("This image is truncated or damaged and cannot be read.")) from None
    if image.format not in SUPPORTED_FORMATS:
        raise InvalidImage(
            _("Unsupported image format (%(format)s). Upload a %(formats)s image.")
            % {"format": image.format, "formats": SUPPORTED_NAMES}
        )
    width, height = image.size
    check_decoding_cost(width=width, height=height, size=len(data))
    if draft_min_side is not None:
        _draft(image, draft_min_side)
    try:
        image.seek(0)  # animated GIF/WebP: the first frame
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise InvalidImage(_("This image is truncated or damaged and cannot be read.")) from None
    return image


def exif_taken_at(image: Image.Image) -> datetime | None:
    """EXIF DateTimeOriginal as an aware datetime (its offset if recorded, else the site's zone)."""
    try:
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return None
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        naive = datetime.strptime(raw.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        parsed = _parse_offset(offset.strip().rstrip("\x00"))
        if parsed is not None:
            return naive.replace(tzinfo=parsed)
    try:
        return timezone.make_aware(naive)
    except ValueError:  # nonexistent/ambiguous local time (DST change)
        return timezone.make_aware(naive, UTC)


def _parse_offset(value: str) -> tzinfo | None:
    """EXIF's OffsetTimeOriginal ("+09:00") as a time zone; None when malformed or beyond 14 h."""
    try:
        zone = datetime.strptime(value, "%z").tzinfo
    except ValueError:
        return None
    offset = zone.utcoffset(None) if zone is not None else None
    if offset is None or abs(offset) > timedelta(hours=14):
        return None
    return zone


def rendition(image: Image.Image, max_side: int, *, quality: int, fast: bool = False) -> bytes:
    """A JPEG no larger than max_side x max_side (never upscaled). `fast` (a preview on the request
    path: about 2.5x quicker) reduces in steps and skips the encoder's optimisation passes."""
    copy = image.copy()
    if fast:
        copy.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    else:
        copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format=RENDITION_FORMAT, quality=quality, optimize=not fast, progressive=not fast)
    return buffer.getvalue()


def process(data: bytes) -> ProcessedImage:
    """Validate image bytes and build everything a Photo needs (raises InvalidImage)."""
    image = decode(data)
    fmt = image.format or ""
    extension, mime_type = SUPPORTED_FORMATS[fmt]
    taken_at = exif_taken_at(image)
    try:
        rgb = to_rgb(upright(image))
        thumbnail = rendition(rgb, settings.THUMBNAIL_SMALL_SIZE, quality=82)
        display = rendition(rgb, settings.THUMBNAIL_LARGE_SIZE, quality=88)
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise InvalidImage(_("This image is damaged and cannot be converted.")) from None
    return ProcessedImage(
        data=data,
        content_hash=hashlib.sha256(data).hexdigest(),
        format=fmt,
        extension=extension,
        mime_type=mime_type,
        width=rgb.width,
        height=rgb.height,
        taken_at=taken_at,
        thumbnail=thumbnail,
        display=display,
    )


def open_upright(photo: Photo) -> Image.Image:
    """The photo's original, opened through its storage, EXIF-rotated, as 8-bit RGB."""
    name = photo.original.name
    if not name:
        raise FileNotFoundError(f"Photo {photo.pk} has no original file.")
    with photo.original.storage.open(name, "rb") as handle:
        data = handle.read()
    return to_rgb(upright(decode(data)))


def open_rendition(photo: Photo, kind: str) -> Image.Image:
    """One of the photo's JPEG renditions ("display" or "thumbnail"; upright already), as RGB."""
    field = getattr(photo, kind)
    if not field or not field.name:
        raise FileNotFoundError(f"Photo {photo.pk} has no {kind} file.")
    with field.storage.open(field.name, "rb") as handle:
        data = handle.read()
    return to_rgb(decode(data))


def open_upload_upright(upload: File[bytes] | IO[bytes], *, draft_min_side: int | None = None) -> Image.Image:
    """An uploaded image, validated like a photo upload, EXIF-rotated, as 8-bit RGB (not stored);
    a JPEG decoded at a reduced scale keeping the longest side >= `draft_min_side` if given."""
    return to_rgb(upright(decode(read_upload(upload), draft_min_side=draft_min_side)))
