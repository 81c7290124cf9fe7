"""Every page in Korean shows no English UI words: an unmarked or untranslated string fails here.

Each page is rendered twice: in English the detector must find English words (so it looks at
that page's text at all), in Korean it must find none. The text is what people read: text
nodes outside scripts and styles, and the title, placeholder, aria-label and alt attributes.
User data in the library is Korean or neutral (IMG_0001.jpg), so that every English word found
is the product's."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import translation

from conftest import make_image_bytes
from gallery import services
from gallery.models import Album, AlbumShare, Photo
from gallery.tests.conftest import as_upload
from memory_studio import errors
from people.services import person_create
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face
from recognition.services import photo_faces_replace

pytestmark = pytest.mark.django_db

# Words of the English UI (whole words, case-sensitive), and English glue words that any
# untranslated sentence carries.
ENGLISH_WORDS = re.split(
    r",\s*",
    """
Upload, Uploaded, Album, Albums, Search, People, Person, Delete, Save, Photo, Photos, Log out,
Log in, Sign up, Password, Cancel, Name, Add, Remove, Rename, Edit, Details, Taken, Size, Type,
File, Open, Merge, Move, Select, Show, Hide, Hidden, Undo, Yes, No, Review, Face, Faces, Back,
Change, Create, Your, Newer, Older, Page, Skip, Language, Choose, Drop, Loose, Strict, Default,
Not, Memory Studio, Who, Similar, Manage, All, Retry, Go, Username, Email, Birth, Time zone,
Title, Caption, This, There, Something, You, Bad, Server, Temporarily, Already, Every, Nobody,
Account, Logged, Matching, Query, Several, How, the, and, your, you, of, to, in, is, or, for,
with, this, photo, photos, face, faces, here, yet, one, each, click, files, page, not,
Apply, Clear, Jump, Sort, Newest, Oldest, continued, matches, uploaded, taken, titles, Cover,
cover, Drag, earlier, later
""".strip(),
)
_ENGLISH = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")(?![\w-])")
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
SKIPPED = {"script", "style", "datalist"}


class _Text(HTMLParser):
    """What a reader sees of a page; the time zone select's options (IANA names) left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in SKIPPED or (tag == "select" and named.get("name") == "time_zone"):
            self._skip.append(tag)
        if not self._skip:
            self.parts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return sorted(set(_ENGLISH.findall(" \n ".join(parser.parts))))


def _face(x: float) -> FaceEmbedding:
    marks = ((x + 10, 10.0), (x + 20, 10.0), (x + 15, 15.0), (x + 11, 20.0), (x + 19, 20.0))
    vector = np.full(128, 128**-0.5, dtype=np.float32)
    vector[int(x) % 128] += 0.5
    vector /= np.linalg.norm(vector)
    return FaceEmbedding(
        face=DetectedFace(box=(x, 5.0, x + 25, 30.0), score=0.99, landmarks=marks), vector=vector
    )


@pytest.fixture
def library(user: Any) -> dict[str, Any]:
    """Photos with faces, a named person, an album, a photo whose face detection failed."""
    photos = []
    for n in range(4):
        data = make_image_bytes(size=(64, 48), color=(40 * n, 90, 200 - 30 * n))
        photo = services.photo_create(owner=user, upload=as_upload(data, f"IMG_{n:04d}.jpg"))
        photo_faces_replace(photo_id=photo.pk, model_key="dlib-resnet", faces=[_face(5.0), _face(35.0 + n)])
        photos.append(photo)
    Photo.objects.filter(pk=photos[0].pk).update(
        title="바닷가", taken_at=dt.datetime(2026, 8, 15, 9, 30, tzinfo=dt.UTC), taken_at_from_exif=True
    )
    failed = services.photo_create(
        owner=user, upload=as_upload(make_image_bytes(size=(30, 30)), "IMG_9999.jpg")
    )
    Photo.objects.filter(pk=failed.pk).update(
        index_status=Photo.IndexStatus.FAILED, index_error="OSError: [Errno 5]"
    )
    firsts = [Face.objects.filter(photo=p).order_by("x1").first() for p in photos]
    person = person_create(owner=user, faces=[f for f in firsts if f is not None], name="민지")
    album = services.album_create(owner=user, name="가족 여행")
    services.album_add_photos(album=album, photos=photos[:2])
    face = Face.objects.filter(photo=photos[0]).order_by("x1").first()
    assert face is not None
    trashed = services.photo_create(
        owner=user, upload=as_upload(make_image_bytes(size=(32, 24), color=(1, 2, 3)), "IMG_8888.jpg")
    )
    services.photos_trash(owner=user, photos=[trashed])
    return {
        "photo": photos[0].pk,
        "album": album.pk,
        "person": person.pk,
        "face": face.pk,
        "trashed": trashed.pk,
    }


