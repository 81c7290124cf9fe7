"""Consent to face recognition and erasure of face data: turning recognition off stops indexing
and deletes every face, person, rejection and kept search photo; the face index forgets them in
every process; turning it on again indexes everything anew."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from accounts.services import user_face_data_delete, user_face_recognition_set
from gallery.models import Photo
from gallery.services import photo_create
from people.models import FaceRejection, Person, PersonMerge
from people.services import faces_reject, person_create, person_merge
from recognition import index
from recognition.models import Face, SearchQuery
from recognition.search import FaceRecognitionOffError, search_by_face
from recognition.selectors import face_search
from recognition.services import photo_faces_replace
from recognition.tests.test_face_index import _faces, _photo

pytestmark = pytest.mark.django_db

MODEL = "dlib-resnet"  # the active model: People and the search page work on its faces


@pytest.fixture(autouse=True)
def _fresh_index():
    index.clear_cache()
    yield
    index.clear_cache()


def _library(owner, *, shade: int = 0):
    """Two photos with three faces, a named person with a rejected face, a merge, a kept query."""
    a, b = _photo(owner, f"a{shade}.jpg"), _photo(owner, f"b{shade}.jpg")
    photo_faces_replace(photo_id=a.pk, model_key=MODEL, faces=_faces([1, 0, 0], [0, 1, 0]))
    photo_faces_replace(photo_id=b.pk, model_key=MODEL, faces=_faces([1, 0.1, 0], [0, 0, 1]))
    faces = list(Face.objects.filter(owner=owner).order_by("pk"))
    mum = person_create(owner=owner, faces=[faces[0], faces[2]], name="엄마")
    dad = person_create(owner=owner, faces=[faces[1]], name="Dad")
    twin = person_create(owner=owner, faces=[faces[3]], name="Twin")
    person_merge(source=twin, target=dad)
    faces_reject(person=mum, faces=[faces[1]])
    SearchQuery.objects.create(
        id=SearchQuery.new_id(),
        owner=owner,
        model_key=MODEL,
        width=10,
        height=10,
        preview=b"jpeg",
        faces=[{"box": [0, 0, 5, 5], "score": 0.99}],
        dim=3,
        embeddings=np.asarray([[1, 0, 0]], dtype="<f4").tobytes(),
    )
    return a, b


def _hits(user, vector=(1, 0, 0)):
    return face_search(user=user, vector=list(vector), model_key=MODEL, min_similarity=0.5, limit=10)


def test_turning_recognition_off_deletes_every_trace_and_the_page_says_how_much(
    user, other_user, user_client
):
    _library(user)
    _library(other_user, shade=1)
    assert len(_hits(user)) == 2  # the snapshot is cached in this process, as in every web process
    before_other = [(h.photo.pk, h.face.pk) for h in _hits(other_user)]

    page = user_client.get(reverse("accounts:face_recognition"))
    assert page.status_code == 200
    assert [
        li.strip()
        for li in page.content.decode().split('id="face-data-summary"')[1].split("</ul>")[0].split("<li>")[1:]
    ] == [
        "4 faces found in your photos</li>",
        "2 people with the names you gave</li>",
        '1 "not this person" correction</li>',
        "1 photo kept from your searches</li>",
    ]
    response = user_client.post(reverse("accounts:face_recognition"), {"enabled": "off"}, follow=True)

    assert "Face recognition is off. Deleted 4 faces, 2 people, 1 rejected match and 1 search photo." in (
        response.content.decode()
    )
    user.refresh_from_db()
    assert user.face_recognition is False
    assert not Face.objects.filter(owner=user).exists()
    assert not Person.objects.filter(owner=user).exists()
    assert not FaceRejection.objects.filter(owner=user).exists()
    assert not PersonMerge.objects.filter(owner=user).exists()
    assert not SearchQuery.objects.filter(owner=user).exists()
    assert set(Photo.objects.filter(owner=user).values_list("index_status", "face_count")) == {("off", 0)}
    # No cache was cleared: the version check alone makes the cached snapshot go.
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is None
    assert _hits(user) == []
    # The other user's library is untouched.
    assert [(h.photo.pk, h.face.pk) for h in _hits(other_user)] == before_other
    assert Person.objects.filter(owner=other_user).live().count() == 2


def test_a_queued_job_of_a_user_who_turned_recognition_off_does_nothing(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        photo = photo_create(owner=user, upload=SimpleUploadedFile("q.jpg", _jpeg()))
    assert len(queued) == 1  # the indexing job, not run yet

    user_face_recognition_set(user=user, enabled=False)
    queued[0]()  # inline: index_photo runs now, after the switch

    photo.refresh_from_db()
    assert (photo.index_status, photo.face_count) == ("off", 0)
    assert not Face.objects.filter(photo=photo).exists()


def test_a_job_that_was_already_running_writes_nothing_once_recognition_is_off(user):
    photo = _photo(user)
    user_face_recognition_set(user=user, enabled=False)

    # The model finished after the switch: its write sees the flag under the owner's lock.
    outcome = photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0, 0]))

    assert outcome is not None
    assert outcome.status == Photo.IndexStatus.OFF
    assert not Face.objects.filter(owner=user).exists()
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is None


def test_turning_recognition_on_again_queues_every_photo(user, django_capture_on_commit_callbacks):
    photos = [_photo(user, f"{n}.jpg") for n in range(3)]
    user_face_recognition_set(user=user, enabled=False)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        change = user_face_recognition_set(user=user, enabled=True)

    assert change.queued == 3
    assert change.deleted is None
    assert len(queued) == 3
    assert set(
        Photo.objects.filter(pk__in=[p.pk for p in photos]).values_list("index_status", flat=True)
    ) == {"pending"}
    # Setting what is already set changes nothing and queues nothing.
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert user_face_recognition_set(user=user, enabled=True).queued == 0
    assert again == []


def test_search_is_refused_while_recognition_is_off(user, user_client):
    _library(user)
    face = Face.objects.filter(owner=user).first()
    user_face_recognition_set(user=user, enabled=False)
    user.refresh_from_db()

    with pytest.raises(FaceRecognitionOffError):
        search_by_face(user=user, face=face, pipeline=None)  # type: ignore[arg-type]
    page = user_client.get(reverse("recognition:search"))
    assert 'id="recognition-off"' in page.content.decode()
    assert 'id="search-app"' not in page.content.decode()
    people = user_client.get(reverse("people:people_list"))
    assert 'id="recognition-off"' in people.content.decode()


def test_the_search_api_says_recognition_is_off(user, api_client, faces_dir):
    user_face_recognition_set(user=user, enabled=False)
    portrait = next(iter(sorted((faces_dir / "bbt_penny").iterdir())))

    response = api_client.post(
        "/api/search/", {"image": SimpleUploadedFile("q.jpg", portrait.read_bytes())}, format="multipart"
    )

    assert response.status_code == 422
    assert "Face recognition is off" in response.json()["detail"]
    assert not SearchQuery.objects.filter(owner=user).exists()  # the query photo was not kept


def test_deleting_face_data_keeps_recognition_on_and_indexes_again(
    user, user_client, django_capture_on_commit_callbacks
):
    _library(user)
    assert user_client.get(reverse("accounts:face_data_delete")).status_code == 200

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = user_client.post(reverse("accounts:face_data_delete"), follow=True)

    assert "Deleted 4 faces, 2 people, 1 rejected match and 1 search photo." in response.content.decode()
    user.refresh_from_db()
    assert user.face_recognition is True
    assert not Face.objects.filter(owner=user).exists()
    assert not Person.objects.filter(owner=user).exists()
    assert set(Photo.objects.filter(owner=user).values_list("index_status", flat=True)) == {"pending"}
    assert len(queued) == 2


def test_the_account_api_reads_and_switches_recognition(user, api_client, django_capture_on_commit_callbacks):
    _library(user)
    assert api_client.get("/api/account/").json() == {
        "username": "alice",
        "email": "alice@example.com",
        "language": "",
        "time_zone": user.time_zone,
        "face_recognition": True,
    }

    off = api_client.patch("/api/account/", {"face_recognition": False}, format="json")
    assert off.status_code == 200, off.content
    assert off.json()["face_recognition"] is False
    assert off.json()["face_data_deleted"] == {"faces": 4, "persons": 2, "rejections": 1, "search_queries": 1}
    assert not Face.objects.filter(owner=user).exists()

    with django_capture_on_commit_callbacks(execute=False):
        on = api_client.patch("/api/account/", {"face_recognition": True, "language": "ko"}, format="json")
    assert on.json()["photos_queued"] == 2
    assert on.json()["face_data_deleted"] is None
    assert on.json()["language"] == "ko"

    bad = api_client.patch("/api/account/", {"time_zone": "Mars/Olympus"}, format="json")
    assert bad.status_code == 400
    assert "time_zone" in bad.json()
    assert User.objects.get(pk=user.pk).time_zone == user.time_zone


def test_the_face_data_api_deletes_and_reports(
    user, other_user, api_client, django_capture_on_commit_callbacks
):
    _library(user)
    _library(other_user, shade=1)
    with django_capture_on_commit_callbacks(execute=False):
        response = api_client.delete("/api/account/face-data/")
    assert response.status_code == 200
    assert response.json() == {"faces": 4, "persons": 2, "rejections": 1, "search_queries": 1}
    assert Face.objects.filter(owner=other_user).count() == 4
    assert user_face_data_delete(user=user).faces == 0  # nothing left the second time


def test_new_accounts_follow_face_recognition_default(client, settings):
    settings.FACE_RECOGNITION_DEFAULT = False
    client.post(
        reverse("accounts:signup"),
        {"username": "newbie", "email": "", "password1": "a-Long-pass-1234", "password2": "a-Long-pass-1234"},
    )
    assert User.objects.get(username="newbie").face_recognition is False


def test_an_owner_with_recognition_off_is_skipped_by_reindex_listing(user, other_user):
    from recognition.indexing import photos_to_index

    mine, theirs = _photo(user), _photo(other_user, "t.jpg")
    user_face_recognition_set(user=user, enabled=False)
    assert photos_to_index(model_key=MODEL) == [theirs.pk]
    assert mine.pk not in photos_to_index(model_key=MODEL, owner_id=user.pk)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 30, 60)).save(out, "JPEG")
    return out.getvalue()
