"""Gallery fixtures: uploads built in memory, photos created through the real service."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conftest import make_image_bytes
from gallery import services
from gallery.models import Photo

# S3: moto's standalone server on 127.0.0.1 (the root conftest's `moto_endpoint`).
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def s3_options(endpoint: str, bucket: str) -> dict[str, Any]:
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        **CREDENTIALS,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
        "client_config": Config(
            signature_version="s3v4",
            connect_timeout=1,
            read_timeout=5,
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    }


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def storages_for(backend_class: str, options: dict[str, Any], settings: Any) -> dict[str, Any]:
    return {
        "default": {"BACKEND": backend_class, "OPTIONS": options},
        "staticfiles": settings.STORAGES["staticfiles"],
    }


def as_upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def exif_jpeg(
    *,
    size: tuple[int, int] = (80, 40),
    orientation: int | None = None,
    taken: str | None = None,
    offset: str | None = None,
) -> bytes:
    """A JPEG whose left half is red and right half blue, with the given EXIF tags."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if taken is not None:
        sub = exif.get_ifd(0x8769)
        sub[36867] = taken
        if offset is not None:
            sub[36881] = offset
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def open_bytes(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture
def photo_factory(user: Any) -> Callable[..., Photo]:
    counter = iter(range(1, 10_000))

    def make(
        owner: Any = None, *, data: bytes | None = None, name: str = "photo.jpg", **kwargs: Any
    ) -> Photo:
        n = next(counter)
        if data is None:
            # A distinct colour per photo, so that content hashes differ (no duplicate refusal).
            data = make_image_bytes(size=(40, 30), color=(n % 256, (n * 7) % 256, (n * 13) % 256))
        return services.photo_create(owner=owner or user, upload=as_upload(data, name), **kwargs)

    return make


@pytest.fixture
def photo(photo_factory: Callable[..., Photo]) -> Photo:
    return photo_factory(title="Beach")


@pytest.fixture
def other_photo(photo_factory: Callable[..., Photo], other_user: Any) -> Photo:
    return photo_factory(other_user, title="Secret")
