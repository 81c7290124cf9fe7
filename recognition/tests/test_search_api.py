"""POST /api/search/ and GET /api/photos/{id}/faces/ on real photos with the real model."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_image_bytes
from recognition.models import Face
from recognition.tests.conftest import person_photos

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def library(django_db_setup, django_db_blocker, faces_dir):
    """A committed library shared by this module's tests (each test's own changes roll back):
    3 photos of Angelina Jolie and 3 of Barack Obama, indexed on upload; query photos held apart."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gallery.services import photo_create, photo_delete

    jolie = person_photos(faces_dir, "angelina_jolie")
    obama = person_photos(faces_dir, "fr_obama")
    with django_db_blocker.unblock():
        owner = get_user_model().objects.create_user(username="library-owner", password="x-password-123")

        def upload(path):
            # Outside a transaction the on-commit indexing runs at once, inline (no broker).
            photo = photo_create(owner=owner, upload=SimpleUploadedFile(path.name, path.read_bytes()))
            photo.refresh_from_db()
            return photo

        photos = {"jolie": [upload(p) for p in jolie[1:4]], "obama": [upload(p) for p in obama[1:4]]}
    yield {"owner": owner, "photos": photos, "query_jolie": jolie[0], "query_obama": obama[0]}
    with django_db_blocker.unblock():
        for group in photos.values():
            for photo in group:
                photo_delete(photo=photo)
        owner.delete()


@pytest.fixture
def api_client(library):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(library["owner"])
    return client


@pytest.fixture
def user_client(client, library):
    client.force_login(library["owner"])
    return client


def _ids(photos):
    return {p.pk for p in photos}


def test_upload_indexes_faces_and_reports_status(api_client, library, runtime_pipeline):
    photo = library["photos"]["obama"][0]
    assert photo.index_status == "indexed"
    assert photo.index_model == runtime_pipeline.embedder.key
    body = api_client.get(f"/api/photos/{photo.pk}/").json()
    assert body["index_status"] == "indexed"
    faces = api_client.get(f"/api/photos/{photo.pk}/faces/").json()
    assert faces["width"] == photo.width
    assert len(faces["results"]) >= 1
    x1, y1, x2, y2 = faces["results"][0]["box"]
    assert 0 <= x1 < x2 <= photo.width
    assert 0 <= y1 < y2 <= photo.height


