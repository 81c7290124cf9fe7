"""Formats and image handling, through photo_create and open_upright with images built in memory."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from django.utils import timezone as dj_timezone
from PIL import Image

from conftest import make_image_bytes
from gallery import images, services
from gallery.images import DuplicatePhoto, InvalidImage
from gallery.models import Photo
from gallery.tests.conftest import as_upload, exif_jpeg, open_bytes

pytestmark = pytest.mark.django_db


def stored(photo: Photo, kind: str) -> Image.Image:
    field = getattr(photo, kind)
    with field.storage.open(str(field.name), "rb") as handle:
        return open_bytes(handle.read())


def animated_gif() -> bytes:
    frames = [Image.new("P", (30, 20), 0), Image.new("P", (30, 20), 1)]
    for frame in frames:
        frame.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def palette_with_transparency() -> bytes:
    image = Image.new("P", (30, 20), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 15, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=0)
    return buffer.getvalue()


FORMATS = [
    # id, bytes builder, expected mime, expected RGB at the centre-left of the thumbnail
    (
        "jpeg",
        lambda: make_image_bytes(mode="RGB", fmt="JPEG", color=(200, 40, 40)),
        "image/jpeg",
        (200, 40, 40),
    ),
    ("png", lambda: make_image_bytes(mode="RGB", fmt="PNG", color=(40, 200, 40)), "image/png", (40, 200, 40)),
    (
        "webp",
        lambda: make_image_bytes(mode="RGB", fmt="WEBP", color=(40, 40, 200), lossless=True),
        "image/webp",
        (40, 40, 200),
    ),
    ("gif-first-frame", animated_gif, "image/gif", (255, 0, 0)),
    (
        "bmp",
        lambda: make_image_bytes(mode="RGB", fmt="BMP", color=(10, 120, 230)),
        "image/bmp",
        (10, 120, 230),
    ),
    (
        "tiff",
        lambda: make_image_bytes(mode="RGB", fmt="TIFF", color=(230, 120, 10)),
        "image/tiff",
        (230, 120, 10),
    ),
    (
        "heic",
        lambda: make_image_bytes(mode="RGB", fmt="HEIF", color=(120, 60, 180), quality=-1),
        "image/heic",
        (120, 60, 180),
    ),
    ("grayscale", lambda: make_image_bytes(mode="L", fmt="PNG", color=90), "image/png", (90, 90, 90)),
    ("palette", lambda: make_image_bytes(mode="P", fmt="PNG", color=3), "image/png", None),
    ("palette-transparency", palette_with_transparency, "image/png", (255, 0, 0)),
    (
        "alpha-transparent",
        lambda: make_image_bytes(mode="RGBA", fmt="PNG", color=(0, 0, 0, 0)),
        "image/png",
        (255, 255, 255),
    ),
    (
        "alpha-opaque",
        lambda: make_image_bytes(mode="RGBA", fmt="PNG", color=(20, 90, 160, 255)),
        "image/png",
        (20, 90, 160),
    ),
    ("la", lambda: make_image_bytes(mode="LA", fmt="PNG", color=(60, 255)), "image/png", (60, 60, 60)),
    (
        "cmyk-jpeg",
        lambda: make_image_bytes(mode="CMYK", fmt="JPEG", color=(0, 255, 255, 0)),
        "image/jpeg",
        (255, 0, 0),
    ),
    (
        "cmyk-tiff",
        lambda: make_image_bytes(mode="CMYK", fmt="TIFF", color=(255, 0, 255, 0)),
        "image/tiff",
        (0, 255, 0),
    ),
    (
        "16-bit-gray-png",
        lambda: make_image_bytes(mode="I;16", fmt="PNG", color=40000),
        "image/png",
        (156, 156, 156),
    ),
    (
        "16-bit-gray-tiff",
        lambda: make_image_bytes(mode="I;16", fmt="TIFF", color=20000),
        "image/tiff",
        (78, 78, 78),
    ),
]


def close(actual: Any, expected: tuple[int, ...], tolerance: int = 12) -> bool:
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


@pytest.mark.parametrize(("builder", "mime", "colour"), [f[1:] for f in FORMATS], ids=[f[0] for f in FORMATS])
def test_every_supported_format_and_mode_is_stored_with_renditions(user, builder, mime, colour):
    data = builder()
    photo = services.photo_create(owner=user, upload=as_upload(data, "upload.bin"))
    assert photo.mime_type == mime
    assert photo.size == len(data)
    assert (photo.width, photo.height) in {(64, 48), (30, 20)}
    for kind in ("thumbnail", "display"):
        rendition = stored(photo, kind)
        assert rendition.format == "JPEG"
        assert rendition.mode == "RGB"
        assert rendition.size == (photo.width, photo.height)  # small images are never upscaled
        if colour is not None:
            assert close(rendition.getpixel((2, rendition.height // 2)), colour), rendition.getpixel((2, 2))
    upright = images.open_upright(photo)
    assert upright.mode == "RGB"
    assert upright.size == (photo.width, photo.height)


QUADRANTS = {"R": (255, 0, 0), "G": (0, 255, 0), "B": (0, 0, 255), "Y": (255, 255, 0)}


def quadrant_jpeg(orientation: int) -> bytes:
    """An 80x40 JPEG stored with red, green / blue, yellow quadrants (top-left, top-right /
    bottom-left, bottom-right) and the given EXIF orientation: no mirror image looks the same."""
    image = Image.new("RGB", (80, 40), QUADRANTS["Y"])
    image.paste(QUADRANTS["R"], (0, 0, 40, 20))
    image.paste(QUADRANTS["G"], (40, 0, 80, 20))
    image.paste(QUADRANTS["B"], (0, 20, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def quadrants(image: Image.Image) -> str:
    """The colours seen in the middle of the top-left, top-right, bottom-left and bottom-right
    quarters of an image, as letters."""
    w, h = image.size
    seen = ""
    for x, y in ((w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4), (3 * w // 4, 3 * h // 4)):
        value = pixel(image, (x, y))[:3]
        seen += min(
            QUADRANTS, key=lambda k: sum((a - b) ** 2 for a, b in zip(QUADRANTS[k], value, strict=True))
        )
    return seen


# What the viewer must see for each EXIF orientation (TIFF/EXIF 2.3, tag 0x0112), worked out by
# hand from the stored "RG/BY": 2 mirrors, 3 turns 180°, 4 flips, 5 transposes, 6 turns 90°
# clockwise, 7 transverses, 8 turns 90° counter-clockwise.
@pytest.mark.parametrize(
    ("orientation", "size", "seen"),
    [
        (1, (80, 40), "RGBY"),
        (2, (80, 40), "GRYB"),
        (3, (80, 40), "YBGR"),
        (4, (80, 40), "BYRG"),
        (5, (40, 80), "RBGY"),
        (6, (40, 80), "BRYG"),
        (7, (40, 80), "YGBR"),
        (8, (40, 80), "GYRB"),
    ],
)
def test_exif_orientation_is_applied_to_size_renditions_and_open_upright(user, orientation, size, seen):
    photo = services.photo_create(owner=user, upload=as_upload(quadrant_jpeg(orientation)))
    assert (photo.width, photo.height) == size
    for image in (stored(photo, "display"), stored(photo, "thumbnail"), images.open_upright(photo)):
        assert image.size == size
        assert quadrants(image) == seen


def test_renditions_are_bounded_by_the_size_settings(user, settings):
    settings.THUMBNAIL_SMALL_SIZE = 50
    settings.THUMBNAIL_LARGE_SIZE = 120
    data = make_image_bytes(size=(300, 200))
    photo = services.photo_create(owner=user, upload=as_upload(data))
    assert (photo.width, photo.height) == (300, 200)
    assert stored(photo, "thumbnail").size == (50, 33)
    assert stored(photo, "display").size == (120, 80)


def test_exif_datetime_original_becomes_taken_at_in_the_site_zone(user, settings):
    settings.TIME_ZONE = "Europe/Paris"
    with dj_timezone.override("Europe/Paris"):
        photo = services.photo_create(owner=user, upload=as_upload(exif_jpeg(taken="2021:06:05 14:30:00")))
    assert photo.taken_at_from_exif
    assert photo.taken_at == datetime(2021, 6, 5, 12, 30, tzinfo=UTC)


def test_exif_offset_time_original_is_honoured(user):
    data = exif_jpeg(taken="2019:12:31 23:15:00", offset="-05:00")
    photo = services.photo_create(owner=user, upload=as_upload(data))
    assert photo.taken_at == datetime(2019, 12, 31, 23, 15, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    ("offset", "hours"),
    [("+09:00", 9.0), ("-03:30", -3.5), ("+14:00", 14.0), ("+15:00", None), ("09:00", None), ("+9", None)],
)
def test_exif_offsets_are_read_when_valid_and_otherwise_the_site_zone_applies(user, settings, offset, hours):
    settings.TIME_ZONE = "UTC"
    data = exif_jpeg(taken="2024:05:05 12:00:00", offset=offset)
    photo = services.photo_create(owner=user, upload=as_upload(data))
    expected = datetime(
        2024, 5, 5, 12, 0, tzinfo=timezone(timedelta(hours=hours)) if hours is not None else UTC
    )
    assert photo.taken_at == expected


def test_without_exif_date_taken_at_is_the_upload_time(user):
    before = dj_timezone.now()
    photo = services.photo_create(owner=user, upload=as_upload(exif_jpeg(taken="not a date")))
    assert not photo.taken_at_from_exif
    assert before <= photo.taken_at <= dj_timezone.now()
    assert photo.taken_at == photo.uploaded_at


def test_real_photos_from_faces_dir(user, faces_dir):
    paths = [
        next(iter(sorted((faces_dir / "angelina_jolie").glob("*.jpg")))),
        faces_dir / "bbt_amy" / "amy1.png",
    ]
    for path in paths:
        data = path.read_bytes()
        photo = services.photo_create(owner=user, upload=as_upload(data, path.name))
        with Image.open(path) as source:
            expected = source.size
        assert (photo.width, photo.height) == expected or (photo.height, photo.width) == expected
        assert photo.original_filename == path.name
        assert photo.content_hash == __import__("hashlib").sha256(data).hexdigest()
        with photo.original.storage.open(str(photo.original.name), "rb") as handle:
            assert handle.read() == data  # the original is kept byte for byte
        assert max(stored(photo, "thumbnail").size) <= 400


def test_exact_duplicates_are_refused_per_user(user, other_user):
    data = make_image_bytes()
    first = services.photo_create(owner=user, upload=as_upload(data))
    with pytest.raises(DuplicatePhoto) as caught:
        services.photo_create(owner=user, upload=as_upload(data))
    assert caught.value.existing_id == first.pk
    # Another user may upload the same bytes.
    services.photo_create(owner=other_user, upload=as_upload(data))
    assert Photo.objects.filter(owner=user).count() == 1
    assert Photo.objects.filter(owner=other_user).count() == 1


def test_a_duplicate_that_slips_past_the_check_is_refused_by_the_constraint(user, monkeypatch):
    """The insert loses to a concurrent upload of the same bytes: 409 naming it, no files left."""
    from gallery.tests.test_api import stored_names

    data = make_image_bytes(color=(9, 8, 7))
    first = services.photo_create(owner=user, upload=as_upload(data))
    before = stored_names()
    monkeypatch.setattr(services, "_duplicate_of", _missed_once(services._duplicate_of))
    with pytest.raises(DuplicatePhoto) as caught:
        services.photo_create(owner=user, upload=as_upload(data))
    assert caught.value.existing_id == first.pk
    assert Photo.objects.filter(owner=user).count() == 1
    assert stored_names() == before


def _missed_once(real):
    """The first duplicate check finds nothing (as when the other upload has not committed yet)."""
    calls = {"n": 0}

    def check(**kwargs):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(**kwargs)

    return check


def test_stored_names_are_random_and_keep_no_client_name(user):
    photo = services.photo_create(owner=user, upload=as_upload(make_image_bytes(), "../../etc/passwd.jpg"))
    name = str(photo.original.name)
    assert "passwd" not in name
    assert name.startswith("photos/originals/")
    assert name.endswith(".jpg")
    assert photo.original_filename == "passwd.jpg"


def test_invalid_image_is_raised_by_the_service_and_nothing_is_saved(user):
    with pytest.raises(InvalidImage, match="not an image"):
        services.photo_create(owner=user, upload=as_upload(b"hello, world\n", "notes.txt"))
    assert not Photo.objects.exists()


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("size", "limit", "message"),
    [
        (
            5_242_881,
            5_242_880,
            "The file is too large: 5,242,881 bytes is over the limit of 5,242,880 bytes (5.0\xa0MB).",
        ),
        (
            6 * 1024 * 1024,
            5 * 1024 * 1024,
            "The file is too large: 6.0\xa0MB is over the limit of 5.0\xa0MB.",
        ),
        (None, 5 * 1024 * 1024, "The file is too large: it is over the limit of 5.0\xa0MB."),
    ],
)
def test_the_size_message_is_exact(size, limit, message):
    assert images.size_over_limit_message(size, limit) == message


@pytest.mark.parametrize(
    ("size", "orientation", "min_side", "decoded"),
    [
        # 1/2 keeps 2016 >= 1536; 1/4 (1008) would not.
        ((4032, 3024), None, 1536, (2016, 1512)),
        # EXIF orientation 6 turns the reduced image upright: the sides swap after the draft.
        ((4032, 3024), 6, 1536, (1512, 2016)),
        # 1/8 of 8000 x 6000 is 1000 >= 900.
        ((8000, 6000), None, 900, (1000, 750)),
        # Already small enough: the full image.
        ((2000, 1500), None, 1536, (2000, 1500)),
    ],
)
def test_a_query_jpeg_is_decoded_at_the_smallest_scale_that_keeps_min_side(
    size, orientation, min_side, decoded
):
    data = exif_jpeg(size=size, orientation=orientation)
    image = images.open_upload_upright(as_upload(data), draft_min_side=min_side)
    assert image.size == decoded
    assert image.mode == "RGB"
    full = images.open_upload_upright(as_upload(data))
    assert full.size == (size if orientation is None else size[::-1])
    # The same picture, turned the same way: each corner has the full decode's colour.
    for x, y in ((3, 3), (image.width - 4, image.height - 4)):
        fx, fy = x * full.width // image.width, y * full.height // image.height
        assert close(pixel(image, (x, y)), pixel(full, (fx, fy)))


def test_a_query_in_another_format_is_decoded_at_full_size():
    data = make_image_bytes(size=(4032, 3024), fmt="PNG")
    image = images.open_upload_upright(as_upload(data), draft_min_side=1536)
    assert image.size == (4032, 3024)


def _float_tiff() -> bytes:
    data = np.linspace(-2.0, 3.0, 40 * 30, dtype=np.float32).reshape(30, 40)
    buffer = io.BytesIO()
    Image.fromarray(data, mode="F").save(buffer, format="TIFF")
    return buffer.getvalue()


def _sixteen_bit_png() -> bytes:
    data = np.linspace(0, 65535, 40 * 30).astype(np.uint16).reshape(30, 40)
    buffer = io.BytesIO()
    Image.fromarray(data).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "builder",
    [
        _float_tiff,
        _sixteen_bit_png,
        palette_with_transparency,
        lambda: make_image_bytes(mode="CMYK", fmt="JPEG"),
        lambda: exif_jpeg(orientation=6),
    ],
    ids=["float-tiff", "16-bit-png", "palette-alpha", "cmyk", "exif-rotated"],
)
def test_uploads_and_the_engine_decode_to_the_same_pixels(builder):
    """One decoder: what indexing and search see (gallery.images) is what evaluation, benchmarks
    and training see (recognition.ml.images.load_rgb)."""
    from recognition.ml.images import load_rgb

    data = builder()
    served = images.open_upload_upright(as_upload(data))
    engine = load_rgb(data)
    assert served.mode == engine.mode == "RGB"
    assert served.size == engine.size
    assert np.array_equal(np.asarray(served), np.asarray(engine))
    if builder in (_float_tiff, _sixteen_bit_png):
        # Wide samples are scaled to 8 bits, not clipped: both ends of the range survive.
        pixels = np.asarray(served)
        assert pixels.min() < 40
        assert pixels.max() > 200