def _pages(ids: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        ("/", 200),
        ("/?status=failed", 200),
        (f"/?person={ids['person']}", 200),
        ("/?q=바닷가&ordering=uploaded_at", 200),
        ("/?q=없는말", 200),
        (f"/albums/{ids['album']}/?q=없는말&ordering=taken_at", 200),
        ("/upload/", 200),
        (f"/photos/{ids['photo']}/", 200),
        (f"/photos/{ids['photo']}/delete/", 200),
        (f"/photos/{ids['photo']}/view/", 200),
        (f"/photos/{ids['photo']}/view/?album={ids['album']}", 200),
        ("/albums/", 200),
        (f"/albums/{ids['album']}/", 200),
        (f"/albums/{ids['album']}/add/", 200),
        (f"/albums/{ids['album']}/delete/", 200),
        (f"/albums/{ids['album']}/shares/", 200),
        ("/search/", 200),
        (f"/search/?face_id={ids['face']}", 200),
        ("/search/?q=expired-or-unknown", 200),
        ("/people/", 200),
        ("/people/?hidden=1", 200),
        ("/people/?q=없는이름", 200),
        (f"/people/{ids['person']}/", 200),
        ("/people/review/", 200),
        ("/trash/", 200),
        ("/trash/empty/", 200),
        (f"/photos/{ids['trashed']}/", 200),
        ("/accounts/settings/", 200),
        ("/import/", 200),
        ("/accounts/password/", 200),
        ("/accounts/password/done/", 200),
        ("/accounts/password/reset/", 200),
        ("/accounts/face-recognition/", 200),
        ("/accounts/face-data/delete/", 200),
        ("/accounts/delete/", 200),
        ("/no-such-page/", 404),
        ("/photos/999999/", 404),
    ]


