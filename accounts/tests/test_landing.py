"""Home for visitors: the landing page at /, and the message after logging out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_image_bytes
from gallery import services
from gallery.models import Photo
from gallery.tests.conftest import as_upload

pytestmark = pytest.mark.django_db


def test_visitors_get_the_landing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/landing.html"
    html = response.content.decode()
    assert "Search by face" in html
    assert f'href="{reverse("accounts:login")}"' in html
    assert f'href="{reverse("accounts:signup")}"' in html
    assert "page" not in response.context  # no grid, no photos


def _photo(owner, title: str) -> Photo:
    photo = services.photo_create(owner=owner, upload=as_upload(make_image_bytes(), "IMG_0001.jpg"))
    Photo.objects.filter(pk=photo.pk).update(title=title)
    return photo


def test_logged_in_users_get_their_photos_at_home(user_client, user):
    photo = _photo(user, "바다")
    response = user_client.get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "gallery/photo_list.html"
    assert [p.pk for p in response.context["page"]] == [photo.pk]


def test_the_landing_page_shows_no_ones_photos(client, user):
    _photo(user, "비밀 사진 7f3a")
    html = client.get("/").content.decode()
    assert "비밀 사진 7f3a" not in html
    assert "alice" not in html
    assert "/media/photos/" not in html
    assert Photo.objects.count() == 1


def test_sign_in_from_a_deep_link_comes_back_to_it(client, user, password):
    html = client.get("/?status=failed").content.decode()
    assert f'href="{reverse("accounts:login")}?next=/%3Fstatus%3Dfailed"' in html
    logged_in = client.post(
        f"{reverse('accounts:login')}?next=/%3Fstatus%3Dfailed",
        {"username": "alice", "password": password, "next": "/?status=failed"},
    )
    assert logged_in["Location"] == "/?status=failed"


def test_other_pages_still_ask_visitors_to_log_in(client):
    for url in ("/albums/", "/upload/", "/people/", "/search/", "/accounts/settings/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('accounts:login')}?next="), url


def test_the_landing_page_only_answers_get(client):
    assert client.post("/", {}).status_code == 405


def test_logging_out_says_so_on_the_landing_page(client, user, password):
    client.post(reverse("accounts:login"), {"username": "alice", "password": password})
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain == [("/", 302)]
    html = response.content.decode()
    assert "You have been logged out." in html
    assert response.templates[0].name == "accounts/landing.html"
    # Once: the next page does not repeat it.
    assert "You have been logged out." not in client.get("/").content.decode()


def test_the_logout_message_is_in_the_users_language(client, user, password):
    user.language = "ko"
    user.save(update_fields=["language"])
    client.post(reverse("accounts:login"), {"username": "alice", "password": password})
    html = client.post(reverse("accounts:logout"), follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "로그아웃했어요." in html
    assert '<html lang="ko">' in html  # the language cookie set at login holds after logging out


def test_logging_out_when_not_logged_in_says_nothing(client):
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.status_code == 200
    assert "logged out" not in response.content.decode()
