"""Languages and time zones: the browser's Accept-Language picks Korean or English; the header's
switch and the account page override it (saved on the user, a cookie for everyone); dates are
shown in the user's time zone; the API's messages follow the request's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_image_bytes
from gallery import services
from gallery.models import Photo
from gallery.tests.conftest import as_upload

pytestmark = pytest.mark.django_db

BRAND_KO = "추억 사진관"
COOKIE = settings.LANGUAGE_COOKIE_NAME


def _is_korean(response) -> bool:
    html = response.content.decode()
    return '<html lang="ko">' in html and f"· {BRAND_KO}</title>" in html


def _is_english(response) -> bool:
    html = response.content.decode()
    return '<html lang="en">' in html and "· Memory Studio</title>" in html


def test_a_korean_browser_gets_korean(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.8")
    assert _is_korean(response)
    assert response["Content-Language"] == "ko"
    assert "Accept-Language" in response["Vary"]
    assert '<a class="brand" href="/">추억 사진관</a>' in response.content.decode()


@pytest.mark.parametrize("accept", [None, "en-US,en;q=0.9", "fr-FR,fr;q=0.9", "de"])
def test_english_stays_english(client, accept):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.get(reverse("accounts:login"), **headers)
    assert _is_english(response)
    assert "로그인" not in response.content.decode()


def test_the_switch_saves_the_users_language_and_it_wins_over_the_browser(user_client, user):
    response = user_client.post(
        reverse("accounts:set_language"),
        {"language": "ko", "next": "/albums/?page=1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response["Location"] == "/albums/?page=1"
    assert response.cookies[COOKIE].value == "ko"
    user.refresh_from_db()
    assert user.language == "ko"
    assert _is_korean(user_client.get("/albums/", HTTP_ACCEPT_LANGUAGE="en"))
    # Another browser (no cookie) that asks for English still gets the saved language.
    elsewhere = Client()
    elsewhere.force_login(user)
    assert _is_korean(elsewhere.get("/albums/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    # And back to English the same way.
    user_client.post(reverse("accounts:set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    assert _is_english(elsewhere.get("/albums/", HTTP_ACCEPT_LANGUAGE="ko"))


def test_the_switch_goes_back_to_the_page_with_its_query_string(user_client):
    response = user_client.post(
        reverse("accounts:set_language"),
        {"language": "ko", "next": "/search/"},
        HTTP_REFERER="http://testserver/search/?q=abc&face=1",
    )
    assert response["Location"] == "/search/?q=abc&face=1"
    other_site = user_client.post(
        reverse("accounts:set_language"),
        {"language": "ko", "next": "/search/"},
        HTTP_REFERER="https://evil.example/search/?q=abc",
    )
    assert other_site["Location"] == "/search/"


def test_the_switch_works_for_visitors_with_a_cookie(client):
    response = client.post(reverse("accounts:set_language"), {"language": "ko", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[COOKIE]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert _is_korean(client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en"))


def test_the_switch_is_in_the_header_of_every_page(client, user_client):
    for response in (client.get(reverse("accounts:login")), user_client.get("/")):
        html = response.content.decode()
        assert 'id="language-switch"' in html
        assert '<option value="ko" lang="ko">한국어</option>' in html
        assert '<option value="en" lang="en" selected>English</option>' in html


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ({"language": "xx", "next": "/albums/"}, "/albums/"),
        ({"language": "ko", "next": "https://evil.example/"}, "/"),
        ({"language": "ko", "next": "//evil.example/"}, "/"),
        ({"language": "ko"}, "/"),
    ],
)
def test_the_switch_refuses_unknown_languages_and_other_sites(user_client, user, data, location):
    response = user_client.post(reverse("accounts:set_language"), data)
    assert response.status_code == 302
    assert response["Location"] == location
    user.refresh_from_db()
    assert user.language == ("ko" if data["language"] == "ko" else "")


def test_the_switch_takes_no_get(client):
    assert client.get(reverse("accounts:set_language") + "?language=ko").status_code == 405


def test_the_account_page_saves_language_and_time_zone(user_client, user):
    page = user_client.get(reverse("accounts:account"))
    assert page.status_code == 200
    assert '<option value="Asia/Seoul">Asia/Seoul</option>' in page.content.decode()
    response = user_client.post(reverse("accounts:account"), {"language": "ko", "time_zone": "Asia/Seoul"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "ko"
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("ko", "Asia/Seoul")
    followed = user_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert _is_korean(followed)
    assert "설정을 저장했어요." in followed.content.decode()
    # "" = the browser's language again: the cookie goes, Accept-Language decides.
    response = user_client.post(reverse("accounts:account"), {"language": "", "time_zone": "Asia/Seoul"})
    assert response.cookies[COOKIE].value == ""
    user.refresh_from_db()
    assert user.language == ""
    assert _is_english(user_client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert _is_korean(user_client.get("/", HTTP_ACCEPT_LANGUAGE="ko"))


def test_the_account_page_refuses_an_unknown_time_zone(user_client, user):
    response = user_client.post(reverse("accounts:account"), {"language": "ko", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("", settings.TIME_ZONE)


def test_new_users_start_in_the_sites_time_zone(django_user_model):
    assert (
        django_user_model.objects.create_user(username="new", password="x" * 12).time_zone
        == settings.TIME_ZONE
    )


def test_logging_in_applies_the_saved_language(client, user, password):
    user.language = "ko"
    user.save(update_fields=["language"])
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "ko"
    assert _is_korean(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    # Logged out, this browser keeps the language its user chose.
    client.post(reverse("accounts:logout"))
    assert _is_korean(client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en"))


def test_signing_up_keeps_the_language_chosen_before(client, django_user_model):
    client.post(reverse("accounts:set_language"), {"language": "ko", "next": "/accounts/signup/"})
    client.post(
        reverse("accounts:signup"),
        {"username": "jiwoo", "password1": "a-long-passphrase-77", "password2": "a-long-passphrase-77"},
    )
    assert django_user_model.objects.get(username="jiwoo").language == "ko"


@pytest.fixture
def photo(user) -> Photo:
    return services.photo_create(owner=user, upload=as_upload(make_image_bytes(), "IMG_0001.jpg"))


def _photo_taken_at(photo: Photo, when: dt.datetime) -> Photo:
    Photo.objects.filter(pk=photo.pk).update(taken_at=when, uploaded_at=when, taken_at_from_exif=True)
    photo.refresh_from_db()
    return photo


def test_a_photo_date_in_korean(user_client, photo):
    _photo_taken_at(photo, dt.datetime(2026, 11, 29, 15, 5, tzinfo=dt.UTC))
    korean = user_client.get(f"/photos/{photo.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "2026년 11월 29일 3:05 오후" in korean
    english = user_client.get(f"/photos/{photo.pk}/").content.decode()
    assert "Nov. 29, 2026, 3:05 p.m." in english


def test_the_users_time_zone_changes_the_shown_time(user_client, user, photo):
    _photo_taken_at(photo, dt.datetime(2026, 11, 29, 15, 5, tzinfo=dt.UTC))
    user.time_zone = "Asia/Seoul"  # UTC+9: the next day, five past midnight
    user.save(update_fields=["time_zone"])
    html = user_client.get(f"/photos/{photo.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "2026년 11월 30일 12:05 오전" in html
    assert 'datetime="2026-11-30T00:05:00+09:00"' in html
    user.time_zone = "America/New_York"  # UTC-5 in November
    user.save(update_fields=["time_zone"])
    html = user_client.get(f"/photos/{photo.pk}/").content.decode()
    assert "Nov. 29, 2026, 10:05 a.m." in html
    # The zone was the request's only: the thread serves the next request in the site's zone.
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_dates_follow_the_time_zone_across_midnight(user_client, user, photo):
    """Dates without a time come from the zone's calendar day too."""
    _photo_taken_at(photo, dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC))
    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])
    html = user_client.get(f"/photos/{photo.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "2026년 11월 30일" in html
    assert "2026년 11월 29일" not in html


def test_file_sizes_in_korean():
    from django.utils import translation

    from gallery.templatetags.gallery_tags import filesize

    assert filesize(10) == "10 bytes"
    with translation.override("ko"):
        assert filesize(10) == "10바이트"
        assert filesize(3 * 1024 * 1024) == "3.0 MB"


def test_an_api_error_message_in_the_requests_language(api_client):
    upload = SimpleUploadedFile("notes.txt", b"not an image at all", content_type="text/plain")
    korean = api_client.post("/api/photos/", {"image": upload}, format="multipart", HTTP_ACCEPT_LANGUAGE="ko")
    assert korean.status_code == 400
    assert korean.json()["image"] == [
        "읽을 수 있는 이미지 파일이 아니에요. JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC 이미지를 올려 주세요."
    ]
    assert korean["Content-Language"] == "ko"
    upload.seek(0)
    english = api_client.post("/api/photos/", {"image": upload}, format="multipart")
    assert english.json()["image"] == [
        "This file is not an image we can read. Upload a JPEG, PNG, WebP, GIF, BMP, TIFF or HEIC image."
    ]


def test_drf_and_django_messages_are_korean_too(client, api_client):
    """Messages that come from DRF's and Django's own catalogs (ko_KR and ko)."""
    anonymous = client.get("/api/photos/", HTTP_ACCEPT_LANGUAGE="ko")
    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["detail"] == "자격 인증 데이터가 제공되지 않았습니다."
    missing = api_client.post("/api/albums/", {}, format="json", HTTP_ACCEPT_LANGUAGE="ko")
    assert missing.json()["name"] == ["이 필드는 필수 항목입니다."]


def test_the_javascript_catalog_follows_the_language(client):
    korean = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ko")
    assert korean.status_code == 200
    assert korean["Content-Type"].startswith("text/javascript")
    body = korean.content.decode()
    assert "\\uc62c\\ub9ac\\ub294 \\uc911\\u2026" in body or "올리는 중…" in body  # "Uploading…"
    english = client.get("/jsi18n/").content.decode()
    assert "\\uc62c\\ub9ac\\ub294" not in english
    assert "올리는 중" not in english
