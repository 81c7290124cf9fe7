"""POST /api/search/ and GET /api/photos/{id}/faces/ on real photos with the real model."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_image_bytes
from recognition.models import Face
from recognition.tests.composites import subject_with_cut_neighbour
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


def test_photos_in_the_trash_are_never_found_and_come_back_when_restored(api_client, library):
    from gallery.services import photos_restore, photos_trash

    owner = library["owner"]
    jolie = library["photos"]["jolie"]
    face = Face.objects.filter(photo=jolie[0]).order_by("-score")[0]
    photos_trash(owner=owner, photos=[jolie[1]])
    body = api_client.post("/api/search/", {"face_id": face.pk}, format="json").json()
    assert {r["photo"]["id"] for r in body["results"]} == {jolie[0].pk, jolie[2].pk}
    assert body["count"] == 2
    # Left out before the limit: a limit of 2 still fills with photos outside the trash.
    limited = api_client.post("/api/search/", {"face_id": face.pk, "limit": 2}, format="json").json()
    assert {r["photo"]["id"] for r in limited["results"]} == {jolie[0].pk, jolie[2].pk}
    photos_restore(owner=owner, photos=[jolie[1]])
    body = api_client.post("/api/search/", {"face_id": face.pk}, format="json").json()
    assert {r["photo"]["id"] for r in body["results"]} == _ids(jolie)


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


def test_staff_see_face_crops_only_through_the_admin(library, django_user_model, settings):
    from django.test import Client

    settings.ADMIN_CAN_VIEW_USER_MEDIA = True  # and then only superusers see them

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


# Kept query photos: search again by id (another face, another strictness), preview, expiry.


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def _side_by_side(*paths):
    """One photo showing several people: the given photos scaled to one height, side by side."""
    from PIL import Image

    images = [Image.open(p).convert("RGB") for p in paths]
    height = 400
    images = [im.resize((round(im.width * height / im.height), height)) for im in images]
    canvas = Image.new("RGB", (sum(im.width for im in images) + 40 * len(images), height), "white")
    x = 0
    for im in images:
        canvas.paste(im, (x, 0))
        x += im.width + 40
    return canvas


def test_an_image_query_is_kept_with_a_preview_and_searched_again_by_id(
    api_client, user_client, library, settings
):
    from io import BytesIO

    from PIL import Image

    from recognition.models import SearchQuery

    with library["query_obama"].open("rb") as fh:
        first = api_client.post("/api/search/", {"image": fh}, format="multipart").json()
    query = first["query"]
    stored = SearchQuery.objects.get(pk=query["id"])
    assert stored.owner_id == library["owner"].pk
    original = Image.open(library["query_obama"])
    assert (query["width"], query["height"]) == original.size  # these photos carry no EXIF rotation
    preview = user_client.get(query["preview_url"])
    assert preview.status_code == 200
    assert preview["Content-Type"] == "image/jpeg"
    assert "private" in preview["Cache-Control"]
    shown = Image.open(BytesIO(preview.content))
    assert shown.format == "JPEG"
    assert max(shown.size) <= settings.SEARCH_QUERY_PREVIEW_SIZE
    assert shown.width / shown.height == pytest.approx(original.width / original.height, rel=0.02)

    again = api_client.post("/api/search/", {"query_id": query["id"]}, format="json")
    assert again.status_code == 200, again.content
    body = again.json()
    assert body["query"]["id"] == query["id"]
    assert body["query_faces"] == first["query_faces"]
    assert [(r["photo"]["id"], r["similarity"]) for r in body["results"]] == [
        (r["photo"]["id"], r["similarity"]) for r in first["results"]
    ]
    assert {r["photo"]["id"] for r in body["results"]} == _ids(library["photos"]["obama"])
    assert SearchQuery.objects.filter(owner=library["owner"]).count() == 1  # searching again stores nothing


def test_another_face_of_a_kept_photo_is_searched_without_sending_it_again(api_client, library):
    from io import BytesIO

    group = _side_by_side(library["query_jolie"], library["query_obama"])
    buffer = BytesIO()
    group.save(buffer, format="JPEG", quality=92)
    first = api_client.post(
        "/api/search/", {"image": _upload("group.jpg", buffer.getvalue())}, format="multipart"
    ).json()
    faces = first["query_faces"]
    assert len(faces) == 2
    left = min(faces, key=lambda f: f["box"][0])["index"]
    right = max(faces, key=lambda f: f["box"][0])["index"]
    found = {}
    for index in (left, right):
        answer = api_client.post(
            "/api/search/", {"query_id": first["query"]["id"], "face_index": index}, format="json"
        )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert [f["index"] for f in body["query_faces"] if f["used"]] == [index]
        found[index] = {r["photo"]["id"] for r in body["results"]}
    assert found[left] == _ids(library["photos"]["jolie"])
    assert found[right] == _ids(library["photos"]["obama"])
    out_of_range = api_client.post(
        "/api/search/", {"query_id": first["query"]["id"], "face_index": 2}, format="json"
    )
    assert out_of_range.status_code == 422
    assert "out of range" in out_of_range.json()["detail"]


def test_a_query_photo_searches_for_the_whole_central_face_not_a_larger_one_cut_by_the_frame(
    api_client, library, detector
):
    """Issue 12: the person a photo is about, not a larger neighbour cut off at its edge."""
    from io import BytesIO

    canvas = subject_with_cut_neighbour(detector, library["query_jolie"], library["query_obama"])
    buffer = BytesIO()
    canvas.save(buffer, format="JPEG", quality=92)

    response = api_client.post(
        "/api/search/", {"image": _upload("neighbour.jpg", buffer.getvalue())}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    faces = body["query_faces"]
    assert len(faces) == 2
    central = min(faces, key=lambda f: abs((f["box"][0] + f["box"][2]) / 2 - 480))
    cut = max(faces, key=lambda f: abs((f["box"][0] + f["box"][2]) / 2 - 480))

    def area(face):
        x1, y1, x2, y2 = face["box"]
        return (x2 - x1) * (y2 - y1)

    # The cut face is found, reaches the frame and is the largest: "the largest" would be Obama.
    assert cut["box"][0] <= 1.0
    assert area(cut) > 1.5 * area(central)
    assert [f["index"] for f in faces if f["used"]] == [central["index"]]
    assert {r["photo"]["id"] for r in body["results"]} == _ids(library["photos"]["jolie"])
    # The kept query and the viewer's order use the same face.
    again = api_client.post("/api/search/", {"query_id": body["query"]["id"]}, format="json").json()
    assert [f["index"] for f in again["query_faces"] if f["used"]] == [central["index"]]
    assert [r["photo"]["id"] for r in again["results"]] == [r["photo"]["id"] for r in body["results"]]
    walked: list[int] = []
    photo_id = body["results"][0]["photo"]["id"]
    while photo_id is not None and len(walked) < 10:
        step = api_client.get(f"/api/photos/{photo_id}/viewer/?search={body['query']['id']}")
        assert step.status_code == 200, step.content
        walked.append(photo_id)
        photo_id = step.json()["next"]["id"] if step.json()["next"] else None
    assert walked == [r["photo"]["id"] for r in body["results"]]
    # The cut face is a recognisable Obama: choosing it finds his photos.
    chosen = api_client.post(
        "/api/search/", {"query_id": body["query"]["id"], "face_index": cut["index"]}, format="json"
    ).json()
    assert {r["photo"]["id"] for r in chosen["results"]} == _ids(library["photos"]["obama"])


def test_strictness_words_narrow_the_results_and_threshold_overrides_them(api_client, library):
    with library["query_jolie"].open("rb") as fh:
        loose = api_client.post(
            "/api/search/", {"image": fh, "strictness": "loose"}, format="multipart"
        ).json()
    thresholds = loose["thresholds"]
    assert thresholds["loose"] < thresholds["default"] < thresholds["strict"] < 1
    assert loose["threshold"] == thresholds["loose"]
    qid = loose["query"]["id"]
    by_word = {}
    for word in ("loose", "default", "strict"):
        body = api_client.post("/api/search/", {"query_id": qid, "strictness": word}, format="json").json()
        assert body["threshold"] == thresholds[word]
        assert all(r["similarity"] >= thresholds[word] for r in body["results"])
        by_word[word] = [r["photo"]["id"] for r in body["results"]]
    # What the page does in the browser: the loose results, filtered, are the stricter answers.
    for word in ("default", "strict"):
        filtered = [r["photo"]["id"] for r in loose["results"] if r["similarity"] >= thresholds[word]]
        assert filtered == by_word[word]
    assert set(by_word["strict"]) <= set(by_word["default"]) <= set(by_word["loose"])
    assert set(by_word["default"]) == _ids(library["photos"]["jolie"])
    exact = api_client.post(
        "/api/search/", {"query_id": qid, "strictness": "loose", "threshold": 0.999}, format="json"
    ).json()
    assert exact["threshold"] == 0.999
    assert exact["results"] == []
    bad = api_client.post("/api/search/", {"query_id": qid, "strictness": "very"}, format="json")
    assert bad.status_code == 400
    assert "strictness" in bad.json()


@pytest.mark.parametrize("fmt", ["HEIF", "TIFF"])
def test_heic_and_tiff_queries_find_the_person_and_get_a_jpeg_preview(api_client, user_client, library, fmt):
    from io import BytesIO

    from PIL import Image

    import gallery.images  # noqa: F401  (registers the HEIF codec)
    from recognition.tests.conftest import encode

    data = encode(Image.open(library["query_obama"]).convert("RGB"), fmt, quality=90)
    name = "query.heic" if fmt == "HEIF" else "query.tiff"
    response = api_client.post("/api/search/", {"image": _upload(name, data)}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {r["photo"]["id"] for r in body["results"]} == _ids(library["photos"]["obama"])
    preview = user_client.get(body["query"]["preview_url"])
    assert Image.open(BytesIO(preview.content)).format == "JPEG"


def test_a_large_jpeg_query_is_decoded_reduced_and_finds_the_person_with_boxes_on_its_preview(
    api_client, library, settings
):
    from PIL import Image

    from recognition.tests.conftest import encode

    # A 12 MP phone-sized photo of the query person: the face is large, as in a query photo.
    photo = Image.open(library["query_obama"]).convert("RGB")
    scale = 4032 / photo.width
    big = photo.resize((4032, round(photo.height * scale)), Image.Resampling.BICUBIC)
    response = api_client.post(
        "/api/search/", {"image": _upload("big.jpg", encode(big, "JPEG", quality=90))}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert {r["photo"]["id"] for r in body["results"]} == _ids(library["photos"]["obama"])
    # Decoded at 1/2 scale (2016 >= SEARCH_QUERY_DECODE_SIDE, 1008 is not): the query's size and
    # its face boxes are in the reduced image, where the preview shows them.
    query = body["query"]
    assert query["width"] == 2016
    assert query["height"] == pytest.approx(big.height / 2, abs=1)
    (used,) = [face for face in body["query_faces"] if face["used"]]
    x1, y1, x2, y2 = used["box"]
    assert 0 <= x1 < x2 <= query["width"]
    assert 0 <= y1 < y2 <= query["height"]
    assert x2 - x1 > 0.2 * query["width"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.jpg", b"", "empty"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "image"),
        ("broken.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "image"),
    ],
)
def test_empty_and_broken_query_files_are_400_with_a_message_and_keep_nothing(
    api_client, library, name, data, message
):
    from recognition.models import SearchQuery

    response = api_client.post("/api/search/", {"image": _upload(name, data)}, format="multipart")
    assert response.status_code == 400, response.content
    text = " ".join(response.json()["image"])
    assert message in text.lower()
    assert not SearchQuery.objects.exists()


def test_a_photo_without_a_face_keeps_nothing(api_client, library):
    from recognition.models import SearchQuery

    blank = make_image_bytes(size=(320, 240), fmt="PNG")
    response = api_client.post("/api/search/", {"image": _upload("blank.png", blank)}, format="multipart")
    assert response.status_code == 422
    assert not SearchQuery.objects.exists()


def test_kept_queries_expire_and_each_user_keeps_only_the_newest(api_client, user_client, library, settings):
    from datetime import timedelta

    from recognition.models import SearchQuery

    settings.SEARCH_QUERY_MAX_PER_USER = 2
    ids = []
    for _ in range(3):
        with library["query_jolie"].open("rb") as fh:
            ids.append(
                api_client.post("/api/search/", {"image": fh}, format="multipart").json()["query"]["id"]
            )
    assert set(SearchQuery.objects.values_list("pk", flat=True)) == set(ids[1:])
    gone = api_client.post("/api/search/", {"query_id": ids[0]}, format="json")
    assert gone.status_code == 404
    assert "expired" in gone.json()["detail"]
    # Past SEARCH_QUERY_TTL_HOURS a query answers 404 at once, and the next search removes it.
    SearchQuery.objects.filter(pk=ids[1]).update(
        created_at=SearchQuery.objects.get(pk=ids[1]).created_at
        - timedelta(hours=settings.SEARCH_QUERY_TTL_HOURS, minutes=1)
    )
    assert api_client.post("/api/search/", {"query_id": ids[1]}, format="json").status_code == 404
    assert user_client.get(reverse("recognition:search_query_preview", args=[ids[1]])).status_code == 404
    page = user_client.get(reverse("recognition:search") + f"?q={ids[1]}")
    assert page.status_code == 200
    assert b"This search has expired" in page.content
    assert b'data-query-id=""' in page.content
    with library["query_jolie"].open("rb") as fh:
        api_client.post("/api/search/", {"image": fh}, format="multipart")
    assert not SearchQuery.objects.filter(pk=ids[1]).exists()
    assert SearchQuery.objects.filter(pk=ids[2]).exists()


def test_kept_queries_are_the_owners_alone(api_client, other_api_client, other_client, client, library):
    from recognition.models import SearchQuery

    with library["query_jolie"].open("rb") as fh:
        query = api_client.post("/api/search/", {"image": fh}, format="multipart").json()["query"]
    preview = reverse("recognition:search_query_preview", args=[query["id"]])
    assert other_api_client.post("/api/search/", {"query_id": query["id"]}, format="json").status_code == 404
    assert other_client.get(preview).status_code == 404
    assert client.get(preview).status_code == 302  # anonymous: to the login page
    page = other_client.get(reverse("recognition:search") + f"?q={query['id']}")
    assert page.status_code == 200
    assert query["id"].encode() not in page.content
    assert SearchQuery.objects.get(pk=query["id"]).owner_id == library["owner"].pk


def test_a_kept_query_of_an_older_model_asks_for_the_photo_again(api_client, library):
    from recognition.models import SearchQuery

    with library["query_jolie"].open("rb") as fh:
        query = api_client.post("/api/search/", {"image": fh}, format="multipart").json()["query"]
    SearchQuery.objects.filter(pk=query["id"]).update(model_key="some-older-model")
    response = api_client.post("/api/search/", {"query_id": query["id"]}, format="json")
    assert response.status_code == 422
    assert "Choose the photo again" in response.json()["detail"]


def test_the_search_page_resumes_a_kept_query_and_greets_an_empty_library(user_client, library, client, user):
    with library["query_jolie"].open("rb") as fh:
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(library["owner"])
        query = api.post("/api/search/", {"image": fh}, format="multipart").json()["query"]
    page = user_client.get(reverse("recognition:search") + f"?q={query['id']}&face=0&strictness=strict")
    assert f'data-query-id="{query["id"]}"'.encode() in page.content
    assert b'data-face-index="0"' in page.content
    assert b'data-strictness="strict"' in page.content
    client.force_login(user)  # a user with no photos
    empty = client.get(reverse("recognition:search"))
    assert b"You have no photos yet" in empty.content
    assert b"search.js" not in empty.content


def test_one_users_searches_never_push_out_anothers(api_client, other_api_client, library, settings):
    from recognition.models import SearchQuery

    settings.SEARCH_QUERY_MAX_PER_USER = 1
    with library["query_jolie"].open("rb") as fh:
        mine = api_client.post("/api/search/", {"image": fh}, format="multipart").json()["query"]["id"]
    for _ in range(2):
        with library["query_obama"].open("rb") as fh:
            other_api_client.post("/api/search/", {"image": fh}, format="multipart")
    assert SearchQuery.objects.filter(pk=mine).exists()
    assert SearchQuery.objects.exclude(owner=library["owner"]).count() == 1
    assert api_client.post("/api/search/", {"query_id": mine}, format="json").status_code == 200


@pytest.mark.parametrize("odd", ["%00", "a%00b", "x" * 40, "%C2%B2", "..%2F..", "-_-"])
def test_odd_query_ids_and_numbers_are_not_found_never_500(user_client, api_client, library, odd):
    from urllib.parse import unquote

    assert user_client.get(f"/search/queries/{odd}/preview.jpg").status_code == 404
    page = user_client.get(f"/search/?q={odd}&face={odd}&face_id={odd}")
    assert page.status_code == 200
    assert b'data-query-id=""' in page.content
    assert b'data-face-index=""' in page.content
    response = api_client.post("/api/search/", {"query_id": unquote(odd)}, format="json")
    assert response.status_code in (400, 404)


def test_without_a_model_foreign_faces_are_404_and_bad_files_400_before_the_model_is_needed(
    api_client, other_api_client, library, monkeypatch
):
    from recognition import apis
    from recognition.runtime import RecognitionUnavailableError

    def unavailable():
        raise RecognitionUnavailableError("Face recognition is not available: test")

    monkeypatch.setattr(apis, "get_pipeline", unavailable)
    face = Face.objects.filter(photo__owner=library["owner"]).first()
    assert face is not None
    # Another user's face, an unknown query: not found, whether or not the model can load.
    assert other_api_client.post("/api/search/", {"face_id": face.pk}, format="json").status_code == 404
    assert api_client.post("/api/search/", {"query_id": "0" * 32}, format="json").status_code == 404
    broken = _upload("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    assert api_client.post("/api/search/", {"image": broken}, format="multipart").status_code == 400
    # The owner's own face needs the model: the outage is reported as such.
    mine = api_client.post("/api/search/", {"face_id": face.pk}, format="json")
    assert mine.status_code == 503
    # The faces of a photo are read without the model.
    assert api_client.get(f"/api/photos/{face.photo_id}/faces/").status_code == 200


def test_face_crops_are_validated_by_etag_and_cut_from_the_display_rendition(
    user_client, other_client, library, monkeypatch
):
    import io

    from PIL import Image

    from gallery.images import open_rendition, open_upright
    from recognition import crops

    face = Face.objects.filter(photo=library["photos"]["obama"][0])[0]
    url = reverse("recognition:face_crop", args=[face.pk])
    originals = []

    def original_of(photo):
        originals.append(photo)
        return open_upright(photo)

    monkeypatch.setattr(crops, "open_upright", original_of)
    first = user_client.get(url)
    assert first.status_code == 200
    assert Image.open(io.BytesIO(first.content)).size == (crops.FACE_CROP_SIZE,) * 2
    assert first["Cache-Control"] == "private, max-age=3600"
    etag = first["ETag"]
    assert etag.startswith('"')
    assert originals == []  # a face this large is cut from the display rendition

    # A browser that has the crop gets 304 without any image being read.
    def no_image(*args, **kwargs):
        raise AssertionError("an image was read for a 304")

    monkeypatch.setattr(crops, "open_rendition", no_image)
    monkeypatch.setattr(crops, "open_upright", no_image)
    again = user_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    # Another user is not told anything, ETag or not.
    assert other_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
    # A moved box is another crop.
    Face.objects.filter(pk=face.pk).update(x1=face.x1 + 1)
    monkeypatch.setattr(crops, "open_rendition", open_rendition)
    changed = user_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