def _get(client: Client, url: str, status: int, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == status, url
    return str(response.content.decode())


def _assert_korean(html: str, where: str) -> None:
    assert '<html lang="ko">' in html, where
    assert "· 추억 사진관</title>" in html, where
    found = english_words(html)
    assert not found, f"{where}: English left in the Korean page: {found}"


def _assert_english(html: str, where: str) -> None:
    assert english_words(html), f"{where}: the detector found no English in the English page"


def test_every_page_of_the_library_is_korean(user_client, library):
    for url, status in _pages(library):
        _assert_english(_get(user_client, url, status, "en"), url)
        _assert_korean(_get(user_client, url, status, "ko-KR,ko;q=0.9"), url)


def test_the_album_list_and_album_page_bits_are_korean(user_client, user, library):
    """Covers, counts, month ranges, the sort choice, a picked cover and the order controls."""
    album = services.album_create(owner=user, name="여름")
    photos = list(Photo.objects.filter(owner=user).order_by("pk")[:3])
    services.album_add_photos(album=album, photos=photos)
    services.album_set_cover(album=album, photo=photos[-1])
    albums = _get(user_client, "/albums/", 200, "ko")
    _assert_korean(albums, "/albums/")
    assert "2026년 8월 \u2013 " in albums  # the range starts with the photo taken in August 2026
    assert "사진 3장" in albums
    for sort in ("manual", "newest"):
        services.album_update(album=album, sort_order=sort)
        url = f"/albums/{album.pk}/"
        _assert_english(_get(user_client, url, 200, "en"), url)
        html = _get(user_client, url, 200, "ko")
        _assert_korean(html, f"{url} ({sort})")
        assert "앨범 표지" in html
        assert "첫 사진을 표지로" in html


def test_the_empty_pages_are_korean_for_a_user_who_chose_korean(django_user_model):
    """The saved language, no Accept-Language at all; every empty state."""
    user = django_user_model.objects.create_user(username="jiwoo", password="a-long-passphrase-77")
    client = Client()
    client.force_login(user)
    empty = ("/", "/albums/", "/people/", "/people/?hidden=1", "/people/review/", "/search/", "/trash/")
    for url in empty:
        _assert_english(_get(client, url, 200, ""), url)
    user.language = "ko"
    user.save(update_fields=["language"])
    for url in empty:
        _assert_korean(_get(client, url, 200, ""), url)


VISITOR_PAGES = (
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/sent/",
    "/accounts/password/reset/MQ/expired-or-unknown/",
    "/accounts/password/reset/complete/",
    "/no-such-page/",
)


def test_the_pages_for_visitors_are_korean(client, user):
    for url in VISITOR_PAGES:
        status = 404 if "no-such" in url else 200
        _assert_english(_get(client, url, status, "en"), url)
        _assert_korean(_get(client, url, status, "ko"), url)


def test_the_account_pages_are_korean(client, django_user_model):
    """The account page without an e-mail address (its notice), its e-mail form's errors, the
    password reset form's limit, the message after logging out, the password reset e-mail."""
    from django.core import mail

    user = django_user_model.objects.create_user(username="jiwoo", password="a-long-passphrase-77")
    client.force_login(user)
    _assert_english(_get(client, "/accounts/settings/", 200, "en"), "account without e-mail")
    _assert_korean(_get(client, "/accounts/settings/", 200, "ko"), "account without e-mail")
    wrong = client.post(
        "/accounts/settings/email/", {"email": "jiwoo", "current_password": "x"}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert wrong.status_code == 400
    _assert_korean(wrong.content.decode(), "e-mail form errors")
    saved = client.post(
        "/accounts/settings/email/",
        {"email": "jiwoo@example.com", "current_password": "a-long-passphrase-77"},
        HTTP_ACCEPT_LANGUAGE="ko",
        follow=True,
    )
    _assert_korean(saved.content.decode(), "e-mail saved")
    logged_out = client.post("/accounts/logout/", HTTP_ACCEPT_LANGUAGE="ko", follow=True)
    assert "로그아웃했어요." in logged_out.content.decode()
    _assert_korean(logged_out.content.decode(), "logged out")
    for _ in range(4):
        reset = client.post(
            "/accounts/password/reset/", {"email": "jiwoo@example.com"}, HTTP_ACCEPT_LANGUAGE="ko"
        )
    assert reset.status_code == 429
    _assert_korean(reset.content.decode(), "password reset limit")
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        body = f"<html><title>{message.subject}</title><p>{message.body}</p></html>"
        assert not english_words(body), f"English left in the Korean e-mail: {english_words(body)}"
    # The e-mail's link: the new password form, its errors, the page after it.
    link = re.search(r"https?://[^/\s]+(/\S+)", str(mail.outbox[-1].body))
    assert link
    form = client.get(link.group(1), HTTP_ACCEPT_LANGUAGE="ko", follow=True)
    assert form.context["validlink"] is True
    _assert_english(
        client.get(form.redirect_chain[-1][0], HTTP_ACCEPT_LANGUAGE="en").content.decode(),
        "new password form",
    )
    _assert_korean(form.content.decode(), "new password form")
    mismatch = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase-31", "new_password2": "something-else-31"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert mismatch.status_code == 200
    assert mismatch.context["form"].errors
    _assert_korean(mismatch.content.decode(), "new password errors")


def test_share_link_pages_are_korean(user_client, library):
    """The owner's link pages (created, listed with each state, form errors) and every page a
    visitor of a link sees (password, wrong password, album, photo)."""
    album = Album.objects.get(pk=library["album"])
    expired, _ = services.album_share_create(album=album, label="할머니")
    AlbumShare.objects.filter(pk=expired.pk).update(expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    revoked, _ = services.album_share_create(album=album, password="비밀", allow_download=True)
    services.album_share_revoke(share=revoked)
    for language, check in (("en", _assert_english), ("ko", _assert_korean)):
        created = user_client.post(
            f"/albums/{album.pk}/shares/",
            {"expires_in_days": "7", "password": "비밀", "allow_download": "on"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert created.status_code == 200
        check(created.content.decode(), f"link created ({language})")
        token = created.content.decode().split("/s/", 1)[1].split("/", 1)[0]
        listed = user_client.get(f"/albums/{album.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        check(listed.content.decode(), f"album with links ({language})")
        refused = user_client.post(
            f"/albums/{album.pk}/shares/",
            {"expires_in_days": "1", "expires_at": "2020-01-01T10:00"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert refused.status_code == 400
        check(refused.content.decode(), f"link form errors ({language})")
        visitor = Client()
        pages = [
            visitor.get(f"/s/{token}/", HTTP_ACCEPT_LANGUAGE=language),
            visitor.post(f"/s/{token}/", {"password": "틀림"}, HTTP_ACCEPT_LANGUAGE=language),
        ]
        assert visitor.post(f"/s/{token}/", {"password": "비밀"}).status_code == 302
        pages.append(visitor.get(f"/s/{token}/", HTTP_ACCEPT_LANGUAGE=language))
        pages.append(visitor.get(f"/s/{token}/photos/{library['photo']}/", HTTP_ACCEPT_LANGUAGE=language))
        for n, page in enumerate(pages):
            assert page.status_code in (200, 400), n
            check(page.content.decode(), f"visitor page {n} ({language})")


def test_forms_with_errors_are_korean(user_client, library):
    """Validation errors (Django's and ours) and messages after an action."""
    client = Client()
    signup = client.post(
        "/accounts/signup/",
        {"username": "", "password1": "short", "password2": "other"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    _assert_korean(signup.content.decode(), "signup errors")
    login = client.post(
        "/accounts/login/", {"username": "alice", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    _assert_korean(login.content.decode(), "login error")
    rename = user_client.post(f"/albums/{library['album']}/", {"name": ""}, HTTP_ACCEPT_LANGUAGE="ko")
    assert rename.status_code == 400
    _assert_korean(rename.content.decode(), "album rename error")
    upload = user_client.post(
        "/upload/", {"images": [as_upload(b"not an image", "notes.txt")]}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert upload.status_code == 400
    html = upload.content.decode()
    _assert_korean(html, "upload error")
    assert "notes.txt: 읽을 수 있는 이미지 파일이 아니에요." in html
    moved = user_client.post(
        f"/people/{library['person']}/",
        {"name": "민지", "birth_date": "2999-01-01"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    _assert_korean(moved.content.decode(), "person form error")
    saved = user_client.post(
        f"/photos/{library['photo']}/",
        {"title": "바다", "caption": ""},
        HTTP_ACCEPT_LANGUAGE="ko",
        follow=True,
    )
    _assert_korean(saved.content.decode(), "photo saved")
    assert "저장했어요." in saved.content.decode()
    binned = user_client.post(
        f"/photos/{library['photo']}/delete/", HTTP_ACCEPT_LANGUAGE="ko", follow=True
    ).content.decode()
    _assert_korean(binned, "moved to the trash, with Undo")
    assert "휴지통으로 옮겼어요." in binned
    assert "되돌리기" in binned
    confirm = user_client.post(
        "/trash/delete/", {"photo_ids": [library["trashed"]]}, HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    _assert_korean(confirm, "delete forever confirmation")


def test_the_privacy_pages_and_messages_are_korean(user_client, library):
    """Face recognition turned off (its message and the pages that say it is off), then on, the
    face data deleted, and a wrong password on the account deletion page."""
    off = user_client.post(
        "/accounts/face-recognition/", {"enabled": "off"}, HTTP_ACCEPT_LANGUAGE="ko", follow=True
    )
    html = off.content.decode()
    _assert_korean(html, "recognition off")
    assert "얼굴 인식을 껐어요. 삭제했어요: 얼굴 " in html
    for url in ("/accounts/settings/", "/search/", "/people/", "/"):
        _assert_korean(_get(user_client, url, 200, "ko"), f"{url} with recognition off")
    on = user_client.post(
        "/accounts/face-recognition/", {"enabled": "on"}, HTTP_ACCEPT_LANGUAGE="ko", follow=True
    )
    _assert_korean(on.content.decode(), "recognition on")
    deleted = user_client.post("/accounts/face-data/delete/", HTTP_ACCEPT_LANGUAGE="ko", follow=True)
    _assert_korean(deleted.content.decode(), "face data deleted")
    wrong = user_client.post("/accounts/delete/", {"password": "nope"}, HTTP_ACCEPT_LANGUAGE="ko")
    assert wrong.status_code == 400
    _assert_korean(wrong.content.decode(), "account deletion error")
    assert "비밀번호가 맞지 않아요." in wrong.content.decode()


def test_the_error_pages_are_korean(rf, user):
    refused = Client(enforce_csrf_checks=True).post("/accounts/login/", {}, HTTP_ACCEPT_LANGUAGE="ko")
    assert refused.status_code == 403
    _assert_korean(refused.content.decode(), "403 (CSRF)")
    for language, check in (("en", _assert_english), ("ko", _assert_korean)):
        with translation.override(language):
            request = rf.get("/", HTTP_ACCEPT_LANGUAGE=language)
            request.user = user
            check(errors.bad_request(request, Exception()).content.decode(), "400")
            check(errors.permission_denied(request, Exception()).content.decode(), "403")
            server_error = errors.server_error(request)
            assert isinstance(server_error, HttpResponse)
            check(server_error.content.decode(), "500")
            unavailable = errors.service_unavailable_response(request, errors.database_unavailable_message())
            assert isinstance(unavailable, HttpResponse)
            check(unavailable.content.decode(), "503")


def test_the_detector_finds_one_unmarked_string():
    """The check itself: a Korean page with one English leftover is caught, by its words."""
    html = '<html lang="ko"><title>사진 · 추억 사진관</title><p>사진 올리기</p><button>Save</button></html>'
    assert english_words(html) == ["Save"]
    assert english_words('<img alt="Your photos">') == ["Your", "photos"]
    assert english_words("<script>var Upload = 1;</script><p>IMG_0001.jpg 바다</p>") == []


def test_the_export_page_is_korean(user_client, user, library):
    """Library exports (issue 11): ready, being made, failed, expired, and the trash note."""
    import datetime as dt

    from django.utils import timezone

    from exports.models import Export

    services.photos_trash(owner=user, photos=[Photo.objects.get(pk=library["photo"])])
    now = timezone.now()
    Export.objects.create(
        owner=user,
        status=Export.Status.DONE,
        file_name="exports/aa/x.zip",
        size=123456,
        photos_done=4,
        photos_total=4,
        finished_at=now,
        expires_at=now + dt.timedelta(days=7),
    )
    Export.objects.create(owner=user, status=Export.Status.DONE, file_name="exports/bb/y.zip", expires_at=now)
    Export.objects.create(owner=user, status=Export.Status.FAILED, finished_at=now, expires_at=now)
    Export.objects.create(owner=user, status=Export.Status.RUNNING, photos_total=4, photos_done=1)
    _assert_english(_get(user_client, "/exports/", 200, "en"), "/exports/")
    _assert_korean(_get(user_client, "/exports/", 200, "ko"), "/exports/")
