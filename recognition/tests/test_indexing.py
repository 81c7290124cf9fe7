"""Indexing stored photos (`recognition.indexing.photos_index`): a file missing from storage is a
permanent failure, any other storage error a transient one (retried); a batch the model fails on
is retried photo by photo."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from PIL import Image

from conftest import make_image_bytes
from gallery.models import Photo
from gallery.services import photo_create
from gallery.storage import StorageUnavailable
from gallery.tests.conftest import s3_client, s3_options, storages_for
from memory_studio.tests.servers import free_port
from recognition.indexing import photos_index
from recognition.ml.pipeline import FacePipeline
from recognition.ml.types import FaceEmbedding
from recognition.models import Face
from recognition.tests.conftest import person_photos

pytestmark = pytest.mark.django_db

MISSING = "The original file is missing from storage."


def _upload(owner, data: bytes, name: str = "photo.jpg") -> Photo:
    # Outside django_capture_on_commit_callbacks the on-commit indexing never runs: it stays pending.
    return photo_create(owner=owner, upload=SimpleUploadedFile(name, data))


class S3ErrorServer:
    """An HTTP server on 127.0.0.1 that answers every S3 request with one error, as an S3 server
    does when it refuses access, is overloaded or fails (status and S3 error code)."""

    def __init__(self, status: int, code: str) -> None:
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code></Error>'.encode()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            # BaseHTTPRequestHandler calls do_<METHOD>.
            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _answer  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def s3_photo(settings, moto_endpoint, user, faces_dir):
    """A photo with a face stored in a fresh bucket on moto's S3 server; returns it and the bucket."""
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, bucket), settings
    )
    photo = _upload(user, person_photos(faces_dir, "fr_obama")[0].read_bytes())
    return photo, bucket


def test_an_original_deleted_from_s3_is_a_permanent_failure(s3_photo, moto_endpoint, runtime_pipeline):
    photo, bucket = s3_photo
    s3_client(moto_endpoint).delete_object(Bucket=bucket, Key=photo.original.name)
    outcomes = photos_index(photo_ids=[photo.pk], pipeline=runtime_pipeline)
    assert [(o.photo_id, o.status, o.error) for o in outcomes] == [(photo.pk, "failed", MISSING)]
    photo.refresh_from_db()
    assert (photo.index_status, photo.index_error) == ("failed", MISSING)


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (404, "NoSuchKey", False),
        (403, "AccessDenied", True),
        (500, "InternalError", True),
        (503, "SlowDown", True),
    ],
)
def test_s3_errors_other_than_not_found_are_transient(
    s3_photo, settings, runtime_pipeline, status, code, transient
):
    photo, bucket = s3_photo
    server = S3ErrorServer(status, code)
    try:
        settings.STORAGES = storages_for(
            "storages.backends.s3.S3Storage", s3_options(server.url, bucket), settings
        )
        if transient:
            with pytest.raises(StorageUnavailable):
                photos_index(photo_ids=[photo.pk], pipeline=runtime_pipeline)
        else:
            photos_index(photo_ids=[photo.pk], pipeline=runtime_pipeline)
    finally:
        server.close()
    photo.refresh_from_db()
    if transient:
        # Left pending, not failed: the task retries it once the storage answers again.
        assert (photo.index_status, photo.index_error) == ("pending", "")
    else:
        assert (photo.index_status, photo.index_error) == ("failed", MISSING)


def test_s3_unreachable_is_transient_and_the_photo_is_indexed_once_it_is_back(
    s3_photo, settings, moto_endpoint, runtime_pipeline
):
    photo, bucket = s3_photo
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(f"http://127.0.0.1:{free_port()}", bucket), settings
    )
    with pytest.raises(StorageUnavailable):
        photos_index(photo_ids=[photo.pk], pipeline=runtime_pipeline)
    photo.refresh_from_db()
    assert photo.index_status == "pending"
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, bucket), settings
    )
    [outcome] = photos_index(photo_ids=[photo.pk], pipeline=runtime_pipeline)
    assert (outcome.status, outcome.faces) == ("indexed", 1)


class BatchesFail(FacePipeline):
    """The real pipeline, except that a batch of several images fails (as a batch that runs out of
    memory does) and so does any image of the `refused` sizes on its own."""

    def __init__(self, real: FacePipeline, refused: set[tuple[int, int]], error: Exception) -> None:
        super().__init__(real.detector, real.embedder, batch_size=real.batch_size)
        self.refused, self.error = refused, error
        self.calls: list[int] = []

    def predict(self, images: Sequence[Image.Image]) -> list[list[FaceEmbedding]]:
        self.calls.append(len(images))
        if len(images) > 1:
            raise self.error
        if images[0].size in self.refused:
            raise RuntimeError("this image breaks the model")
        return super().predict(images)


def test_a_failed_batch_is_retried_photo_by_photo(user, faces_dir, runtime_pipeline):
    first, second = (_upload(user, p.read_bytes()) for p in person_photos(faces_dir, "fr_obama")[:2])
    breaking = _upload(user, make_image_bytes(size=(97, 61)), name="breaking.jpg")
    assert (breaking.width, breaking.height) not in {(p.width, p.height) for p in (first, second)}
    pipeline = BatchesFail(runtime_pipeline, {(97, 61)}, RuntimeError("CUDA out of memory"))

    outcomes = photos_index(photo_ids=[first.pk, breaking.pk, second.pk], pipeline=pipeline)

    assert pipeline.calls == [3, 1, 1, 1]  # the batch, then each photo on its own
    by_photo = {o.photo_id: o for o in outcomes}
    assert (by_photo[first.pk].status, by_photo[first.pk].faces) == ("indexed", 1)
    assert (by_photo[second.pk].status, by_photo[second.pk].faces) == ("indexed", 1)
    assert by_photo[breaking.pk].status == "failed"
    breaking.refresh_from_db()
    assert breaking.index_status == "failed"
    assert breaking.index_error == "Face detection failed: this image breaks the model"
    assert Face.objects.filter(photo__in=[first, second]).count() == 2
    assert not Face.objects.filter(photo=breaking).exists()


def test_a_transient_error_in_a_batch_is_not_retried_photo_by_photo(user, faces_dir, runtime_pipeline):
    photos = [_upload(user, p.read_bytes()) for p in person_photos(faces_dir, "fr_obama")[:2]]
    pipeline = BatchesFail(runtime_pipeline, set(), OperationalError("could not connect to server"))
    with pytest.raises(OperationalError):
        photos_index(photo_ids=[p.pk for p in photos], pipeline=pipeline)
    assert pipeline.calls == [2]  # the task retries the whole job later
    assert set(Photo.objects.values_list("index_status", flat=True)) == {"pending"}
