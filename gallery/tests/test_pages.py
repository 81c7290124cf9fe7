"""Server-rendered pages: grid, upload (no-JS fallback), detail, edit, delete, albums."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import make_image_bytes
from gallery.models import Album, Photo
from gallery.tests.conftest import exif_jpeg

pytestmark = pytest.mark.django_db


def test_grid_shows_own_thumbnails_newest_taken_first_with_lazy_loading(
    user_client, photo_factory, other_photo
):
    old = photo_factory(data=exif_jpeg(taken="2001:01:01 00:00:00"), title="Old one")
    new = photo_factory(data=exif_jpeg(taken="2022:01:01 00:00:00"), title="New one")
    response = user_client.get(reverse("gallery:photo_list"))
    assert response.status_code == 200
    assert list(response.context["page"]) == [new, old]  # newest taken first, only the user's
    html = response.content.decode()
    assert f"/photos/{other_photo.pk}/" not in html
    # Each tile's image is the photo's thumbnail, served to its owner, loaded lazily.
    tiles = re.findall(r'<a class="tile" href="([^"]+)"[^>]*>\s*<img src="([^"]+)"[^>]*loading="lazy"', html)
    # A tile opens its photo in the full-screen viewer.
    assert [link for link, _ in tiles] == [
        reverse("gallery:photo_view", kwargs={"photo_id": p.pk}) for p in (new, old)
    ]
    for (_, src), photo in zip(tiles, (new, old), strict=True):
        served = user_client.get(src)
        assert served.status_code == 200
        with photo.thumbnail.open("rb") as stored:
            assert b"".join(served.streaming_content) == stored.read()


def test_grid_is_paginated_without_n_plus_one(
    user_client, photo_factory, settings, django_assert_max_num_queries
):
    settings.GALLERY_PAGE_SIZE = 3
    photos = [photo_factory() for _ in range(7)]
    newest_first = sorted(photos, key=lambda p: (p.taken_at, p.pk), reverse=True)
    with django_assert_max_num_queries(6):
        first = user_client.get(reverse("gallery:photo_list"))
    assert (first.context["page"].number, first.context["page"].paginator.num_pages) == (1, 3)
    assert list(first.context["page"]) == newest_first[:3]
    assert first.content.decode().count('class="tile"') == 3
    last = user_client.get(reverse("gallery:photo_list"), {"page": 3})
    assert list(last.context["page"]) == newest_first[6:]
    # A nonsense page number shows a valid page instead of an error.
    nonsense = user_client.get(reverse("gallery:photo_list"), {"page": "zzz"})
    assert nonsense.status_code == 200
    assert list(nonsense.context["page"]) == newest_first[:3]


def test_empty_gallery_invites_an_upload(user_client):
    html = user_client.get(reverse("gallery:photo_list")).content.decode()
    assert "No photos yet" in html
    assert reverse("gallery:photo_upload") in html


def test_nav_links(user_client):
    html = user_client.get(reverse("gallery:photo_list")).content.decode()
    for name in ("gallery:photo_list", "gallery:photo_upload", "gallery:album_list"):
        assert f'href="{reverse(name)}"' in html


def test_upload_page_script_posts_to_an_api_that_takes_the_upload(user_client, user):
    from django.contrib.staticfiles import finders

    html = user_client.get(reverse("gallery:photo_upload")).content.decode()
    assert 'id="dropzone"' in html
    # The script (it exists) posts each dropped file to the page's data-api-url with this session.
    scripts = re.findall(r'<script src="/static/([^"]+)"', html)
    assert "js/upload.js" in scripts
    assert all(finders.find(path) for path in scripts)
    api_url = re.search(r'data-api-url="([^"]+)"', html)
    assert api_url is not None
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf is not None
    response = user_client.post(
        api_url.group(1),
        {"image": SimpleUploadedFile("dropped.jpg", make_image_bytes())},
        HTTP_X_CSRFTOKEN=csrf.group(1),
    )
    assert response.status_code == 201, response.content
    assert Photo.objects.get(owner=user).original_filename == "dropped.jpg"
    # The file input takes several files at once (the no-JavaScript form posts them all).
    assert re.search(r'<input type="file"[^>]*name="images"[^>]*multiple', html)


def test_upload_form_fallback_creates_good_files_and_reports_bad_ones(user_client, user):
    response = user_client.post(
        reverse("gallery:photo_upload"),
        {
            "images": [
                SimpleUploadedFile("good.jpg", make_image_bytes()),
                SimpleUploadedFile("notes.txt", b"not an image"),
            ]
        },
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Uploaded 1 photo." in html
    assert "notes.txt: This file is not an image" in html
    assert list(Photo.objects.values_list("owner", "original_filename")) == [(user.pk, "good.jpg")]


def test_upload_form_with_only_bad_files_is_a_400(user_client):
    response = user_client.post(
        reverse("gallery:photo_upload"), {"images": [SimpleUploadedFile("x.jpg", b"")]}
    )
    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()
    assert not Photo.objects.exists()


def test_detail_page_shows_the_display_image_and_links_the_original(user_client, photo):
    response = user_client.get(reverse("gallery:photo_detail", kwargs={"photo_id": photo.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    # The face overlay script finds the stage and the image by these ids (photo_faces.js).
    assert 'id="photo-stage"' in html
    image = re.search(r'<img id="photo-image" src="([^"]+)"', html)
    assert image is not None
    original = re.search(r'<a href="([^"]+)"[^>]*>Open original</a>', html)
    assert original is not None
    for url, field in ((image.group(1), photo.display), (original.group(1), photo.original)):
        served = user_client.get(url)
        assert served.status_code == 200
        with field.open("rb") as stored:
            assert b"".join(served.streaming_content) == stored.read()
    assert "40 \u00d7 30" in html
    assert "Beach" in html


def test_detail_edit_title_and_caption(user_client, photo):
    url = reverse("gallery:photo_detail", kwargs={"photo_id": photo.pk})
    response = user_client.post(url, {"title": "Dunes", "caption": "Windy day"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.title, photo.caption) == ("Dunes", "Windy day")
    bad = user_client.post(url, {"title": "x" * 300, "caption": ""})
    assert bad.status_code == 400
    photo.refresh_from_db()
    assert photo.title == "Dunes"


def test_delete_asks_for_confirmation_then_moves_the_photo_to_the_trash(
    user_client, photo, django_capture_on_commit_callbacks
):
    url = reverse("gallery:photo_delete", kwargs={"photo_id": photo.pk})
    confirm = user_client.get(url)
    assert confirm.status_code == 200
    assert "Move this photo to the trash?" in confirm.content.decode()
    assert Photo.objects.get(pk=photo.pk).trashed_at is None  # GET changes nothing
    storage = photo.original.storage
    names = photo.file_names
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("gallery:photo_list")
    assert Photo.objects.get(pk=photo.pk).trashed_at is not None
    assert all(storage.exists(n) for n in names)  # files kept while in the trash
    page = response.content.decode()
    assert "Moved “Beach” to the trash." in page
    # The message's Undo is a plain form: it restores the photo and goes back to it.
    assert 'action="/trash/restore/"' in page
    assert f'name="photo_ids" value="{photo.pk}"' in page
    undo = user_client.post(
        reverse("gallery:trash_restore"),
        {"photo_ids": [photo.pk], "next": f"/photos/{photo.pk}/"},
    )
    assert undo.status_code == 302
    assert undo["Location"] == f"/photos/{photo.pk}/"
    assert Photo.objects.get(pk=photo.pk).trashed_at is None


def test_albums_pages_flow(user_client, user, photo_factory):
    p1, p2 = photo_factory(title="One"), photo_factory(title="Two")
    response = user_client.post(reverse("gallery:album_list"), {"name": "Family"})
    album = Album.objects.get(owner=user)
    assert response["Location"] == reverse("gallery:album_detail", kwargs={"album_id": album.pk})
    assert "Family" in user_client.get(reverse("gallery:album_list")).content.decode()

    add_url = reverse("gallery:album_add_photos", kwargs={"album_id": album.pk})
    picker = user_client.get(add_url).content.decode()
    assert f'value="{p1.pk}"' in picker
    assert user_client.post(add_url, {"photo_ids": [p1.pk]}).status_code == 302
    assert list(album.photos.all()) == [p1]
    assert f'value="{p1.pk}"' not in user_client.get(add_url).content.decode()
    assert user_client.post(add_url, {}).status_code == 200  # nothing picked: shown again

    # Add from the photo page too.
    user_client.post(reverse("gallery:photo_add_to_album", kwargs={"photo_id": p2.pk}), {"album": album.pk})
    detail = user_client.get(reverse("gallery:album_detail", kwargs={"album_id": album.pk})).content.decode()
    assert "One" in detail
    assert "Two" in detail

    user_client.post(reverse("gallery:album_remove_photo", kwargs={"album_id": album.pk, "photo_id": p1.pk}))
    assert list(album.photos.all()) == [p2]

    user_client.post(reverse("gallery:album_detail", kwargs={"album_id": album.pk}), {"name": "Relatives"})
    album.refresh_from_db()
    assert album.name == "Relatives"
    assert (
        user_client.post(
            reverse("gallery:album_detail", kwargs={"album_id": album.pk}), {"name": ""}
        ).status_code
        == 400
    )

    delete_url = reverse("gallery:album_delete", kwargs={"album_id": album.pk})
    assert user_client.get(delete_url).status_code == 200
    assert user_client.post(delete_url).status_code == 302
    assert not Album.objects.exists()
    assert Photo.objects.count() == 2


def test_album_create_with_blank_name_is_a_400(user_client):
    response = user_client.post(reverse("gallery:album_list"), {"name": "   "})
    assert response.status_code == 400
    assert not Album.objects.exists()


def test_media_view_sends_private_cache_headers(user_client, photo):
    response = user_client.get(
        reverse("gallery:photo_media", kwargs={"photo_id": photo.pk, "kind": "original"})
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Type"] == "image/jpeg"
    assert user_client.get(f"/media/photos/{photo.pk}/secret/").status_code == 404


def test_anonymous_users_are_sent_to_login(client, photo):
    # Home is the landing page for visitors (accounts.views.landing), with no one's photos.
    home = client.get(reverse("gallery:photo_list"))
    assert home.status_code == 200
    assert home.templates[0].name == "accounts/landing.html"
    assert f"/media/photos/{photo.pk}/" not in home.content.decode()
    for url in (
        reverse("gallery:photo_upload"),
        reverse("gallery:photo_detail", kwargs={"photo_id": photo.pk}),
        reverse("gallery:album_list"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    media = client.get(reverse("gallery:photo_media", kwargs={"photo_id": photo.pk, "kind": "thumbnail"}))
    assert media.status_code in (401, 403)


def test_admin_lists_photos_with_previews_and_deletes_files(
    client, django_user_model, photo, other_photo, django_capture_on_commit_callbacks, settings
):
    settings.ADMIN_CAN_VIEW_USER_MEDIA = True  # previews: superusers only, and only with this on
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-admin-1")
    client.force_login(admin)
    changelist = client.get(reverse("admin:gallery_photo_changelist"))
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert "Beach" in html
    assert "Secret" in html  # staff see every owner's photos here
    preview = reverse("admin:gallery_photo_media", kwargs={"photo_id": photo.pk, "kind": "thumbnail"})
    assert preview in html
    assert client.get(preview).status_code == 200
    # The search finds the matching photo and only it (the page also echoes `q` back).
    found = client.get(reverse("admin:gallery_photo_changelist"), {"q": "Secret"})
    assert list(found.context["cl"].result_list) == [other_photo]
    found = client.get(reverse("admin:gallery_photo_changelist"), {"q": "alice"})  # owner's username
    assert list(found.context["cl"].result_list) == [photo]
    assert client.get(reverse("admin:gallery_photo_change", args=[photo.pk])).status_code == 200
    assert client.get(reverse("admin:gallery_album_changelist")).status_code == 200
    names = photo.file_names
    storage = photo.original.storage
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:gallery_photo_changelist"),
            {"action": "delete_with_files", "_selected_action": [photo.pk]},
        )
    assert response.status_code == 302
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not any(storage.exists(n) for n in names)
    assert Photo.objects.filter(pk=other_photo.pk).exists()


def test_admin_media_is_for_staff_only(user_client, photo):
    url = reverse("admin:gallery_photo_media", kwargs={"photo_id": photo.pk, "kind": "thumbnail"})
    response = user_client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_newer_and_older_step_through_a_burst_with_the_same_taken_at(user_client, photo_factory):
    burst = "2020:06:01 12:00:00"
    # Same EXIF time, different sizes (so different bytes): a burst of three, one photo before it.
    before = photo_factory(data=exif_jpeg(taken="2019:01:01 00:00:00"))
    shots = [photo_factory(data=exif_jpeg(size=(80 + i, 40), taken=burst)) for i in range(3)]
    after = photo_factory(data=exif_jpeg(taken="2021:01:01 00:00:00"))
    assert len({p.taken_at for p in shots}) == 1
    grid = [p.pk for p in user_client.get(reverse("gallery:photo_list")).context["page"]]
    assert grid == [after.pk, *[p.pk for p in reversed(shots)], before.pk]

    def step(photo_id, direction):
        response = user_client.get(reverse("gallery:photo_detail", kwargs={"photo_id": photo_id}))
        neighbour = response.context[direction]
        return None if neighbour is None else neighbour.pk

    walked = [grid[0]]
    while (following := step(walked[-1], "older")) is not None:
        walked.append(following)
    assert walked == grid
    walked = [grid[-1]]
    while (following := step(walked[-1], "newer")) is not None:
        walked.append(following)
    assert walked == grid[::-1]


def test_the_album_picker_adds_only_the_users_own_photos_and_nothing_on_a_bad_pick(
    user_client, user, photo_factory, other_user
):
    from conftest import make_image_bytes
    from gallery.services import photo_create
    from gallery.tests.conftest import as_upload

    mine = photo_factory(title="Mine")
    theirs = photo_create(owner=other_user, upload=as_upload(make_image_bytes(color=(1, 2, 3))))
    album = Album.objects.create(owner=user, name="Trip")
    url = reverse("gallery:album_add_photos", kwargs={"album_id": album.pk})
    # Someone else's photo, a malformed id or an id no photo has: 404, and nothing is added.
    for picked in ([mine.pk, theirs.pk], [mine.pk, "abc"], [mine.pk, 2**70]):
        assert user_client.post(url, {"photo_ids": picked}).status_code == 404
        assert not album.photos.exists()
    # Nothing picked: the page again with a message.
    again = user_client.post(url, {})
    assert again.status_code == 200
    assert not album.photos.exists()
    assert user_client.post(url, {"photo_ids": [mine.pk]}).status_code == 302
    assert list(album.photos.all()) == [mine]
