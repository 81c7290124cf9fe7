"""What operators see in the admin: users' pictures only as a superuser with
ADMIN_CAN_VIEW_USER_MEDIA on; API tokens never in clear; face data erasable per user."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.authtoken.models import Token

from people.models import Person
from people.services import person_create
from recognition.models import Face
from recognition.services import photo_faces_replace
from recognition.tests.test_face_index import _faces, _photo

pytestmark = pytest.mark.django_db

MODEL = "dlib-resnet"


@pytest.fixture
def library(user):
    photo = _photo(user)
    photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    face = Face.objects.get(photo=photo)
    person_create(owner=user, faces=[face], name="엄마")
    return photo, face


@pytest.fixture
def staff(django_user_model, client):
    operator = django_user_model.objects.create_user("operator", password="op-pass-1234", is_staff=True)
    operator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_photo", "view_face", "view_person", "view_user"])
    )
    client.force_login(operator)
    return client


@pytest.fixture
def root(django_user_model, client):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "root-pass-123"))
    return client


def _media_urls(photo, face):
    return [
        reverse("admin:gallery_photo_media", kwargs={"photo_id": photo.pk, "kind": kind})
        for kind in ("original", "display", "thumbnail")
    ] + [reverse("admin:recognition_face_crop", args=[face.pk])]


def _pages(photo, face):
    person = Person.objects.get()
    return [
        reverse("admin:gallery_photo_changelist"),
        reverse("admin:gallery_photo_change", args=[photo.pk]),
        reverse("admin:recognition_face_changelist"),
        reverse("admin:people_person_changelist"),
        reverse("admin:people_person_change", args=[person.pk]),
    ]


@pytest.mark.parametrize("who", ["staff", "root"])
def test_without_the_setting_no_operator_sees_a_users_pictures(request, library, settings, who):
    settings.ADMIN_CAN_VIEW_USER_MEDIA = False
    client = request.getfixturevalue(who)
    photo, face = library
    for url in _media_urls(photo, face):
        assert client.get(url).status_code == 403, url
    for page in _pages(photo, face):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "/media/" not in html, page
        assert "crop.jpg" not in html, page


def test_with_the_setting_only_superusers_see_them(library, settings, staff, django_user_model):
    settings.ADMIN_CAN_VIEW_USER_MEDIA = True
    photo, face = library
    for url in _media_urls(photo, face):
        assert staff.get(url).status_code == 403, url
    staff.logout()
    staff.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "root-pass-123"))
    for url in _media_urls(photo, face):
        assert staff.get(url).status_code == 200, url
    listing = staff.get(reverse("admin:gallery_photo_changelist")).content.decode()
    assert _media_urls(photo, face)[2] in listing  # the thumbnail column is back


def test_tokens_are_never_shown_in_clear(root, user):
    token = Token.objects.create(user=user)
    listing = root.get(reverse("admin:authtoken_tokenproxy_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert token.key not in html
    assert f"{token.key[:4]}…" in html
    assert "alice" in html


def test_the_admin_revokes_tokens_and_deletes_face_data_per_user(root, user, other_user, library):
    Token.objects.create(user=user)
    _photo(other_user, "o.jpg")
    changelist = reverse("admin:accounts_user_changelist")

    root.post(changelist, {"action": "revoke_tokens", "_selected_action": [user.pk]})
    response = root.post(
        changelist, {"action": "delete_face_data", "_selected_action": [user.pk]}, follow=True
    )

    assert not Token.objects.filter(user=user).exists()
    assert not Face.objects.filter(owner=user).exists()
    assert not Person.objects.filter(owner=user).exists()
    assert "Deleted the face data of 1 user: 1 faces, 1 people." in response.content.decode()


def test_the_admin_can_turn_recognition_off_but_never_on(root, user, library):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = root.get(url).context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k not in ("password", "groups", "user_permissions")
    }
    data.update(
        {"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "last_login_0": "", "last_login_1": ""}
    )
    data["face_recognition"] = ""  # unchecked: off
    response = root.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user.refresh_from_db()
    assert user.face_recognition is False
    assert not Face.objects.filter(owner=user).exists()

    data["face_recognition"] = "on"
    root.post(url, data)
    user.refresh_from_db()
    assert user.face_recognition is False
