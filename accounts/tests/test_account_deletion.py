"""Deleting your own account: every row and stored file goes (S3 included), tokens and sessions
end; a wrong password deletes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from gallery.models import Album, PendingDeletion, Photo
from gallery.services import album_add_photos, album_create
from gallery.tests.conftest import s3_client, s3_options, storages_for
from people.models import Person
from people.services import person_create
from recognition.models import Face
from recognition.services import photo_faces_replace
from recognition.tests.test_face_index import _faces, _photo

pytestmark = pytest.mark.django_db

MODEL = "dlib-resnet"


@pytest.fixture
def bucket(settings, moto_endpoint):
    name = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=name)
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, name), settings
    )
    return name


def _keys(endpoint, bucket):
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def _token(username, password):
    response = APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def test_deleting_your_account_removes_every_row_file_token_and_session(
    user, other_user, password, bucket, moto_endpoint, django_capture_on_commit_callbacks
):
    mine = [_photo(user, f"{n}.jpg") for n in range(3)]
    theirs = _photo(other_user, "theirs.jpg")
    photo_faces_replace(photo_id=mine[0].pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    person_create(owner=user, faces=list(Face.objects.filter(owner=user)), name="엄마")
    album_add_photos(album=album_create(owner=user, name="Trip"), photos=mine)
    my_files = {name for photo in mine for name in photo.file_names}
    assert my_files <= _keys(moto_endpoint, bucket)
    token = _token("alice", password)
    browser, phone = Client(), Client()
    browser.force_login(user)
    phone.force_login(user)
    bystander = Client()
    bystander.force_login(other_user)

    assert browser.get(reverse("accounts:account_delete")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("accounts:account_delete"), {"password": password}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Your account and everything in it were deleted." in response.content.decode()
    assert not User.objects.filter(username="alice").exists()
    for model in (Photo, Album, Person, Face):
        assert not model.objects.filter(owner_id=user.pk).exists(), model
    keys = _keys(moto_endpoint, bucket)
    assert not (my_files & keys)  # nothing of theirs is left in the bucket
    assert set(theirs.file_names) <= keys  # the other user's files stay
    assert not PendingDeletion.objects.exists()
    # The other browser's session ended and the token stopped working.
    assert phone.get(reverse("gallery:photo_list")).status_code == 302
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/photos/").status_code == 401
    assert bystander.get(reverse("gallery:photo_list")).status_code == 200


def test_a_wrong_password_deletes_nothing(user_client, user):
    photo = _photo(user)
    response = user_client.post(reverse("accounts:account_delete"), {"password": "not-it"})
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    assert Photo.objects.filter(pk=photo.pk).exists()
    assert user_client.get(reverse("gallery:photo_list")).status_code == 200


def test_the_api_deletes_the_account_with_the_password(user, password, api_client):
    photo = _photo(user)
    wrong = api_client.post("/api/account/delete/", {"password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert Photo.objects.filter(pk=photo.pk).exists()

    response = api_client.post("/api/account/delete/", {"password": password}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Photo.objects.filter(pk=photo.pk).exists()


def test_account_deletion_needs_a_login(client):
    assert client.post(reverse("accounts:account_delete"), {"password": "x"}).status_code == 302
    assert APIClient().post("/api/account/delete/", {"password": "x"}, format="json").status_code in (
        401,
        403,
    )