def test_search_by_image_returns_that_persons_photos_ranked_with_boxes(api_client, library):
    with library["query_obama"].open("rb") as fh:
        response = api_client.post("/api/search/", {"image": fh}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    assert {r["photo"]["id"] for r in body["results"]} == _ids(library["photos"]["obama"])
    sims = [r["similarity"] for r in body["results"]]
    assert sims == sorted(sims, reverse=True)
    assert all(s >= body["threshold"] for s in sims)
    used = [f for f in body["query_faces"] if f["used"]]
    assert len(used) == 1
    hit = body["results"][0]
    face = Face.objects.get(pk=hit["face"]["id"])
    assert face.photo_id == hit["photo"]["id"]
    assert hit["face"]["box"] == pytest.approx(list(face.box), abs=0.1)
    assert hit["distance"] == pytest.approx((2 - 2 * hit["similarity"]) ** 0.5, abs=1e-3)
    assert set(hit["photo"]) >= {"id", "title", "width", "height", "thumbnail_url", "image_url"}


def test_search_by_face_id_and_threshold_and_limit(api_client, library):
    photo = library["photos"]["jolie"][0]
    face = Face.objects.filter(photo=photo).order_by("-score")[0]
    response = api_client.post("/api/search/", {"face_id": face.pk}, format="json")
    assert response.status_code == 200, response.content
    ids = [r["photo"]["id"] for r in response.json()["results"]]
    assert ids[0] == photo.pk  # the face itself is the best match
    assert set(ids) == _ids(library["photos"]["jolie"])
    strict = api_client.post("/api/search/", {"face_id": face.pk, "threshold": 0.999}, format="json").json()
    assert [r["photo"]["id"] for r in strict["results"]] == [photo.pk]
    limited = api_client.post("/api/search/", {"face_id": face.pk, "limit": 1}, format="json").json()
    assert limited["count"] == 1


def test_query_without_a_face_is_422(api_client, library):
    blank = make_image_bytes(size=(320, 240), fmt="PNG")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client.post(
        "/api/search/", {"image": SimpleUploadedFile("blank.png", blank)}, format="multipart"
    )
    assert response.status_code == 422
    assert "No face" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "non_field_errors"),
        ({"face_id": "abc"}, "face_id"),
        ({"face_id": 1, "threshold": 2}, "threshold"),
        ({"face_id": 1, "limit": 0}, "limit"),
    ],
)
def test_bad_search_input_is_400(api_client, payload, field):
    response = api_client.post("/api/search/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_not_an_image_is_400(api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("notes.jpg", b"this is not an image at all")
    response = api_client.post("/api/search/", {"image": upload}, format="multipart")
    assert response.status_code == 400
    assert "image" in response.json()


def test_face_index_out_of_range_is_422(api_client, library):
    with library["query_obama"].open("rb") as fh:
        response = api_client.post("/api/search/", {"image": fh, "face_index": 42}, format="multipart")
    assert response.status_code == 422
    assert "out of range" in response.json()["detail"]


def test_other_users_cannot_reach_faces_or_results(api_client, other_api_client, library):
    photo = library["photos"]["jolie"][0]
    face = Face.objects.filter(photo=photo)[0]
    assert other_api_client.post("/api/search/", {"face_id": face.pk}, format="json").status_code == 404
    assert other_api_client.get(f"/api/photos/{photo.pk}/faces/").status_code == 404
    with library["query_jolie"].open("rb") as fh:
        response = other_api_client.post("/api/search/", {"image": fh}, format="multipart")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_faces_of_another_model_are_never_compared(api_client, library, runtime_pipeline):
    face = Face.objects.filter(photo=library["photos"]["jolie"][0])[0]
    Face.objects.filter(pk=face.pk).update(model_key="some-older-model")
    response = api_client.post("/api/search/", {"face_id": face.pk}, format="json")
    assert response.status_code == 422
    assert "reindex_faces" in response.json()["detail"]


def test_search_requires_authentication(client):
    assert client.post("/api/search/", {}).status_code in (401, 403)


def test_search_page_and_face_crop(user_client, other_client, library):
    page = user_client.get(reverse("recognition:search"))
    assert page.status_code == 200
    assert b"search.js" in page.content
    face = Face.objects.filter(photo=library["photos"]["obama"][0])[0]
    crop = user_client.get(reverse("recognition:face_crop", args=[face.pk]))
    assert crop.status_code == 200
    assert crop["Content-Type"] == "image/jpeg"
    assert other_client.get(reverse("recognition:face_crop", args=[face.pk])).status_code == 404
    detail = user_client.get(reverse("gallery:photo_detail", args=[face.photo_id]))
    assert b"photo_faces.js" in detail.content


def test_staff_see_face_crops_only_through_the_admin(library, django_user_model):
    from django.test import Client

    face = Face.objects.filter(photo=library["photos"]["obama"][0])[0]
    staff = django_user_model.objects.create_user(
        username="staffer", password="x-password-123", is_staff=True
    )
    admin_user = django_user_model.objects.create_superuser(username="root", password="x-password-123")
    staff_client, admin_client = Client(), Client()
    staff_client.force_login(staff)
    admin_client.force_login(admin_user)
    # Being staff gives no access to other people's faces outside the admin...
    assert staff_client.get(reverse("recognition:face_crop", args=[face.pk])).status_code == 404
    # ...nor inside it without the view permission.
    assert staff_client.get(reverse("admin:recognition_face_crop", args=[face.pk])).status_code == 404
    crop = admin_client.get(reverse("admin:recognition_face_crop", args=[face.pk]))
    assert crop.status_code == 200
    assert crop["Content-Type"] == "image/jpeg"
    changelist = admin_client.get(reverse("admin:recognition_face_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:recognition_face_crop", args=[face.pk]).encode() in changelist.content
    # Faces are derived data: read-only in the admin.
    change = admin_client.post(reverse("admin:recognition_face_change", args=[face.pk]), {"model_key": "x"})
    assert change.status_code == 403
    assert admin_client.get(reverse("admin:recognition_face_delete", args=[face.pk])).status_code == 403
    face.refresh_from_db()
    assert face.model_key != "x"
